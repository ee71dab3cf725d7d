import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from './json-post';

/** A loopback HTTP server answering with `handle`; records what it received. */
async function server(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; bodies: string[]; ports: Set<number>; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const ports = new Set<number>();
  const s: Server = createServer((req, res) => {
    ports.add(req.socket.remotePort!);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      handle(req, body, res);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/notify`;
  return { url, bodies, ports, close: () => new Promise((r) => (s.closeAllConnections(), s.close(() => r()))) };
}

describe('postJson', () => {
  it('sends the body and headers and answers the status and text, reusing its connection', async () => {
    const seen: (string | undefined)[] = [];
    const srv = await server((req, body, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['x-sig']} ${req.headers['content-length']}`);
      res.writeHead(body.includes('gone') ? 410 : 202).end('{"goneTokens":["t1"]}');
    });
    try {
      expect(await postJson(srv.url, '{"a":"ü"}', { 'x-sig': 's1' }, 2000)).toEqual({ status: 202, text: '{"goneTokens":["t1"]}' });
      expect(await postJson(srv.url, '{"gone":1}', {}, 2000)).toEqual({ status: 410, text: '{"goneTokens":["t1"]}' });
      expect(srv.bodies).toEqual(['{"a":"ü"}', '{"gone":1}']);
      expect(seen[0]).toBe('POST /notify application/json s1 10');
      expect(srv.ports.size).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('answers an error, never throws, when nobody listens or no answer comes in time', async () => {
    const srv = await server(() => undefined); // never answers
    const refused = await server(() => undefined);
    const refusedUrl = refused.url;
    await refused.close();
    try {
      expect(await postJson(refusedUrl, '{}', {}, 2000)).toEqual({ error: 'ECONNREFUSED' });
      expect(await postJson(srv.url, '{}', {}, 200)).toEqual({ error: 'no answer within 200 ms' });
      expect(await postJson('not a url', '{}', {}, 200)).toEqual({ error: 'not a URL: not a url' });
    } finally {
      await srv.close();
    }
  });
});
