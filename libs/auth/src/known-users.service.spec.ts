import type { AccountChangeHandler, AccountChanges } from '@app/bus';
import type { KnownUser, UserRepository } from '@app/database';
import { KnownUsers, TOKEN_EPOCH_CACHE_MS } from './known-users.service';

// The repository is faked (a map of users to their token epoch); the real query is covered by the e2e tests.
function fakeUsers(epochs: Record<number, number>) {
  const users = new Map(Object.entries(epochs).map(([id, e]) => [Number(id), e]));
  const tokenEpoch = jest.fn(async (id: number): Promise<KnownUser | null> => {
    const epoch = users.get(id);
    return epoch === undefined ? null : { id, name: `u${id}`, tokenEpoch: epoch };
  });
  let handler: AccountChangeHandler = () => undefined;
  const changes = { onChange: (h: AccountChangeHandler) => (handler = h) } as unknown as AccountChanges;
  const known = new KnownUsers({ findKnown: tokenEpoch } as unknown as UserRepository, changes);
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

  it('gives the user with its name, and asks again for a missing one after the cache time (it may have just registered)', async () => {
    jest.useFakeTimers({ now: T });
    const { known, tokenEpoch, users } = fakeUsers({ 2: 0 });
    expect(await known.find(2)).toEqual({ id: 2, name: 'u2' });
    expect(await known.find(5)).toBeNull();
    users.set(5, 0);
    expect(await known.exists(5)).toBe(false);
    jest.setSystemTime(T + TOKEN_EPOCH_CACHE_MS + 1);
    expect(await known.find(5)).toEqual({ id: 5, name: 'u5' });
    expect(tokenEpoch).toHaveBeenCalledTimes(3);
  });

  it('does not keep an answer whose query ran while a change was heard', async () => {
    jest.useFakeTimers({ now: T });
    const { known, tokenEpoch, users, changed } = fakeUsers({ 9: 0 });
    let release: () => void = () => undefined;
    tokenEpoch.mockImplementationOnce(async (id: number) => {
      await new Promise<void>((r) => (release = r));
      return { id, name: 'u9', tokenEpoch: 0 };
    });
    const pending = known.accepts(claims(9, 0));
    users.set(9, 1);
    changed(9);
    release();
    expect(await pending).toBe(true);
    jest.setSystemTime(T + 2);
    expect(await known.accepts(claims(9, 0))).toBe(false);
  });
});
