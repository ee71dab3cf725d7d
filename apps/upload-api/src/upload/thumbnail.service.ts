import { Injectable } from '@nestjs/common';
import { UploadConfig } from '@app/config';
import { IMAGE_TYPES, ImageType } from '@app/storage';
import sharp, { type Sharp } from 'sharp';

export interface Thumbnail {
  bytes: Buffer;
  type: ImageType;
  width: number;
  height: number;
}

/** Thrown when the pixel data of an image that passed the structural checks cannot be decoded. */
export class UndecodableImageError extends Error {
  constructor(cause: unknown) {
    super(`the image cannot be decoded: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'UndecodableImageError';
  }
}

// One libvips thread per image: the work queue bounds how many run, and the pool stays shared.
sharp.concurrency(1);
// No operation cache: every upload is a different image, a cache would only hold memory.
sharp.cache(false);

/**
 * Makes the thumbnail a chat bubble shows: the longest side UPLOAD_THUMBNAIL_SIZE (never
 * enlarged), the orientation applied to the pixels, the first frame of an animation, sRGB and no
 * metadata at all; JPEG, or PNG when the image has transparency. Decoding is bounded by the pixel
 * limit again (the parsers refused larger headers already) and fails on decoder errors, not on
 * the warnings browsers shrug off.
 */
@Injectable()
export class ThumbnailService {
  private readonly size: number;
  private readonly maxPixels: number;

  constructor(config: UploadConfig) {
    this.size = config.thumbnailSize;
    this.maxPixels = config.maxPixels;
  }

  /**
   * `orientation` is the EXIF orientation the parser read (1..8), applied here explicitly; `type`
   * is the thumbnail's type, named before any decode from the header's alpha (PNG with alpha,
   * JPEG without).
   */
  async make(source: Buffer, orientation: number, type: ImageType): Promise<Thumbnail> {
    try {
      // From a buffer with a target size, so libvips shrinks on load: a JPEG decodes at 1/2, 1/4
      // or 1/8 scale (the largest that still covers the box), a WebP at the target size.
      const image = sharp(source, { limitInputPixels: this.maxPixels, failOn: 'error', pages: 1, sequentialRead: true });
      // Resize first, then orient: a rotation before the resize would make libvips decode the
      // whole image at full size and hold it. The box is square, so the result is the same.
      const upright = orient(image.resize({ width: this.size, height: this.size, fit: 'inside', withoutEnlargement: true }), orientation);
      const encoded = type.ext === 'png' ? upright.png({ compressionLevel: 6 }) : upright.flatten({ background: '#ffffff' }).jpeg({ quality: 80 });
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      return { bytes: data, type, width: info.width, height: info.height };
    } catch (err) {
      throw new UndecodableImageError(err);
    }
  }
}

/** The thumbnail's type for an image with or without alpha. */
export function thumbnailType(alpha: boolean): ImageType {
  return alpha ? IMAGE_TYPES.png : IMAGE_TYPES.jpg;
}

// EXIF orientation to sharp's operations (sharp mirrors before it rotates).
function orient(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.flop().rotate(270);
    case 6:
      return image.rotate(90);
    case 7:
      return image.flop().rotate(90);
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}
