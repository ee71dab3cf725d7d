import { CuttableProxy } from '../support/cuttable-proxy';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { startSuite, TestApp } from '../support/test-app';
import { sleep } from '../support/wait';
import { chatUrl, TestClient } from '../support/ws-client';

describeMariaDb('chat gateway while the database is down', () => {
  let proxy: CuttableProxy;
  let suite: TestApp;

  beforeAll(async () => {
    proxy = await CuttableProxy.start(testMariaDbUrl()!);
    suite = await startSuite({ DATABASE_URL: proxy.url });
  });
  afterAll(async () => {
    await suite?.close();
    await proxy?.close();
  });

  it('answers a send with an error frame, delivers nothing unstored, and works again once it is back', async () => {
    const a = await suite.newUser();
    const b = await suite.newUser();
    const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
    ca.send({ to: b.id, text: 'before', clientMsgId: 'o-0' });
    await expect(ca.next()).resolves.toMatchObject({ type: 'ack' });
    await expect(cb.next()).resolves.toMatchObject({ text: 'before' });

    await proxy.cut();
    ca.send({ to: b.id, text: 'during the outage', clientMsgId: 'o-1' });
    const refusal = await ca.next(15_000);
    expect(refusal).toMatchObject({ id: null, sender: 0, to: b.id, code: 'STORE_UNAVAILABLE' });
    expect(String(refusal.text)).toMatch(/重试|try again/);
    await cb.expectSilence(300);
    const ready = await fetch(`${suite.httpUrl}/health/ready`);
    expect(ready.status).toBe(503);

    await proxy.restore();
    // The client retries with the same clientMsgId: stored once, delivered once.
    let ack: Record<string, unknown> | null = null;
    for (let attempt = 0; attempt < 20 && !ack; attempt++) {
      ca.send({ to: b.id, text: 'during the outage', clientMsgId: 'o-1' });
      const answer = await ca.next(15_000);
      if (answer.type === 'ack') ack = answer;
      else await sleep(250);
    }
    expect(ack).toMatchObject({ clientMsgId: 'o-1', id: expect.any(Number) });
    await expect(cb.next()).resolves.toMatchObject({ id: ack!.id, text: 'during the outage' });
    await cb.expectSilence(300);
    await Promise.all([ca.close(), cb.close()]);
  });
});
