// The benchmark's baseline: a bare `ws` server relaying chat frames between replicas through
// Redis the same way the gateway's bus does (one sharded channel per user, subscribed while a
// socket of that user is here; local sockets served directly), but storing nothing, checking
// nothing and using no framework. Without REDIS_URL it is a plain single-process ws server,
// the "bare ws" baseline for memory per idle connection.
//
//   PORT=9001 REDIS_URL=redis://127.0.0.1:6379 KEY_PREFIX=bench: node -r ts-node/register/transpile-only bench/raw-relay.ts
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 9001);
const redisUrl = process.env.REDIS_URL ?? '';
const prefix = process.env.KEY_PREFIX ?? 'bench:';
const instanceId = `relay-${process.pid}-${randomBytes(3).toString('hex')}`;

const sockets = new Map<number, Set<WebSocket>>();
const channelFor = (userId: number) => `${prefix}user:{${userId}}`;
let nextId = 1;

const pub = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false }) : undefined;
const sub = redisUrl ? new Redis(redisUrl) : undefined;
sub?.on('smessage', (channel: string, payload: string) => {
  const envelope = JSON.parse(payload) as { from: string; frame: string; except?: string };
  if (envelope.from === instanceId) return;
  const userId = Number(channel.slice(prefix.length + 'user:{'.length, -1));
  for (const ws of sockets.get(userId) ?? []) ws.send(envelope.frame);
});

function time(): string {
  const d = new Date(Date.now() + 8 * 3600_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const match = /^\/chat\/(\d+)(?:\?|$)/.exec(req.url ?? '');
  if (!match) {
    socket.destroy();
    return;
  }
  const userId = Number(match[1]);
  wss.handleUpgrade(req, socket, head, (ws) => {
    let set = sockets.get(userId);
    if (!set) {
      sockets.set(userId, (set = new Set()));
      void sub?.ssubscribe(channelFor(userId));
    }
    set.add(ws);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let body: { senderId?: unknown; to?: unknown; text?: unknown };
      try {
        body = JSON.parse(data.toString()) as typeof body;
      } catch {
        return;
      }
      const to = Number(body.to);
      const frame = JSON.stringify({
        id: nextId++,
        sender: String(userId),
        senderId: userId,
        to,
        text: String(body.text),
        time: time(),
      });
      // Recipient's sockets and the sender's other sockets, here and on the other replicas.
      for (const target of [to, userId]) {
        for (const peer of sockets.get(target) ?? []) if (peer !== ws) peer.send(frame);
        pub?.spublish(channelFor(target), JSON.stringify({ from: instanceId, frame })).catch(() => undefined);
      }
    });
    ws.on('close', () => {
      set.delete(ws);
      if (set.size === 0) {
        sockets.delete(userId);
        void sub?.sunsubscribe(channelFor(userId));
      }
    });
    ws.on('error', () => undefined);
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`raw relay listening on ${port}${redisUrl ? '' : ' (no Redis)'}\n`);
});

process.on('SIGTERM', () => {
  wss.clients.forEach((ws) => ws.terminate());
  server.close();
  pub?.disconnect();
  sub?.disconnect();
  process.exit(0);
});
