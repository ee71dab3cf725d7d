import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// Browsers cannot set headers on an upgrade: the token rides as a subprotocol value
// (`chat.token.<jwt>` beside `chat.v2`), which keeps it out of the URL. The server selects
// `chat.v2` or nothing, never the token's protocol; `?token=` keeps working for old clients.

describe('the token as a WebSocket subprotocol', () => {
  const sqlite = tempSqlite();
  let suite: TestApp;
  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: sqlite.url });
  });
  afterAll(async () => {
    await suite.close();
    sqlite.remove();
  });

  const bare = (id: number) => `${suite.wsUrl}/chat/${id}`;

  it('opens a v2 socket with chat.token.<jwt> beside chat.v2, selecting chat.v2 only', async () => {
    const a = await suite.newUser();
    const b = await suite.newUser();
    const ca = await TestClient.open(bare(a.id), {}, 5000, ['chat.v2', `chat.token.${a.token}`]);
    expect(ca.ws.protocol).toBe('chat.v2');
    const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
    expect(cb.ws.protocol).toBe('');
    ca.send({ to: b.id, text: 'no token in my URL', clientMsgId: 'p1' });
    await expect(cb.next()).resolves.toMatchObject({ text: 'no token in my URL', sender: a.name });
    await expect(ca.nextMatching((f) => f.type === 'ack')).resolves.toMatchObject({ clientMsgId: 'p1' });
    await Promise.all([ca.close(), cb.close()]);
  });

  it('accepts the token protocol alone without selecting it (browsers accept that; strict clients offer chat.v2 too)', async () => {
    const a = await suite.newUser();
    const answer = await new Promise<{ status: number; protocol: string | undefined }>((resolve, reject) => {
      const req = request(`${suite.httpUrl}/chat/${a.id}`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          'Sec-WebSocket-Protocol': `chat.token.${a.token}`,
        },
      });
      req.once('upgrade', (res, socket) => {
        resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] });
        socket.destroy();
      });
      req.once('response', (res) => resolve({ status: res.statusCode ?? 0, protocol: undefined }));
      req.once('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 101, protocol: undefined });
  });

  it("refuses another user's token, a bad one, and none, as the query form does", async () => {
    const a = await suite.newUser();
    const b = await suite.newUser();
    const refused = (protocols: string[]) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(bare(a.id), protocols);
        ws.once('open', () => reject(new Error('accepted')));
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('error', () => undefined);
      });
    await expect(refused(['chat.v2', `chat.token.${b.token}`])).resolves.toBe(403);
    await expect(refused(['chat.v2', 'chat.token.not.a.jwt'])).resolves.toBe(401);
    await expect(refused(['chat.v2'])).resolves.toBe(401);
    // The legacy query form still works.
    const legacy = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    await legacy.close();
  });
});
