import { Module } from '@nestjs/common';
import { fileStorageProvider } from './file-storage.provider';
import { ImageStorageEngine } from './image-storage.engine';
import { ImageWorkQueue } from './image-work.queue';
import { ThumbnailMetrics } from './thumbnail-metrics';
import { ThumbnailService } from './thumbnail.service';
import { ThumbnailStore } from './thumbnail.store';
import { UploadBodyLimiter } from './upload-body.limiter';
import { UploadService } from './upload.service';

/**
 * Everything that stores uploads, below HTTP: the storage, the image pipeline, the thumbnails
 * and multer's storage engine. Its own module so that multer's options (MulterModule.registerAsync in
 * UploadModule) can be built from these providers.
 */
@Module({
  providers: [fileStorageProvider, UploadService, ThumbnailService, ThumbnailStore, ThumbnailMetrics, ImageWorkQueue, ImageStorageEngine, UploadBodyLimiter],
  exports: [fileStorageProvider, UploadService, ThumbnailStore, ImageStorageEngine, UploadBodyLimiter, ImageWorkQueue],
})
export class UploadStorageModule {}
