import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { UserRepository, UserSummary } from '@app/database';

const FOUND_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

/** A cached "no such user", distinct from "not cached". */
const MISSING = { id: 0, name: '' } as const satisfies UserSummary;

/**
 * Users by id, cached: the one user cache of the suite. Asked on every authenticated HTTP request
 * (does the token's user exist?) and by the chat gateway for every frame (the recipient, the
 * sender's name). A deleted user or a name change shows within a minute; a missing id is asked
 * again after seconds. Concurrent look-ups of one id share one query (lru-cache's fetchMethod);
 * a failed one is remembered by nobody.
 */
@Injectable()
export class KnownUsers {
  private readonly cache: LRUCache<number, UserSummary>;

  constructor(users: UserRepository) {
    this.cache = new LRUCache<number, UserSummary>({
      max: MAX_ENTRIES,
      ttl: FOUND_TTL_MS,
      // Date's clock, read on every lookup (no timer per read): entries live for seconds, and the
      // specs can set it.
      perf: Date,
      ttlResolution: 0,
      fetchMethod: async (id, _stale, { options }) => {
        const user = await users.findById(id);
        if (!user) options.ttl = MISSING_TTL_MS;
        return user ?? MISSING;
      },
    });
  }

  /** The user, or null if there is none. Rejects when the database does. */
  async find(id: number): Promise<UserSummary | null> {
    const user = await this.cache.fetch(id);
    return !user || user === MISSING ? null : user;
  }

  async exists(id: number): Promise<boolean> {
    return (await this.find(id)) !== null;
  }
}
