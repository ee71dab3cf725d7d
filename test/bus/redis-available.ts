import { spawnSync } from 'node:child_process';

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// Jest collects tests synchronously, so reachability is probed in a child process.
function redisReachable(url: string): boolean {
  const { hostname, port } = new URL(url);
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const s=require('net').connect(${Number(port || 6379)},${JSON.stringify(hostname)});` +
        `s.setTimeout(1000,()=>process.exit(1));s.on('error',()=>process.exit(1));` +
        `s.on('connect',()=>s.write('PING\\r\\n'));s.on('data',d=>process.exit(String(d).startsWith('+PONG')?0:1));`,
    ],
    { timeout: 3000 },
  );
  return probe.status === 0;
}

/** describe() that skips with one line when Redis is unreachable, and fails instead under CI. */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisReachable(SHARED_REDIS_URL) || process.env.CI === 'true') {
    describe(name, body);
    return;
  }
  console.warn(`SKIP ${name}: no Redis at ${SHARED_REDIS_URL} (start one, or set CI=true to fail instead)`);
  describe.skip(name, body);
}
