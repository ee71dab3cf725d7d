// The processes a bench starts: spawned with their environment, waited for until ready (a port
// that accepts, a URL that answers, or a log line), stopped with SIGTERM then SIGKILL, and
// killed whatever way the bench itself ends, so that no server outlives it.
import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

export type Readiness =
  /** A TCP connection to 127.0.0.1:port is accepted. */
  | { port: number }
  /** A GET answers (with `status` when given, with anything otherwise). */
  | { url: string; status?: number }
  /** The process writes a line matching `line` on stdout or stderr. */
  | { line: RegExp };

export interface StartOptions {
  name: string;
  /** Arguments of `command` (node by default). */
  args: string[];
  command?: string;
  cwd?: string;
  env: NodeJS.ProcessEnv;
  ready: Readiness;
  /** 30 s unless told. */
  timeoutMs?: number;
  /** The child's stderr: here ('inherit', the default), or kept to explain a failed start ('pipe'). */
  stderr?: 'inherit' | 'pipe';
  /** An IPC channel to the child (for `child.send`). */
  ipc?: boolean;
}

export interface BenchProcess {
  name: string;
  pid: number;
  child: ChildProcess;
}

const POLL_MS = 100;
const OUTPUT_KEPT = 4000;
const live = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];
let hooked = false;

/** SIGKILL to every process started here and still running, now (for exit and signal handlers). */
export function killAllNow(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups) cleanup();
}

/**
 * Runs `cleanup` (and kills every process started here) when this process exits or is told to
 * stop by SIGINT or SIGTERM, so a crash or ^C leaks no children.
 */
export function onShutdown(cleanup?: () => void, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  if (cleanup) cleanups.push(cleanup);
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`\n${signal}: stopping every process started`);
      killAllNow();
      process.exit(130);
    });
  }
}

export async function startProcess(o: StartOptions): Promise<BenchProcess> {
  onShutdown();
  const watchLines = 'line' in o.ready;
  const child = spawn(o.command ?? process.execPath, o.args, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', watchLines ? 'pipe' : 'ignore', o.stderr ?? 'inherit', ...(o.ipc ? (['ipc'] as const) : [])],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilReady(child, o.ready, o.timeoutMs ?? 30_000, () => output);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${o.name} did not start: ${(e as Error).message}${output ? `\n${output}` : ''}`);
  }
  return { name: o.name, pid: child.pid!, child };
}

/** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it has exited. */
export async function stopProcess(proc: Pick<BenchProcess, 'child'>, graceMs = 10_000): Promise<void> {
  const child = proc.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = new Promise((r) => setTimeout(r, graceMs).unref());
  await Promise.race([exited, timer]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitUntilReady(child: ChildProcess, ready: Readiness, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const isReady = async (): Promise<boolean> => {
    if ('port' in ready) return portAccepts(ready.port);
    if ('url' in ready) {
      const res = await fetch(ready.url, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      await res?.body?.cancel();
      return res !== null && (ready.status === undefined || res.status === ready.status);
    }
    return output().split('\n').some((l) => ready.line.test(l));
  };
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    if (await isReady()) return;
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms (${describe(ready)})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function describe(ready: Readiness): string {
  if ('port' in ready) return `nothing listening on ${ready.port}`;
  if ('url' in ready) return `no answer${ready.status ? ` ${ready.status}` : ''} from ${ready.url}`;
  return `no line like ${String(ready.line)}`;
}
