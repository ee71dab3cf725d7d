import { Module } from '@nestjs/common';
import { fileStorageProvider } from './file-storage.provider';
import { ImageStorageEngine } from './image-storage.engine';
import { ImageWorkQueue } from './image-work.queue';
import { ThumbnailService } from './thumbnail.service';
import { UploadBodyLimiter } from './upload-body.limiter';
import { UploadService } from './upload.service';

/**
 * Everything that stores uploads, below HTTP: the storage, the image pipeline and multer's
 * storage engine. Its own module so that multer's options (MulterModule.registerAsync in
 * UploadModule) can be built from these providers.
 */
@Module({
  providers: [fileStorageProvider, UploadService, ThumbnailService, ImageWorkQueue, ImageStorageEngine, UploadBodyLimiter],
  exports: [fileStorageProvider, UploadService, ImageStorageEngine, UploadBodyLimiter, ImageWorkQueue],
})
export class UploadStorageModule {}
