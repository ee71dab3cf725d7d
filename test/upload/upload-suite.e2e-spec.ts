import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jpegImage } from '../../libs/storage/test/image.fixtures';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { androidUpload } from './upload-test-client';

// The upload API mounted in the all-in-one process, beside the chat gateway and history API.
describe('Upload API in the all-in-one suite', () => {
  let suite: TestApp;
  let sqlite: ReturnType<typeof tempSqlite>;
  let dir: string;

  beforeAll(async () => {
    sqlite = tempSqlite();
    dir = await mkdtemp(join(tmpdir(), 'suite-uploads-'));
    suite = await startSuite({ DATABASE_URL: sqlite.url, UPLOAD_DIR: dir });
  });

  afterAll(async () => {
    await suite?.close();
    sqlite?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the Android upload and serves it back on the same port', async () => {
    const user = await suite.newUser();
    const photo = jpegImage({ exif: true, padding: 5000 });
    const port = Number(new URL(suite.httpUrl).port);
    const answer = (await androidUpload(port, user.token, photo)).json<{ status: number; data: { uri: string; url: string; thumbUri: string; thumbUrl: string } }>();
    expect(answer.status).toBe(0);
    // The thumbnail is made after the answer; asked for at once, it is waited for.
    expect((await fetch(answer.data.thumbUrl)).headers.get('content-type')).toBe('image/jpeg');
    expect(await readdir(dir)).toEqual([answer.data.uri, answer.data.thumbUri].sort());
    const image = await fetch(answer.data.url);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    // What was stored: the photo without its EXIF and comment padding.
    expect(Buffer.from(await image.arrayBuffer()).equals(await readFile(join(dir, answer.data.uri)))).toBe(true);
  });
});
