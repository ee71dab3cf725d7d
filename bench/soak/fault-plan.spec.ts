import { CATEGORY, planFaults } from './fault-plan';
import { FAULT_KINDS } from './soak-settings';

const base = { kinds: FAULT_KINDS, durationMs: 30_000, gapMs: 6000, storeTimeoutMs: 3000, replicas: 2 };

describe('planFaults', () => {
  it('gives the same schedule for the same seed, another for another seed', () => {
    expect(planFaults({ ...base, seed: 42 })).toEqual(planFaults({ ...base, seed: 42 }));
    expect(planFaults({ ...base, seed: 42 })).not.toEqual(planFaults({ ...base, seed: 43 }));
  });

  it.each([1, 2, 3, 99, 12345])('puts every kind in a short window (seed %i), the replica faults first, the database ones last', (seed) => {
    const plan = planFaults({ ...base, seed });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(plan.slice(0, 8).map((f) => CATEGORY[f.kind])).toEqual(['replica', 'replica', ...Array(4).fill(expect.not.stringMatching(/replica|database/)), 'database', 'database']);
    for (const f of plan) {
      expect(f.atMs).toBeGreaterThanOrEqual(0);
      expect(f.atMs).toBeLessThan(base.durationMs);
    }
  });

  it('makes database stalls outlast the store timeout and spreads a long run', () => {
    const plan = planFaults({ ...base, seed: 7, durationMs: 180_000 });
    const stalls = plan.filter((f) => f.kind === 'db-stall');
    expect(stalls.length).toBeGreaterThan(0);
    for (const s of stalls) expect(s.holdMs).toBeGreaterThan(base.storeTimeoutMs);
    expect(plan.length).toBeGreaterThanOrEqual(20);
    expect(plan[plan.length - 1].atMs).toBeGreaterThan(150_000);
    for (const f of plan.filter((x) => x.replica !== undefined)) expect([0, 1]).toContain(f.replica);
  });

  it('plans only the kinds asked for, and nothing for none', () => {
    const plan = planFaults({ ...base, seed: 5, kinds: ['db-cut', 'flood'] });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(['db-cut', 'flood']));
    expect(planFaults({ ...base, seed: 5, kinds: [] })).toEqual([]);
  });
});
