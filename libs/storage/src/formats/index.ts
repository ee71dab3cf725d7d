export * from './image-format.parser';
export * from './exif-orientation';
export * from './jpeg.parser';
export * from './png.parser';
export * from './gif.parser';
export * from './webp.parser';
