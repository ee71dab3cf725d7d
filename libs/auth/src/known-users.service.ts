import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { UserRepository } from '@app/database';

const FOUND_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Whether the user a token names exists, asked on every authenticated HTTP request. Cached: a
 * deleted user's token stops working within a minute; a missing id is asked again after seconds.
 */
@Injectable()
export class KnownUsers {
  private readonly cache = new LRUCache<number, boolean>({
    max: MAX_ENTRIES,
    ttl: FOUND_TTL_MS,
    // Date's clock, read on every lookup (no timer per read): entries live for seconds, and the
    // specs can set it.
    perf: Date,
    ttlResolution: 0,
  });
  // Concurrent requests of one user share one query.
  private readonly pending = new Map<number, Promise<boolean>>();

  constructor(private readonly users: UserRepository) {}

  exists(id: number): Promise<boolean> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return Promise.resolve(hit);
    let lookup = this.pending.get(id);
    if (!lookup) {
      lookup = this.users
        .findById(id)
        .then((user) => {
          this.cache.set(id, user !== null, { ttl: user ? FOUND_TTL_MS : MISSING_TTL_MS });
          return user !== null;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, lookup);
    }
    return lookup;
  }
}
