import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('answers until the entry expires, then forgets it', () => {
    const cache = new TtlCache<number, string>(10);
    cache.set(1, 'a', 1000, 0);
    expect(cache.get(1, 999)).toBe('a');
    expect(cache.get(1, 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps falsy values apart from misses', () => {
    const cache = new TtlCache<number, boolean>(10);
    cache.set(1, false, 1000, 0);
    expect(cache.get(1, 1)).toBe(false);
    expect(cache.get(2, 1)).toBeUndefined();
  });

  it('stays within its bound, making room with the oldest entry', () => {
    const cache = new TtlCache<number, number>(3);
    for (let i = 1; i <= 5; i++) cache.set(i, i, 1000, 0);
    expect(cache.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((k) => cache.get(k, 1))).toEqual([undefined, undefined, 3, 4, 5]);
  });

  it('counts a re-set entry as new', () => {
    const cache = new TtlCache<number, number>(2);
    cache.set(1, 1, 1000, 0);
    cache.set(2, 2, 1000, 0);
    cache.set(1, 10, 1000, 0);
    cache.set(3, 3, 1000, 0);
    expect([cache.get(1, 1), cache.get(2, 1), cache.get(3, 1)]).toEqual([10, undefined, 3]);
  });
});
