import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { sleep } from '../../test/support/wait';
import { benchTokens } from '../support/tokens';
import { checkSoak, failuresOf } from './checker';
import { SoakCluster } from './cluster';
import type { SoakFindings } from './checker';
import { FaultInjector, FaultTargets, InjectedFault } from './fault-injector';
import { planFaults } from './fault-plan';
import { Population } from './population';
import { Random } from './random';
import { FaultKindFigures, MemoryCheck, ResumeCheck, SoakReport } from './report';
import { SoakDatabase } from './soak-database';
import { SoakSettings } from './soak-settings';
import { probeStore, ProbeUser } from './store-probe';

const REPLICAS = 2;
const HEARTBEAT_TEXT = 'heart';

/**
 * One soak: a cluster of its own, a population of devices sending at a steady rate while faults
 * are injected for `durationMs`, then a bounded settle phase (every fault undone, retries
 * finished, every device reconnected, quiet on every socket) and the checker's verdict.
 * Everything it started is stopped before it returns or throws.
 */
export async function runSoak(settings: SoakSettings, log: (line: string) => void): Promise<SoakReport> {
  const started = Date.now();
  const clock = () => Date.now() - started;
  const runId = `${started.toString(36)}${randomBytes(2).toString('hex')}`;
  const jwtSecret = randomBytes(24).toString('hex');
  const random = new Random(settings.seed);
  const loadAverageAtStart = loadavg();
  const plan = planFaults({
    seed: settings.seed,
    kinds: settings.faults,
    durationMs: settings.durationMs,
    gapMs: settings.faultGapMs,
    storeTimeoutMs: settings.storeTimeoutMs,
    statementTimeoutMs: settings.statementTimeoutMs,
    stallMaxMs: settings.stallMaxMs,
    replicas: REPLICAS,
  });
  const graceMs = Number(settings.replicaEnv.CHAT_SHUTDOWN_GRACE_MS ?? 10_000);

  const db = await SoakDatabase.create(settings.mysqlUrl, `soak_${runId}`);
  let cluster: SoakCluster | undefined;
  let population: Population | undefined;
  let progress: NodeJS.Timeout | undefined;
  try {
    log(`soak ${runId}: seed ${settings.seed}, ${plan.length} faults planned over ${settings.durationMs / 1000} s (${settings.faults.join(', ') || 'none'})`);
    log(`starting redis-server, the database proxy and ${REPLICAS} replicas (${settings.entry})…`);
    cluster = await SoakCluster.start({
      databaseUrl: db.url,
      jwtSecret,
      entry: settings.entry,
      replicas: REPLICAS,
      storeTimeoutMs: settings.storeTimeoutMs,
      statementTimeoutMs: settings.statementTimeoutMs,
      ports: settings.ports,
      replicaEnv: settings.replicaEnv,
      clock,
      log,
    });
    const ids = await db.addUsers(settings.users, 13_900_000_000);
    const probeIds = await db.addUsers(2, 13_800_000_000);
    const token = benchTokens(jwtSecret, Math.ceil((settings.durationMs + settings.settleMs) / 1000) + 3600);
    const sign = async (id: number): Promise<ProbeUser> => ({ id, token: await token(id) });
    const users = await Promise.all(ids.map(sign));
    const prober = await sign(probeIds[0]);
    const ports = cluster.ports;
    const proxyPorts = cluster.proxyPorts;
    log(`ports: replicas ${ports.join(', ')}; half-open proxies ${proxyPorts.join(', ')}; database proxy ${cluster.proxy.port}; redis-server ${cluster.redis.port}`);
    const pop = (population = new Population({
      users,
      random: random.fork(),
      ports: () => ports,
      proxyPorts: () => proxyPorts,
      proxiedShare: settings.proxiedShare,
      rate: settings.rate,
      ackTimeoutMs: settings.storeTimeoutMs + 2000,
      heartbeatText: HEARTBEAT_TEXT,
      startedAt: started,
    }));
    const opened = await pop.connectAll(30_000);
    log(`${opened} of ${pop.devices.length} devices connected (${JSON.stringify(pop.describe())})`);
    const startupMs = clock();

    const c = cluster;
    // After every database fault each replica must store again, within a bound.
    const resumes: ResumeCheck[] = [];
    let probes = 0;
    const probeAll = async (kind: string, holdMs: number): Promise<string> => {
      const endedAt = clock();
      const results = await Promise.all(
        c.slots.map(async (slot) => {
          // A replica that a replica fault has down right now is probed once it is back.
          // A process restarted by a replica fault meanwhile is not the one that saw the database
          // fault: the new one is probed again (at most twice).
          let ms: number | null = null;
          for (let attempt = 0; attempt < 3; attempt++) {
            await waitUp(() => slot.up, 30_000);
            const pid = slot.pid;
            ms = await probeStore(slot.port, prober, probeIds[1], `${runId}-${++probes}`, settings.resumeWithinMs);
            if (ms !== null || slot.pid === pid) break;
          }
          resumes.push({ kind, holdMs, endedAtMs: endedAt, replica: slot.name, storedAfterMs: ms });
          return `${slot.name} ${ms === null ? `stored NOTHING within ${settings.resumeWithinMs} ms` : `stored after ${ms} ms`}`;
        }),
      );
      return results.join(', ');
    };
    // Ping floods: the flooder's replica's RSS before, at its peak and after.
    const memory: MemoryCheck[] = [];
    const pingFlood = async (holdMs: number, pick: number): Promise<string> => {
      const device = await pop.readyFlooder(pick);
      if (!device) return 'skipped: no flooder connected';
      const slot = c.slots[device.replicaIndex];
      const pid = slot.pid;
      const before = slot.rssBytes() ?? 0;
      let peak = before;
      const sampler = setInterval(() => {
        if (slot.pid === pid) peak = Math.max(peak, slot.rssBytes() ?? 0);
      }, 200);
      let detail: string;
      // Past twice the bound the point is made: the flood stops before it hurts the machine.
      const stop = () => peak - before > 2 * settings.rssGrowthLimitMb * 2 ** 20;
      try {
        detail = await device.pingFlood(holdMs, stop);
        await sleep(3000);
      } finally {
        clearInterval(sampler);
      }
      const after = slot.pid === pid ? (slot.rssBytes() ?? 0) : 0;
      const mb = (b: number) => Math.round(b / 2 ** 20);
      const check: MemoryCheck = { replica: slot.name, device: device.id, holdMs, beforeMb: mb(before), peakMb: mb(peak), afterMb: mb(after), growthMb: mb(peak - before), restarted: slot.pid !== pid };
      memory.push(check);
      return `device ${device.id} on ${slot.name}: ${detail}; RSS ${check.beforeMb} → peak ${check.peakMb} → ${check.afterMb} MB${check.restarted ? ' (replica restarted meanwhile)' : ''}`;
    };
    const targets: FaultTargets = {
      killReplica: (i, down) => c.killReplica(i, down),
      termReplica: (i, down) => c.termReplica(i, down, graceMs + 5000),
      restartRedis: (down) => c.restartRedis(down),
      cutDatabase: async (ms) => `${await c.cutDatabase(ms)}; ${await probeAll('db-cut', ms)}`,
      stallDatabase: async (ms) => `${await c.stallDatabase(ms)}; ${await probeAll('db-stall', ms)}`,
      storm: (share, pick, within) => pop.storm(share, pick, within),
      slowReaders: (count, hold, pick) => pop.slowReaders(count, hold, pick),
      flood: (hold, pick) => pop.flood(hold, pick),
      pingFlood,
      halfOpen: (count, hold, pick) => pop.halfOpen(count, hold, pick, c.deviceProxies),
    };
    const injector = new FaultInjector(plan, targets, clock, log);
    pop.startSending();
    injector.start(settings.durationMs);
    progress = setInterval(() => log(progressLine(clock(), pop, c)), 15_000);
    await sleep(settings.durationMs);
    log(`${(clock() / 1000).toFixed(1)} s: fault window closed, waiting for the running faults to end`);
    await injector.finish();
    pop.stopSending();
    clearInterval(progress);
    const faultWindowMs = clock() - startupMs;

    // Settle: everything back, retries done, every device reconnected, no frame for a while.
    const settleStart = Date.now();
    const left = () => Math.max(1000, settings.settleMs - (Date.now() - settleStart));
    const healthy = await c.waitHealthy(Math.min(60_000, left()));
    const outstanding = await pop.drainOutstanding(Math.min(20_000, left()));
    const notReconnected = await pop.reconnectAll(Math.min(30_000, left()));
    const quietAfter = await pop.waitQuiet(settings.quietMs, left());
    const settleMs = Date.now() - settleStart;
    log(
      `settled in ${(settleMs / 1000).toFixed(1)} s: cluster ${healthy ? 'healthy' : 'NOT healthy'}, ${outstanding} send(s) still outstanding, ` +
        `${notReconnected} device(s) not reconnected, quiet after ${(quietAfter / 1000).toFixed(1)} s`,
    );

    const rows = await db.messages(ids);
    const unansweredLateStores = new Set(c.slots.flatMap((s) => [...s.unansweredLateStores]));
    const input = {
      sends: pop.ledger.sends,
      devices: pop.deviceLogs(),
      rows,
      heartbeatText: HEARTBEAT_TEXT,
      unansweredLateStores,
      answerMs: settings.storeTimeoutMs + 2000,
    };
    if (settings.dumpFile) {
      writeFileSync(settings.dumpFile, JSON.stringify({ ...input, unansweredLateStores: [...unansweredLateStores], ports, faults: injector.injected, replicas: c.slots.map((s) => ({ name: s.name, port: s.port, exits: s.exits })) }));
      log(`raw records written to ${settings.dumpFile}`);
    }
    const figures = checkSoak(input);
    const failures = failuresOf(figures, c.crashes);
    if (!healthy) failures.push('the cluster was not healthy again within the settle bound (a replica did not come back?)');
    const stuck = resumes.filter((r) => r.storedAfterMs === null);
    if (stuck.length) {
      failures.push(`${stuck.length} time(s) a replica stored nothing within ${settings.resumeWithinMs} ms after a database fault ended (${stuck.map((r) => `${r.replica} after a ${r.kind} of ${r.holdMs} ms`).join('; ')})`);
    }
    const grown = memory.filter((m) => !m.restarted && m.growthMb > settings.rssGrowthLimitMb);
    if (grown.length) {
      failures.push(`${grown.length} ping flood(s) grew a replica's RSS by more than ${settings.rssGrowthLimitMb} MB (${grown.map((m) => `${m.replica} ${m.beforeMb} → ${m.peakMb} MB in ${m.holdMs} ms`).join('; ')})`);
    }
    const stalls = injector.injected.filter((f) => f.kind === 'db-stall');
    const longestStallMs = Math.max(0, ...stalls.map((f) => f.holdMs ?? 0));
    if (settings.faults.includes('db-stall') && stalls.length && longestStallMs <= settings.statementTimeoutMs) {
      failures.push(`no database stall outlasted the statement timeout (${settings.statementTimeoutMs} ms): the longest was ${longestStallMs} ms`);
    }
    const ledger = pop.ledger;
    const { mysqlUrl: _mysqlUrl, ...shownSettings } = settings;
    return {
      when: new Date().toISOString(),
      verdict: { pass: failures.length === 0, failures },
      settings: shownSettings,
      machine: { cpus: cpus().length, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadavg() },
      population: pop.describe(),
      timing: {
        startupMs,
        faultWindowMs,
        settleMs,
        totalMs: clock(),
        healthyAfterFaults: healthy,
        outstandingAfterDrain: outstanding,
        devicesNotReconnected: notReconnected,
      },
      figures,
      clients: {
        connects: ledger.connects,
        connectFailures: ledger.connectFailures,
        closes: ledger.closes,
        upgradeRefusals: ledger.upgradeRefusals,
        errorFrames: ledger.errorFrames,
        unattributedErrors: ledger.unattributedErrors,
        heartbeats: ledger.heartbeats,
        floodFrames: ledger.floodFrames,
        badFrames: ledger.badFrames,
        typedFrames: ledger.typedFrames,
        skippedSends: ledger.skipped,
      },
      replicas: c.slots.map((s) => ({
        name: s.name,
        port: s.port,
        starts: s.starts,
        bootFailures: s.bootFailures,
        peakRssMb: Math.round(s.peakRssBytes / 2 ** 20),
        crashes: s.crashes,
        exits: s.exits,
        termHung: s.termHung,
        loggedWarnings: s.loggedWarnings,
        loggedErrors: Object.fromEntries(s.loggedErrors),
      })),
      faults: {
        planned: plan.length,
        injected: injector.countByKind(),
        skipped: injector.skipped,
        log: injector.injected,
        longestStallMs,
        statementTimeoutMs: settings.statementTimeoutMs,
        byKind: faultsByKind(injector.injected, figures),
        resumes,
        memory,
      },
      database: { name: db.name, kept: settings.keepDatabase },
    };
  } finally {
    if (progress) clearInterval(progress);
    await population?.shutdown();
    await cluster?.stop();
    await db.close(!settings.keepDatabase);
  }
}

async function waitUp(up: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!up() && Date.now() < deadline) await sleep(200);
}

/**
 * Per fault kind: how often, how long, and the strict checks' findings that happened while one
 * was on or in the 10 s after it (a finding during several faults counts for each).
 */
function faultsByKind(injected: readonly InjectedFault[], figures: SoakFindings): Record<string, FaultKindFigures> {
  const out: Record<string, FaultKindFigures> = {};
  const AFTER_MS = 10_000;
  for (const f of injected) {
    const k = (out[f.kind] ??= { count: 0, longestMs: 0, totalMs: 0, findings: {} });
    k.count += 1;
    k.longestMs = Math.max(k.longestMs, f.endedAtMs - f.startedAtMs);
    k.totalMs += f.endedAtMs - f.startedAtMs;
  }
  const none: Record<string, number> = {};
  for (const [check, times] of Object.entries(figures.strict.times)) {
    for (const at of times) {
      const during = injected.filter((f) => at >= f.startedAtMs && at <= f.endedAtMs + AFTER_MS);
      for (const kind of new Set(during.map((f) => f.kind))) out[kind].findings[check] = (out[kind].findings[check] ?? 0) + 1;
      if (!during.length) none[check] = (none[check] ?? 0) + 1;
    }
  }
  out['(no fault)'] = { count: 0, longestMs: 0, totalMs: 0, findings: none };
  return out;
}

function progressLine(atMs: number, pop: Population, cluster: SoakCluster): string {
  const sends = pop.ledger.sends;
  const acked = sends.filter((s) => s.ackIds.length).length;
  const open = pop.devices.filter((d) => d.isOpen).length;
  const up = cluster.slots.filter((s) => s.up).length;
  const errors = Object.entries(pop.ledger.errorFrames)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `  ${(atMs / 1000).toFixed(0)} s: ${sends.length} sends, ${acked} acked, errors {${errors}}, ${open}/${pop.devices.length} devices open, ${up}/${cluster.slots.length} replicas up`;
}
