import { Injectable } from '@nestjs/common';
import { AccountChanges } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { AccountRepository, Profile, RelationRepository, UserCard } from '@app/database';
import { PHONE_PATTERN } from './account.service';

export type FollowState = 'mutual' | 'following' | 'none';

/** Most users a search answers. */
export const SEARCH_LIMIT = 20;
/** A name search needs this many characters: one would list everybody whose name starts alike. */
export const SEARCH_MIN_NAME = 2;

const notFound = () => new DomainError(ErrorCode.UserNotFound, LegacyMessages.userNotFound);

/**
 * Follows (the legacy `concern`), finding people and blocking (CONTRACT section 6). Every change
 * of how two users stand is told to every replica (AccountChanges), whose chat policy caches it.
 */
@Injectable()
export class FriendService {
  constructor(
    private readonly relations: RelationRepository,
    private readonly accounts: AccountRepository,
    private readonly changes: AccountChanges,
    private readonly clock: ChatClock,
  ) {}

  async follow(userId: number, friendId: number): Promise<void> {
    if (friendId === userId) throw new DomainError(ErrorCode.InvalidParameter, '不能关注自己 (you cannot follow yourself)');
    if (!(await this.relations.userExists(friendId))) throw notFound();
    await this.relations.follow(userId, friendId, this.clock.wallClock());
    await this.changed(userId, friendId);
  }

  /** False when there was no follow to remove (`取关失败`). */
  async unfollow(userId: number, friendId: number): Promise<boolean> {
    const removed = await this.relations.unfollow(userId, friendId);
    if (removed) await this.changed(userId, friendId);
    return removed;
  }

  async state(userId: number, friendId: number): Promise<FollowState> {
    const [there, back] = await Promise.all([this.relations.follows(userId, friendId), this.relations.follows(friendId, userId)]);
    return there ? (back ? 'mutual' : 'following') : 'none';
  }

  /** The users the caller follows; `好友数量为零` when none. */
  async following(userId: number): Promise<UserCard[]> {
    const cards = await this.inOrder(await this.relations.following(userId));
    if (!cards.length) throw new DomainError(ErrorCode.NoFriends, LegacyMessages.noFriends);
    return cards;
  }

  /** Another user's profile, without the phone. */
  async detail(friendId: number): Promise<Omit<Profile, 'phone'>> {
    const profile = await this.accounts.profile(friendId);
    if (!profile) throw notFound();
    const { phone: _phone, ...rest } = profile;
    return rest;
  }

  /**
   * An exact phone number, or the start of a name (at least SEARCH_MIN_NAME characters); never
   * more than SEARCH_LIMIT users, never a phone. Empty `q` is refused.
   */
  async search(userId: number, q: string): Promise<UserCard[]> {
    const text = q.trim();
    if (!text) throw new DomainError(ErrorCode.InvalidParameter, '请输入手机号或名字 (q must not be empty)');
    const found = PHONE_PATTERN.test(text)
      ? await this.accounts.search(text, null, SEARCH_LIMIT)
      : [...text].length >= SEARCH_MIN_NAME && !/^\+?\d+$/.test(text)
        ? await this.accounts.search(null, text, SEARCH_LIMIT + 1)
        : [];
    return found.filter((u) => u.id !== userId).slice(0, SEARCH_LIMIT);
  }

  async block(userId: number, otherId: number): Promise<void> {
    if (otherId === userId) throw new DomainError(ErrorCode.InvalidParameter, '不能屏蔽自己 (you cannot block yourself)');
    if (!(await this.relations.userExists(otherId))) throw notFound();
    await this.relations.block(userId, otherId, Date.now());
    await this.changed(userId, otherId);
  }

  async unblock(userId: number, otherId: number): Promise<void> {
    if (await this.relations.unblock(userId, otherId)) await this.changed(userId, otherId);
  }

  async blocked(userId: number): Promise<UserCard[]> {
    return this.inOrder(await this.relations.blockedBy(userId));
  }

  private async inOrder(ids: number[]): Promise<UserCard[]> {
    const byId = new Map((await this.accounts.cards(ids)).map((c) => [c.id, c]));
    return ids.map((id) => byId.get(id)).filter((c): c is UserCard => c !== undefined);
  }

  private changed(a: number, b: number): Promise<void> {
    return this.changes.publish({ kind: 'relation', users: [a, b] });
  }
}
