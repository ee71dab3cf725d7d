import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { OpsModule } from '@app/ops';
import { UploadModule } from './upload/upload.module';

/**
 * Image upload at /user/upload.do and serving of stored images at /images/. The database is
 * there for the token check: a token of a user that does not exist is no login.
 */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule, AuthModule, UploadModule],
})
export class UploadApiModule {}
