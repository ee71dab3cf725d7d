import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { InvalidStorageNameError } from './file-storage.interface';
import { LocalFileStorage } from './local-file.storage';

describe('LocalFileStorage', () => {
  let dir: string;
  let storage: LocalFileStorage;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-storage-'));
    storage = new LocalFileStorage({ directory: join(dir, 'uploads') });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates its directory, writes a stream and reads it back', async () => {
    const body = Buffer.from('a'.repeat(100_000));
    const result = await storage.write('f1.jpg', Readable.from([body.subarray(0, 5), body.subarray(5)]), 'image/jpeg');
    expect(result.size).toBe(body.length);
    expect(await readdir(join(dir, 'uploads'))).toEqual(['f1.jpg']);
    const opened = await storage.open('f1.jpg');
    expect(opened?.size).toBe(body.length);
    expect(await text(opened!.stream)).toBe(body.toString());
  });

  it('shows nothing under the name while the write is in progress', async () => {
    const source = new PassThrough();
    const writing = storage.write('f2.png', source, 'image/png');
    source.write('partial');
    await new Promise((r) => setTimeout(r, 20));
    expect(await storage.open('f2.png')).toBeNull();
    source.end('rest');
    await writing;
    expect(await text((await storage.open('f2.png'))!.stream)).toBe('partialrest');
  });

  it('leaves no file at all when the source errors mid-stream', async () => {
    const source = new PassThrough();
    const writing = storage.write('f3.png', source, 'image/png');
    source.write(Buffer.alloc(64 * 1024, 1));
    await new Promise((r) => setTimeout(r, 20));
    source.destroy(new Error('cut off'));
    await expect(writing).rejects.toThrow('cut off');
    expect(await readdir(join(dir, 'uploads'))).toEqual([]);
  });

  it('answers null for an unknown name and deletes idempotently', async () => {
    expect(await storage.open('missing.png')).toBeNull();
    await storage.write('f4.gif', Readable.from([Buffer.from('GIF')]), 'image/gif');
    await storage.delete('f4.gif');
    await storage.delete('f4.gif');
    expect(await storage.open('f4.gif')).toBeNull();
  });

  it.each(['../escape.png', '..', 'a/b.png', 'a\\b.png', '.hidden.png', '', 'x'.repeat(200), 'a%2fb.png', 'nul\0.png'])(
    'refuses the name %j for every operation',
    async (name) => {
      await writeFile(join(dir, 'escape.png'), 'outside');
      await expect(storage.open(name)).rejects.toBeInstanceOf(InvalidStorageNameError);
      await expect(storage.delete(name)).rejects.toBeInstanceOf(InvalidStorageNameError);
      await expect(storage.write(name, Readable.from([Buffer.from('x')]), 'image/png')).rejects.toBeInstanceOf(
        InvalidStorageNameError,
      );
      expect(await readFile(join(dir, 'escape.png'), 'utf8')).toBe('outside');
    },
  );

  it('reports itself ready once its directory is writable', async () => {
    await expect(storage.check()).resolves.toEqual({ storage: 'local', directory: join(dir, 'uploads') });
  });

  it('sweeps temporary files left by a crash, but only stale ones', async () => {
    const uploads = join(dir, 'uploads');
    await storage.init();
    await writeFile(join(uploads, '.old.jpg.1234abcd.part'), 'x');
    await writeFile(join(uploads, '.fresh.jpg.1234abcd.part'), 'x');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(uploads, '.old.jpg.1234abcd.part'), old, old);
    await new LocalFileStorage({ directory: uploads }).init();
    expect(await readdir(uploads)).toEqual(['.fresh.jpg.1234abcd.part']);
  });
});
