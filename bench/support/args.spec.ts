import { int, intList, nodeArgs } from './args';

describe('bench arguments', () => {
  it('reads a whole number, or falls back when unset, blank, not a number or below the minimum', () => {
    expect(int('N', 7, { env: { N: '12' } })).toBe(12);
    expect(int('N', 7, { env: {} })).toBe(7);
    expect(int('N', 7, { env: { N: ' ' } })).toBe(7);
    expect(int('N', 7, { env: { N: 'lots' } })).toBe(7);
    expect(int('N', 7, { env: { N: '0' } })).toBe(7);
    expect(int('N', 7, { env: { N: '-3' } })).toBe(7);
    expect(int('N', 7, { env: { N: 'Infinity' } })).toBe(7);
  });

  it('rounds a fraction down and accepts zero when the minimum allows it', () => {
    expect(int('N', 7, { env: { N: '2.9' } })).toBe(2);
    expect(int('N', 7, { env: { N: '0' }, min: 0 })).toBe(0);
  });

  it('reads a list of numbers and the extra node flags', () => {
    expect(intList('L', [1, 2], { L: '500,1000' })).toEqual([500, 1000]);
    expect(intList('L', [1, 2], {})).toEqual([1, 2]);
    expect(nodeArgs({ BENCH_NODE_ARGS: ' --cpu-prof  --cpu-prof-dir=x ' })).toEqual(['--cpu-prof', '--cpu-prof-dir=x']);
    expect(nodeArgs({})).toEqual([]);
  });
});
