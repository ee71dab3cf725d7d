import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

/**
 * A real `ws` client that queues what it receives, with timeouts on every wait, so a missing
 * frame fails the test instead of hanging it.
 */
export class TestClient {
  private readonly frames: Frame[] = [];
  /** Every text frame as it came off the wire, in order (for byte-for-byte checks). */
  readonly raw: string[] = [];
  private readonly waiters: ((f: Frame) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.raw.push(data.toString());
      const frame = JSON.parse(isBinary ? '"<binary>"' : data.toString()) as Frame;
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 5000, protocols: string[] = []): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`connect to ${url} timed out`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new TestClient(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
      });
      ws.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** A protocol v2 client: it offers the `chat.v2` subprotocol, which the server selects. */
  static openV2(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    return TestClient.open(url, headers, 5000, ['chat.v2']);
  }

  /** The next frame that satisfies `match`, skipping (and keeping) the others; rejects after `timeoutMs`. */
  async nextMatching(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    const skipped: Frame[] = [];
    try {
      for (;;) {
        const f = await this.next(Math.max(1, deadline - Date.now()));
        if (match(f)) return f;
        skipped.push(f);
      }
    } finally {
      this.frames.unshift(...skipped);
    }
  }

  /** Every frame received so far and not yet taken. */
  pending(): Frame[] {
    return [...this.frames];
  }

  /** Takes every frame received and not yet read (the queue is empty after). */
  takePending(): Frame[] {
    return this.frames.splice(0);
  }

  /**
   * Tries an upgrade that should be refused; resolves with the HTTP status and body, or rejects
   * when the upgrade is accepted or no answer comes within `timeoutMs`.
   */
  static refusal(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no answer to the upgrade to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (done: () => void) => {
        clearTimeout(timer);
        done();
      };
      ws.once('open', () => {
        ws.close();
        settle(() => reject(new Error(`upgrade to ${url} was accepted`)));
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, body })));
      });
      // A connection error without an answer ends at the timeout, with the url in the message.
      ws.once('error', () => undefined);
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame, or a rejection after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push(waiter);
    });
  }

  async nextN(n: number, timeoutMs = 5000): Promise<Frame[]> {
    const out: Frame[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Asserts that nothing arrives for `ms` (used after something that must not be forwarded). */
  async expectSilence(ms = 300): Promise<void> {
    const f = await this.next(ms).catch(() => null);
    if (f) throw new Error(`expected no frame, got ${JSON.stringify(f)}`);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export const chatUrl = (wsUrl: string, userId: number | string, token?: string): string =>
  `${wsUrl}/chat/${userId}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
