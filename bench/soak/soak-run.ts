import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { sleep } from '../../test/support/wait';
import { benchTokens } from '../support/tokens';
import { checkSoak, failuresOf } from './checker';
import { SoakCluster } from './cluster';
import { FaultInjector, FaultTargets } from './fault-injector';
import { planFaults } from './fault-plan';
import { Population } from './population';
import { Random } from './random';
import { SoakReport } from './report';
import { SoakDatabase } from './soak-database';
import { SoakSettings } from './soak-settings';

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
      replicaEnv: settings.replicaEnv,
      clock,
      log,
    });
    const ids = await db.addUsers(settings.users, 13_900_000_000);
    const sign = benchTokens(jwtSecret, Math.ceil((settings.durationMs + settings.settleMs) / 1000) + 3600);
    const users = await Promise.all(ids.map(async (id) => ({ id, token: await sign(id) })));
    const ports = cluster.ports;
    const pop = (population = new Population({
      users,
      random: random.fork(),
      ports: () => ports,
      rate: settings.rate,
      ackTimeoutMs: settings.storeTimeoutMs + 2000,
      heartbeatText: HEARTBEAT_TEXT,
      startedAt: started,
    }));
    const opened = await pop.connectAll(30_000);
    log(`${opened} of ${pop.devices.length} devices connected (${JSON.stringify(pop.describe())})`);
    const startupMs = clock();

    const c = cluster;
    const targets: FaultTargets = {
      killReplica: (i, down) => c.killReplica(i, down),
      termReplica: (i, down) => c.termReplica(i, down, graceMs + 5000),
      restartRedis: (down) => c.restartRedis(down),
      cutDatabase: (ms) => c.cutDatabase(ms),
      stallDatabase: (ms) => c.stallDatabase(ms),
      storm: (share, pick, within) => pop.storm(share, pick, within),
      slowReaders: (count, hold, pick) => pop.slowReaders(count, hold, pick),
      flood: (hold, pick) => pop.flood(hold, pick),
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
    const input = { sends: pop.ledger.sends, devices: pop.deviceLogs(), rows, heartbeatText: HEARTBEAT_TEXT, unansweredLateStores };
    if (settings.dumpFile) {
      writeFileSync(settings.dumpFile, JSON.stringify({ ...input, unansweredLateStores: [...unansweredLateStores], ports, faults: injector.injected, replicas: c.slots.map((s) => ({ name: s.name, port: s.port, exits: s.exits })) }));
      log(`raw records written to ${settings.dumpFile}`);
    }
    const figures = checkSoak(input);
    const failures = failuresOf(figures, c.crashes);
    if (!healthy) failures.push('the cluster was not healthy again within the settle bound (a replica did not come back?)');
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
      faults: { planned: plan.length, injected: injector.countByKind(), skipped: injector.skipped, log: injector.injected },
      database: { name: db.name, kept: settings.keepDatabase },
    };
  } finally {
    if (progress) clearInterval(progress);
    await population?.shutdown();
    await cluster?.stop();
    await db.close(!settings.keepDatabase);
  }
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
