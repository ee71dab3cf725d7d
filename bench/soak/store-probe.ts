import WebSocket from 'ws';
import { sleep } from '../../test/support/wait';

export interface ProbeUser {
  id: number;
  token: string;
}

/**
 * Does a replica store again? A user of its own (outside the population, so its rows are not
 * checked) sends a clientMsgId message straight to the replica, once a second with the same id,
 * until it is acked or `withinMs` has passed. Resolves with the ms until the ack, or null.
 */
export async function probeStore(port: number, from: ProbeUser, to: number, label: string, withinMs: number): Promise<number | null> {
  const started = Date.now();
  const deadline = started + withinMs;
  const clientMsgId = `probe-${label}`;
  while (Date.now() < deadline) {
    const acked = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/${from.id}?token=${encodeURIComponent(from.token)}`, { perMessageDeflate: false, handshakeTimeout: 2000 });
      let answer: NodeJS.Timeout | undefined;
      let sendTimer: NodeJS.Timeout | undefined;
      const done = (ok: boolean) => {
        if (answer) clearTimeout(answer);
        if (sendTimer) clearInterval(sendTimer);
        ws.removeAllListeners('close');
        ws.on('close', () => undefined);
        ws.terminate();
        resolve(ok);
      };
      const bound = setTimeout(() => done(false), Math.max(100, deadline - Date.now()));
      ws.on('error', () => undefined);
      ws.on('unexpected-response', () => undefined);
      ws.on('close', () => {
        clearTimeout(bound);
        done(false);
      });
      ws.on('message', (data: WebSocket.RawData) => {
        try {
          const frame = JSON.parse(String(data)) as { type?: string; clientMsgId?: string };
          if (frame.type === 'ack' && frame.clientMsgId === clientMsgId) {
            clearTimeout(bound);
            done(true);
          }
        } catch {
          // not for the probe
        }
      });
      ws.on('open', () => {
        const send = () => ws.send(JSON.stringify({ to, text: `probe ${label}`, clientMsgId }));
        send();
        sendTimer = setInterval(send, 1000);
      });
    });
    if (acked) return Date.now() - started;
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  return null;
}
