import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { UploadModule } from './upload.module';

export const UPLOAD_OPENAPI_PATH = 'api-docs/upload';

/**
 * Serves the upload API's OpenAPI description: UI at /api-docs/upload, JSON at
 * /api-docs/upload-json. Only the upload controllers are included, so it works the same in the
 * standalone app and in the all-in-one process.
 */
export function useUploadOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Chat suite: upload API')
    .setDescription(
      'Legacy-compatible image upload (POST /user/upload.do) and serving of stored images (GET /images/<uri>). ' +
        'Every answer of the upload is HTTP 200 in the legacy envelope {"status":0,"data":..} / {"status":1,"msg":..}.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'token' }, 'token')
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [UploadModule] });
  SwaggerModule.setup(UPLOAD_OPENAPI_PATH, app, document);
}
