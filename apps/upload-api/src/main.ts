import { bootApp } from '@app/common';
import { UploadConfig } from '@app/config';
import { UploadApiModule } from './upload-api.module';
import { useUploadOpenApi } from './upload/upload-openapi';
import { checkDatabaseAtBoot } from '@app/database';

void bootApp(UploadApiModule, {
  name: 'upload-api',
  prepare: checkDatabaseAtBoot,
  configs: [UploadConfig],
  configure: useUploadOpenApi,
  banner: (baseUrl, _core, opsUrl) => [`upload:  POST ${baseUrl}/user/upload.do${opsUrl ? `   (OpenAPI: ${opsUrl}/api-docs/upload)` : ''}`],
});
