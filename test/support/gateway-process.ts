import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TokenService } from '@app/auth';
import { ChatClock } from '@app/common';
import { CoreConfig } from '@app/config';
import { dataSourceOptions, UserRepository } from '@app/database';
import { freePort } from '../bus/redis-test-server';
import { freshPhone, TEST_JWT_SECRET } from './test-app';

const ROOT = join(__dirname, '..', '..');

/** A chat-gateway replica in a process of its own, started from source, as a container runs it (or another app's bundle). */
export class GatewayProcess {
  private log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * `options.port`: listen there (a restart where clients reconnect); `options.args`: what node
   * runs instead of the gateway's source, e.g. a built bundle such as dist/apps/suite/main.js.
   */
  static async start(env: Record<string, string>, options: { port?: number; args?: string[] } = {}): Promise<GatewayProcess> {
    const port = options.port ?? (await freePort());
    const args = options.args ?? ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/chat-gateway/src/main.ts'];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: 'true',
        TS_NODE_PROJECT: 'tsconfig.json',
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: TEST_JWT_SECRET,
        CHAT_DEV_MODE: 'false',
        DATABASE_RUN_MIGRATIONS: 'false',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gw = new GatewayProcess(child, port);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${gw.log}`);
      const res = await fetch(`${gw.httpUrl}/health/ready`).catch(() => null);
      if (res?.status === 200) return gw;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway not ready within 30 s:\n${gw.log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get output(): string {
    return this.log;
  }

  async ready(): Promise<number> {
    const res = await fetch(`${this.httpUrl}/health/ready`).catch(() => null);
    return res?.status ?? 0;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Users and tokens straight from the database, for tests whose gateways run elsewhere. */
export async function openTestDirectory(databaseUrl: string) {
  const ds = new DataSource(dataSourceOptions(databaseUrl, false));
  await ds.initialize();
  const users = new UserRepository(ds);
  const tokens = new TokenService(Object.assign(new CoreConfig(), { jwtSecret: TEST_JWT_SECRET }));
  const clock = new ChatClock('Asia/Shanghai');
  return {
    ds,
    async newUser() {
      const user = await users.create({ phone: freshPhone(), time: clock.wallClock() });
      return { ...user, token: await tokens.sign(user.id) };
    },
    close: () => ds.destroy(),
  };
}
