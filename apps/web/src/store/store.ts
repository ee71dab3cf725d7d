// The smallest observable state holder: views subscribe, the chat logic sets. Immutable values,
// so a view can compare by reference. `get` and `subscribe` are bound, so they can be handed to
// useSyncExternalStore as they are (the same functions on every render).

export class Store<T> {
  private readonly listeners = new Set<() => void>();

  constructor(private value: T) {}

  readonly get = (): T => this.value;

  set(next: T | ((current: T) => T)): void {
    const value = typeof next === 'function' ? (next as (current: T) => T)(this.value) : next;
    if (value === this.value) return;
    this.value = value;
    for (const l of [...this.listeners]) l();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
}
