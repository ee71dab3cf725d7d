import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jpegImage, pngImage } from '../../libs/storage/test/image.fixtures';
import { freePort } from '../support/free-port';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, isCi, testMariaDbUrl, testRedisPrefix, testRedisUrl } from '../support/infra';
import { opsAuth } from '../support/test-identity';
import { waitFor } from '../support/wait';
import { TestClient } from '../support/ws-client';
import { buildAppsAndWeb, describeNginx, NginxProcess } from './nginx-process';

// The plain-host setup of docs/deployment.md: Debian's nginx with the host rendering of the one
// template, in front of two gateway replicas (over Redis), history-api, upload-api (each built
// into dist/ and run as its own process) and the built web client. Everything through nginx's
// one origin, as the apps and a browser see it.

// The setup builds three apps and the web client, then boots four processes.
jest.setTimeout(300_000);

const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

const securityHeadersOf = (res: Response) => Object.fromEntries(SECURITY_HEADERS.map((h) => [h, res.headers.get(h)]));

describeNginx('nginx in front of the suite on a plain host', () => {
  describeMariaDb('with MariaDB and Redis', () => {
    let runDir: string;
    let uploads: string;
    let nginx: NginxProcess;
    const apps: GatewayProcess[] = [];
    let gateways: GatewayProcess[];
    let history: GatewayProcess;
    let dir: Awaited<ReturnType<typeof openTestDirectory>>;

    beforeAll(async () => {
      if (!testRedisUrl()) {
        if (isCi()) throw new Error('CI=true but Redis is unreachable');
        return;
      }
      buildAppsAndWeb(['chat-gateway', 'history-api', 'upload-api']);
      runDir = mkdtempSync(join(tmpdir(), 'chat-nginx-'));
      uploads = mkdtempSync(join(tmpdir(), 'chat-nginx-uploads-'));
      const port = await freePort();
      const env = {
        DATABASE_URL: testMariaDbUrl()!,
        REDIS_URL: testRedisUrl()!,
        REDIS_KEY_PREFIX: `${testRedisPrefix()}nginx:`,
        UPLOAD_DIR: uploads,
        UPLOAD_PUBLIC_BASE_URL: `http://127.0.0.1:${port}/images/`,
        CHAT_RATE_LIMIT_COUNT: '0',
      };
      const start = async (app: string) => {
        const p = await GatewayProcess.start(env, { args: [`dist/apps/${app}/main.js`] });
        apps.push(p);
        return p;
      };
      gateways = [await start('chat-gateway'), await start('chat-gateway')];
      history = await start('history-api');
      const upload = await start('upload-api');
      nginx = await NginxProcess.start(runDir, port, {
        gateways: gateways.map((g) => `127.0.0.1:${g.port}`),
        history: [`127.0.0.1:${history.port}`],
        upload: [`127.0.0.1:${upload.port}`],
        imageOrigins: [`http://127.0.0.1:${port}`],
      });
      dir = await openTestDirectory(testMariaDbUrl()!);
    });

    afterAll(async () => {
      await nginx?.stop();
      await Promise.all(apps.map((a) => a.stop()));
      await dir?.close();
      for (const d of [runDir, uploads]) if (d) rmSync(d, { recursive: true, force: true });
    });

    const url = (path: string) => `${nginx.baseUrl}${path}`;
    const wsUrl = (path: string) => url(path).replace(/^http/, 'ws');

    it('serves the built web client with the apps’ security headers on every page and asset', async () => {
      const page = await fetch(url('/'));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('<script type="module"');
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const script = await fetch(url(asset!));
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      expect(script.headers.get('cache-control')).toContain('immutable');
      await script.body?.cancel();

      // What an app answers through nginx (its helmet headers) is what nginx's pages carry.
      const fromApp = await fetch(url('/chat_message/get_Message_History.do'), { method: 'POST' });
      expect(await fromApp.json()).toMatchObject({ status: 1 });
      const expected = securityHeadersOf(fromApp);
      for (const h of SECURITY_HEADERS) expect(expected[h]).toBeTruthy();
      expect(expected['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:`);
      for (const res of [page, script, await fetch(url('/index.html')), await fetch(url('/no-such-page'))]) {
        expect(securityHeadersOf(res)).toEqual(expected);
      }
      expect((await fetch(url('/no-such-page'))).status).toBe(404);
      expect(page.headers.get('x-powered-by')).toBeNull();
      expect(page.headers.get('server')).toBe('nginx');
    });

    it('carries a chat between users on different replicas, the token out of the URL and out of the log', async () => {
      const a = await dir.newUser();
      const b = await dir.newUser();
      const openSockets = async () =>
        Promise.all(
          gateways.map(async (g) => {
            const text = await (await fetch(`${g.httpUrl}/metrics`, { headers: opsAuth })).text();
            return Number(/^chat_open_sockets(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
          }),
        );
      const before = await openSockets();
      // The browser's way: the token as a subprotocol beside chat.v2.
      const ca = await TestClient.open(wsUrl(`/chat/${a.id}`), {}, 5000, ['chat.v2', `chat.token.${a.token}`]);
      expect(ca.ws.protocol).toBe('chat.v2');
      // An old app's way: ?token= (least_conn sends it to the replica without a socket).
      const cb = await TestClient.open(wsUrl(`/chat/${b.id}?token=${encodeURIComponent(b.token)}`));
      let after: number[] = [];
      await waitFor('both sockets counted', async () => {
        after = await openSockets();
        return after[0] + after[1] === before[0] + before[1] + 2;
      });
      expect(after.map((n, i) => n - before[i]).sort()).toEqual([1, 1]);

      ca.send({ to: b.id, text: 'through nginx 你好 🌸', clientMsgId: 'n1' });
      await expect(cb.next()).resolves.toMatchObject({ text: 'through nginx 你好 🌸', sender: a.name });
      await expect(ca.nextMatching((f) => f.type === 'ack')).resolves.toMatchObject({ clientMsgId: 'n1' });
      cb.send({ senderId: String(b.id), to: String(a.id), text: 'and back' });
      await expect(ca.nextMatching((f) => f.text === 'and back')).resolves.toMatchObject({ sender: b.name });
      await Promise.all([ca.close(), cb.close()]);

      // History of the same conversation, through nginx.
      const res = await fetch(url('/chat_message/get_Message_History.do'), {
        method: 'POST',
        headers: { token: b.token, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ friendId: String(a.id), pageNum: '1', pageSize: '10' }),
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { status: number; data: { total: number; list: { text: string }[] } };
      expect(page.status).toBe(0);
      expect(page.data.list.map((m) => m.text)).toEqual(['through nginx 你好 🌸', 'and back']);

      const log = readFileSync(join(nginx.runDir, 'access.log'), 'utf8');
      expect(log).toContain(`"GET /chat/${b.id}" 101`);
      expect(log).not.toContain(b.token);
      expect(log).not.toContain('token=');
    });

    it('stores an upload and serves it back; an oversize upload gets the upload service’s words in the legacy envelope', async () => {
      const u = await dir.newUser();
      const form = new FormData();
      form.append('upload_file', new Blob([pngImage(4, 3)], { type: 'image/png' }), 'a.png');
      const res = await fetch(url('/user/upload.do'), { method: 'POST', headers: { token: u.token }, body: form });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { status: number; data: { url: string; thumbUrl: string } };
      expect(answer).toMatchObject({ status: 0, data: { url: expect.stringMatching(`^${nginx.baseUrl}/images/.+\\.png$`) } });
      const image = await fetch(answer.data.url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await image.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));

      // Over nginx's own body limit (the service's 10 MiB plus the form's slack): nginx answers.
      const big = new FormData();
      big.append('upload_file', new Blob([Buffer.alloc(13 * 1024 * 1024, 1)], { type: 'image/jpeg' }), 'big.jpg');
      const refused = await fetch(url('/user/upload.do'), { method: 'POST', headers: { token: u.token }, body: big });
      expect(refused.status).toBe(200);
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await refused.json()).toEqual({ status: 1, msg: '图片太大，最大 10 MiB (file too large: the limit is 10485760 bytes)' });

      // Between the service's limit and nginx's: the service answers, with the same words.
      const over = new FormData();
      over.append('upload_file', new Blob([jpegImage({ padding: 10 * 1024 * 1024 })], { type: 'image/jpeg' }), 'over.jpg');
      const byService = await fetch(url('/user/upload.do'), { method: 'POST', headers: { token: u.token }, body: over });
      expect(await byService.json()).toEqual({ status: 1, msg: '图片太大，最大 10 MiB (file too large: the limit is 10485760 bytes)' });
    });

    it('never routes the operational endpoints', async () => {
      for (const path of ['/metrics', '/health/ready', '/health/live', '/api-docs', '/api-docs/history', '/api-docs-json', '//metrics', '/METRICS']) {
        const res = await fetch(url(path), { headers: opsAuth });
        const body = await res.text();
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(body).not.toMatch(/chat_|process_cpu|"status"|swagger/i);
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      }
    });

    it('answers in the legacy envelope when an app behind it is down', async () => {
      await history.stop();
      const res = await fetch(url('/chat_message/get_Message_History.do'), {
        method: 'POST',
        headers: { token: 'x', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'friendId=1',
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ status: 1, msg: '服务暂不可用，请稍后再试 (service unavailable, try again later)' });
      // A body over nginx's limit for the JSON and form APIs, in the same envelope.
      const tooBig = await fetch(url('/chat_message/get_Message_History.do'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `friendId=${'1'.repeat(2 * 1024 * 1024)}`,
      });
      expect(tooBig.status).toBe(200);
      expect(await tooBig.json()).toMatchObject({ status: 1, msg: expect.stringMatching(/^请求体过大/) });
      expect(readFileSync(join(nginx.runDir, 'access.log'), 'utf8')).toMatch(/"POST \/chat_message\/get_Message_History\.do" 200 \d+ [\d.]+ 502/);
    });
  });
});
