import { waitFor } from '../support/wait';
import { CuttableProxy } from '../support/cuttable-proxy';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { chatUrl, TestClient } from '../support/ws-client';

// SIGTERM while the outcome of a send is unknown (its batch committed, then the connection was
// reset before the answer came): the replica looks the batch up before it closes its sockets, so
// the sender gets the late ack the protocol promises instead of only STORE_UNAVAILABLE.

jest.setTimeout(90_000);

describeMariaDb('graceful shutdown with an outcome still being looked up', () => {
  it('acks a stored send late before closing with 1001, once the database answers within the grace', async () => {
    const proxy = await CuttableProxy.start(testMariaDbUrl()!);
    const dir = await openTestDirectory(testMariaDbUrl()!);
    const gw = await GatewayProcess.start({ DATABASE_URL: proxy.url, CHAT_STORE_TIMEOUT_MS: '1500', CHAT_SHUTDOWN_GRACE_MS: '15000' });
    try {
      const [a, b] = [await dir.newUser(), await dir.newUser()];
      const ca = await TestClient.open(chatUrl(gw.wsUrl, a.id, a.token));
      ca.send({ to: b.id, text: 'warm', clientMsgId: 'sl-0' });
      await expect(ca.nextMatching((f) => f.type === 'ack')).resolves.toMatchObject({ clientMsgId: 'sl-0' });

      // The commit goes through, its answer is held, then the connection is reset: outcome unknown.
      await proxy.holdReplies();
      ca.send({ to: b.id, text: 'committed, answer lost', clientMsgId: 'sl-1' });
      await waitFor(
        'the row committed',
        async () => ((await dir.ds.query('SELECT id FROM `message` WHERE sender = ? AND client_msg_id = ?', [a.id, 'sl-1'])) as unknown[]).length === 1,
        10_000,
      );
      await proxy.cut();
      await expect(ca.nextMatching((f) => f.code === 'STORE_UNAVAILABLE', 10_000)).resolves.toMatchObject({ clientMsgId: 'sl-1' });

      // SIGTERM while the database is still away; it comes back a moment later, within the grace.
      const exited = gw.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      await proxy.restore();
      const ack = await ca.nextMatching((f) => f.type === 'ack', 20_000);
      const [row] = (await dir.ds.query('SELECT id, create_time FROM `message` WHERE sender = ? AND client_msg_id = ?', [a.id, 'sl-1'])) as { id: number; create_time: string }[];
      expect(ack).toMatchObject({ clientMsgId: 'sl-1', id: row.id, time: row.create_time });
      await expect(ca.closed).resolves.toMatchObject({ code: 1001 });
      // A graceful exit re-raises the signal (the hard deadline would exit with code 1).
      await expect(exited).resolves.toEqual({ code: null, signal: 'SIGTERM' });
    } finally {
      await gw.stop('SIGKILL');
      await dir.close();
      await proxy.close();
    }
  });
});
