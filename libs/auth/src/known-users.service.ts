import { Injectable, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccountChanges } from '@app/bus';
import { KnownUser, UserRepository, UserSummary } from '@app/database';
import type { TokenClaims } from './token.service';

/**
 * The longest a replica believes what it cached of a user (exists, name, token epoch) when a
 * change did not reach it through AccountChanges (Redis away, or a change made by the admin CLI or
 * another service): a token issued before a password change is refused everywhere within this
 * time, at once on replicas that heard of it.
 */
export const TOKEN_EPOCH_CACHE_MS = 5_000;
const MAX_ENTRIES = 100_000;

/** A cached "no such user", distinct from "not cached". */
const MISSING: KnownUser = { id: 0, name: '', tokenEpoch: -1 };

/**
 * Users by id, cached: the one user cache of the suite. Asked on every authenticated HTTP request
 * and socket upgrade (does the token's user exist, is the token of the user's current epoch?) and
 * by the chat gateway for every frame (the recipient, the sender's name). Concurrent look-ups of
 * one id share one query (lru-cache's fetchMethod); a failed one is remembered by nobody; a
 * password change heard through AccountChanges drops the entry at once.
 */
@Injectable()
export class KnownUsers implements OnModuleInit {
  // Bumped by every change heard: a query that was running meanwhile may predate the change, so
  // its answer is handed to its callers but not kept.
  private generation = 0;
  private readonly cache: LRUCache<number, KnownUser>;

  constructor(
    users: UserRepository,
    private readonly changes: AccountChanges,
  ) {
    this.cache = new LRUCache<number, KnownUser>({
      max: MAX_ENTRIES,
      ttl: TOKEN_EPOCH_CACHE_MS,
      // Date's clock, read on every lookup (no timer per read): entries live for seconds, and the
      // specs can set it.
      perf: Date,
      ttlResolution: 0,
      // A change dropping an entry whose query is running must not fail that query's callers.
      ignoreFetchAbort: true,
      fetchMethod: async (id, _stale, { options }) => {
        const generation = this.generation;
        const user = (await users.findKnown(id)) ?? MISSING;
        if (generation !== this.generation) options.ttl = 1;
        return user;
      },
    });
  }

  onModuleInit(): void {
    this.changes.onChange((change) => {
      this.generation++;
      if (change === null) this.cache.clear();
      else if (change.kind === 'password') this.cache.delete(change.userId);
    });
  }

  /** The user, or null if there is none. Rejects when the database does. */
  async find(id: number): Promise<UserSummary | null> {
    const user = await this.cache.fetch(id);
    return !user || user === MISSING ? null : { id: user.id, name: user.name };
  }

  /** The user is gone (found so by a check of its own): the next look-up asks the database. */
  forget(id: number): void {
    this.cache.delete(id);
  }

  async exists(id: number): Promise<boolean> {
    return (await this.find(id)) !== null;
  }

  /** The user exists and the token is not older than the user's last password change. */
  async accepts(claims: TokenClaims): Promise<boolean> {
    const user = await this.cache.fetch(claims.userId);
    return !!user && user !== MISSING && claims.epoch >= user.tokenEpoch;
  }
}
