import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SoakFindings } from './checker';
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
  faults: { planned: number; injected: Record<string, number>; skipped: Array<{ kind: string; plannedAtMs: number; why: string }>; log: InjectedFault[] };
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
  const samples: string[] = [
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
