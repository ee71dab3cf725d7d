import { readFileSync } from 'node:fs';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { GatewayProcess } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { freshPhone, startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// The development endpoints exist only in development mode, decided by the same call the
// suite's main makes (SuiteModule.forEnvironment).

const post = (url: string, body?: Record<string, string>) =>
  fetch(url, body ? { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) } : { method: 'POST' });

function devEndpoints(engine: string, databaseUrl: () => string) {
  describe(`development endpoints with CHAT_DEV_MODE=true on ${engine}`, () => {
    let suite: TestApp;
    beforeAll(async () => {
      const env = { DATABASE_URL: databaseUrl(), CHAT_DEV_MODE: 'true' };
      suite = await startSuite(env, SuiteModule.forEnvironment(env));
    });
    afterAll(() => suite.close());

    it('creates a user with the legacy default name, lists it, and mints a token that opens its socket', async () => {
      const phone = freshPhone();
      const created = await (await post(`${suite.httpUrl}/dev/users`, { phone })).json();
      expect(created).toEqual({ status: 0, data: { id: expect.any(Number), name: `手机用户${phone}` } });
      const id = (created as { data: { id: number } }).data.id;

      const named = (await (
        await fetch(`${suite.httpUrl}/dev/users`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone: freshPhone(), name: '小红 🌸' }) })
      ).json()) as { status: number; data: { id: number; name: string } };
      expect(named).toMatchObject({ status: 0, data: { name: '小红 🌸' } });

      const list = (await (await fetch(`${suite.httpUrl}/dev/users`)).json()) as { status: number; data: { list: { id: number; name: string }[] } };
      expect(list.status).toBe(0);
      // Newest first; other tests of the run may share the database.
      const ours = list.data.list.filter((u) => u.id === id || u.id === named.data.id).map((u) => u.name);
      expect(ours).toEqual(['小红 🌸', `手机用户${phone}`]);

      const minted = (await (await post(`${suite.httpUrl}/dev/users/${id}/token`)).json()) as { status: number; data: { userId: number; token: string } };
      expect(minted).toMatchObject({ status: 0, data: { userId: id } });
      const client = await TestClient.open(chatUrl(suite.wsUrl, id, minted.data.token));
      await client.close();
    });

    it('refuses bad input in the legacy envelope', async () => {
      const phone = freshPhone();
      await post(`${suite.httpUrl}/dev/users`, { phone });
      const answers = await Promise.all([
        post(`${suite.httpUrl}/dev/users`, { phone }),
        post(`${suite.httpUrl}/dev/users`, { phone: 'abc' }),
        post(`${suite.httpUrl}/dev/users`, {}),
        post(`${suite.httpUrl}/dev/users/1999999999/token`),
        post(`${suite.httpUrl}/dev/users/x/token`),
        fetch(`${suite.httpUrl}/dev/users?limit=0`),
      ]);
      for (const a of answers) expect(a.status).toBe(200);
      const bodies = (await Promise.all(answers.map((a) => a.json()))) as { status: number; msg: string }[];
      for (const b of bodies) expect(b.status).toBe(1);
      expect(bodies.map((b) => b.msg)).toEqual([
        expect.stringMatching(/exists already/),
        expect.stringMatching(/5 to 20 digits/),
        expect.stringMatching(/phone is required/),
        expect.stringMatching(/^用户不存在/),
        expect.stringMatching(/positive integer/),
        expect.stringMatching(/limit must be between 1 and 200/),
      ]);
    });
  });
}

const sqlite = tempSqlite();
afterAll(() => sqlite.remove());
devEndpoints('SQLite', () => sqlite.url);

describe('development endpoints and who may reach them', () => {
  const db = tempSqlite();
  afterAll(() => db.remove());
  const forwarded = { 'X-Forwarded-For': '192.168.1.20' };

  it('answer this machine only: a request a proxy forwarded is refused in the legacy envelope', async () => {
    const env = { DATABASE_URL: db.url, CHAT_DEV_MODE: 'true' };
    const suite = await startSuite(env, SuiteModule.forEnvironment(env));
    try {
      const refused = await Promise.all([
        fetch(`${suite.httpUrl}/dev/users`, { headers: forwarded }),
        fetch(`${suite.httpUrl}/dev/users`, { method: 'POST', headers: { ...forwarded, 'Content-Type': 'application/json' }, body: JSON.stringify({ phone: freshPhone() }) }),
        fetch(`${suite.httpUrl}/dev/users/1/token`, { method: 'POST', headers: { 'X-Real-IP': '10.0.0.7' } }),
      ]);
      for (const r of refused) {
        expect(r.status).toBe(200);
        expect(await r.json()).toEqual({ status: 1, msg: expect.stringMatching(/^开发接口只对本机开放 .*CHAT_DEV_ENDPOINTS_OPEN=true/) });
      }
      expect(await (await fetch(`${suite.httpUrl}/dev/users`)).json()).toMatchObject({ status: 0 });
    } finally {
      await suite.close();
    }
  });

  it('answer everyone with CHAT_DEV_ENDPOINTS_OPEN=true', async () => {
    const env = { DATABASE_URL: db.url, CHAT_DEV_MODE: 'true', CHAT_DEV_ENDPOINTS_OPEN: 'true' };
    const suite = await startSuite(env, SuiteModule.forEnvironment(env));
    try {
      expect(await (await fetch(`${suite.httpUrl}/dev/users`, { headers: forwarded })).json()).toMatchObject({ status: 0 });
    } finally {
      await suite.close();
    }
  });

  /** Whether a socket listens on the port, and on which IPv4 address (/proc/net/tcp, hex little-endian). */
  const listeningOn = (port: number): string[] =>
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && parseInt(f[1]?.split(':')[1] ?? '', 16) === port)
      .map((f) => f[1].split(':')[0].match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.'));

  it('the suite in development mode listens on 127.0.0.1 without HOST, and says who reaches /dev/users', async () => {
    const app = await GatewayProcess.start(
      { DATABASE_URL: db.url, DATABASE_RUN_MIGRATIONS: 'true', CHAT_DEV_MODE: 'true', HOST: '', LOG_FORMAT: 'text', LOG_LEVEL: 'log' },
      { args: ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/suite/src/main.ts'], readyTimeoutMs: 90_000 },
    );
    try {
      expect(listeningOn(app.port)).toEqual(['127.0.0.1']);
      expect(app.output).toContain(`listening on http://127.0.0.1:${app.port}`);
      expect(app.output).toMatch(/\/dev\/users .*answers this machine only; listening on 127\.0\.0\.1 \(set HOST=0\.0\.0\.0 .*CHAT_DEV_ENDPOINTS_OPEN=true/);
    } finally {
      await app.stop();
    }
    // Booting from the sources takes a while on a busy machine.
  }, 120_000);
});
describeMariaDb('MariaDB', () => devEndpoints('MariaDB', () => testMariaDbUrl()!));

describe('development endpoints without development mode', () => {
  const sqlite = tempSqlite();
  let suite: TestApp;
  const env = { DATABASE_URL: sqlite.url, CHAT_DEV_MODE: 'false' };
  beforeAll(async () => {
    suite = await startSuite(env, SuiteModule.forEnvironment(env));
  });
  afterAll(async () => {
    await suite.close();
    sqlite.remove();
  });

  it('do not exist: 404 for every one of them', async () => {
    const user = await suite.newUser();
    const answers = await Promise.all([
      fetch(`${suite.httpUrl}/dev/users`),
      post(`${suite.httpUrl}/dev/users`, { phone: freshPhone() }),
      post(`${suite.httpUrl}/dev/users/${user.id}/token`),
    ]);
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
  });
});
