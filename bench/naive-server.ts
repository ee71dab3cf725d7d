// The benchmark's second baseline: what a storing chat server does when written the naive way.
// Each message is one autocommit INSERT on a pool of 16 connections, then relayed exactly like
// the raw relay (one sharded Redis channel per user); when a replica writes it to the
// recipient's socket, one autocommit UPDATE marks it delivered. No batching, no ordering, no
// confirmation, no checks: the cost of storing every message, done the obvious way.
//
//   PORT=9002 REDIS_URL=redis://127.0.0.1:6379 KEY_PREFIX=bench: DATABASE_URL=mysql://root@127.0.0.1:3306/db \
//     node -r ts-node/register/transpile-only bench/naive-server.ts
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Redis from 'ioredis';
import { createPool } from 'mysql2/promise';
import { WebSocket, WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 9002);
const redisUrl = process.env.REDIS_URL ?? '';
const prefix = process.env.KEY_PREFIX ?? 'bench:';
const instanceId = `naive-${process.pid}-${randomBytes(3).toString('hex')}`;
const db = createPool({ uri: process.env.DATABASE_URL, connectionLimit: 16, charset: 'utf8mb4_unicode_ci', dateStrings: true });

const sockets = new Map<number, Set<WebSocket>>();
const channelFor = (userId: number) => `${prefix}user:{${userId}}`;

const pub = redisUrl ? new Redis(redisUrl, { enableOfflineQueue: false }) : undefined;
const sub = redisUrl ? new Redis(redisUrl) : undefined;

function time(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Writes a stored message to the user's sockets here, and marks it delivered once per write. */
function deliver(userId: number, frame: string, id: number, except?: WebSocket): void {
  for (const ws of sockets.get(userId) ?? []) {
    if (ws === except) continue;
    ws.send(frame);
    db.query('UPDATE naive_message SET pending = 0 WHERE id = ?', [id]).catch(() => undefined);
  }
}

sub?.on('smessage', (channel: string, payload: string) => {
  const envelope = JSON.parse(payload) as { from: string; frame: string; id: number };
  if (envelope.from === instanceId) return;
  deliver(Number(channel.slice(prefix.length + 'user:{'.length, -1)), envelope.frame, envelope.id);
});

const server = createServer((req, res) => {
  res.statusCode = req.url === '/health' ? 200 : 404;
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const match = /^\/chat\/(\d+)(?:\?|$)/.exec(req.url ?? '');
  if (!match) return void socket.destroy();
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
      let body: { to?: unknown; text?: unknown };
      try {
        body = JSON.parse(data.toString()) as typeof body;
      } catch {
        return;
      }
      const to = Number(body.to);
      const text = String(body.text);
      const t = time();
      db.query('INSERT INTO naive_message (sender, `to`, text, create_time, pending) VALUES (?, ?, ?, ?, 1)', [userId, to, text, t])
        .then(([result]) => {
          const id = (result as { insertId: number }).insertId;
          const frame = JSON.stringify({ sender: String(userId), text, time: t, id, senderId: userId, to });
          for (const target of [to, userId]) {
            deliver(target, frame, id, ws);
            pub?.spublish(channelFor(target), JSON.stringify({ from: instanceId, frame, id })).catch(() => undefined);
          }
        })
        .catch(() => undefined);
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

db.query(
  `CREATE TABLE IF NOT EXISTS naive_message (
     id int NOT NULL AUTO_INCREMENT PRIMARY KEY, sender int NOT NULL, \`to\` int NOT NULL, text varchar(500),
     create_time datetime, pending tinyint NOT NULL DEFAULT 1, KEY idx_naive_pending (\`to\`, pending, id)
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
)
  .then(() => server.listen(port, '127.0.0.1', () => process.stdout.write(`naive storing server listening on ${port}\n`)))
  .catch((e: unknown) => {
    process.stderr.write(`naive server: ${String(e)}\n`);
    process.exit(1);
  });

process.on('SIGTERM', () => {
  wss.clients.forEach((ws) => ws.terminate());
  server.close();
  pub?.disconnect();
  sub?.disconnect();
  void db.end().finally(() => process.exit(0));
});
