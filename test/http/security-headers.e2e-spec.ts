import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngImage } from '../../libs/storage/test/image.fixtures';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

/** A GET with a Host header of our choosing (fetch does not let a test set it). */
function getWithHost(url: string, host: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.end();
  });
}

const directives = (csp: string | null): Record<string, string> =>
  Object.fromEntries(
    (csp ?? '')
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]),
  );

describe('security headers on every answer', () => {
  const sqlite = tempSqlite();
  const uploads = mkdtempSync(join(tmpdir(), 'headers-'));
  let suite: TestApp;
  let host: string;

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: sqlite.url, UPLOAD_DIR: uploads });
    host = new URL(suite.httpUrl).host;
  });
  afterAll(async () => {
    await suite?.close();
    sqlite.remove();
    rmSync(uploads, { recursive: true, force: true });
  });

  it.each([
    ['a legacy API answer', '/chat_message/get_Message_History.do'],
    ['a liveness probe', '/health/live'],
    ['an unknown path', '/no/such/thing'],
  ])('sets them on %s, without X-Powered-By', async (_name, path) => {
    const res = await fetch(`${suite.httpUrl}${path}`);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-site');
    // HSTS only counts over HTTPS; it must not reach the operator's other subdomains.
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'self'",
      'frame-ancestors': "'self'",
      'form-action': "'self'",
    });
    expect(csp['img-src'].split(' ')).toEqual(expect.arrayContaining(["'self'", 'data:', 'blob:']));
    expect(csp['connect-src']).toBe(`'self' ws://${host} wss://${host}`);
    // Plain-HTTP installs (the compose default) would break if the browser upgraded every request.
    expect(csp).not.toHaveProperty('upgrade-insecure-requests');
  });

  it('names the WebSocket origin from a well-formed Host only', async () => {
    const spoofed = await getWithHost(`${suite.httpUrl}/health/live`, "evil.example; script-src 'unsafe-inline'");
    const csp = directives(String(spoofed['content-security-policy']));
    expect(csp['connect-src']).toBe("'self'");
    expect(csp['script-src']).toBe("'self'");
    const named = await getWithHost(`${suite.httpUrl}/health/live`, 'chat.example.com');
    expect(directives(String(named['content-security-policy']))['connect-src']).toBe("'self' ws://chat.example.com wss://chat.example.com");
  });

  it('keeps the image serving headers: nosniff and its sandboxing policy', async () => {
    const user = await suite.newUser();
    const form = new FormData();
    form.append('upload_file', new Blob([pngImage()], { type: 'image/png' }), 'a.png');
    const answer = (await (await fetch(`${suite.httpUrl}/user/upload.do`, { method: 'POST', headers: { token: user.token }, body: form })).json()) as {
      data: { uri: string };
    };
    const image = await fetch(`${suite.httpUrl}/images/${answer.data.uri}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(image.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(image.headers.get('x-powered-by')).toBeNull();
    expect(Buffer.from(await image.arrayBuffer()).equals(pngImage())).toBe(true);
  });

  it('leaves the chat upgrade working', async () => {
    const user = await suite.newUser();
    const socket = await TestClient.open(chatUrl(suite.wsUrl, user.id, user.token));
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    await socket.close();
  });
});
