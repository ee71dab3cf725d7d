// exiftool (Debian's libimage-exiftool-perl) as the independent reader of what the upload path
// stores: a different code base from the parsers under test and from libvips.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function available(): boolean {
  try {
    execFileSync('exiftool', ['-ver'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasExiftool = available();

/**
 * `describe` when exiftool is installed; otherwise a skipped block with a notice, and under
 * CI=true a failing test, since CI must never pass without the independent check.
 */
export function describeWithExiftool(name: string, fn: () => void): void {
  if (hasExiftool) return describe(name, fn);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs exiftool', () => {
        throw new Error('exiftool is missing: apt-get install libimage-exiftool-perl (.ci/run installs it)');
      });
    });
    return;
  }
  process.stderr.write(`[skip] ${name}: exiftool is not installed (apt-get install libimage-exiftool-perl)\n`);
  describe.skip(name, fn);
}

async function withFile<T>(bytes: Buffer, ext: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'exiftool-'));
  try {
    const path = join(dir, `image.${ext}`);
    await writeFile(path, bytes);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every tag exiftool finds, `Group:Tag` (family 1 groups, duplicates kept, numeric values). */
export async function exifTags(bytes: Buffer, ext = 'img'): Promise<Record<string, unknown>> {
  return withFile(bytes, ext, async (path) => {
    const { stdout } = await run('exiftool', ['-j', '-a', '-G1', '-n', '-u', path], { maxBuffer: 16 * 1024 * 1024 });
    return (JSON.parse(stdout) as Record<string, unknown>[])[0];
  });
}

/** The image with these exiftool assignments written into it (e.g. `-GPSLatitude=48.85`). */
export async function writeTags(bytes: Buffer, ext: string, assignments: string[]): Promise<Buffer> {
  return withFile(bytes, ext, async (path) => {
    await run('exiftool', ['-q', '-overwrite_original', ...assignments, path]);
    return readFile(path);
  });
}

// Groups that describe the file itself rather than carry metadata about the photo or its maker.
// (ICC profiles are colour data: their description and date are the profile's, not the photo's.)
const STRUCTURAL_GROUPS = new Set(['ExifTool', 'System', 'Composite', 'ICC-header', 'ICC_Profile', 'ICC-view', 'ICC-meas']);
// Tags of the EXIF written back with the orientation alone.
const ORIENTATION_ONLY = new Set(['IFD0:Orientation']);
// PNG/GIF/RIFF tags that are image structure, not metadata.
const STRUCTURAL_TAGS = /^(File|JFIF|PNG|GIF|RIFF):(JFIFVersion|ResolutionUnit|XResolution|YResolution|FileType|FileTypeExtension|MIMEType|EncodingProcess|BitsPerSample|ColorComponents|YCbCrSubSampling|ImageWidth|ImageHeight|BitDepth|ColorType|Compression|Filter|Interlace|Palette.*|SRGBRendering|Gamma|WhitePoint.*|Red.*|Green.*|Blue.*|PixelsPerUnit.*|PixelUnits|AnimationFrames|AnimationPlays|GIFVersion|HasColorMap|ColorResolutionDepth|BitsPerPixel|BackgroundColor|FrameCount|Duration|AnimationIterations|TransparentColor|VP8Version|HorizontalScale|VerticalScale|AlphaPreprocessing|AlphaFiltering|AlphaCompression|WebP_Flags|BackgroundColor|AnimationLoopCount|ExifByteOrder|Warning)$/;

/** The tags that are metadata: everything exiftool reads beyond structure and the orientation. */
export function metadataTags(tags: Record<string, unknown>): Record<string, unknown> {
  const left: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (key === 'SourceFile') continue;
    const group = key.split(':')[0];
    if (STRUCTURAL_GROUPS.has(group) || ORIENTATION_ONLY.has(key) || STRUCTURAL_TAGS.test(key)) continue;
    left[key] = value;
  }
  return left;
}

/** exiftool assignments for a GPS position alone. */
export const PRIVATE_TAGS_GPS = ['-GPSLatitude=48.858370', '-GPSLatitudeRef=N', '-GPSLongitude=2.294481', '-GPSLongitudeRef=E'];
