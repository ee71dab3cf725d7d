/**
 * A Map made on first write. A socket holds several small maps that stay empty for most of its
 * life (what it is reading, holding, confirming); with ten thousand idle sockets an empty Map
 * each is megabytes of nothing.
 */
export class LazyMap<K, V> {
  private map?: Map<K, V>;

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false;
  }

  set(key: K, value: V): this {
    (this.map ??= new Map()).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    const deleted = this.map?.delete(key) ?? false;
    if (this.map?.size === 0) this.map = undefined;
    return deleted;
  }

  clear(): void {
    this.map = undefined;
  }

  keys(): IterableIterator<K> {
    return (this.map ?? EMPTY).keys() as IterableIterator<K>;
  }

  values(): IterableIterator<V> {
    return (this.map ?? EMPTY).values() as IterableIterator<V>;
  }

  entries(): IterableIterator<[K, V]> {
    return (this.map ?? EMPTY).entries() as IterableIterator<[K, V]>;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

const EMPTY = new Map<never, never>();

/** A Set made on first add (see LazyMap). */
export class LazySet<T> {
  private set?: Set<T>;

  get size(): number {
    return this.set?.size ?? 0;
  }

  has(value: T): boolean {
    return this.set?.has(value) ?? false;
  }

  add(value: T): this {
    (this.set ??= new Set()).add(value);
    return this;
  }

  delete(value: T): boolean {
    const deleted = this.set?.delete(value) ?? false;
    if (this.set?.size === 0) this.set = undefined;
    return deleted;
  }

  clear(): void {
    this.set = undefined;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return (this.set ?? EMPTY_SET).values() as IterableIterator<T>;
  }
}

const EMPTY_SET = new Set<never>();
