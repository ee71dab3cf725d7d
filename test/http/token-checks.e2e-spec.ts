import { SignJWT } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngImage } from '../../libs/storage/test/image.fixtures';
import { startSuite, tempSqlite, TEST_JWT_SECRET, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

const HISTORY = '/chat_message/get_Message_History.do';
const NOT_LOGGED_IN = '{"status":1,"msg":"用户未登录"}';
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const TEN_YEARS = 10 * 365 * 24 * 3600;

/** A token built as the legacy login service built them: HS256, `{id, iat, exp}`. */
const legacyToken = (id: number, iat: number, exp = now() + 7 * 24 * 3600) =>
  new SignJWT({ id, iat, exp }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);

/** The token checks of every door: history and upload (TokenGuard) and the chat upgrade (TokenService). */
describe('token checks at every door', () => {
  const sqlite = tempSqlite();
  const uploads = mkdtempSync(join(tmpdir(), 'token-checks-'));
  let suite: TestApp;
  let user: Awaited<ReturnType<TestApp['newUser']>>;

  const history = async (token: string) => {
    const res = await fetch(`${suite.httpUrl}${HISTORY}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', token },
      body: 'pageNum=1&pageSize=10&friendId=1',
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  const upload = async (token: string) => {
    const form = new FormData();
    form.append('upload_file', new Blob([pngImage()], { type: 'image/png' }), '20190527213156.png');
    const res = await fetch(`${suite.httpUrl}/user/upload.do`, { method: 'POST', headers: { token }, body: form });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: number; msg?: string };
  };

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: sqlite.url, UPLOAD_DIR: uploads });
    user = await suite.newUser();
  });
  afterAll(async () => {
    await suite?.close();
    sqlite.remove();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('accepts a token the legacy login service minted just now', async () => {
    const token = await legacyToken(user.id, now());
    expect(await history(token)).toBe('{"status":1,"msg":"不存在记录"}');
    expect(await upload(token)).toMatchObject({ status: 0 });
    const socket = await TestClient.open(chatUrl(suite.wsUrl, user.id, token));
    await socket.close();
  });

  it('refuses a token issued ten years ahead, on HTTP and at the upgrade, every time', async () => {
    const token = await legacyToken(user.id, now() + TEN_YEARS, now() + TEN_YEARS + 3600);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await history(token)).toBe(NOT_LOGGED_IN);
      expect(await upload(token)).toEqual({ status: 1, msg: '用户未登录' });
      const refused = await TestClient.refusal(chatUrl(suite.wsUrl, user.id, token));
      expect(refused.status).toBe(401);
      expect(refused.body).toContain('用户未登录');
    }
  });

  it('allows the documented clock skew (60 s) and no more', async () => {
    const slightlyAhead = await legacyToken(user.id, now() + 20);
    expect(await history(slightlyAhead)).toBe('{"status":1,"msg":"不存在记录"}');
    const tooFarAhead = await legacyToken(user.id, now() + 180);
    expect(await history(tooFarAhead)).toBe(NOT_LOGGED_IN);
    expect((await TestClient.refusal(chatUrl(suite.wsUrl, user.id, tooFarAhead))).status).toBe(401);
  });

  it('answers 用户未登录 to a valid token of a user that does not exist', async () => {
    const ghost = 2_000_000_000;
    const token = await suite.token(ghost);
    expect(await history(token)).toBe(NOT_LOGGED_IN);
    expect(await upload(token)).toEqual({ status: 1, msg: '用户未登录' });
    // Asked again (now from the lookup cache): still refused.
    expect(await history(token)).toBe(NOT_LOGGED_IN);
    // The upgrade refused such ids already, with the contract's reason.
    const refused = await TestClient.refusal(chatUrl(suite.wsUrl, ghost, token));
    expect(refused).toMatchObject({ status: 404, body: expect.stringContaining('用户不存在') });
  });
});
