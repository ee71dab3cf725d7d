import { Inject, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { ReadinessRegistry } from '@app/ops';
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
export class UploadModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(FileStorage) private readonly storage: FileStorage,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    // Not ready while the directory is not writable or the bucket is unreachable.
    this.readiness?.register({ name: 'upload-storage', check: () => this.storage.check() });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
