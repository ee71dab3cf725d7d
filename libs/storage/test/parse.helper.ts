// Runs a format parser over bytes in chunks of a given size and collects what it keeps.
import { ImageFormatParser, ImageLimits, NO_LIMITS } from '../src/formats';

type ParserClass = new (options: { strip: boolean; limits: ImageLimits }) => ImageFormatParser;

export function parse(Parser: ParserClass, bytes: Buffer, options: { strip?: boolean; chunkSize?: number; limits?: Partial<ImageLimits> } = {}) {
  const parser = new Parser({ strip: options.strip ?? true, limits: { ...NO_LIMITS, ...options.limits } });
  const out: Buffer[] = [];
  const size = options.chunkSize ?? (bytes.length || 1);
  for (let i = 0; i < bytes.length; i += size) parser.feed(bytes.subarray(i, i + size), out);
  parser.end(out);
  return { output: Buffer.concat(out), header: parser.header! };
}

export const CHUNK_SIZES = [1, 3, 64, 65536];
