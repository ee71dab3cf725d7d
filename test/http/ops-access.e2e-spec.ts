import { INestApplication, Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useChatAdapter } from '../../apps/chat-gateway/src/chat-gateway.module';
import { useHistoryOpenApi } from '../../apps/history-api/src/history/history-openapi';
import { useUploadOpenApi } from '../../apps/upload-api/src/upload/upload-openapi';
import { opsAuth, startSuite, tempSqlite, TEST_OPS_TOKEN, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

/** The all-in-one app as `npm start` wires it: chat adapter and both OpenAPI descriptions. */
const wired = (app: INestApplication) => {
  useChatAdapter(app);
  useHistoryOpenApi(app);
  useUploadOpenApi(app);
};

const PROTECTED = ['/metrics', '/METRICS', '/metrics/', '/api-docs/history', '/api-docs/history-json', '/Api-Docs/upload-json', '/api-docs/upload/swagger-ui-init.js'];

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** One suite per access mode, each on its own SQLite file and upload directory. */
function withSuite(env: Record<string, string | undefined>) {
  const ctx = {} as { suite: TestApp; uploads: string; sqlite: ReturnType<typeof tempSqlite> };
  beforeAll(async () => {
    ctx.sqlite = tempSqlite();
    ctx.uploads = mkdtempSync(join(tmpdir(), 'ops-access-'));
    ctx.suite = await startSuite({ DATABASE_URL: ctx.sqlite.url, UPLOAD_DIR: ctx.uploads, ...env }, undefined, wired);
  });
  afterAll(async () => {
    await ctx.suite?.close();
    ctx.sqlite?.remove();
    rmSync(ctx.uploads, { recursive: true, force: true });
  });
  return ctx;
}

describe('operational endpoints', () => {
  describe('with OPS_TOKEN (on the public port)', () => {
    const ctx = withSuite({});

    it('keeps liveness open', async () => {
      expect(await get(`${ctx.suite.httpUrl}/health/live`)).toMatchObject({ status: 200 });
    });

    it('answers readiness publicly as up/down only, with the details behind the token', async () => {
      const open = await get(`${ctx.suite.httpUrl}/health/ready`);
      expect(open.status).toBe(200);
      expect(JSON.parse(open.text)).toEqual({ status: 'ok' });
      expect(open.text).not.toContain(ctx.uploads);
      const detailed = await get(`${ctx.suite.httpUrl}/health/ready`, opsAuth);
      expect(JSON.parse(detailed.text)).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, 'upload-storage': { status: 'up', directory: ctx.uploads } },
      });
    });

    it.each(PROTECTED)('refuses %s without the token, with 401 and a Bearer challenge', async (path) => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token' }, { token: TEST_OPS_TOKEN }, { authorization: TEST_OPS_TOKEN }];
      for (const headers of attempts) {
        const res = await get(`${ctx.suite.httpUrl}${path}`, headers);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="operations"/);
        expect(JSON.parse(res.text)).toEqual({ status: 1, msg: expect.stringMatching(/OPS_TOKEN/) });
      }
      expect((await get(`${ctx.suite.httpUrl}${path}?token=${TEST_OPS_TOKEN}`)).status).toBe(401);
    });

    it('serves metrics and the OpenAPI documents with the token', async () => {
      const metrics = await get(`${ctx.suite.httpUrl}/metrics`, opsAuth);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^process_cpu_user_seconds_total /m);
      const doc = await get(`${ctx.suite.httpUrl}/api-docs/history-json`, opsAuth);
      expect(doc.status).toBe(200);
      expect(JSON.parse(doc.text)).toHaveProperty(['paths', '/chat_message/get_Message_History.do']);
      const ui = await get(`${ctx.suite.httpUrl}/api-docs/upload`, opsAuth);
      expect(ui.status).toBe(200);
      expect(ui.text).toMatch(/swagger/i);
      // Swagger UI's page carries inline styles: its own, looser policy, on the protected side only.
      expect(ui.headers.get('content-security-policy')).toMatch(/style-src 'self' 'unsafe-inline'/);
    });

    it('says "down" publicly when a check fails, without naming what failed (run last: it breaks storage)', async () => {
      rmSync(ctx.uploads, { recursive: true, force: true });
      try {
        const open = await get(`${ctx.suite.httpUrl}/health/ready`);
        expect(open.status).toBe(503);
        expect(JSON.parse(open.text)).toEqual({ status: 'error' });
        const detailed = await get(`${ctx.suite.httpUrl}/health/ready`, opsAuth);
        expect(detailed.status).toBe(503);
        expect(detailed.text).toContain(ctx.uploads);
      } finally {
        mkdirSync(ctx.uploads, { recursive: true });
      }
    });
  });

  describe('with OPS_PORT (a listener of their own)', () => {
    const ctx = withSuite({ OPS_TOKEN: undefined, OPS_PORT: '0', HOST: '127.0.0.1' });

    it('serves metrics, readiness details and the OpenAPI documents there, without a token', async () => {
      const ops = ctx.suite.opsUrl!;
      expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ops).not.toBe(ctx.suite.httpUrl);
      expect((await get(`${ops}/metrics`)).text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(JSON.parse((await get(`${ops}/health/ready`)).text)).toMatchObject({ info: { 'upload-storage': { directory: ctx.uploads } } });
      expect((await get(`${ops}/health/live`)).status).toBe(200);
      expect((await get(`${ops}/api-docs/history-json`)).status).toBe(200);
      expect((await get(`${ops}/api-docs/history`)).status).toBe(200);
    });

    it('keeps them off the public port, where readiness says up/down only', async () => {
      for (const path of PROTECTED) expect((await get(`${ctx.suite.httpUrl}${path}`)).status).toBe(404);
      expect(JSON.parse((await get(`${ctx.suite.httpUrl}/health/ready`)).text)).toEqual({ status: 'ok' });
      expect((await get(`${ctx.suite.httpUrl}/health/live`)).status).toBe(200);
    });

    it('serves nothing but them on the operations port', async () => {
      const ops = ctx.suite.opsUrl!;
      const history = await fetch(`${ops}/chat_message/get_Message_History.do`, { method: 'POST' });
      expect(history.status).toBe(404);
      expect((await get(`${ops}/images/0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.png`)).status).toBe(404);
      const user = await ctx.suite.newUser();
      const refused = await TestClient.refusal(chatUrl(ops.replace(/^http/, 'ws'), user.id, user.token));
      expect(refused.status).toBe(404);
      // The public port still takes the same socket.
      const socket = await TestClient.open(chatUrl(ctx.suite.wsUrl, user.id, user.token));
      await socket.close();
    });
  });

  describe('with both', () => {
    const ctx = withSuite({ OPS_PORT: '0', HOST: '127.0.0.1' });

    it('takes the token on the public port too', async () => {
      expect((await get(`${ctx.suite.httpUrl}/metrics`)).status).toBe(401);
      expect((await get(`${ctx.suite.httpUrl}/metrics`, opsAuth)).status).toBe(200);
      expect((await get(`${ctx.suite.opsUrl!}/metrics`)).status).toBe(200);
    });
  });

  describe('in production with neither', () => {
    let warn: jest.SpyInstance;
    beforeAll(() => {
      warn = jest.spyOn(Logger.prototype, 'warn');
    });
    const ctx = withSuite({ OPS_TOKEN: undefined });
    afterAll(() => warn.mockRestore());

    it('keeps them off, and says how to turn them on at boot', async () => {
      for (const path of PROTECTED) expect((await get(`${ctx.suite.httpUrl}${path}`)).status).toBe(404);
      expect(JSON.parse((await get(`${ctx.suite.httpUrl}/health/ready`)).text)).toEqual({ status: 'ok' });
      expect(warn.mock.calls.map((c: unknown[]) => String(c[0]))).toEqual(
        expect.arrayContaining([expect.stringMatching(/\/metrics.*off.*OPS_PORT.*OPS_TOKEN/)]),
      );
    });
  });

  describe('in development mode with neither (npm start)', () => {
    let warn: jest.SpyInstance;
    beforeAll(() => {
      warn = jest.spyOn(Logger.prototype, 'warn');
    });
    const ctx = withSuite({ OPS_TOKEN: undefined, CHAT_DEV_MODE: 'true' });
    afterAll(() => warn.mockRestore());

    it('opens them to anyone, and says so loudly', async () => {
      expect((await get(`${ctx.suite.httpUrl}/api-docs/history`)).status).toBe(200);
      expect((await get(`${ctx.suite.httpUrl}/metrics`)).status).toBe(200);
      expect(JSON.parse((await get(`${ctx.suite.httpUrl}/health/ready`)).text)).toHaveProperty('info');
      expect(warn.mock.calls.map((c: unknown[]) => String(c[0]))).toEqual(
        expect.arrayContaining([expect.stringMatching(/development mode.*\/metrics.*WITHOUT a token/)]),
      );
    });
  });
});
