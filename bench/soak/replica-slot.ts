import { readFileSync } from 'node:fs';
import { GatewayProcess } from '../../test/support/gateway-process';
import { sleep } from '../../test/support/wait';

/** The gateway's warning for a send stored in time whose refusal was its sender's last word (SendMessageHandler). */
const UNANSWERED_LATE_STORE = /^message (\d+) was stored after its sender was answered STORE_UNAVAILABLE/;

export interface ReplicaExit {
  /** Ms since the run started. */
  at: number;
  reason: 'kill' | 'term' | 'stop' | 'crash';
  code: number | null;
  signal: string | null;
  /** term: how long the replica took to exit after SIGTERM. */
  msToExit?: number;
}

export interface ReplicaCrash {
  at: number;
  code: number | null;
  signal: string | null;
  /** The end of its output, to see why. */
  logTail: string;
}

export interface ReplicaSlotOptions {
  index: number;
  port: number;
  entry: 'dist' | 'source';
  /** The environment of the next start (the first start of replica 1 migrates). */
  env: () => Record<string, string>;
  /** Ms since the run started. */
  clock: () => number;
  log: (line: string) => void;
}

const DISTINCT_LOG_LINES = 40;

/**
 * One replica's place in the cluster: a fixed port that clients reconnect to, the process that
 * currently serves it (restarted after each fault), and what was seen of it: peak RSS, exits,
 * crashes (exits nobody asked for) and the distinct errors it logged.
 */
export class ReplicaSlot {
  private proc?: GatewayProcess;
  private readonly asked = new WeakMap<GatewayProcess, { reason: ReplicaExit['reason']; at: number }>();
  private closing = false;
  private partialLine = '';
  peakRssBytes = 0;
  starts = 0;
  bootFailures = 0;
  /** SIGTERM not honoured within the bound: killed. */
  termHung = 0;
  readonly exits: ReplicaExit[] = [];
  readonly crashes: ReplicaCrash[] = [];
  /** Distinct error and fatal log messages (numbers folded), with counts. */
  readonly loggedErrors = new Map<string, number>();
  loggedWarnings = 0;
  /** Messages the replica logged as stored late with no way to tell their sender (the documented exception). */
  readonly unansweredLateStores = new Set<number>();

  constructor(private readonly o: ReplicaSlotOptions) {}

  get name(): string {
    return `replica ${this.o.index + 1}`;
  }

  get port(): number {
    return this.o.port;
  }

  get up(): boolean {
    return this.proc?.running ?? false;
  }

  get pid(): number | undefined {
    return this.proc?.running ? this.proc.pid : undefined;
  }

  /** Starts a process on the slot's port; retried a few times (a boot can fail while the database is away). */
  async start(): Promise<void> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      if (this.closing) return;
      try {
        const proc = await GatewayProcess.start(this.o.env(), {
          port: this.o.port,
          entry: this.o.entry,
          readyTimeoutMs: 60_000,
          outputLimit: 64 * 1024,
          onOutput: (chunk) => this.scan(chunk),
        });
        this.starts += 1;
        this.proc = proc;
        this.watch(proc);
        // Stopped while it was booting: it must not outlive the run.
        if (this.closing) await this.stop();
        return;
      } catch (e) {
        this.bootFailures += 1;
        const lines = String((e as Error).message).split('\n').filter((l) => l.trim());
        this.o.log(`${this.name}: start failed (attempt ${attempt}): ${lines[0]} ${lines.length > 1 ? lines[lines.length - 1].slice(0, 300) : ''}`);
        await sleep(1000 * attempt);
      }
    }
    throw new Error(`${this.name} could not be started`);
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc?.running) return;
    this.asked.set(proc, { reason: 'kill', at: Date.now() });
    await proc.stop('SIGKILL');
  }

  /** SIGTERM, then SIGKILL if it is still there after `boundMs`. */
  async term(boundMs: number): Promise<void> {
    const proc = this.proc;
    if (!proc?.running) return;
    this.asked.set(proc, { reason: 'term', at: Date.now() });
    const exited = await Promise.race([proc.stop('SIGTERM'), sleep(boundMs).then(() => null)]);
    if (exited === null) {
      this.termHung += 1;
      this.o.log(`${this.name}: still running ${boundMs} ms after SIGTERM, killed`);
      await proc.stop('SIGKILL');
    }
  }

  /** The end of the run: kill, and no restarts from here on. */
  async stop(): Promise<void> {
    this.closing = true;
    const proc = this.proc;
    if (!proc?.running) return;
    this.asked.set(proc, { reason: 'stop', at: Date.now() });
    await proc.stop('SIGKILL');
  }

  async ready(): Promise<boolean> {
    return (await this.proc?.ready()) === 200;
  }

  sampleRss(): void {
    const rss = this.rssBytes();
    if (rss !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes, rss);
  }

  /** The serving process's resident memory now; undefined when none runs. */
  rssBytes(): number | undefined {
    const pid = this.pid;
    if (!pid) return undefined;
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return kb ? Number(kb[1]) * 1024 : undefined;
    } catch {
      return undefined; // exited between the check and the read
    }
  }

  private watch(proc: GatewayProcess): void {
    void proc.exited.then(({ code, signal }) => {
      if (this.proc === proc) this.proc = undefined;
      const asked = this.asked.get(proc);
      const reason = asked?.reason ?? (this.closing ? 'stop' : 'crash');
      this.exits.push({ at: this.o.clock(), reason, code, signal, ...(asked?.reason === 'term' ? { msToExit: Date.now() - asked.at } : {}) });
      if (reason !== 'crash') return;
      this.crashes.push({ at: this.o.clock(), code, signal, logTail: proc.output.slice(-4000) });
      this.o.log(`${this.name}: CRASHED (code ${code}, signal ${signal}); restarting`);
      setTimeout(() => this.start().catch((e: unknown) => this.o.log(`${this.name}: restart after crash failed: ${String(e)}`)), 1000);
    });
  }

  /** Counts the replica's warnings and folds its error lines (JSON logs) into distinct messages. */
  private scan(chunk: string): void {
    const lines = (this.partialLine + chunk).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let level = 50;
      // eslint-disable-next-line no-control-regex
      let msg = line.replace(/\x1b\[[0-9;]*m/g, '');
      try {
        const parsed = JSON.parse(line) as { level?: number; msg?: unknown };
        level = Number(parsed.level ?? 30);
        msg = String(parsed.msg ?? line);
      } catch {
        // Not a JSON log line: the boot's text logs or a stack trace; only the error lines count.
        if (!/error/i.test(msg) || /^\s+at /.test(msg)) continue;
      }
      if (level === 40) this.loggedWarnings += 1;
      const late = UNANSWERED_LATE_STORE.exec(msg);
      if (late) this.unansweredLateStores.add(Number(late[1]));
      if (level < 50) continue;
      const key = msg.replace(/\d+/g, 'N').slice(0, 160);
      if (this.loggedErrors.has(key) || this.loggedErrors.size < DISTINCT_LOG_LINES) this.loggedErrors.set(key, (this.loggedErrors.get(key) ?? 0) + 1);
    }
  }
}
