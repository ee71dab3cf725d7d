import { Injectable, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccountChanges } from '@app/bus';
import { DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { AccountsConfig } from '@app/config';
import { Relation, RelationRepository } from '@app/database';

/**
 * Longest a replica believes a relation after it changed when the change did not reach it
 * (Redis away): changes heard through AccountChanges apply at once.
 */
export const RELATION_CACHE_MS = 30_000;

/**
 * Who may send to whom (CONTRACT section 6): a user blocked by the recipient is refused
 * (`BLOCKED`), and under CHAT_POLICY=friends so is anyone who is not a friend (`NOT_FRIENDS`), for
 * messages, typing and read receipts alike, before anything is stored. Relations are cached per
 * pair and forgotten on every replica as soon as a follow or block changes (AccountChanges), so
 * the check costs a map lookup on the send path.
 */
@Injectable()
export class ChatPolicy implements OnModuleInit {
  private readonly cache = new LRUCache<string, Relation>({ max: 200_000, ttl: RELATION_CACHE_MS });
  private readonly pending = new Map<string, Promise<Relation>>();
  private generation = 0;

  constructor(
    private readonly relations: RelationRepository,
    private readonly changes: AccountChanges,
    private readonly config: AccountsConfig,
  ) {}

  onModuleInit(): void {
    this.changes.onChange((change) => {
      if (change?.kind === 'password') return;
      this.generation++;
      if (change === null) {
        this.cache.clear();
        return;
      }
      const [a, b] = change.users;
      this.cache.delete(`${a}:${b}`);
      this.cache.delete(`${b}:${a}`);
    });
  }

  /** Throws BLOCKED or NOT_FRIENDS when `from` may not reach `to`. */
  async check(from: number, to: number): Promise<void> {
    if (from === to) return;
    const relation = await this.relation(from, to);
    if (relation.blockedBy) throw new DomainError(ErrorCode.Blocked, LegacyMessages.blocked);
    if (this.config.chatPolicy === 'friends' && !relation.friends) throw new DomainError(ErrorCode.NotFriends, LegacyMessages.notFriends);
  }

  private relation(from: number, to: number): Promise<Relation> {
    const key = `${from}:${to}`;
    const hit = this.cache.get(key);
    if (hit) return Promise.resolve(hit);
    let lookup = this.pending.get(key);
    if (!lookup) {
      const generation = this.generation;
      lookup = this.relations
        .relation(from, to)
        .then((r) => {
          // A change heard while the query ran may be missing from its answer: not cached then.
          if (generation === this.generation) this.cache.set(key, r);
          return r;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, lookup);
    }
    return lookup;
  }
}
