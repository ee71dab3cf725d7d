import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRICT_CHECKS, type SoakFindings } from './checker';
import type { InjectedFault } from './fault-injector';
import type { ReplicaCrash, ReplicaExit } from './replica-slot';
import type { SoakSettings } from './soak-settings';

export interface ReplicaReport {
  name: string;
  port: number;
  starts: number;
  bootFailures: number;
  peakRssMb: number;
  crashes: ReplicaCrash[];
  exits: ReplicaExit[];
  termHung: number;
  loggedWarnings: number;
  /** Distinct error lines it logged (numbers folded to N), with counts. */
  loggedErrors: Record<string, number>;
}

/** One replica's first stored probe after a database fault ended. */
export interface ResumeCheck {
  kind: string;
  holdMs: number;
  endedAtMs: number;
  replica: string;
  /** null: nothing stored within the bound. */
  storedAfterMs: number | null;
}

/** A replica's RSS around one ping flood. */
export interface MemoryCheck {
  replica: string;
  device: number;
  holdMs: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  growthMb: number;
  /** The replica was restarted (by another fault) during the flood: not comparable. */
  restarted: boolean;
}

export interface FaultKindFigures {
  count: number;
  longestMs: number;
  totalMs: number;
  /** Strict findings while a fault of this kind was on or in the 10 s after, by check. */
  findings: Record<string, number>;
}

export interface SoakReport {
  when: string;
  verdict: { pass: boolean; failures: string[] };
  settings: Omit<SoakSettings, 'mysqlUrl'>;
  machine: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  population: Record<string, number>;
  timing: {
    startupMs: number;
    faultWindowMs: number;
    settleMs: number;
    totalMs: number;
    healthyAfterFaults: boolean;
    outstandingAfterDrain: number;
    devicesNotReconnected: number;
  };
  figures: SoakFindings;
  clients: {
    connects: number;
    connectFailures: number;
    closes: Record<string, number>;
    upgradeRefusals: Record<string, number>;
    /** Error frames by code: the "refused" column. */
    errorFrames: Record<string, number>;
    unattributedErrors: number;
    heartbeats: number;
    floodFrames: number;
    badFrames: number;
    typedFrames: Record<string, number>;
    skippedSends: number;
  };
  replicas: ReplicaReport[];
  faults: {
    planned: number;
    injected: Record<string, number>;
    skipped: Array<{ kind: string; plannedAtMs: number; why: string }>;
    log: InjectedFault[];
    longestStallMs: number;
    statementTimeoutMs: number;
    byKind: Record<string, FaultKindFigures>;
    resumes: ResumeCheck[];
    memory: MemoryCheck[];
  };
  database: { name: string; kept: boolean };
}

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ') || '-';

const seconds = (ms?: number) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

/** The table a reader looks at first; the JSON has the rest. */
export function printReport(r: SoakReport, log: (line: string) => void): void {
  const f = r.figures;
  const s = f.sends;
  const errorFrames = Object.values(r.clients.errorFrames).reduce((a, b) => a + b, 0);
  const rows: Array<[string, string, string]> = [
    ['sends', String(s.total), `legacy ${s.legacy - s.flood} · clientMsgId ${s.modern} · flood ${s.flood} · ${s.attempts} frames with retries`],
    ['acked', String(s.acked), `of ${s.modern} clientMsgId sends; ${s.stored} of all sends are in the database`],
    ['refused', String(errorFrames), `error frames by code: ${list(r.clients.errorFrames)}`],
    ['timeouts', String(s.unanswered), `clientMsgId sends never answered · ${s.attemptTimeouts} attempts timed out · ${s.gaveUp} given up`],
    ['lost', String(f.lost.total), `must be 0 · acked but not stored ${f.lost.ackedNotStored} · stored but never received ${f.lost.storedNotReceived}`],
    ['phantom', String(f.phantom.total), 'refused with an error, stored all the same (clientMsgId sends)'],
    ['after a close', String(s.storedByUnansweredAttempt), 'refused, then stored by an attempt that got no answer: its socket closed, or it timed out (reported)'],
    ['answer lost', String(s.storedWithAnswerLost), 'refused, stored in time all the same, the late ack finding no socket: logged by the replica (reported)'],
    ['duplicates', String(f.duplicates.total), `by id, on ${f.duplicates.devices} device(s), at most ${f.duplicates.maxPerDevice} on one (reported)`],
    ['echoes', String(f.echoes.total), `a device got its own message back, on ${f.echoes.devices} device(s) (reported)`],
    ['order violations', String(f.order.total), `must be 0 · ${f.order.sameConnection} within one connection, ${f.order.acrossReconnect} across a reconnect, in ${f.order.conversations} conversation(s)`],
  ];
  const st = f.strict;
  rows.push(['strict', String(STRICT_CHECKS.reduce((n, c) => n + st.counts[c], 0)), `must be 0 · ${STRICT_CHECKS.map((c) => `${c} ${st.counts[c]}`).join(' · ')}`]);
  rows.push([
    'legacy sends',
    String(st.legacy.total),
    `stored ${st.legacy.stored} · refused ${st.legacy.refused} · closed before an answer ${st.legacy.closedBeforeAnswer} · unaccounted ${st.legacy.unaccounted} (must be 0)`,
  ]);
  rows.push(['longest stall', seconds(r.faults.longestStallMs), `statement timeout ${seconds(r.faults.statementTimeoutMs)}`]);
  const resumed = r.faults.resumes.filter((x) => x.storedAfterMs !== null);
  rows.push([
    'store resumed',
    `${resumed.length}/${r.faults.resumes.length}`,
    `probes after database faults stored · slowest ${seconds(Math.max(0, ...resumed.map((x) => x.storedAfterMs ?? 0)))}`,
  ]);
  for (const m of r.faults.memory) rows.push(['ping flood RSS', `+${m.growthMb} MB`, `${m.replica}: ${m.beforeMb} → peak ${m.peakMb} → ${m.afterMb} MB over ${seconds(m.holdMs)}${m.restarted ? ' (restarted meanwhile)' : ''}`]);
  for (const rep of r.replicas) {
    rows.push([
      `${rep.name} peak RSS`,
      `${rep.peakRssMb} MB`,
      `${rep.starts} start(s) · ${rep.crashes.length} crash(es) · ${rep.bootFailures} failed boot(s) · ${rep.termHung} SIGTERM hang(s) · ${Object.values(rep.loggedErrors).reduce((a, b) => a + b, 0)} error log lines`,
    ]);
  }
  const injected = Object.values(r.faults.injected).reduce((a, b) => a + b, 0);
  rows.push(['faults', String(injected), `${list(r.faults.injected)}${r.faults.skipped.length ? ` · ${r.faults.skipped.length} skipped` : ''}`]);
  rows.push(['client closes', String(Object.values(r.clients.closes).reduce((a, b) => a + b, 0)), `by code: ${list(r.clients.closes)}`]);

  log('');
  log(
    `soak: ${r.settings.durationMs / 1000} s of faults, ${r.population.users} users (${r.population.flooders} flooders) on ${r.population.devices} devices, ` +
      `${r.population.conversations} conversations, seed ${r.settings.seed}, machine load ${r.machine.loadAverageAtStart[0].toFixed(1)} → ${r.machine.loadAverageAtEnd[0].toFixed(1)} on ${r.machine.cpus} cores`,
  );
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  for (const [a, b, c] of rows) log(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  // Per device kind, and the devices with the most findings.
  log('');
  log(`  ${'devices'.padEnd(10)} ${'n'.padStart(4)} ${'receipts'.padStart(8)} ${STRICT_CHECKS.map((c) => c.slice(0, 10).padStart(10)).join(' ')}`);
  const groups = new Map<string, typeof st.devices>();
  for (const d of st.devices) {
    const g = `${d.kind}${d.v2 ? ' v2' : ''}`;
    groups.set(g, [...(groups.get(g) ?? []), d]);
  }
  for (const [g, list] of [...groups].sort()) {
    const cells = STRICT_CHECKS.map((c) => String(list.reduce((n, d) => n + d.counts[c], 0)).padStart(10));
    log(`  ${g.padEnd(10)} ${String(list.length).padStart(4)} ${String(list.reduce((n, d) => n + d.receipts, 0)).padStart(8)} ${cells.join(' ')}`);
  }
  const total = (d: (typeof st.devices)[number]) => STRICT_CHECKS.reduce((n, c) => n + d.counts[c], 0);
  const worst = st.devices.filter((d) => total(d) > 0).sort((a, b) => total(b) - total(a)).slice(0, 8);
  for (const d of worst) {
    log(`    device ${d.device} (user ${d.user}, ${d.kind}${d.v2 ? ' v2' : ''}, ${d.connections} connection(s)): ${STRICT_CHECKS.filter((c) => d.counts[c]).map((c) => `${c} ${d.counts[c]}`).join(', ')}`);
  }
  // Per fault kind.
  log('');
  log(`  ${'fault'.padEnd(16)} ${'n'.padStart(3)} ${'longest'.padStart(8)}  strict findings during or within 10 s after`);
  for (const [kind, k] of Object.entries(r.faults.byKind)) {
    log(`  ${kind.padEnd(16)} ${String(k.count).padStart(3)} ${(k.count ? seconds(k.longestMs) : '-').padStart(8)}  ${list(k.findings)}`);
  }
  const samples: string[] = [
    ...STRICT_CHECKS.flatMap((c) => st.samples.filter((x) => x.check === c).slice(0, 3)).map((x) => `${x.check}: device ${x.device} connection ${x.connection ?? '-'} id ${x.id ?? '-'} seq ${x.seq ?? '-'} at ${seconds(x.at)}${x.note ? ` (${x.note})` : ''}`),
    ...f.lost.samples.slice(0, 5).map((m) => `lost: ${m.why}: id ${m.id ?? '-'} ${m.sender}→${m.to} seq ${m.seq ?? '-'} "${m.text.slice(0, 40)}" (${m.mode ?? 'no send'}${m.answers ? `; ${m.answers}` : ''})`),
    ...f.phantom.samples.slice(0, 5).map((p) => `phantom: id ${p.id} ${p.sender}→${p.to} clientMsgId ${p.clientMsgId} "${p.text.slice(0, 40)}" (${p.answers})`),
    ...f.order.samples.slice(0, 5).map(
      (o) =>
        `order: device ${o.device}, conversation ${o.conversation}: id ${o.id} (seq ${o.seq}) at ${seconds(o.at)} after id ${o.afterId} (seq ${o.afterSeq}) at ${seconds(o.afterAt)}, ${o.sameConnection ? 'same connection' : 'across a reconnect'}`,
    ),
  ];
  if (samples.length) {
    log('');
    for (const line of samples) log(`  ${line}`);
  }
  log('');
  if (r.verdict.pass) log('verdict: PASS');
  else {
    log('verdict: FAIL');
    for (const line of r.verdict.failures) log(`  - ${line}`);
  }
}

/** soak-<timestamp>.json and soak-latest.json under `dir`; returns the first. */
export function writeReport(r: SoakReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${r.when.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(dir, 'soak-latest.json'), text);
  return file;
}
