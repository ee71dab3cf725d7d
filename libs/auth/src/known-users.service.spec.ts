import type { UserRepository, UserSummary } from '@app/database';
import { KnownUsers } from './known-users.service';

// The repository is faked (a map of users); the real query is covered by the e2e tests.
function fakeUsers(ids: number[]) {
  const present = new Set(ids);
  const findById = jest.fn(async (id: number): Promise<UserSummary | null> => (present.has(id) ? { id, name: `u${id}` } : null));
  return { present, findById, known: new KnownUsers({ findById } as unknown as UserRepository) };
}

// Fake time starts at T, not 0 (the cache takes a start time of 0 for "no expiry").
const T = 1_000_000;

describe('KnownUsers', () => {
  afterEach(() => jest.useRealTimers());

  it('says whether a user exists, asking the database once per minute', async () => {
    jest.useFakeTimers({ now: T });
    const { known, findById, present } = fakeUsers([1]);
    expect(await known.exists(1)).toBe(true);
    expect(await known.exists(1)).toBe(true);
    expect(findById).toHaveBeenCalledTimes(1);
    // Deleted meanwhile: still known until the entry expires.
    present.delete(1);
    jest.setSystemTime(T + 60_000);
    expect(await known.exists(1)).toBe(true);
    jest.setSystemTime(T + 60_001);
    expect(await known.exists(1)).toBe(false);
    expect(findById).toHaveBeenCalledTimes(2);
  });

  it('asks again for a missing user after a few seconds (it may have just registered)', async () => {
    jest.useFakeTimers({ now: T });
    const { known, findById, present } = fakeUsers([]);
    expect(await known.exists(5)).toBe(false);
    present.add(5);
    expect(await known.exists(5)).toBe(false);
    jest.setSystemTime(T + 5_000);
    expect(await known.exists(5)).toBe(false);
    jest.setSystemTime(T + 5_001);
    expect(await known.exists(5)).toBe(true);
    expect(findById).toHaveBeenCalledTimes(2);
  });

  it('shares one query among concurrent requests, and remembers nothing from a failed one', async () => {
    const { known, findById } = fakeUsers([3]);
    expect(await Promise.all([known.exists(3), known.exists(3), known.exists(3)])).toEqual([true, true, true]);
    expect(findById).toHaveBeenCalledTimes(1);
    findById.mockRejectedValueOnce(new Error('database down'));
    await expect(known.exists(4)).rejects.toThrow('database down');
    expect(await known.exists(4)).toBe(false);
  });
});
