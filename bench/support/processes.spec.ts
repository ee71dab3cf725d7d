import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProcess, stopProcess } from './processes';

// Small node children: started, waited for, stopped. Loopback only, a few hundred ms each.
const node = (script: string) => ['-e', script];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('bench processes', () => {
  it('waits for a port, then stops the process with SIGTERM', async () => {
    const port = await freePort();
    const proc = await startProcess({
      name: 'listener',
      args: node(`require('net').createServer().listen(${port}, '127.0.0.1')`),
      env: process.env,
      ready: { port },
      timeoutMs: 10_000,
    });
    await stopProcess(proc, 5000);
    expect(proc.child.signalCode).toBe('SIGTERM');
  });

  it('waits for a URL with a status', async () => {
    const port = await freePort();
    const proc = await startProcess({
      name: 'http',
      args: node(`require('http').createServer((q, s) => { s.statusCode = q.url === '/ready' ? 200 : 404; s.end(); }).listen(${port}, '127.0.0.1')`),
      env: process.env,
      ready: { url: `http://127.0.0.1:${port}/ready`, status: 200 },
      timeoutMs: 10_000,
    });
    await stopProcess(proc, 5000);
    expect(proc.child.exitCode ?? proc.child.signalCode).not.toBeNull();
  });

  it('waits for a log line, and kills a process that ignores SIGTERM', async () => {
    const proc = await startProcess({
      name: 'stubborn',
      args: node(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready to serve')`),
      env: process.env,
      ready: { line: /ready to serve/ },
      timeoutMs: 10_000,
    });
    await stopProcess(proc, 200);
    expect(proc.child.signalCode).toBe('SIGKILL');
  });

  it('says why a process did not start, with the end of its output', async () => {
    await expect(
      startProcess({ name: 'broken', args: node(`console.error('no config'); process.exit(3)`), env: process.env, ready: { port: 1 }, stderr: 'pipe' }),
    ).rejects.toThrow(/broken did not start: exited with 3\nno config/);
  });

  it('gives up after the timeout', async () => {
    const proc = startProcess({ name: 'silent', args: node('setInterval(() => {}, 1000)'), env: process.env, ready: { line: /never/ }, timeoutMs: 300 });
    await expect(proc).rejects.toThrow(/silent did not start: not ready after 300 ms/);
  });
});
