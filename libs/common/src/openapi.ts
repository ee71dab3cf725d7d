import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export interface OpenApiDoc {
  /** UI at /<path>, JSON at /<path>-json. */
  path: string;
  title: string;
  description: string;
  /** Only these modules' controllers are described, so the standalone app and the all-in-one process agree. */
  include: (new (...args: never[]) => unknown)[];
}

/** Serves one API's OpenAPI description; every API of the suite takes the legacy `token` header. */
export function serveOpenApi(app: INestApplication, doc: OpenApiDoc): void {
  const config = new DocumentBuilder()
    .setTitle(doc.title)
    .setDescription(doc.description)
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'token' }, 'token')
    .build();
  SwaggerModule.setup(doc.path, app, SwaggerModule.createDocument(app, config, { include: doc.include }));
}
