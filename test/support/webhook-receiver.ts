import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../apps/push-worker/src/providers/webhook-signature';

/** A notification as the receiver got it. */
export interface ReceivedPush {
  pushId: string;
  userId: number;
  friendId: number;
  count: number;
  badge: number;
  messageIds: number[];
  devices: { platform: string; deviceToken: string; appId?: string }[];
  friendName: string;
  preview?: string;
  /** The signature header checked out against the body as sent. */
  verified: boolean;
  /** What the receiver answered: a status, or 'dropped' (connection cut, no answer). */
  answered: number | 'dropped' | 'pending';
  /** Order of arrival. */
  n: number;
}

/** How to answer one request: a status (with a JSON body), `drop` (cut the connection), or `hold` (answer nothing until released). */
export type ReceiverAnswer = number | { status: number; body: object } | 'drop' | 'hold';

/**
 * A push webhook receiver on a free loopback port: checks every signature, records every
 * request, and answers as the test says (per request), so tests can play a receiver that is
 * down, slow, or says a device is gone.
 */
export class WebhookReceiver {
  readonly received: ReceivedPush[] = [];
  answer: (push: ReceivedPush) => ReceiverAnswer = () => 200;
  private readonly held: { push: ReceivedPush; res: ServerResponse }[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
  ) {}

  static async start(secret: string): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createServer((req, res) => holder.receiver!.handle(req, res));
    const receiver = (holder.receiver = new WebhookReceiver(server, secret));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/push`;
  }

  forUser(userId: number): ReceivedPush[] {
    return this.received.filter((p) => p.userId === userId);
  }

  /** Resolves when `check` holds, checked at every request; rejects after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs = 20_000, what = 'the webhook to get what was expected'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received.map((r) => [r.userId, r.pushId, r.count, r.answered]))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Answers the held requests now. */
  releaseHeld(status: number): void {
    for (const { push, res } of this.held.splice(0)) {
      push.answered = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    }
  }

  /** Cuts the held requests' connections (their sender gets no answer). */
  dropHeld(): void {
    for (const { push, res } of this.held.splice(0)) {
      push.answered = 'dropped';
      res.socket?.destroy();
    }
  }

  close(): Promise<void> {
    this.dropHeld();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as Omit<ReceivedPush, 'verified' | 'answered' | 'n'>;
      const header = req.headers['x-chat-signature'];
      const push: ReceivedPush = {
        ...parsed,
        verified: req.method === 'POST' && req.headers['content-type'] === 'application/json' && verifyWebhook(this.secret, body, Array.isArray(header) ? header[0] : header),
        answered: 'pending',
        n: this.received.length,
      };
      this.received.push(push);
      const answer = this.answer(push);
      if (answer === 'hold') this.held.push({ push, res });
      else if (answer === 'drop') {
        push.answered = 'dropped';
        res.socket?.destroy();
      } else {
        const { status, body } = typeof answer === 'number' ? { status: answer, body: {} } : answer;
        push.answered = status;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
}
