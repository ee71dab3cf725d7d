import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  gifImage,
  HTML_PAGE,
  jpegImage,
  PHP_SCRIPT,
  pngImage,
  SHELL_SCRIPT,
  SVG_IMAGE,
  webpImage,
} from '../../libs/storage/test/image.fixtures';
import {
  androidUpload,
  eventually,
  multipartBody,
  rawExchange,
  send,
  STORED_NAME,
  STORED_THUMB_NAME,
  startUploadApi,
  UploadTestApp,
  uploadParts,
} from './upload-test-client';
import { opsAuth } from '../support/test-app';

const MAX = 64 * 1024; // small limit, so that "too large" needs little data

type Answer = { status: number; msg?: string; data?: { uri: string; url: string; thumbUri: string; thumbUrl: string } };

describe('Upload API (local storage)', () => {
  let api: UploadTestApp;
  let token: string;

  beforeAll(async () => {
    api = await startUploadApi({ UPLOAD_MAX_FILE_SIZE: String(MAX) });
    token = await api.token();
  });

  afterAll(async () => {
    await api?.close();
  });

  // Every refusal must leave the storage directory exactly as it was.
  let before: string[];
  beforeEach(async () => {
    before = await api.files();
  });

  async function expectNothingStored() {
    expect(await api.files()).toEqual(before);
  }

  describe('the Android app replayed', () => {
    // The stored bytes are the upload without its metadata (upload-images.e2e-spec.ts checks that
    // with exiftool): GET answers exactly what was stored.
    it('stores JPEG bytes named .png as .jpg without their EXIF, and the answered url serves what was stored', async () => {
      const photo = jpegImage({ exif: true, padding: 30_000 });
      const res = await androidUpload(api.port, token, photo);
      expect(res.status).toBe(200);
      const answer = res.json<Answer>();
      expect(answer.status).toBe(0);
      expect(answer.data!.uri).toMatch(STORED_NAME);
      expect(answer.data!.uri.endsWith('.jpg')).toBe(true);
      // No UPLOAD_PUBLIC_BASE_URL: the url follows the address the client used.
      expect(answer.data!.url).toBe(`http://127.0.0.1:${api.port}/images/${answer.data!.uri}`);
      expect(await api.files()).toEqual([...before, answer.data!.uri, answer.data!.thumbUri].sort());
      const stored = await readFile(join(api.dir, answer.data!.uri));
      expect(stored.includes(Buffer.from('Exif\0\0', 'latin1'))).toBe(false);
      expect(stored.length).toBeLessThan(photo.length);

      const image = await fetch(answer.data!.url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/jpeg');
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
      expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(image.headers.get('content-length')).toBe(String(stored.length));
      expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);
    });

    it('answers 304 to a revalidation and HEAD without a body', async () => {
      const res = await androidUpload(api.port, token, pngImage(8, 8));
      const { uri } = res.json<Answer>().data!;
      const etag = (await fetch(`${api.baseUrl}/images/${uri}`)).headers.get('etag')!;
      const revalidated = await send(api.port, 'GET', `/images/${uri}`, { 'If-None-Match': etag });
      expect(revalidated.status).toBe(304);
      const head = await send(api.port, 'HEAD', `/images/${uri}`, {});
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('image/png');
      expect(head.body.length).toBe(0);
    });

    it.each([
      ['PNG', pngImage(3, 3), 'png', 'image/png'],
      ['GIF', gifImage(), 'gif', 'image/gif'],
      ['WebP', webpImage(), 'webp', 'image/webp'],
    ])('accepts a %s whatever the part says, and serves it with its own type (no metadata: unchanged)', async (_l, bytes, ext, mime) => {
      const res = await uploadParts(api.port, token, [
        { name: 'upload_file', filename: 'photo.jpeg', contentType: 'application/octet-stream', body: bytes },
      ]);
      const answer = res.json<Answer>();
      expect(answer.status).toBe(0);
      expect(answer.data!.uri.endsWith(`.${ext}`)).toBe(true);
      const image = await fetch(answer.data!.url);
      expect(image.headers.get('content-type')).toBe(mime);
      expect(Buffer.from(await image.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('also accepts `Authorization: Bearer` instead of the token header', async () => {
      const res = await uploadParts(api.port, '', [{ name: 'upload_file', filename: 'a.png', body: gifImage() }], {
        Authorization: `Bearer ${token}`,
      });
      expect(res.json<Answer>().status).toBe(0);
    });
  });

  describe('refusals, each in the legacy envelope with HTTP 200 and nothing stored', () => {
    async function expectRefused(res: Awaited<ReturnType<typeof send>>, msg: RegExp | string) {
      expect(res.status).toBe(200);
      const answer = res.json<Answer>();
      expect(answer.status).toBe(1);
      if (typeof msg === 'string') expect(answer.msg).toBe(msg);
      else expect(answer.msg).toMatch(msg);
      expect(JSON.stringify(answer)).not.toMatch(/at .+\.ts:\d+/); // no stack trace
      await expectNothingStored();
    }

    it('refuses a request without a token: 用户未登录', async () => {
      await expectRefused(await androidUpload(api.port, undefined, jpegImage()), '用户未登录');
    });

    it('refuses an invalid or expired token: 用户未登录', async () => {
      await expectRefused(await androidUpload(api.port, `${token}x`, jpegImage()), '用户未登录');
      const expired = await api.token(undefined, -10);
      await expectRefused(await androidUpload(api.port, expired, jpegImage()), '用户未登录');
    });

    it('answers a bad token at once, then stops reading an endless body past the upload limit', async () => {
      const socket = connect(api.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((r) => socket.once('connect', r));
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.write(
        'POST /user/upload.do HTTP/1.1\r\nHost: 127.0.0.1\r\ntoken: not-a-token\r\n' +
          'Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      // Keep sending well past the limit (bounded: 4 MB), as a client that ignores the answer would.
      const chunk = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(0x4000, 0x41), Buffer.from('\r\n')]);
      let sent = 0;
      let isClosed = false;
      void closed.then(() => (isClosed = true));
      while (!isClosed && sent < 4 * 1024 * 1024) {
        if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
        sent += chunk.length;
        await new Promise((r) => setImmediate(r));
      }
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(answer).toContain(JSON.stringify({ status: 1, msg: '用户未登录' }));
      expect(sent).toBeLessThan(4 * 1024 * 1024);
      await expectNothingStored();
    });

    it('refuses a form without a file', async () => {
      await expectRefused(await uploadParts(api.port, token, [{ name: 'note', body: 'hello' }]), /no file in the field upload_file/);
    });

    it('refuses an empty body that is not multipart at all', async () => {
      const res = await send(api.port, 'POST', '/user/upload.do', { token, 'Content-Type': 'application/json' }, Buffer.from('{}'));
      await expectRefused(res, /multipart\/form-data/);
    });

    it('refuses an upload_file part without a file name (a plain field to multipart parsers)', async () => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: '', contentType: 'image/jpeg', body: jpegImage() }]);
      await expectRefused(res, /has no file name/);
    });

    it('refuses a file sent in another field', async () => {
      const res = await uploadParts(api.port, token, [{ name: 'file', filename: 'a.jpg', body: jpegImage() }]);
      await expectRefused(res, /unexpected file field/);
    });

    it('refuses two files, storing neither', async () => {
      const res = await uploadParts(api.port, token, [
        { name: 'upload_file', filename: 'a.jpg', body: jpegImage() },
        { name: 'upload_file', filename: 'b.jpg', body: jpegImage() },
      ]);
      await expectRefused(res, /exactly one file/);
    });

    it('refuses an empty file', async () => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'a.png', body: Buffer.alloc(0) }]);
      await expectRefused(res, /empty/);
    });

    it.each([
      ['SVG (even named .png and typed image/png)', SVG_IMAGE, 'image/png'],
      ['SVG typed image/svg+xml', SVG_IMAGE, 'image/svg+xml'],
      ['HTML', HTML_PAGE, 'image/jpeg'],
      ['a shell script', SHELL_SCRIPT, 'image/png'],
      ['a PHP script', PHP_SCRIPT, 'image/gif'],
      ['a TIFF', Buffer.concat([Buffer.from('II*\0', 'latin1'), Buffer.alloc(100)]), 'image/tiff'],
    ])('refuses %s as not an image', async (_l, bytes, contentType) => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: '20190527213156.png', contentType, body: bytes }]);
      await expectRefused(res, /not an image: only PNG, JPEG, GIF and WebP/);
    });

    it.each([
      ['a JPEG without its end marker', jpegImage({ padding: 2000 }).subarray(0, 1500)],
      ['a PNG without IEND', pngImage(10, 10).subarray(0, 40)],
      ['a GIF without its trailer', gifImage().subarray(0, 30)],
      ['a WebP shorter than its RIFF size', webpImage().subarray(0, 30)],
    ])('refuses %s as incomplete', async (_l, bytes) => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'x.png', body: bytes }]);
      await expectRefused(res, /incomplete or damaged/);
    });

    it('refuses a file one byte over the limit, and accepts one exactly at it', async () => {
      const atLimit = jpegImage({ padding: MAX - jpegImage().length - 4 });
      expect(atLimit.length).toBe(MAX);
      const over = jpegImage({ padding: MAX - jpegImage().length - 3 });
      await expectRefused(
        await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'big.jpg', body: over }]),
        `图片太大，最大 64 KiB (file too large: the limit is ${MAX} bytes)`,
      );
      const ok = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'big.jpg', body: atLimit }]);
      expect(ok.json<Answer>().status).toBe(0);
    });

    it('refuses a declared oversized body before reading it, and closes the connection', async () => {
      const boundary = 'b0undary';
      const head =
        `POST /user/upload.do HTTP/1.1\r\nHost: 127.0.0.1\r\ntoken: ${token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`;
      const start = multipartBody(boundary, [{ name: 'upload_file', filename: 'a.jpg', body: jpegImage() }]).subarray(0, 200);
      const res = await rawExchange(api.port, head, [start]);
      expect(res.statusLine).toBe('HTTP/1.1 200 OK');
      expect(res.headers).toMatch(/connection: close/i);
      expect(JSON.parse(res.body)).toEqual({ status: 1, msg: expect.stringMatching(/file too large/) });
      await expectNothingStored();
    });

    it('cuts off an undeclared (chunked) body once it outgrows the limit', async () => {
      const boundary = 'b0undary';
      const head =
        `POST /user/upload.do HTTP/1.1\r\nHost: 127.0.0.1\r\ntoken: ${token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const opening = multipartBody(boundary, [{ name: 'upload_file', filename: 'a.jpg', body: Buffer.alloc(0) }]);
      const partHead = opening.subarray(0, opening.indexOf('\r\n\r\n') + 4);
      const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
      // An endless JPEG: the client never stops on its own.
      function* body() {
        yield chunk(Buffer.concat([partHead, jpegImage().subarray(0, 100)]));
        for (let i = 0; i < 10_000; i++) yield chunk(Buffer.alloc(16 * 1024, 0x55));
      }
      const res = await rawExchange(api.port, head, body());
      expect(res.statusLine).toBe('HTTP/1.1 200 OK');
      expect(JSON.parse(res.body)).toEqual({ status: 1, msg: expect.stringMatching(/file too large/) });
      await expectNothingStored();
    });

    it('refuses a malformed multipart body', async () => {
      const res = await send(
        api.port,
        'POST',
        '/user/upload.do',
        { token, 'Content-Type': 'multipart/form-data; boundary=xyz' },
        Buffer.from('--xyz\r\nContent-Disposition: form-data; name="upload_file"; filename="a.jpg"\r\n\r\n\xff\xd8\xff'),
      );
      await expectRefused(res, /malformed multipart body|incomplete or damaged/);
    });

    it('refuses a part header with control characters', async () => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: 'a\u0000b.png', body: jpegImage() }]);
      await expectRefused(res, /malformed multipart body/);
    });

    it('refuses an overlong part header (file name of 20 KB)', async () => {
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename: `${'a'.repeat(20_000)}.png`, body: jpegImage() }]);
      await expectRefused(res, /malformed multipart body/);
    });
  });

  describe('client file names never reach the file system', () => {
    it.each([
      ['path traversal', '../../../../tmp/evil.php'],
      ['an absolute path', '/etc/passwd'],
      ['Windows traversal', '..\\..\\evil.jpg'],
      ['an overlong name', `${'x'.repeat(1000)}.jpg`],
      ['a non-ASCII name', '头像 😀 <b>.png'],
    ])('stores a file named with %s under a fresh UUID inside the storage directory', async (_l, filename) => {
      const bytes = jpegImage();
      const res = await uploadParts(api.port, token, [{ name: 'upload_file', filename, body: bytes }]);
      const answer = res.json<Answer>();
      expect(answer.status).toBe(0);
      expect(answer.data!.uri).toMatch(STORED_NAME);
      expect(answer.data!.thumbUri).toMatch(STORED_THUMB_NAME);
      expect(answer.data!.thumbUri.slice(0, 36)).toBe(answer.data!.uri.slice(0, 36));
      expect(await api.files()).toEqual([...before, answer.data!.uri, answer.data!.thumbUri].sort());
      expect((await readFile(join(api.dir, answer.data!.uri))).equals(bytes)).toBe(true);
    });
  });

  describe('serving', () => {
    it('answers 404 for unknown names and anything that is not a stored name, and never leaves the directory', async () => {
      // A file beside the storage directory, and a stored-looking name for it, must stay unreachable.
      await writeFile(join(api.root, 'secret.png'), 'secret');
      const stored = (await androidUpload(api.port, token, jpegImage())).json<Answer>().data!.uri;
      const paths = [
        `/images/${randomUUID()}.jpg`,
        `/images/${stored.replace('.jpg', '.png')}`,
        `/images/${stored.toUpperCase()}`,
        `/images/${stored}.jpg`,
        '/images/..%2fsecret.png',
        '/images/%2e%2e%2fsecret.png',
        '/images/..%5csecret.png',
        '/images/../secret.png',
        '/images/secret.png',
        `/images/.${stored}`,
        `/images/${'a'.repeat(5000)}.png`,
        `/images/${stored.slice(0, -4)}.svg`,
      ];
      for (const path of paths) {
        const res = await send(api.port, 'GET', path, {});
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.body.toString()).not.toContain('secret');
      }
      expect((await send(api.port, 'GET', `/images/${stored}`, {})).status).toBe(200);
    });
  });

  describe('streaming', () => {
    it('writes to storage while the body arrives, and a cut-off upload leaves nothing behind', async () => {
      const boundary = 'cutoff';
      const bytes = jpegImage({ padding: 60_000 });
      const body = multipartBody(boundary, [{ name: 'upload_file', filename: 'a.png', body: bytes }]);
      const socket = connect(api.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        `POST /user/upload.do HTTP/1.1\r\nHost: 127.0.0.1\r\ntoken: ${token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body.subarray(0, 40_000));
      // The partial file is already on its way to storage (a hidden temporary file)...
      const streaming = await eventually(async () => (await api.files()).some((f) => f.startsWith('.') && f.endsWith('.part')));
      expect(streaming).toBe(true);
      // ...and disappears when the client goes away.
      socket.destroy();
      expect(await eventually(async () => (await api.files()).length === before.length)).toBe(true);
      await expectNothingStored();
      // The server is fine afterwards.
      expect((await androidUpload(api.port, token, gifImage())).json<Answer>().status).toBe(0);
    });

    it('handles several concurrent uploads, each stored under its own name with what was stored for it', async () => {
      const images = Array.from({ length: 8 }, (_, i) =>
        i % 4 === 0 ? pngImage(i + 1, 5) : i % 4 === 1 ? jpegImage({ padding: 1000 * i }) : i % 4 === 2 ? gifImage() : webpImage(),
      );
      const answers = await Promise.all(images.map((img) => androidUpload(api.port, token, img).then((r) => r.json<Answer>())));
      expect(answers.every((a) => a.status === 0)).toBe(true);
      const uris = answers.map((a) => a.data!.uri);
      expect(new Set(uris).size).toBe(8);
      expect(await api.files()).toEqual([...before, ...uris, ...answers.map((a) => a.data!.thumbUri)].sort());
      const served = await Promise.all(answers.map(async (a) => Buffer.from(await (await fetch(a.data!.url)).arrayBuffer())));
      const stored = await Promise.all(uris.map((uri) => readFile(join(api.dir, uri))));
      served.forEach((bytes, i) => expect(bytes.equals(stored[i])).toBe(true));
      // The JPEGs' padding is a comment segment, the only metadata in these fixtures.
      stored.forEach((bytes, i) => expect(bytes.equals(i % 4 === 1 ? jpegImage() : images[i])).toBe(true));
    });
  });

  it('is ready while its storage directory is writable', async () => {
    const res = await send(api.port, 'GET', '/health/ready', opsAuth);
    expect(res.status).toBe(200);
    expect(res.json<{ info: Record<string, unknown> }>().info['upload-storage']).toMatchObject({ status: 'up', storage: 'local' });
  });

  it('describes the endpoint in its OpenAPI document', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking an OpenAPI document
    const doc = (await send(api.port, 'GET', '/api-docs/upload-json', opsAuth)).json<{ paths: Record<string, any> }>();
    const op = doc.paths['/user/upload.do'].post;
    expect(op.requestBody.content['multipart/form-data'].schema).toMatchObject({
      required: ['upload_file'],
      properties: { upload_file: { type: 'string', format: 'binary' } },
    });
    expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'token', in: 'header', required: true })]));
    expect(doc.paths['/images/{name}'].get).toBeDefined();
  });
});

describe('Upload API with a configured public base URL', () => {
  it('answers url = UPLOAD_PUBLIC_BASE_URL + uri', async () => {
    const api = await startUploadApi({ UPLOAD_PUBLIC_BASE_URL: 'https://img.example.com/images' });
    try {
      const answer = (await androidUpload(api.port, await api.token(), jpegImage())).json<Answer>();
      expect(answer.data!.url).toBe(`https://img.example.com/images/${answer.data!.uri}`);
    } finally {
      await api.close();
    }
  });
});
