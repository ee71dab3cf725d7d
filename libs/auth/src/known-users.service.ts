import { Injectable } from '@nestjs/common';
import { TtlCache } from '@app/common';
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
  private readonly cache = new TtlCache<number, boolean>(MAX_ENTRIES);
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
          this.cache.set(id, user !== null, user ? FOUND_TTL_MS : MISSING_TTL_MS);
          return user !== null;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, lookup);
    }
    return lookup;
  }
}
