// Summarises V8 .cpuprofile files (node --cpu-prof, e.g. BENCH_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=DIR" npm run bench:chat): self time by function and by package or source
// folder, so the cost of each part of a server is a number rather than a guess.
//
//   node -r ts-node/register/transpile-only bench/cpu-profile-summary.ts DIR/*.cpuprofile [--top 40]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** node_modules/<pkg> or the first two folders of our own sources; GC and idle by name. */
function area(url: string, fn: string): string {
  if (!url) return `(${fn || 'native'})`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1];
  if (url.startsWith('node:')) return url;
  const ours = /\/(apps|libs|bench|dist)\/(.*)$/.exec(url);
  if (ours) {
    // Bundles (dist/apps/x/main.js) cannot be split further without source maps.
    return ours[1] === 'dist' ? `dist:${ours[2]}` : `${ours[1]}/${ours[2].split('/').slice(0, 2).join('/')}`;
  }
  return url.replace(/^file:\/\//, '');
}

function summarise(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += us;
    }
    const key = `${functionName || '(anonymous)'} ${area(url, functionName)}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  process.stdout.write(`\n${file}\n  wall ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(2)} s (percentages of busy)\n`);
  process.stdout.write('  by area:\n');
  for (const [a, us] of [...byArea].filter(([a]) => a !== '((idle))').sort((x, y) => y[1] - x[1]).slice(0, top)) {
    process.stdout.write(`    ${pct(us)}  ${a}\n`);
  }
  process.stdout.write('  by function:\n');
  for (const [f, us] of [...byFunction].filter(([f]) => !f.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, top)) {
    process.stdout.write(`    ${pct(us)}  ${f}\n`);
  }
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
if (!args.length) {
  process.stderr.write('usage: cpu-profile-summary.ts <file.cpuprofile>... [--top N]\n');
  process.exit(2);
}
for (const file of args) summarise(file, top);
