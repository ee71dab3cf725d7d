import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { OpsModule } from '@app/ops';
import { UploadModule } from './upload/upload.module';

/** Image upload at /user/upload.do and serving of stored images at /images/. */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, AuthModule, UploadModule],
})
export class UploadApiModule {}
