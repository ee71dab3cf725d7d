/**
 * A bounded map whose entries expire: lookups that change rarely and are asked for on every
 * request. When full, the oldest entry makes room (Map keeps insertion order).
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new Error('TtlCache needs room for at least one entry');
  }

  /** The value, or undefined when absent or expired (an expired entry is dropped). */
  get(key: K, now = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires > now) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, ttlMs: number, now = Date.now()): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, expires: now + ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
