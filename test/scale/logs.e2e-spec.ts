import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { sleep } from '../support/wait';
import { chatUrl, TestClient } from '../support/ws-client';

jest.setTimeout(60_000);

describeMariaDb('structured logs', () => {
  it('carry requests and refusals as JSON lines, never a token or a message text', async () => {
    const dir = await openTestDirectory(testMariaDbUrl()!);
    const gw = await GatewayProcess.start({ DATABASE_URL: testMariaDbUrl()!, LOG_LEVEL: 'verbose', LOG_FORMAT: 'json' });
    try {
      const a = await dir.newUser();
      const b = await dir.newUser();
      const secretText = `secret-text-${Date.now()}`;
      const ca = await TestClient.open(chatUrl(gw.wsUrl, a.id, a.token));
      const cb = await TestClient.open(chatUrl(gw.wsUrl, b.id, b.token));
      ca.send({ to: b.id, text: secretText });
      await expect(cb.next()).resolves.toMatchObject({ text: secretText });
      ca.send({ to: 1_999_999_999, text: secretText });
      await expect(ca.next()).resolves.toMatchObject({ code: 'USER_NOT_FOUND' });
      await TestClient.refusal(chatUrl(gw.wsUrl, a.id, `${b.token}x`));
      await fetch(`${gw.httpUrl}/health/ready?token=${a.token}`, { headers: { token: a.token, authorization: `Bearer ${b.token}` } });
      await fetch(`${gw.httpUrl}/nowhere?token=${a.token}`, { headers: { token: a.token } });
      await Promise.all([ca.close(), cb.close()]);
      await sleep(300);

      const lines = gw.output.split('\n').filter((l) => l.trim());
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      const requestLogs = lines.map((l) => JSON.parse(l) as { req?: { url: string }; instance?: string }).filter((l) => l.req);
      expect(requestLogs.some((l) => l.req!.url === '/nowhere?token=[redacted]')).toBe(true);
      // Named as socket ids and the bus name the process: INSTANCE_ID (here the host name), pid, suffix.
      for (const l of requestLogs) expect(l.instance).toMatch(new RegExp(`^.+:${gw.pid}:[0-9a-f]{6}$`));
      for (const secret of [secretText, a.token, b.token, a.token.split('.')[2], b.token.split('.')[2]]) {
        expect(gw.output).not.toContain(secret);
      }
    } finally {
      await gw.stop();
      await dir.close();
    }
  });

  it('in text format carry no colour codes when the output is not a terminal (a pipe or a log file)', async () => {
    const gw = await GatewayProcess.start({ DATABASE_URL: testMariaDbUrl()!, LOG_LEVEL: 'log', LOG_FORMAT: 'text', NO_COLOR: '' });
    try {
      await fetch(`${gw.httpUrl}/nowhere`);
    } finally {
      await gw.stop();
    }
    expect(gw.output).toMatch(/LOG \[\w+\] /);
    expect(gw.output).toContain('listening on http://127.0.0.1:');
    // eslint-disable-next-line no-control-regex
    expect(gw.output).not.toMatch(/\x1b\[/);
  });
});
