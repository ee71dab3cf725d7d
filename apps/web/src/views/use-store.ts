import { useSyncExternalStore } from 'preact/compat';
import type { Store } from '../store/store';

/**
 * The store's current value; the component renders again whenever it changes. Through
 * useSyncExternalStore: a change between the render and the subscription is not missed (the
 * hook compares the value again once subscribed).
 */
export function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get);
}
