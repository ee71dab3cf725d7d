// Photo-like JPEGs for the upload benchmarks: smooth content with sensor-like noise, encoded as
// a phone does (quality 92, 4:2:0), with the metadata a phone writes (GPS, camera, times) and a
// portrait orientation tag (the pixels are stored sideways, as most phone sensors do).
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

export interface PhotoSpec {
  label: string;
  width: number;
  height: number;
  /** Standard deviation-ish of the noise: sets how well the photo compresses. */
  noise: number;
}

// Sized to land near 1 MB and 10 MB (the table reports the exact sizes).
export const PHOTOS: PhotoSpec[] = [
  { label: '1 MB', width: 1600, height: 1200, noise: 36 },
  { label: '10 MB', width: 4000, height: 3000, noise: 120 },
];

export async function makePhoto(spec: PhotoSpec): Promise<Buffer> {
  const { width, height, noise } = spec;
  // Smooth gradients (the scene) plus noise (the sensor), three channels.
  const raw = randomBytes(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const base = [(x / width) * 200 + 20, (y / height) * 180 + 30, ((x + y) / (width + height)) * 160 + 40];
      for (let c = 0; c < 3; c++) raw[i + c] = Math.max(0, Math.min(255, Math.round(base[c] + ((raw[i + c] - 128) * noise) / 128)));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'samsung', Model: 'SM-G991B', DateTime: '2019:05:27 21:31:56', Artist: 'Zhang San' },
      IFD2: { DateTimeOriginal: '2019:05:27 21:31:56', BodySerialNumber: 'R58N12ABCDE' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 3013/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4013/100' },
    })
    .jpeg({ quality: 92 })
    .toBuffer();
}
