import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Connections kept open to a provider, per worker (and per scheme). */
const MAX_SOCKETS = 64;
/** Longest answer body kept (a provider's error text or list of gone tokens). */
const MAX_ANSWER_BYTES = 64 * 1024;

const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
};

export type JsonPostResult = { status: number; text: string } | { error: string };

/**
 * POSTs JSON over kept-alive connections (node:http: a notification costs a fraction of what
 * fetch does). Any failure to get an answer within `timeoutMs` (no connection, a reset, no
 * answer in time) is an outcome, never a throw.
 */
export function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonPostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: JsonPostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ error: `not a URL: ${url}` });
    }
    const secure = target.protocol === 'https:';
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_ANSWER_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES) }));
      res.on('error', (e) => done({ error: e.message }));
    };
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      onAnswer,
    );
    const timer = setTimeout(() => {
      done({ error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.end(body);
  });
}
