import { randomInt } from 'node:crypto';

export const FAULT_KINDS = [
  'replica-kill',
  'replica-term',
  'redis-restart',
  'db-cut',
  'db-stall',
  'reconnect-storm',
  'slow-reader',
  'flood',
  'ping-flood',
  'half-open',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What one soak run does; `soakSettingsFromEnv` reads it from SOAK_* variables. */
export interface SoakSettings {
  /** How long faults are injected while traffic runs (the settle phase comes after). */
  durationMs: number;
  users: number;
  /** Sends per second over all users (a steady rate, not a throughput test). */
  rate: number;
  /** Seeds the fault schedule and the population: the same seed, the same schedule. */
  seed: number;
  faults: FaultKind[];
  /** Mean time between the starts of two faults. */
  faultGapMs: number;
  /** Passed to the replicas as CHAT_STORE_TIMEOUT_MS; database stalls last longer than this. */
  storeTimeoutMs: number;
  /** Passed to the replicas as DATABASE_STATEMENT_TIMEOUT_MS; at least one stall outlasts it. */
  statementTimeoutMs: number;
  /** Database stalls last from 2 s up to this (SOAK_STALL_MAX_MS). */
  stallMaxMs: number;
  /** After every database stall or cut, each replica must store a probe send within this. */
  resumeWithinMs: number;
  /** A replica's RSS may grow by at most this much during a ping flood (MiB). */
  rssGrowthLimitMb: number;
  /** Share of the devices that connect through the half-open proxies. */
  proxiedShare: number;
  /** Fixed ports (0: any free one): replicas, the half-open proxies in front of them, the database proxy, redis-server. */
  ports: { replicas: number[]; deviceProxies: number[]; databaseProxy: number; redis: number };
  /** MariaDB server (no database): the run creates a database of its own there. */
  mysqlUrl: string;
  /** `dist`: the built gateway (npm run soak builds it); `source`: through ts-node (the test). */
  entry: 'dist' | 'source';
  /** Upper bound of the settle phase (retries, final reconnect, backlog). */
  settleMs: number;
  /** The settle phase ends once no frame arrived for this long. */
  quietMs: number;
  keepDatabase: boolean;
  /** Write every send, receipt and row here (SOAK_DUMP), to study a failure offline. */
  dumpFile?: string;
  /** Extra environment for every replica (`K=V,K=V` in SOAK_REPLICA_ENV). */
  replicaEnv: Record<string, string>;
}

const LIMITS = {
  durationMs: [5_000, 3_600_000],
  users: [10, 5_000],
  rate: [1, 2_000],
  faultGapMs: [500, 600_000],
  storeTimeoutMs: [100, 60_000],
  settleMs: [5_000, 600_000],
  quietMs: [500, 60_000],
  statementTimeoutMs: [100, 120_000],
  stallMaxMs: [2_000, 120_000],
  resumeWithinMs: [1_000, 120_000],
  rssGrowthLimitMb: [16, 16_384],
} as const;

export function defaultSoakSettings(): SoakSettings {
  return {
    durationMs: 180_000,
    users: 300,
    rate: 200,
    seed: randomInt(1, 2 ** 31 - 1),
    faults: [...FAULT_KINDS],
    faultGapMs: 6_000,
    storeTimeoutMs: 3_000,
    statementTimeoutMs: 10_000,
    stallMaxMs: 30_000,
    resumeWithinMs: 15_000,
    rssGrowthLimitMb: 160,
    proxiedShare: 0.25,
    ports: { replicas: [], deviceProxies: [], databaseProxy: 0, redis: 0 },
    mysqlUrl: 'mysql://root@127.0.0.1:3306',
    entry: 'dist',
    settleMs: 60_000,
    quietMs: 3_000,
    keepDatabase: false,
    replicaEnv: {},
  };
}

/** Reads SOAK_* variables over the defaults; a wrong value throws with the variable's name. */
export function soakSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, base: SoakSettings = defaultSoakSettings()): SoakSettings {
  const s: SoakSettings = { ...base, faults: [...base.faults], replicaEnv: { ...base.replicaEnv }, ports: { ...base.ports } };
  const number = (name: string, key: keyof typeof LIMITS) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return;
    const value = Number(raw);
    const [min, max] = LIMITS[key];
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    s[key] = value;
  };
  number('SOAK_DURATION_MS', 'durationMs');
  number('SOAK_USERS', 'users');
  number('SOAK_RATE', 'rate');
  number('SOAK_FAULT_GAP_MS', 'faultGapMs');
  number('SOAK_STORE_TIMEOUT_MS', 'storeTimeoutMs');
  number('SOAK_SETTLE_MS', 'settleMs');
  number('SOAK_QUIET_MS', 'quietMs');
  number('SOAK_STATEMENT_TIMEOUT_MS', 'statementTimeoutMs');
  number('SOAK_STALL_MAX_MS', 'stallMaxMs');
  number('SOAK_RESUME_MS', 'resumeWithinMs');
  number('SOAK_RSS_LIMIT_MB', 'rssGrowthLimitMb');
  const portList = (name: string, count?: number): number[] | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const ports = raw.split(',').map((p) => Number(p.trim()));
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535) || (count !== undefined && ports.length !== count)) {
      throw new Error(`${name} must be ${count ?? 'a list of'} port number(s) from 1 to 65535, comma separated, got "${raw}"`);
    }
    return ports;
  };
  s.ports.replicas = portList('SOAK_REPLICA_PORTS', 2) ?? s.ports.replicas;
  s.ports.deviceProxies = portList('SOAK_PROXY_PORTS', 2) ?? s.ports.deviceProxies;
  s.ports.databaseProxy = portList('SOAK_DB_PROXY_PORT', 1)?.[0] ?? s.ports.databaseProxy;
  s.ports.redis = portList('SOAK_REDIS_PORT', 1)?.[0] ?? s.ports.redis;
  if (env.SOAK_PROXIED_SHARE) {
    const share = Number(env.SOAK_PROXIED_SHARE);
    if (!(share >= 0 && share <= 1)) throw new Error(`SOAK_PROXIED_SHARE must be a number from 0 to 1, got "${env.SOAK_PROXIED_SHARE}"`);
    s.proxiedShare = share;
  }
  if (env.SOAK_SEED) {
    const seed = Number(env.SOAK_SEED);
    if (!Number.isInteger(seed) || seed <= 0 || seed >= 2 ** 32) throw new Error(`SOAK_SEED must be a positive whole number below 2^32, got "${env.SOAK_SEED}"`);
    s.seed = seed;
  }
  if (env.SOAK_FAULTS === 'none') s.faults = [];
  else if (env.SOAK_FAULTS !== undefined && env.SOAK_FAULTS !== '') {
    const names = env.SOAK_FAULTS.split(',').map((f) => f.trim()).filter(Boolean);
    const unknown = names.filter((n) => !(FAULT_KINDS as readonly string[]).includes(n));
    if (unknown.length) throw new Error(`SOAK_FAULTS: unknown fault kind(s) ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')} (or "none")`);
    s.faults = names as FaultKind[];
  }
  if (env.SOAK_MYSQL_URL) s.mysqlUrl = env.SOAK_MYSQL_URL;
  if (env.SOAK_GATEWAY) {
    if (env.SOAK_GATEWAY !== 'dist' && env.SOAK_GATEWAY !== 'source') throw new Error(`SOAK_GATEWAY must be dist or source, got "${env.SOAK_GATEWAY}"`);
    s.entry = env.SOAK_GATEWAY;
  }
  if (env.SOAK_DUMP) s.dumpFile = env.SOAK_DUMP;
  if (env.SOAK_KEEP_DATABASE) s.keepDatabase = /^(1|true|yes)$/i.test(env.SOAK_KEEP_DATABASE);
  for (const pair of (env.SOAK_REPLICA_ENV ?? '').split(',').filter((p) => p.trim())) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`SOAK_REPLICA_ENV must read K=V,K=V, got "${pair}"`);
    s.replicaEnv[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return s;
}
