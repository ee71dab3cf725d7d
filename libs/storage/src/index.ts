export * from './file-storage.interface';
export * from './local-file.storage';
export * from './s3-file.storage';
export * from './image-type';
export * from './image-sniffer.transform';
export * from './formats';
