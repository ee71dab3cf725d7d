import { INestApplication } from '@nestjs/common';
import { serveOpenApi } from '@app/common';
import { UploadModule } from './upload.module';

export const UPLOAD_OPENAPI_PATH = 'api-docs/upload';

/**
 * Serves the upload API's OpenAPI description: UI at /api-docs/upload, JSON at
 * /api-docs/upload-json. Only the upload controllers are included, so it works the same in the
 * standalone app and in the all-in-one process.
 */
export function useUploadOpenApi(app: INestApplication): void {
  serveOpenApi(app, {
    path: UPLOAD_OPENAPI_PATH,
    title: 'Chat suite: upload API',
    description:
      'Legacy-compatible image upload (POST /user/upload.do) and serving of stored images (GET /images/<uri>). ' +
        'Every answer of the upload is HTTP 200 in the legacy envelope {"status":0,"data":..} / {"status":1,"msg":..}.',
    include: [UploadModule],
  });
}
