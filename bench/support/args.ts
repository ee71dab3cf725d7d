// Settings of the benches, read from the environment: one reading rule for all of them.

type Env = Record<string, string | undefined>;

/**
 * A whole number from `name`, or `fallback` when it is unset, not a number or below `min`
 * (1 unless told: counts, rounds and durations). A fraction is rounded down.
 */
export function int(name: string, fallback: number, options: { min?: number; env?: Env } = {}): number {
  const { min = 1, env = process.env } = options;
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Math.floor(Number(raw));
  return Number.isFinite(v) && v >= min ? v : fallback;
}

/** A comma-separated list of numbers from `name`, or `fallback` when it is unset. */
export function intList(name: string, fallback: number[], env: Env = process.env): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map(Number);
}

/** Extra node flags for the servers a bench starts (BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"). */
export function nodeArgs(env: Env = process.env): string[] {
  return (env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}
