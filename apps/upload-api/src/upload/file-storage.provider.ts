import { Logger, Provider } from '@nestjs/common';
import { UploadConfig } from '@app/config';
import { FileStorage, LocalFileStorage, S3FileStorage } from '@app/storage';

/** The storage chosen by UPLOAD_STORAGE: a local directory (default) or an S3-compatible bucket. */
export const fileStorageProvider: Provider = {
  provide: FileStorage,
  inject: [UploadConfig],
  useFactory: async (config: UploadConfig): Promise<FileStorage> => {
    let storage: FileStorage;
    if (config.storage === 's3') {
      storage = new S3FileStorage({
        bucket: config.s3Bucket!,
        region: config.s3Region,
        endpoint: config.s3Endpoint,
        accessKeyId: config.s3AccessKeyId,
        secretAccessKey: config.s3SecretAccessKey,
        forcePathStyle: config.s3ForcePathStyle,
        prefix: config.s3Prefix,
        cacheControl: 'public, max-age=31536000, immutable',
      });
    } else {
      const local = new LocalFileStorage({ directory: config.directory });
      // Fail at boot, not at the first upload, when the directory cannot be created.
      await local.init();
      storage = local;
    }
    new Logger('UploadStorage').log(`images are stored in ${storage.describe()}`);
    return storage;
  },
};
