import { Injectable, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccountChanges } from '@app/bus';
import { AccountRepository } from '@app/database';
import type { TokenClaims } from './token.service';

/**
 * The longest a replica believes a user's token epoch after it changed, when the change did not
 * reach it through AccountChanges (Redis away, or a change made by the admin CLI or another
 * service): a token issued before a password change is refused everywhere within this time, at
 * once on replicas that heard of it.
 */
export const TOKEN_EPOCH_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Whether a token's user exists and its token is of the user's current epoch, asked on every
 * authenticated HTTP request and socket upgrade. Cached briefly (see TOKEN_EPOCH_CACHE_MS), and
 * forgotten at once when AccountChanges reports a password change.
 */
@Injectable()
export class KnownUsers implements OnModuleInit {
  /** The user's token epoch, or -1 when there is no such user. */
  private readonly cache = new LRUCache<number, number>({
    max: MAX_ENTRIES,
    ttl: TOKEN_EPOCH_CACHE_MS,
    // Date's clock, read on every lookup (no timer per read): entries live for seconds, and the
    // specs can set it.
    perf: Date,
    ttlResolution: 0,
  });
  // Concurrent requests of one user share one query.
  private readonly pending = new Map<number, Promise<number>>();
  private generation = 0;

  constructor(
    private readonly users: AccountRepository,
    private readonly changes: AccountChanges,
  ) {}

  onModuleInit(): void {
    this.changes.onChange((change) => {
      this.generation++;
      if (change === null) this.cache.clear();
      else if (change.kind === 'password') this.cache.delete(change.userId);
    });
  }

  async exists(id: number): Promise<boolean> {
    return (await this.epochOf(id)) >= 0;
  }

  /** The user exists and the token is not older than the user's last password change. */
  async accepts(claims: TokenClaims): Promise<boolean> {
    const epoch = await this.epochOf(claims.userId);
    return epoch >= 0 && claims.epoch >= epoch;
  }

  private epochOf(id: number): Promise<number> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return Promise.resolve(hit);
    let lookup = this.pending.get(id);
    if (!lookup) {
      const generation = this.generation;
      lookup = this.users
        .tokenEpoch(id)
        .then((epoch) => {
          const value = epoch ?? -1;
          // A change heard while the query ran may not be in its answer: not cached then.
          if (generation === this.generation) this.cache.set(id, value);
          return value;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, lookup);
    }
    return lookup;
  }
}
