import { Inject, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { UploadConfig } from '@app/config';
import { ReadinessRegistry } from '@app/ops';
import { FileStorage } from '@app/storage';
import { ImageStorageEngine } from './image-storage.engine';
import { ImagesController } from './images.controller';
import { PublicUrlService } from './public-url.service';
import { UploadBodyLimiter } from './upload-body.limiter';
import { UploadStorageModule } from './upload-storage.module';
import { UploadController } from './upload.controller';

// busboy bounds each part's header block at 16 KiB by itself (not configurable). multer counts
// these as the most allowed (it hands busboy one more).
const MULTIPART_LIMITS = { files: 2, fields: 8, fieldSize: 1024, parts: 10 } as const;
// Stream buffers of the parser and of the file stream; see ImageStorageEngine.
const STREAM_HWM = 64 * 1024;

/** POST /user/upload.do and GET /images/<uri>. Needs AppConfigModule and AuthModule (global). */
@Module({
  imports: [
    UploadStorageModule,
    MulterModule.registerAsync({
      imports: [UploadStorageModule],
      inject: [ImageStorageEngine, UploadBodyLimiter, UploadConfig],
      useFactory: (storage: ImageStorageEngine, limiter: UploadBodyLimiter, config: UploadConfig) => ({
        storage,
        // One byte over the limit reaches the image checks, which refuse it with their reason.
        limits: { ...MULTIPART_LIMITS, fileSize: config.maxFileSize + 1 },
        highWaterMark: STREAM_HWM,
        fileHwm: STREAM_HWM,
        streamHandler: limiter.feed,
      }),
    }),
  ],
  controllers: [UploadController, ImagesController],
  providers: [PublicUrlService],
  exports: [UploadStorageModule],
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
