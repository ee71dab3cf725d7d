import { createServer, Server, Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { startSuite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

/** A TCP hop to MariaDB that the test can cut and restore, as a database outage would. */
class CuttableProxy {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly state: { up: boolean },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<CuttableProxy> {
    const sockets = new Set<Socket>();
    const state = { up: true };
    const server = createServer((client) => {
      if (!state.up) return client.destroy();
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new CuttableProxy(server, sockets, state, (server.address() as AddressInfo).port);
  }

  cut(): void {
    this.state.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.state.up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describeMariaDb('chat gateway while the database is down', () => {
  let proxy: CuttableProxy;
  let suite: TestApp;

  beforeAll(async () => {
    const direct = new URL(testMariaDbUrl()!);
    proxy = await CuttableProxy.start({ host: direct.hostname, port: Number(direct.port || 3306) });
    const viaProxy = new URL(direct.toString());
    viaProxy.port = String(proxy.port);
    suite = await startSuite({ DATABASE_URL: viaProxy.toString() });
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

    proxy.cut();
    ca.send({ to: b.id, text: 'during the outage', clientMsgId: 'o-1' });
    const refusal = await ca.next(15_000);
    expect(refusal).toMatchObject({ id: null, sender: 0, to: b.id, code: 'STORE_UNAVAILABLE' });
    expect(String(refusal.text)).toMatch(/重试|try again/);
    await cb.expectSilence(300);
    const ready = await fetch(`${suite.httpUrl}/health/ready`);
    expect(ready.status).toBe(503);

    proxy.restore();
    // The client retries with the same clientMsgId: stored once, delivered once.
    let ack: Record<string, unknown> | null = null;
    for (let attempt = 0; attempt < 20 && !ack; attempt++) {
      ca.send({ to: b.id, text: 'during the outage', clientMsgId: 'o-1' });
      const answer = await ca.next(15_000);
      if (answer.type === 'ack') ack = answer;
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(ack).toMatchObject({ clientMsgId: 'o-1', id: expect.any(Number) });
    await expect(cb.next()).resolves.toMatchObject({ id: ack!.id, text: 'during the outage' });
    await cb.expectSilence(300);
    await Promise.all([ca.close(), cb.close()]);
  });
});
