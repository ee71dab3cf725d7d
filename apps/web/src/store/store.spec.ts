import { Store } from './store';

// useStore hands `subscribe` and `get` to useSyncExternalStore unbound and compares snapshots by
// reference: both must work detached from the store, and an unchanged value must notify no one.

describe('Store', () => {
  it('works with get and subscribe detached, as useSyncExternalStore calls them', () => {
    const store = new Store({ n: 1 });
    const { get, subscribe } = store;
    const seen: number[] = [];
    const unsubscribe = subscribe(() => seen.push(get().n));
    store.set({ n: 2 });
    store.set((s) => ({ n: s.n + 1 }));
    unsubscribe();
    store.set({ n: 9 });
    expect(seen).toEqual([2, 3]);
    expect(get()).toEqual({ n: 9 });
  });

  it('keeps the same snapshot and notifies no one when a change returns the current value', () => {
    const value = { n: 1 };
    const store = new Store(value);
    let calls = 0;
    store.subscribe(() => calls++);
    store.set((s) => s);
    store.set(value);
    expect(calls).toBe(0);
    expect(store.get()).toBe(value);
  });

  it('is read again after subscribing, so a change between render and subscribe shows', () => {
    // What useSyncExternalStore does: render with get(), subscribe later, then compare get().
    const store = new Store('a');
    const rendered = store.get();
    store.set('b'); // before the subscription
    let notified = 0;
    store.subscribe(() => notified++);
    expect(notified).toBe(0);
    expect(store.get()).not.toBe(rendered);
  });
});
