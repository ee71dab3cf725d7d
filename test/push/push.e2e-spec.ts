import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { opsAuth, startSuite, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { chatUrl, TestClient } from '../support/ws-client';
import { postForm } from '../support/form-post';

const SECRET = 'push-test-secret-0123456789';
const WORKER = ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/push-worker/src/main.ts'];

type JobRow = { id: number; state: string; outcome: string | null; attempts: number; message_count: number };

/** Polls until `read` gives something `done` accepts; fails with the last value after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not reached; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const jobsOf = (ds: DataSource, userId: number): Promise<JobRow[]> =>
  ds.query('SELECT id, state, outcome, attempts, message_count FROM push_job WHERE user_id = ? ORDER BY id', [userId]);
const finished = (jobs: JobRow[]) => jobs.length > 0 && jobs.every((j) => ['sent', 'skipped', 'dead'].includes(j.state));

async function post(app: TestApp, path: string, token: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  return (await postForm(app.httpUrl, path, token, form)).body;
}

/** Sends `count` messages and waits for their acks (all stored). */
async function burst(from: TestClient, senderId: number, to: number, count: number, prefix: string): Promise<void> {
  for (let i = 1; i <= count; i++) from.send({ senderId, to, text: `${prefix} ${i}`, clientMsgId: `${prefix}-${i}` });
  await from.nextN(count, 15_000);
}

describeMariaDb('push on MariaDB', () => {
  describe('in the all-in-one suite (webhook, one worker inside)', () => {
    let receiver: WebhookReceiver;
    let app: TestApp;
    let ds: DataSource;
    const sockets: TestClient[] = [];

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(SECRET);
      const env = {
        DATABASE_URL: testMariaDbUrl()!,
        PUSH_PROVIDER: 'webhook',
        PUSH_WEBHOOK_URL: receiver.url,
        PUSH_WEBHOOK_SECRET: SECRET,
        PUSH_DELAY_MS: '1500',
        PUSH_POLL_MS: '50',
        PUSH_RETRY_BASE_MS: '100',
        PUSH_RETRY_MAX_MS: '400',
        PUSH_MAX_ATTEMPTS: '3',
      };
      app = await startSuite(env, SuiteModule.forEnvironment({ ...process.env, ...env }));
      ds = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
      await ds.initialize();
    });

    afterAll(async () => {
      for (const s of sockets) await s.close();
      await app?.close();
      await ds?.destroy();
      await receiver?.close();
    });

    const connect = async (user: { id: number; token: string }) => {
      const c = await TestClient.openV2(chatUrl(app.wsUrl, user.id, user.token));
      sockets.push(c);
      return c;
    };

    it('registers several devices per user and removes one (legacy envelope, token header)', async () => {
      const u = await app.newUser();
      expect(await post(app, '/user/push_token.do', u.token, { platform: 'fcm', deviceToken: 'dev-a1', appId: 'com.example' })).toEqual({
        status: 0,
        data: { platform: 'fcm', deviceToken: 'dev-a1', appId: 'com.example' },
      });
      await post(app, '/user/push_token.do', u.token, { platform: 'apns', deviceToken: 'dev-a2' });
      expect(await post(app, '/user/push_token.do', u.token, { platform: 'sms', deviceToken: 'x' })).toMatchObject({ status: 1 });
      expect(await post(app, '/user/push_token.do', u.token, { platform: 'fcm' })).toMatchObject({ status: 1 });
      expect(await post(app, '/user/push_token.do', 'not-a-token', { platform: 'fcm', deviceToken: 'y' })).toEqual({ status: 1, msg: '用户未登录' });
      expect(await ds.query('SELECT device_token FROM push_device WHERE user_id = ? ORDER BY id', [u.id])).toEqual([{ device_token: 'dev-a1' }, { device_token: 'dev-a2' }]);
      expect(await post(app, '/user/remove_push_token.do', u.token, { deviceToken: 'dev-a1' })).toEqual({ status: 0, data: { deviceToken: 'dev-a1', removed: true } });
      expect(await post(app, '/user/remove_push_token.do', u.token, { deviceToken: 'dev-a1' })).toEqual({ status: 0, data: { deviceToken: 'dev-a1', removed: false } });
      expect(await ds.query('SELECT device_token FROM push_device WHERE user_id = ?', [u.id])).toEqual([{ device_token: 'dev-a2' }]);
    });

    it('pushes a burst of 20 to an offline user as one signed notification with count 20 and the badge', async () => {
      const a = await app.newUser();
      const b = await app.newUser();
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `b-${b.id}` });
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 20, 'burst');
      await eventually(() => jobsOf(ds, b.id), finished);
      const got = receiver.forUser(b.id);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ verified: true, friendId: a.id, count: 20, badge: 20, preview: 'burst 20', devices: [{ platform: 'fcm', deviceToken: `b-${b.id}` }] });
      expect(got[0].messageIds).toHaveLength(20);
      expect((await jobsOf(ds, b.id)).map((j) => j.state)).toEqual(['sent']);
    });

    it('pushes nothing to a connected recipient, nor to one who connects before the delay', async () => {
      const a = await app.newUser();
      const online = await app.newUser();
      const late = await app.newUser();
      for (const u of [online, late]) await post(app, '/user/push_token.do', u.token, { platform: 'fcm', deviceToken: `d-${u.id}` });
      const onlineSocket = await connect(online);
      const sender = await connect(a);
      await burst(sender, a.id, online.id, 3, 'online');
      await burst(sender, a.id, late.id, 3, 'late');
      const lateSocket = await connect(late);
      await lateSocket.nextN(3);
      await onlineSocket.nextN(3);
      const jobs = await eventually(async () => [...(await jobsOf(ds, online.id)), ...(await jobsOf(ds, late.id))], (j) => j.length === 2 && finished(j));
      expect(jobs.map((j) => [j.state, j.outcome])).toEqual([
        ['skipped', 'delivered'],
        ['skipped', 'delivered'],
      ]);
      expect(receiver.forUser(online.id)).toHaveLength(0);
      expect(receiver.forUser(late.id)).toHaveLength(0);
    });

    it('removes the device the receiver answers 410 for', async () => {
      const a = await app.newUser();
      const b = await app.newUser();
      await post(app, '/user/push_token.do', b.token, { platform: 'apns', deviceToken: `gone-${b.id}` });
      receiver.answer = (p) => (p.userId === b.id ? 410 : 200);
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 1, 'gone');
      const jobs = await eventually(() => jobsOf(ds, b.id), finished);
      receiver.answer = () => 200;
      expect(jobs.map((j) => [j.state, j.outcome])).toEqual([['skipped', 'device gone']]);
      expect(await ds.query('SELECT * FROM push_device WHERE user_id = ?', [b.id])).toEqual([]);
      expect(receiver.forUser(b.id)).toHaveLength(1);
    });

    it("removes only the notification's own devices named in a 410's goneTokens, never another user's", async () => {
      const [a, b, c] = [await app.newUser(), await app.newUser(), await app.newUser()];
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `b1-${b.id}` });
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `b2-${b.id}` });
      await post(app, '/user/push_token.do', c.token, { platform: 'fcm', deviceToken: `c-${c.id}` });
      receiver.answer = (p) => (p.userId === b.id ? { status: 410, body: { goneTokens: [`b1-${b.id}`, `c-${c.id}`] } } : 200);
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 1, 'gone-named');
      await eventually(() => jobsOf(ds, b.id), finished);
      receiver.answer = () => 200;
      expect(await ds.query('SELECT device_token FROM push_device WHERE user_id = ?', [b.id])).toEqual([{ device_token: `b2-${b.id}` }]);
      expect(await ds.query('SELECT device_token FROM push_device WHERE user_id = ?', [c.id])).toEqual([{ device_token: `c-${c.id}` }]);
    });

    it('keeps at most PUSH_MAX_DEVICES_PER_USER (10) devices per user, dropping the least recently registered', async () => {
      const [a, b] = [await app.newUser(), await app.newUser()];
      for (let i = 1; i <= 12; i++) await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `cap${i}-${b.id}` });
      // Registered again: the most recent now.
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `cap3-${b.id}` });
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `cap13-${b.id}` });
      const kept = ((await ds.query('SELECT device_token FROM push_device WHERE user_id = ? ORDER BY id', [b.id])) as { device_token: string }[]).map((r) => r.device_token);
      expect(kept.sort()).toEqual([3, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((i) => `cap${i}-${b.id}`).sort());
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 1, 'capped');
      await eventually(() => jobsOf(ds, b.id), finished);
      expect(receiver.forUser(b.id)[0].devices).toHaveLength(10);
    });

    it("moves a token registered by another user to that user: its previous user is no longer pushed to with it", async () => {
      const [a, b, c] = [await app.newUser(), await app.newUser(), await app.newUser()];
      await post(app, '/user/push_token.do', b.token, { platform: 'apns', deviceToken: `shared-${b.id}` });
      await post(app, '/user/push_token.do', c.token, { platform: 'apns', deviceToken: `shared-${b.id}` });
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 1, 'to-b');
      await burst(sender, a.id, c.id, 1, 'to-c');
      await eventually(async () => [...(await jobsOf(ds, b.id)), ...(await jobsOf(ds, c.id))], (j) => j.length === 2 && finished(j));
      expect(receiver.forUser(b.id)).toHaveLength(0);
      expect(receiver.forUser(c.id).map((p) => p.devices)).toEqual([[{ platform: 'apns', deviceToken: `shared-${b.id}` }]]);
    });

    it('retries while the receiver is down and sends once when it is back', async () => {
      const a = await app.newUser();
      const b = await app.newUser();
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `down-${b.id}` });
      // Down for the first two tries: the connection is cut, then a 503.
      receiver.answer = (p) => {
        if (p.userId !== b.id) return 200;
        const before = receiver.forUser(b.id).length - 1;
        return before === 0 ? 'drop' : before === 1 ? 503 : 200;
      };
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 2, 'down');
      const jobs = await eventually(() => jobsOf(ds, b.id), finished);
      receiver.answer = () => 200;
      expect(jobs.map((j) => [j.state, j.attempts])).toEqual([['sent', 3]]);
      const got = receiver.forUser(b.id);
      expect(got.map((p) => p.answered)).toEqual(['dropped', 503, 200]);
      expect(new Set(got.map((p) => p.pushId)).size).toBe(1);
      expect(got.every((p) => p.count === 2 && p.verified)).toBe(true);
    });

    it('shows the worker in readiness and its counts in /metrics', async () => {
      const ready = await fetch(`${app.httpUrl}/health/ready`, { headers: opsAuth });
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { 'push-worker': { status: 'up', provider: 'webhook' } } });
      const metrics = await (await fetch(`${app.httpUrl}/metrics`, { headers: opsAuth })).text();
      for (const name of ['push_jobs_queued', 'push_notifications_sent_total', 'push_jobs_retried_total', 'push_send_failures_total', 'push_jobs_skipped_total', 'push_store_to_push_seconds_bucket']) {
        expect(metrics).toContain(name);
      }
      expect(Number(/^push_notifications_sent_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    });

    it('gives a job up as dead after PUSH_MAX_ATTEMPTS tries', async () => {
      const a = await app.newUser();
      const b = await app.newUser();
      await post(app, '/user/push_token.do', b.token, { platform: 'fcm', deviceToken: `dead-${b.id}` });
      receiver.answer = (p) => (p.userId === b.id ? 500 : 200);
      const sender = await connect(a);
      await burst(sender, a.id, b.id, 1, 'dead');
      const jobs = await eventually(() => jobsOf(ds, b.id), finished);
      receiver.answer = () => 200;
      expect(jobs.map((j) => [j.state, j.attempts])).toEqual([['dead', 3]]);
      expect(receiver.forUser(b.id)).toHaveLength(3);
    });
  });

  describe('worker processes beside a gateway process', () => {
    let receiver: WebhookReceiver;
    let gateway: GatewayProcess;
    let directory: Awaited<ReturnType<typeof openTestDirectory>>;
    const workers: GatewayProcess[] = [];
    const pushEnv = (): Record<string, string> => ({
      DATABASE_URL: testMariaDbUrl()!,
      PUSH_PROVIDER: 'webhook',
      PUSH_WEBHOOK_URL: receiver.url,
      PUSH_WEBHOOK_SECRET: SECRET,
      PUSH_DELAY_MS: '300',
      PUSH_POLL_MS: '50',
      PUSH_LEASE_MS: '3000',
      PUSH_SEND_TIMEOUT_MS: '1000',
      PUSH_RETRY_BASE_MS: '100',
      PUSH_RETRY_MAX_MS: '200',
      PUSH_BATCH_SIZE: '5',
      LOG_LEVEL: 'log',
    });
    const startWorker = async () => {
      // Without JWT_SECRET: the worker verifies no token, so it must not ask for one.
      const w = await GatewayProcess.start({ ...pushEnv(), JWT_SECRET: '' }, { args: WORKER, readyTimeoutMs: 60_000 });
      workers.push(w);
      return w;
    };

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(SECRET);
      gateway = await GatewayProcess.start(pushEnv(), { readyTimeoutMs: 60_000 });
      directory = await openTestDirectory(testMariaDbUrl()!);
    }, 90_000);

    afterAll(async () => {
      for (const w of workers) await w.stop('SIGKILL');
      await gateway?.stop();
      await directory?.close();
      await receiver?.close();
    });

    const newUserWithDevice = async () => {
      const u = await directory.newUser();
      await directory.ds.query("INSERT INTO push_device (user_id, platform, device_token, created_at, updated_at) VALUES (?, 'fcm', ?, 0, 0)", [u.id, `p-${u.id}`]);
      return u;
    };

    it('two workers never send the same job', async () => {
      await Promise.all([startWorker(), startWorker()]);
      const a = await directory.newUser();
      const recipients = await Promise.all([...Array(30).keys()].map(() => newUserWithDevice()));
      const sender = await TestClient.openV2(chatUrl(gateway.wsUrl, a.id, a.token));
      for (const r of recipients) sender.send({ senderId: a.id, to: r.id, text: 'hidden-text-zq', clientMsgId: `many-${r.id}` });
      await sender.nextN(recipients.length, 15_000);
      await sender.close();
      const ids = new Set(recipients.map((r) => r.id));
      await receiver.until(() => receiver.received.filter((p) => ids.has(p.userId)).length >= recipients.length);
      for (const r of recipients) await eventually(() => jobsOf(directory.ds, r.id), finished);
      const got = receiver.received.filter((p) => ids.has(p.userId));
      expect(got).toHaveLength(recipients.length);
      expect(new Set(got.map((p) => p.pushId)).size).toBe(recipients.length);
      const owners: { n: number | string }[] = await directory.ds.query(
        `SELECT COUNT(*) AS n FROM push_job WHERE user_id IN (${recipients.map(() => '?').join(', ')}) AND state = 'sent'`,
        recipients.map((r) => r.id),
      );
      expect(Number(owners[0].n)).toBe(recipients.length);
      // Structured logs name jobs and users, never device tokens or texts.
      const logs = workers.map((w) => w.output).join('');
      expect(logs).toContain('"push sent"');
      expect(logs).not.toContain('hidden-text-zq');
      for (const r of recipients) expect(logs).not.toContain(`"p-${r.id}"`);
      for (const w of workers.splice(0)) await w.stop('SIGTERM');
    }, 120_000);

    it('on SIGTERM a worker finishes the send in flight and records it before exiting', async () => {
      const worker = await startWorker();
      const a = await directory.newUser();
      const b = await newUserWithDevice();
      receiver.answer = (p) => (p.userId === b.id ? 'hold' : 200);
      const sender = await TestClient.openV2(chatUrl(gateway.wsUrl, a.id, a.token));
      sender.send({ senderId: a.id, to: b.id, text: 'term', clientMsgId: 'term-1' });
      await sender.nextN(1);
      await sender.close();
      await receiver.until(() => receiver.forUser(b.id).length === 1);
      const exited = worker.stop('SIGTERM');
      expect(worker.running).toBe(true);
      receiver.releaseHeld(200);
      // Nest re-raises the signal once its shutdown hooks are done.
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect((await jobsOf(directory.ds, b.id)).map((j) => j.state)).toEqual(['sent']);
      receiver.answer = () => 200;
    }, 120_000);

    it('a worker killed with SIGKILL mid-send: another sends it, and nothing follows the 2xx', async () => {
      const first = await startWorker();
      const a = await directory.newUser();
      const b = await newUserWithDevice();
      receiver.answer = (p) => (p.userId === b.id && receiver.forUser(b.id).length === 1 ? 'hold' : 200);
      const sender = await TestClient.openV2(chatUrl(gateway.wsUrl, a.id, a.token));
      sender.send({ senderId: a.id, to: b.id, text: 'killed', clientMsgId: 'killed-1' });
      await sender.nextN(1);
      await sender.close();
      await receiver.until(() => receiver.forUser(b.id).length === 1);
      expect(await first.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
      receiver.dropHeld();
      await startWorker();
      await receiver.until(() => receiver.forUser(b.id).some((p) => p.answered === 200));
      const [job] = await eventually(() => jobsOf(directory.ds, b.id), finished);
      expect(job.state).toBe('sent');
      // Whatever the workers still do, nothing of this pushId follows its 2xx.
      await new Promise((r) => setTimeout(r, 500));
      const got = receiver.forUser(b.id);
      expect(got.map((p) => p.answered)).toEqual(['dropped', 200]);
      expect(got[0].pushId).toBe(got[1].pushId);
    }, 120_000);
  });
});
