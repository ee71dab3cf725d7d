import type { AccountChangeHandler, AccountChanges } from '@app/bus';
import type { AccountRepository } from '@app/database';
import { KnownUsers, TOKEN_EPOCH_CACHE_MS } from './known-users.service';

// The repository is faked (a map of users to their token epoch); the real query is covered by the e2e tests.
function fakeUsers(epochs: Record<number, number>) {
  const users = new Map(Object.entries(epochs).map(([id, e]) => [Number(id), e]));
  const tokenEpoch = jest.fn(async (id: number): Promise<number | null> => users.get(id) ?? null);
  let handler: AccountChangeHandler = () => undefined;
  const changes = { onChange: (h: AccountChangeHandler) => (handler = h) } as unknown as AccountChanges;
  const known = new KnownUsers({ tokenEpoch } as unknown as AccountRepository, changes);
  known.onModuleInit();
  return { users, tokenEpoch, known, changed: (userId: number) => handler({ kind: 'password', userId }) };
}

// Fake time starts at T, not 0 (the cache takes a start time of 0 for "no expiry").
const T = 1_000_000;
const claims = (userId: number, epoch: number) => ({ userId, epoch, expiresAt: 0 });

describe('KnownUsers', () => {
  afterEach(() => jest.useRealTimers());

  it('says whether a user exists, asking the database again after the cache time', async () => {
    jest.useFakeTimers({ now: T });
    const { known, tokenEpoch, users } = fakeUsers({ 1: 0 });
    expect(await known.exists(1)).toBe(true);
    expect(await known.exists(1)).toBe(true);
    expect(tokenEpoch).toHaveBeenCalledTimes(1);
    users.delete(1);
    jest.setSystemTime(T + TOKEN_EPOCH_CACHE_MS);
    expect(await known.exists(1)).toBe(true);
    jest.setSystemTime(T + TOKEN_EPOCH_CACHE_MS + 1);
    expect(await known.exists(1)).toBe(false);
    expect(tokenEpoch).toHaveBeenCalledTimes(2);
  });

  it('refuses a token of an earlier epoch: at once when the change is heard, else once the cache expires', async () => {
    jest.useFakeTimers({ now: T });
    const { known, users, changed } = fakeUsers({ 7: 0, 8: 0 });
    expect(await known.accepts(claims(7, 0))).toBe(true);
    expect(await known.accepts(claims(8, 0))).toBe(true);
    users.set(7, 1);
    users.set(8, 1);
    changed(7);
    expect(await known.accepts(claims(7, 0))).toBe(false);
    expect(await known.accepts(claims(7, 1))).toBe(true);
    // Not heard of: believed until the entry expires, never longer.
    expect(await known.accepts(claims(8, 0))).toBe(true);
    jest.setSystemTime(T + TOKEN_EPOCH_CACHE_MS + 1);
    expect(await known.accepts(claims(8, 0))).toBe(false);
  });

  it('shares one query among concurrent requests, and remembers nothing from a failed one', async () => {
    const { known, tokenEpoch } = fakeUsers({ 3: 0 });
    expect(await Promise.all([known.exists(3), known.exists(3), known.exists(3)])).toEqual([true, true, true]);
    expect(tokenEpoch).toHaveBeenCalledTimes(1);
    tokenEpoch.mockRejectedValueOnce(new Error('database down'));
    await expect(known.exists(4)).rejects.toThrow('database down');
    expect(await known.exists(4)).toBe(false);
  });
});
