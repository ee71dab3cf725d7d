import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { UserRepository, UserSummary } from '@app/database';

const FOUND_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

/** A cached "no such user", distinct from "not cached". */
const MISSING = { id: 0, name: '' } as const satisfies UserSummary;

/**
 * Users by id, cached: every frame needs its recipient checked and its sender's name, and both
 * change rarely. A name change shows within a minute; a new user is found within seconds. Every
 * look-up that reaches the database is bounded by CHAT_READ_TIMEOUT_MS.
 */
@Injectable()
export class UserDirectory {
  private readonly cache = new LRUCache<number, UserSummary>({ max: MAX_ENTRIES, ttl: FOUND_TTL_MS });

  constructor(
    private readonly users: UserRepository,
    private readonly config: ChatConfig,
  ) {}

  async find(id: number): Promise<UserSummary | null> {
    const hit = this.cache.get(id);
    if (hit) return hit === MISSING ? null : hit;
    const user = await withTimeout(this.users.findById(id), this.config.readTimeoutMs, 'user look-up');
    this.cache.set(id, user ?? MISSING, { ttl: user ? FOUND_TTL_MS : MISSING_TTL_MS });
    return user;
  }

  /** The user is gone: the next look-up asks the database. */
  forget(id: number): void {
    this.cache.delete(id);
  }

    /** The sender's display name for frames (the legacy `sender` field): the one place it is looked up. */
  async nameOf(id: number): Promise<string> {
    return (await this.find(id))?.name ?? '';
  }
}
