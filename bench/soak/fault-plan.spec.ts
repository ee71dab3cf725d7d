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
    expect(plan.slice(0, FAULT_KINDS.length).map((f) => CATEGORY[f.kind])).toEqual(['replica', 'replica', ...Array(FAULT_KINDS.length - 4).fill(expect.not.stringMatching(/replica|database/)), 'database', 'database']);
    for (const f of plan) {
      expect(f.atMs).toBeGreaterThanOrEqual(0);
      expect(f.atMs).toBeLessThan(base.durationMs);
    }
  });

  it.each([1, 7, 99])('makes database stalls last 2 to 30 s, the first longer than the statement timeout (seed %i), and spreads a long run', (seed) => {
    const plan = planFaults({ ...base, seed, durationMs: 180_000, statementTimeoutMs: 10_000 });
    const stalls = plan.filter((f) => f.kind === 'db-stall');
    expect(stalls.length).toBeGreaterThan(1);
    expect(stalls[0].holdMs).toBeGreaterThan(10_000);
    for (const s of stalls) {
      expect(s.holdMs).toBeGreaterThanOrEqual(2000);
      expect(s.holdMs).toBeLessThanOrEqual(30_000);
    }
    expect(plan.length).toBeGreaterThanOrEqual(20);
    expect(plan[plan.length - 1].atMs).toBeGreaterThan(150_000);
    for (const f of plan.filter((x) => x.replica !== undefined)) expect([0, 1]).toContain(f.replica);
  });

  it('keeps one stall over a lowered statement timeout when the stalls are capped short (the short run)', () => {
    const plan = planFaults({ ...base, seed: 3, statementTimeoutMs: 3000, stallMaxMs: 6000 });
    const stalls = plan.filter((f) => f.kind === 'db-stall');
    expect(stalls[0].holdMs).toBeGreaterThan(3000);
    expect(stalls[0].holdMs).toBeLessThanOrEqual(6000);
  });

  it('plans ping floods and half-open links', () => {
    const plan = planFaults({ ...base, seed: 11 });
    expect(plan.find((f) => f.kind === 'ping-flood')!.holdMs).toBeGreaterThanOrEqual(5000);
    expect(plan.find((f) => f.kind === 'half-open')).toMatchObject({ count: expect.any(Number), holdMs: expect.any(Number) });
  });

  it('plans only the kinds asked for, and nothing for none', () => {
    const plan = planFaults({ ...base, seed: 5, kinds: ['db-cut', 'flood'] });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(['db-cut', 'flood']));
    expect(planFaults({ ...base, seed: 5, kinds: [] })).toEqual([]);
  });
});
