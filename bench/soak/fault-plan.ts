import { Random } from './random';
import { FaultKind } from './soak-settings';

/** Faults of one category never overlap (one replica down at a time, one database fault at a time). */
export type FaultCategory = 'replica' | 'redis' | 'database' | 'storm' | 'slow-reader' | 'flood' | 'ping-flood' | 'half-open';

export const CATEGORY: Record<FaultKind, FaultCategory> = {
  'replica-kill': 'replica',
  'replica-term': 'replica',
  'redis-restart': 'redis',
  'db-cut': 'database',
  'db-stall': 'database',
  'reconnect-storm': 'storm',
  'slow-reader': 'slow-reader',
  flood: 'flood',
  'ping-flood': 'ping-flood',
  'half-open': 'half-open',
};

export interface PlannedFault {
  kind: FaultKind;
  /** Ms after the start of the fault window. */
  atMs: number;
  /** How long it lasts: downtime, cut, stall, pause or flood. */
  holdMs: number;
  /** replica-kill, replica-term: which replica. */
  replica?: number;
  /** reconnect-storm: the share of devices dropped. */
  share?: number;
  /** slow-reader, half-open: how many devices stop reading (or whose links go silent). */
  count?: number;
  /** Seeds the choice of devices, so that the population picks the same ones for the same seed. */
  pick: number;
}

export interface FaultPlanOptions {
  seed: number;
  kinds: readonly FaultKind[];
  durationMs: number;
  /** Mean time between fault starts. */
  gapMs: number;
  storeTimeoutMs: number;
  /** The replicas' DATABASE_STATEMENT_TIMEOUT_MS: the first stall outlasts it. */
  statementTimeoutMs?: number;
  /** Stalls last 2 s up to this (default 30 s). */
  stallMaxMs?: number;
  replicas: number;
}

/**
 * The whole schedule, from the seed alone: kinds come in rounds (each round every enabled kind
 * once, in a random order), so a short run still injects each kind; gaps and durations vary.
 */
export function planFaults(o: FaultPlanOptions): PlannedFault[] {
  if (!o.kinds.length) return [];
  const random = new Random(o.seed);
  const warmUp = Math.min(3000, o.durationMs * 0.1);
  const last = o.durationMs - 1000;
  // The first round must fit in the window, whatever the mean gap asks for.
  const gap = Math.min(o.gapMs, (last - warmUp) / (o.kinds.length + 0.5));
  const plan: PlannedFault[] = [];
  let at = warmUp;
  // The first round starts with the replica faults: they take longest (a restart each) and share
  // one category, so in a short run the second must not wait past the window. Database faults
  // come last in it: a replica cannot boot while its database is cut; the stall first among them,
  // since the run must have one that outlasts the statement timeout and a cut before it (with its
  // store probe) can hold the category past a short window.
  const shuffled = random.shuffle(o.kinds);
  const rank = (k: FaultKind) => (CATEGORY[k] === 'replica' ? 0 : k === 'db-stall' ? 2 : CATEGORY[k] === 'database' ? 3 : 1);
  let round = [0, 1, 2, 3].flatMap((r) => shuffled.filter((k) => rank(k) === r));
  let longStall = false;
  while (at <= last) {
    if (!round.length) round = random.shuffle(o.kinds);
    const kind = round.shift()!;
    const fault: PlannedFault = { kind, atMs: Math.round(at), pick: random.int(1, 2 ** 31 - 1), ...shape(kind, random, o) };
    // The first stall outlasts the statement timeout: the case where a writer must give up on a
    // connection the driver never answers, and then store again.
    const statement = o.statementTimeoutMs ?? 10_000;
    if (kind === 'db-stall' && !longStall) {
      fault.holdMs = statement + random.int(1000, 4000);
      if ((o.stallMaxMs ?? 30_000) > statement + 1000) fault.holdMs = Math.min(fault.holdMs, o.stallMaxMs ?? 30_000);
    }
    if (kind === 'db-stall' && fault.holdMs > statement) longStall = true;
    plan.push(fault);
    at += gap * random.between(0.5, 1.5);
  }
  return plan;
}

function shape(kind: FaultKind, random: Random, o: FaultPlanOptions): Pick<PlannedFault, 'holdMs' | 'replica' | 'share' | 'count'> {
  switch (kind) {
    case 'replica-kill':
      return { holdMs: random.int(500, 3000), replica: random.int(0, o.replicas - 1) };
    case 'replica-term':
      return { holdMs: random.int(0, 2000), replica: random.int(0, o.replicas - 1) };
    case 'redis-restart':
      return { holdMs: random.int(500, 3000) };
    case 'db-cut':
      return { holdMs: random.int(2000, 5000) };
    case 'db-stall':
      // 2 s up to the maximum: shorter and longer than the store timeout and than the statement timeout.
      return { holdMs: random.int(2000, Math.max(2000, o.stallMaxMs ?? 30_000)) };
    case 'reconnect-storm':
      return { holdMs: 1000, share: Math.round(random.between(0.3, 0.6) * 100) / 100 };
    case 'slow-reader':
      return { holdMs: random.int(5000, 25_000), count: random.int(3, 8) };
    case 'flood':
      return { holdMs: random.int(2000, 4000) };
    case 'ping-flood':
      return { holdMs: random.int(5000, 10_000) };
    case 'half-open':
      return { holdMs: random.int(12_000, 25_000), count: random.int(2, 5) };
  }
}
