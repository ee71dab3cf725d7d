import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NginxRenderOptions, renderNginx } from '../../deploy/nginx/render-nginx';
import { isCi } from '../support/infra';
import { sleep } from '../support/wait';

// Debian's nginx (package `nginx`; .ci/run installs it when missing), started as a process of
// the test's own: its own prefix, config, pid and logs in a temporary directory, loopback ports.
// Off CI without it the tests are skipped with a notice; under CI=true they fail.

export const NGINX_PATH = '/usr/sbin/nginx';
const ROOT = join(__dirname, '..', '..');

export function describeNginx(name: string, fn: () => void): void {
  if (existsSync(NGINX_PATH)) return describe(name, fn);
  if (isCi()) {
    return describe(name, () => {
      it('needs nginx', () => {
        throw new Error(`CI=true but ${NGINX_PATH} is missing: apt-get update && apt-get install -y nginx`);
      });
    });
  }
  process.stdout.write(`\n[skip] ${NGINX_PATH} missing (apt-get install -y nginx): nginx tests are skipped\n`);
  describe.skip(name, fn);
}

/**
 * Builds what the processes behind nginx run (the web client into dist/web, each app into
 * dist/apps/<app>/main.js), with the quick bundler `npm start` uses: a few seconds per app.
 */
export function buildAppsAndWeb(apps: string[]): void {
  const run = (args: string[]) => {
    const r = spawnSync('npx', args, { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`npx ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  };
  run(['vite', 'build', 'apps/web', '--logLevel', 'warn']);
  for (const app of apps) run(['nest', 'build', app, '--webpackPath', 'webpack.quick.js']);
  for (const file of ['dist/web/index.html', ...apps.map((a) => `dist/apps/${a}/main.js`)]) {
    if (!existsSync(join(ROOT, file))) throw new Error(`the build wrote no ${file}`);
  }
}

export class NginxProcess {
  private log = '';
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly runDir: string,
    readonly baseUrl: string,
  ) {
    const keep = (c: Buffer) => (this.log += c.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Renders the plain-host config into `runDir`, starts nginx in the foreground, waits for /nginx-health. */
  static async start(runDir: string, port: number, options: Omit<NginxRenderOptions, 'target' | 'runDir' | 'listen'>): Promise<NginxProcess> {
    mkdirSync(runDir, { recursive: true });
    const conf = join(runDir, 'nginx.conf');
    // Started as root (CI), nginx's workers would run as nobody, who may not read the checkout.
    const user = process.getuid?.() === 0 ? 'root' : undefined;
    writeFileSync(conf, renderNginx({ target: 'host', listen: `127.0.0.1:${port}`, runDir, user, ...options }));
    const child = spawn(NGINX_PATH, ['-p', runDir, '-c', conf, '-e', join(runDir, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const nginx = new NginxProcess(child, runDir, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited with ${child.exitCode ?? child.signalCode}:\n${nginx.log}`);
      const res = await fetch(`${nginx.baseUrl}/nginx-health`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      if (res?.ok) return nginx;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not answer within 15 s:\n${nginx.log}`);
      }
      await sleep(100);
    }
  }

  get output(): string {
    return this.log;
  }

  /** SIGTERM: a fast shutdown (a graceful one would wait for open chat sockets). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
