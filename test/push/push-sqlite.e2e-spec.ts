import { PushJobRepository } from '@app/database';
import { pushStatus } from '../../apps/admin-cli/src/push/push-status';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { chatUrl, TestClient } from '../support/ws-client';
import { postForm } from '../support/form-post';

const SECRET = 'push-test-secret-0123456789';

// The embedded default: the step-by-step writer's outbox and the plain claim of one worker.
describe('push on SQLite (the suite with its worker inside)', () => {
  const db = tempSqlite();
  let receiver: WebhookReceiver;
  let app: TestApp;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start(SECRET);
    const env = { DATABASE_URL: db.url, PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_URL: receiver.url, PUSH_WEBHOOK_SECRET: SECRET, PUSH_DELAY_MS: '800', PUSH_POLL_MS: '50', PUSH_PREVIEW: 'false' };
    app = await startSuite(env, SuiteModule.forEnvironment({ ...process.env, ...env }));
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    db.remove();
  });

  it('pushes a burst to an offline user once, without preview, and the CLI says so', async () => {
    const a = await app.newUser();
    const b = await app.newUser();
    const registered = await postForm(app.httpUrl, '/user/push_token.do', b.token, { platform: 'webhook', deviceToken: 'sqlite-device' });
    expect(registered.body).toMatchObject({ status: 0 });
    const sender = await TestClient.openV2(chatUrl(app.wsUrl, a.id, a.token));
    for (let i = 1; i <= 5; i++) sender.send({ senderId: a.id, to: b.id, text: `secret ${i}`, clientMsgId: `sq-${i}` });
    const acks = await sender.nextN(5);
    await sender.close();
    await receiver.until(() => receiver.forUser(b.id).length === 1);
    const [got] = receiver.forUser(b.id);
    expect(got).toMatchObject({ verified: true, count: 5, badge: 5, friendId: a.id });
    expect('preview' in got).toBe(false);
    const jobs = app.app.get(PushJobRepository);
    const lastId = Number(acks[4].id);
    let status = '';
    for (let i = 0; i < 50 && !status.includes('sent at'); i++) {
      status = await pushStatus(jobs, lastId);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatch(/^message \d+ from \d+ to \d+, position 5;/);
    expect(status).toContain('sent at');
    expect(status).toContain('as 5 message(s)');
    expect(await pushStatus(jobs, 999_999)).toBe('message 999999: no such message');
  });
});
