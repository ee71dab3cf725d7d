// Boots the upload API alone and talks to it the way the legacy apps do: raw multipart bodies
// built byte for byte, over real HTTP.
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '@app/auth';
import { ChatClock, createApp } from '@app/common';
import { UserRepository } from '@app/database';
import { UploadApiModule } from '../../apps/upload-api/src/upload-api.module';
import { ImageWorkQueue } from '../../apps/upload-api/src/upload/image-work.queue';
import { useUploadOpenApi } from '../../apps/upload-api/src/upload/upload-openapi';
import { freshPhone, TEST_JWT_SECRET, TEST_OPS_TOKEN } from '../support/test-app';
import { sleep } from '../support/wait';

export interface UploadTestApp {
  app: INestApplication;
  port: number;
  baseUrl: string;
  /** The local storage directory (inside `root`). */
  dir: string;
  /** A temporary directory holding `dir`, for files that must stay out of reach. */
  root: string;
  /** A token of `userId`, by default of a user registered at start (tokens of unknown users are refused). */
  token(userId?: number, ttlSeconds?: number): Promise<string>;
  /**
   * Every entry in the storage directory, hidden temporary files included, once the thumbnails
   * being made in the background are stored.
   */
  files(): Promise<string[]>;
  /** Resolves when no image work runs or waits (thumbnails are made after the answer). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The upload API as `apps/upload-api/src/main.ts` wires it, on a free loopback port. */
export async function startUploadApi(env: Record<string, string> = {}): Promise<UploadTestApp> {
  const root = await mkdtemp(join(tmpdir(), 'upload-e2e-'));
  const dir = join(root, 'uploads');
  const saved = { ...process.env };
  Object.assign(process.env, {
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    CHAT_DEV_MODE: 'false',
    LOG_LEVEL: 'error',
    UPLOAD_DIR: dir,
    // The token check looks the user up.
    DATABASE_URL: `sqlite:${join(root, 'chat.sqlite')}`,
    OPS_TOKEN: TEST_OPS_TOKEN,
    ...env,
  });
  let app: INestApplication;
  try {
    app = await createApp(UploadApiModule, { configure: useUploadOpenApi }, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
  } finally {
    process.env = saved;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const tokens = app.get(TokenService);
  const queue = app.get(ImageWorkQueue);
  const settled = async () => {
    // A render is scheduled right after its answer went out: idle twice, a moment apart.
    const deadline = Date.now() + 30_000;
    for (let idle = 0; idle < 2 && Date.now() < deadline; ) {
      const { running, waiting } = queue.load;
      idle = running === 0 && waiting === 0 ? idle + 1 : 0;
      await sleep(20);
    }
  };
  const user = await app.get(UserRepository).create({ phone: freshPhone(), time: app.get(ChatClock).wallClock() });
  return {
    app,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dir,
    root,
    token: (userId = user.id, ttl) => tokens.sign(userId, ttl),
    settled,
    files: async () => {
      await settled();
      return (await readdir(dir).catch(() => [] as string[])).sort();
    },
    async close() {
      await app.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer | string;
  /** OkHttp writes a Content-Length header in each part whose length it knows. */
  withLength?: boolean;
}

/** A multipart/form-data body as OkHttp's MultipartBody writes it. */
export function multipartBody(boundary: string, parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const body = Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body);
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    if (part.withLength) head += `Content-Length: ${body.length}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request with exactly these headers (plus Host) and this body. */
export function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the Android app sends: Retrofit @Multipart with a `token` header and one `upload_file` part. */
export function androidUpload(port: number, token: string | undefined, bytes: Buffer, filename = '20190527213156.png') {
  const boundary = randomUUID();
  const body = multipartBody(boundary, [
    { name: 'upload_file', filename, contentType: 'image/png', body: bytes, withLength: true },
  ]);
  const headers: Record<string, string> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    'Content-Length': String(body.length),
    Connection: 'Keep-Alive',
    'Accept-Encoding': 'gzip',
    'User-Agent': 'okhttp/3.12.0',
  };
  if (token !== undefined) headers.token = token;
  return send(port, 'POST', '/user/upload.do', headers, body);
}

/** A multipart upload of arbitrary parts with the token header. */
export function uploadParts(port: number, token: string, parts: Part[], extraHeaders: Record<string, string> = {}) {
  const boundary = `----okhttp${randomUUID()}`;
  const body = multipartBody(boundary, parts);
  return send(
    port,
    'POST',
    '/user/upload.do',
    { token, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(body.length), ...extraHeaders },
    body,
  );
}

/**
 * Writes a raw request over a socket chunk by chunk, stops writing once the server answers, and
 * returns the answer's status line and body (read until the server closes or the body is complete).
 */
export function rawExchange(port: number, head: string, chunks: Iterable<Buffer>): Promise<{ statusLine: string; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let answered = false;
    const done = () => {
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const headers = split < 0 ? text : text.slice(0, split);
      let body = split < 0 ? '' : text.slice(split + 4);
      // Chunked answers: keep the payload only.
      if (/transfer-encoding: chunked/i.test(headers)) body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ statusLine: headers.split('\r\n')[0], headers, body });
      socket.destroy();
    };
    socket.on('data', (d: Buffer) => {
      answered = true;
      received.push(d);
      const text = Buffer.concat(received).toString('utf8');
      const m = /content-length: (\d+)/i.exec(text);
      const split = text.indexOf('\r\n\r\n');
      if (m && split >= 0 && Buffer.byteLength(text.slice(split + 4)) >= Number(m[1])) done();
    });
    socket.on('end', () => (answered ? done() : reject(new Error('closed without an answer'))));
    socket.on('error', (err) => (answered ? done() : reject(err)));
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        if (answered || socket.destroyed) return;
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

/** Polls `check` until it holds or `ms` passed; resolves whether it held. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

export const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.(png|jpg|gif|webp)$/;
export const STORED_THUMB_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_thumb\.(png|jpg)$/;
