import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { postForm } from '../support/form-post';

// The Gorush provider against a stand-in for its API (POST /api/push), through the whole suite.
describe('push through Gorush', () => {
  const db = tempSqlite();
  const requests: { path: string; body: { notifications: Record<string, unknown>[] } }[] = [];
  let gorush: Server;
  let app: TestApp;

  beforeAll(async () => {
    gorush = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) as { notifications: Record<string, unknown>[] } });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"counts":1,"logs":[],"success":"ok"}');
      });
    });
    await new Promise<void>((r) => gorush.listen(0, '127.0.0.1', r));
    const env = { DATABASE_URL: db.url, PUSH_PROVIDER: 'gorush', PUSH_GORUSH_URL: `http://127.0.0.1:${(gorush.address() as AddressInfo).port}/`, PUSH_DELAY_MS: '300', PUSH_POLL_MS: '50' };
    app = await startSuite(env, SuiteModule.forEnvironment({ ...process.env, ...env }));
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((r) => gorush.close(r));
    db.remove();
  });

  it('posts one request per notification, one entry per platform, with the badge and the preview', async () => {
    const a = await app.newUser();
    const b = await app.newUser();
    for (const [platform, deviceToken] of [
      ['apns', 'ios-token'],
      ['fcm', 'android-token'],
    ]) {
      const registered = await postForm(app.httpUrl, '/user/push_token.do', b.token, { platform, deviceToken });
      expect(registered.body).toMatchObject({ status: 0 });
    }
    const sender = await TestClient.openV2(chatUrl(app.wsUrl, a.id, a.token));
    sender.send({ senderId: a.id, to: b.id, text: 'one', clientMsgId: 'g-1' });
    sender.send({ senderId: a.id, to: b.id, text: 'two', clientMsgId: 'g-2' });
    await sender.nextN(2);
    await sender.close();
    const deadline = Date.now() + 15_000;
    while (!requests.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(requests).toHaveLength(1);
    expect(requests[0].path).toBe('/api/push');
    expect(requests[0].body.notifications).toEqual([
      { tokens: ['ios-token'], platform: 1, title: a.name, message: 'two', badge: 2, data: expect.objectContaining({ friendId: a.id, count: 2 }) },
      { tokens: ['android-token'], platform: 2, title: a.name, message: 'two', badge: 2, data: expect.objectContaining({ friendId: a.id, count: 2 }) },
    ]);
  });
});
