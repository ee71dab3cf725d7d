// `npm run soak`: two gateway replicas, a redis-server of their own and MariaDB behind a proxy
// that can cut and stall it; a few hundred users on several devices each send at a steady rate
// while faults are injected at random for SOAK_DURATION_MS (default 3 minutes). Then every
// acked send is compared with the database and with what each device received; a table is
// printed and the JSON written under bench/results/. Loopback only, bounded, stops by itself.
//
// Settings (environment): SOAK_DURATION_MS=180000 SOAK_USERS=300 SOAK_RATE=200 SOAK_SEED
// SOAK_FAULTS=replica-kill,replica-term,redis-restart,db-cut,db-stall,reconnect-storm,slow-reader,flood,ping-flood,half-open
// (or none) SOAK_FAULT_GAP_MS=6000 SOAK_STORE_TIMEOUT_MS=3000 SOAK_SETTLE_MS=60000 SOAK_QUIET_MS=3000
// SOAK_MYSQL_URL=mysql://root@127.0.0.1:3306 SOAK_GATEWAY=dist|source SOAK_KEEP_DATABASE
// SOAK_STATEMENT_TIMEOUT_MS=10000 SOAK_STALL_MAX_MS=30000 SOAK_RESUME_MS=15000 SOAK_RSS_LIMIT_MB=96
// SOAK_PROXIED_SHARE=0.25 SOAK_REPLICA_PORTS=p1,p2 SOAK_PROXY_PORTS=p1,p2 SOAK_DB_PROXY_PORT SOAK_REDIS_PORT
// (faults also ping-flood,half-open; see docs/reliability.md) SOAK_REPLICA_ENV=K=V,K=V (extra
// replica environment) SOAK_DUMP=<file> (every send, receipt and row as JSON, to study a
// failure). Exit status 1 when the verdict is FAIL.
import { join, resolve } from 'node:path';
import { onShutdown } from '../support/processes';
import { SoakCluster } from './cluster';
import { printReport, writeReport } from './report';
import { runSoak } from './soak-run';
import { soakSettingsFromEnv } from './soak-settings';

const ROOT = resolve(__dirname, '..', '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

// Whatever happens, no replica or redis-server outlives this process.
onShutdown(() => SoakCluster.killAllNow(), log);

async function main(): Promise<void> {
  const settings = soakSettingsFromEnv();
  const report = await runSoak(settings, log);
  printReport(report, log);
  const file = writeReport(report, join(ROOT, 'bench/results'));
  log(`\nwritten: ${file.slice(ROOT.length + 1)}${report.database.kept ? ` (database ${report.database.name} kept)` : ''}`);
  // Everything it started is stopped by now; a handle some client library left open (seen once,
  // not reproduced) must not keep the soak from ending by itself.
  process.exit(report.verdict.pass ? 0 : 1);
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
