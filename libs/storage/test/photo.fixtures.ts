// Photos as cameras and phones write them, made with sharp (pixels) and exiftool (metadata):
// GPS position, camera serial numbers, times, XMP, IPTC, comments, in every EXIF orientation.
import sharp, { type Sharp } from 'sharp';
import { writeTags } from './exiftool';

/**
 * An upright reference picture that no rotation or mirror maps onto itself: four quadrants of
 * distinct colours (red top-left, green top-right, blue bottom-left, white bottom-right).
 */
export async function referencePhoto(width = 96, height = 64): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  const colours = [
    [220, 30, 30],
    [30, 200, 30],
    [30, 30, 220],
    [240, 240, 240],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)];
      raw.set(c, (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

// The pixels a camera stores for an upright scene, given the orientation tag it writes: the
// inverse of the EXIF transform (sharp mirrors before it rotates).
function cameraPixels(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.flop().rotate(270); // transpose: its own inverse
    case 6:
      return image.rotate(270);
    case 7:
      return image.flop().rotate(90); // transverse: its own inverse
    case 8:
      return image.rotate(90);
    default:
      return image;
  }
}

/** What exiftool writes into every fixture: location, identity of the camera, times, people. */
export const PRIVATE_TAGS = [
  '-GPSLatitude=48.858370',
  '-GPSLatitudeRef=N',
  '-GPSLongitude=2.294481',
  '-GPSLongitudeRef=E',
  '-GPSAltitude=35',
  '-Make=Samsung',
  '-Model=SM-G991B',
  '-SerialNumber=R58N12ABCDE',
  '-BodySerialNumber=R58N12ABCDE',
  '-LensSerialNumber=LS998877',
  '-DateTimeOriginal=2019:05:27 21:31:56',
  '-CreateDate=2019:05:27 21:31:56',
  '-Artist=Zhang San',
  '-XMP-dc:Creator=Zhang San',
  '-XMP-dc:Description=at home',
  '-XMP-exif:GPSLatitude=48.858370',
  '-XMP-exif:GPSLongitude=2.294481',
];

/** A JPEG with GPS and the rest of PRIVATE_TAGS, IPTC, a comment, and this orientation tag. */
export async function cameraJpeg(orientation: number, reference?: Buffer): Promise<Buffer> {
  const upright = reference ?? (await referencePhoto());
  const pixels = await cameraPixels(sharp(upright), orientation).jpeg({ quality: 95 }).toBuffer();
  return writeTags(pixels, 'jpg', [
    ...PRIVATE_TAGS,
    '-IPTC:By-line=Zhang San',
    '-IPTC:City=Paris',
    '-IPTC:Keywords=home',
    '-Comment=taken at home',
    `-Orientation#=${orientation}`,
  ]);
}

/** A JPEG of random pixels: incompressible, so its size is mostly scan data (about 7 MB here). */
export async function noisePhoto(width = 2400, height = 2000): Promise<Buffer> {
  const { randomBytes } = await import('node:crypto');
  const pixels = sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
  return writeTags(await pixels.jpeg({ quality: 100 }).toBuffer(), 'jpg', PRIVATE_TAGS);
}
