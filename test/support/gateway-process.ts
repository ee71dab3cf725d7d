import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TokenService } from '@app/auth';
import { ChatClock } from '@app/common';
import { CoreConfig } from '@app/config';
import { dataSourceOptions, UserRepository } from '@app/database';
import { freePort } from './free-port';
import { sleep } from './wait';
import { freshPhone, TEST_JWT_SECRET, TEST_OPS_TOKEN } from './test-identity';

const ROOT = join(__dirname, '..', '..');

export interface GatewayStartOptions {
  /** Listen here (a restarted replica keeps its address); default a free port. */
  port?: number;
  /** `source` (default): from the TypeScript sources; `dist`: the built bundle, as a container runs it. */
  entry?: 'source' | 'dist';
  readyTimeoutMs?: number;
  /** Keep only the last this many characters of output (long runs); default everything. */
  outputLimit?: number;
  /** Sees every chunk of stdout and stderr as it comes. */
  onOutput?: (chunk: string) => void;
  /** What node runs instead of the gateway, e.g. a built bundle such as dist/apps/suite/main.js. */
  args?: string[];
}

const ENTRY = {
  source: ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/chat-gateway/src/main.ts'],
  dist: ['dist/apps/chat-gateway/main.js'],
};

/** Every gateway child still running, booting or not: what an exit handler must kill. */
const liveChildren = new Set<ChildProcess>();

/** SIGKILL to every gateway this process started and that still runs (for exit and signal handlers). */
export function killStartedGateways(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

/** A chat-gateway replica in a process of its own, as a container runs it. */
export class GatewayProcess {
  private log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    outputLimit: number,
    onOutput?: (chunk: string) => void,
  ) {
    const keep = (c: Buffer) => {
      const chunk = c.toString();
      onOutput?.(chunk);
      this.log += chunk;
      if (this.log.length > outputLimit) this.log = this.log.slice(-outputLimit);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(env: Record<string, string>, options: GatewayStartOptions = {}): Promise<GatewayProcess> {
    const port = options.port ?? (await freePort());
    const child = spawn(process.execPath, options.args ?? ENTRY[options.entry ?? 'source'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: 'true',
        TS_NODE_PROJECT: 'tsconfig.json',
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: TEST_JWT_SECRET,
        OPS_TOKEN: TEST_OPS_TOKEN,
        CHAT_DEV_MODE: 'false',
        DATABASE_RUN_MIGRATIONS: 'false',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    const gw = new GatewayProcess(child, port, options.outputLimit ?? Infinity, options.onOutput);
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`gateway exited with ${child.exitCode ?? child.signalCode}:\n${gw.log}`);
      }
      if ((await gw.ready()) === 200) return gw;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway not ready within ${timeoutMs} ms:\n${gw.log}`);
      }
      await sleep(100);
    }
  }

  /** The process id, to read its memory from /proc. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Whether the process is still running (it did not exit or crash). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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

  /** The readiness status, 0 when it does not answer within a second (a stalled database can hang it). */
  async ready(): Promise<number> {
    const res = await fetch(`${this.httpUrl}/health/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    await res?.body?.cancel().catch(() => undefined);
    return res?.status ?? 0;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
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
