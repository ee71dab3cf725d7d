import { bootApp } from '@app/common';
import { UploadConfig } from '@app/config';
import { UploadApiModule } from './upload-api.module';

void bootApp(UploadApiModule, { name: 'upload-api', configs: [UploadConfig] });
