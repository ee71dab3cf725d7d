// The image formats the suite stores. The extension is chosen from the detected bytes, never from
// the client's file name.

export type ImageExtension = 'png' | 'jpg' | 'gif' | 'webp';

export interface ImageType {
  ext: ImageExtension;
  mime: string;
}

export const IMAGE_TYPES: Readonly<Record<ImageExtension, ImageType>> = {
  png: { ext: 'png', mime: 'image/png' },
  jpg: { ext: 'jpg', mime: 'image/jpeg' },
  gif: { ext: 'gif', mime: 'image/gif' },
  webp: { ext: 'webp', mime: 'image/webp' },
};

// Stored names are `<uuid v4>.<ext>` for an image and `<uuid v4>_thumb.<ext>` for its thumbnail,
// lower case. Anything else (dots, slashes, encoded separators, other extensions, overlong
// names) can never name a stored file.
export const STORED_IMAGE_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(_thumb)?\.(png|jpg|gif|webp)$/;

export function isStoredImageName(name: string): boolean {
  return name.length <= 47 && STORED_IMAGE_NAME.test(name);
}

/** The image type a stored name stands for, or undefined when the name is not a stored name. */
export function imageTypeOfName(name: string): ImageType | undefined {
  if (!isStoredImageName(name)) return undefined;
  const ext = name.slice(name.lastIndexOf('.') + 1) as ImageExtension;
  return IMAGE_TYPES[ext];
}
