import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { FileStorage } from '@app/storage';
import { fileStorageProvider } from './file-storage.provider';
import { ImagesController } from './images.controller';
import { MultipartUploadReader } from './multipart-upload.reader';
import { PublicUrlService } from './public-url.service';
import { UploadController } from './upload.controller';
import { UploadService } from './upload.service';

/** POST /user/upload.do and GET /images/<uri>. Needs AppConfigModule and AuthModule (global). */
@Module({
  controllers: [UploadController, ImagesController],
  providers: [fileStorageProvider, UploadService, MultipartUploadReader, PublicUrlService],
  exports: [UploadService],
})
export class UploadModule implements OnApplicationShutdown {
  constructor(@Inject(FileStorage) private readonly storage: FileStorage) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
