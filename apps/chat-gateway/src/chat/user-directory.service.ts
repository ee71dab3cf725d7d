import { Injectable } from '@nestjs/common';
import { UserRepository, UserSummary } from '@app/database';

const FOUND_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

/**
 * Users by id, cached: every frame needs its recipient checked and its sender's name, and both
 * change rarely. A name change shows within a minute; a new user is found within seconds.
 */
@Injectable()
export class UserDirectory {
  private readonly cache = new Map<number, { user: UserSummary | null; expires: number }>();

  constructor(private readonly users: UserRepository) {}

  async find(id: number): Promise<UserSummary | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.expires > now) return hit.user;
    const user = await this.users.findById(id);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(id, { user, expires: now + (user ? FOUND_TTL_MS : MISSING_TTL_MS) });
    return user;
  }
}
