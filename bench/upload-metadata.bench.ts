// Lossless metadata stripping against re-encoding, measured on the same phone photos in the same
// run: CPU per megapixel, peak memory, and what re-encoding does to the pixels. Run by
// `npm run bench:upload` before the HTTP scenarios (or alone:
// `node -r ts-node/register/transpile-only bench/upload-metadata.bench.ts`).
//
// - strip: the upload path as built, the format parser streaming the file in 64 KiB chunks and
//   dropping EXIF/XMP/IPTC/comments (pixels untouched, orientation tag kept alone).
// - reencode: the alternative, sharp decoding, applying the orientation to the pixels and encoding
//   a JPEG at quality 90 (what a re-encoding design would store).
// - thumbnail: what the upload path does in either design, a 320 px JPEG from the photo
//   (JPEG shrink-on-load decodes at 1/8 scale).
// Each method runs in its own child process (its RSS is its own, VmHWM reset before), at
// concurrency 1 and 8, BENCH_META_ROUNDS (5) rounds; the table shows medians. sharp runs with one
// thread per image, as in the app.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { int } from './support/args';
import { median, round } from './support/stats';
import { makePhoto, PHOTOS } from './upload-photos';

type Method = 'strip' | 'reencode' | 'thumbnail';
const METHODS: Method[] = ['strip', 'reencode', 'thumbnail'];
const ROUNDS = int('BENCH_META_ROUNDS', 5);

export interface MethodResult {
  photo: string;
  method: Method;
  concurrency: number;
  megapixels: number;
  bytes: number;
  wallMsPerImageMedian: number;
  cpuMsPerMegapixelMedian: number;
  peakRssGrowthMbMax: number;
  runs: { wallMsPerImage: number; cpuMsPerMegapixel: number; peakRssGrowthMb: number }[];
}

export interface QualityResult {
  photo: string;
  reencodedBytes: number;
  strippedBytes: number;
  originalBytes: number;
  /** PSNR of the re-encoded photo against the original's pixels (orientation applied to both). */
  reencodePsnrDb: number;
}

function vm(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function once(method: Method, photo: Buffer): Promise<void> {
  if (method === 'strip') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ImageSnifferTransform } = require('../libs/storage/src') as typeof import('../libs/storage/src');
    const chunks: Buffer[] = [];
    for (let i = 0; i < photo.length; i += 65536) chunks.push(photo.subarray(i, i + 65536));
    const limits = { maxPixels: 40_000_000, maxAnimationPixels: 200_000_000, maxFrames: 1000 };
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(Readable.from(chunks), new ImageSnifferTransform({ stripMetadata: true, limits }), sink);
    return;
  }
  const image = sharp(photo, { limitInputPixels: 40_000_000, failOn: 'error', sequentialRead: true }).rotate();
  if (method === 'reencode') await image.jpeg({ quality: 90 }).toBuffer();
  else await image.resize({ width: 320, height: 320, fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
}

// In a child: one round of `concurrency` x `per` images, printed as JSON.
async function child(method: Method, file: string, concurrency: number, megapixels: number): Promise<void> {
  sharp.concurrency(1);
  sharp.cache(false);
  const photo = readFileSync(file);
  await once(method, photo); // warm-up: code loaded, libvips initialised
  const per = method === 'strip' ? 20 : 2;
  global.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const before = vm('VmRSS');
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not allowed here: VmHWM then includes the warm-up, so the growth is an upper bound.
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < per; i++) await once(method, photo);
    }),
  );
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const images = concurrency * per;
  process.stdout.write(
    JSON.stringify({
      wallMsPerImage: wall / images,
      cpuMsPerMegapixel: (used.user + used.system) / 1000 / images / megapixels,
      peakRssGrowthMb: (vm('VmHWM') - before) / 2 ** 20,
    }),
  );
}

async function psnr(photo: Buffer): Promise<QualityResult & { photo: string }> {
  const original = await sharp(photo).rotate().raw().toBuffer();
  const reencoded = await sharp(photo).rotate().jpeg({ quality: 90 }).toBuffer();
  const decoded = await sharp(reencoded).raw().toBuffer();
  let se = 0;
  for (let i = 0; i < original.length; i++) se += (original[i] - decoded[i]) ** 2;
  const mse = se / original.length;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ImageSnifferTransform } = require('../libs/storage/src') as typeof import('../libs/storage/src');
  const out: Buffer[] = [];
  const sniffer = new ImageSnifferTransform({ stripMetadata: true });
  sniffer.on('data', (c: Buffer) => out.push(c));
  await pipeline(Readable.from([photo]), sniffer);
  return {
    photo: '',
    originalBytes: photo.length,
    strippedBytes: Buffer.concat(out).length,
    reencodedBytes: reencoded.length,
    reencodePsnrDb: Math.round(10 * Math.log10((255 * 255) / mse) * 10) / 10,
  };
}

const r1 = (v: number) => round(v, 1);

/** Runs every method on every photo; answers the results (also printed as a table). */
export async function runMetadataBench(): Promise<{ methods: MethodResult[]; quality: QualityResult[] }> {
  const work = mkdtempSync(join(tmpdir(), 'upload-meta-bench-'));
  const methods: MethodResult[] = [];
  const quality: QualityResult[] = [];
  try {
    for (const spec of PHOTOS) {
      const photo = await makePhoto(spec);
      const file = join(work, `${spec.width}x${spec.height}.jpg`);
      writeFileSync(file, photo);
      const megapixels = (spec.width * spec.height) / 1e6;
      quality.push({ ...(await psnr(photo)), photo: spec.label });
      for (const concurrency of [1, 8]) {
        const runs = new Map<Method, MethodResult['runs']>(METHODS.map((m) => [m, []]));
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate the order of the methods between rounds.
          const order = METHODS.map((_, i) => METHODS[(i + round) % METHODS.length]);
          for (const method of order) {
            const res = spawnSync(
              process.execPath,
              ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--child', method, file, String(concurrency), String(megapixels)],
              { cwd: resolve(__dirname, '..'), encoding: 'utf8', timeout: 300_000 },
            );
            if (res.status !== 0) throw new Error(`${method} child failed: ${res.stderr}`);
            runs.get(method)!.push(JSON.parse(res.stdout) as MethodResult['runs'][number]);
          }
        }
        for (const method of METHODS) {
          const mine = runs.get(method)!;
          methods.push({
            photo: spec.label,
            method,
            concurrency,
            megapixels,
            bytes: photo.length,
            wallMsPerImageMedian: r1(median(mine.map((r) => r.wallMsPerImage))),
            cpuMsPerMegapixelMedian: round(median(mine.map((r) => r.cpuMsPerMegapixel)), 2),
            peakRssGrowthMbMax: r1(Math.max(...mine.map((r) => r.peakRssGrowthMb))),
            runs: mine,
          });
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const rows = [['photo', 'method', 'conc.', 'MP', 'ms/image (median)', 'CPU ms/MP (median)', 'peak RSS growth MB']];
  for (const m of methods) {
    rows.push([m.photo, m.method, String(m.concurrency), m.megapixels.toFixed(1), m.wallMsPerImageMedian.toFixed(1), m.cpuMsPerMegapixelMedian.toFixed(2), m.peakRssGrowthMbMax.toFixed(1)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  process.stdout.write(`\nstrip vs re-encode (sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}):\n`);
  process.stdout.write(`${rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n')}\n`);
  for (const q of quality) {
    process.stdout.write(
      `${q.photo}: original ${q.originalBytes} B, stripped ${q.strippedBytes} B (pixels identical), ` +
        `re-encoded q90 ${q.reencodedBytes} B at PSNR ${q.reencodePsnrDb} dB\n`,
    );
  }
  return { methods, quality };
}

if (process.argv[2] === '--child') {
  const [, , , method, file, concurrency, megapixels] = process.argv;
  child(method as Method, file, Number(concurrency), Number(megapixels)).catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
} else if (require.main === module) {
  runMetadataBench().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
