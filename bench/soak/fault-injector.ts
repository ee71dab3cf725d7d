import { CATEGORY, FaultCategory, PlannedFault } from './fault-plan';
import { FaultKind } from './soak-settings';

/** What faults act on: the cluster's processes and the population's devices. */
export interface FaultTargets {
  killReplica(index: number, downMs: number): Promise<string>;
  termReplica(index: number, downMs: number): Promise<string>;
  restartRedis(downMs: number): Promise<string>;
  cutDatabase(ms: number): Promise<string>;
  stallDatabase(ms: number): Promise<string>;
  storm(share: number, pick: number, withinMs: number): Promise<string>;
  slowReaders(count: number, holdMs: number, pick: number): Promise<string>;
  flood(holdMs: number, pick: number): Promise<string>;
  pingFlood(holdMs: number, pick: number): Promise<string>;
  halfOpen(count: number, holdMs: number, pick: number): Promise<string>;
}

export interface InjectedFault {
  kind: FaultKind;
  plannedAtMs: number;
  /** Ms since the run started. */
  startedAtMs: number;
  endedAtMs: number;
  detail: string;
  /** How long it was planned to hold (a stall's length, a flood's span…). */
  holdMs?: number;
}

/**
 * Runs a fault plan against the targets: each fault at its time, after the previous fault of its
 * category has ended; a fault whose turn comes after the window closed is skipped. Every fault
 * undoes itself (restart, restore, resume) before it counts as ended.
 */
export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  readonly skipped: Array<{ kind: FaultKind; plannedAtMs: number; why: string }> = [];
  private readonly chains = new Map<FaultCategory, Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly fired: boolean[] = [];
  private windowEnd = 0;

  constructor(
    private readonly plan: readonly PlannedFault[],
    private readonly targets: FaultTargets,
    private readonly clock: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the window now; faults start until `durationMs` from now. */
  start(durationMs: number): void {
    this.windowEnd = Date.now() + durationMs;
    this.plan.forEach((fault, i) => {
      this.fired[i] = false;
      this.timers[i] = setTimeout(() => {
        this.fired[i] = true;
        const category = CATEGORY[fault.kind];
        this.chains.set(category, (this.chains.get(category) ?? Promise.resolve()).then(() => this.run(fault)));
      }, fault.atMs);
    });
  }

  /** Closes the window and waits until every started fault has ended (and undone itself). */
  async finish(): Promise<void> {
    this.windowEnd = Math.min(this.windowEnd, Date.now());
    this.plan.forEach((fault, i) => {
      if (this.fired[i]) return;
      clearTimeout(this.timers[i]);
      this.fired[i] = true;
      this.skipped.push({ kind: fault.kind, plannedAtMs: fault.atMs, why: 'due after the window' });
    });
    await Promise.all([...this.chains.values()]);
  }

  countByKind(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const f of this.injected) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    return counts;
  }

  private async run(fault: PlannedFault): Promise<void> {
    if (Date.now() > this.windowEnd) {
      this.skipped.push({ kind: fault.kind, plannedAtMs: fault.atMs, why: 'its category was busy until the window closed' });
      return;
    }
    const startedAtMs = this.clock();
    let detail: string;
    try {
      detail = await this.execute(fault);
    } catch (e) {
      detail = `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
    const record: InjectedFault = { kind: fault.kind, plannedAtMs: fault.atMs, startedAtMs, endedAtMs: this.clock(), detail, holdMs: fault.holdMs };
    if (detail.startsWith('skipped')) this.skipped.push({ kind: fault.kind, plannedAtMs: fault.atMs, why: detail });
    else this.injected.push(record);
    this.log(`  fault ${fault.kind.padEnd(15)} ${(startedAtMs / 1000).toFixed(1).padStart(6)} s → ${(record.endedAtMs / 1000).toFixed(1).padStart(6)} s  ${detail}`);
  }

  private execute(f: PlannedFault): Promise<string> {
    const t = this.targets;
    switch (f.kind) {
      case 'replica-kill':
        return t.killReplica(f.replica ?? 0, f.holdMs);
      case 'replica-term':
        return t.termReplica(f.replica ?? 0, f.holdMs);
      case 'redis-restart':
        return t.restartRedis(f.holdMs);
      case 'db-cut':
        return t.cutDatabase(f.holdMs);
      case 'db-stall':
        return t.stallDatabase(f.holdMs);
      case 'reconnect-storm':
        return t.storm(f.share ?? 0.5, f.pick, f.holdMs);
      case 'slow-reader':
        return t.slowReaders(f.count ?? 3, f.holdMs, f.pick);
      case 'flood':
        return t.flood(f.holdMs, f.pick);
      case 'ping-flood':
        return t.pingFlood(f.holdMs, f.pick);
      case 'half-open':
        return t.halfOpen(f.count ?? 2, f.holdMs, f.pick);
    }
  }
}
