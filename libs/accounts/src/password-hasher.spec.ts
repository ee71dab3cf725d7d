import { createHash } from 'node:crypto';
import { AccountsConfig } from '@app/config';
import { PasswordHasher } from './password-hasher';

const config = (over: Partial<AccountsConfig> = {}) => Object.assign(new AccountsConfig(), { legacySalt: 'salt', ...over });
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(config());

  it('stores argon2id with its parameters and verifies only the same bytes', async () => {
    const stored = await hasher.hash('pässwörd\u0000😀');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[^$]+\$[^$]+$/);
    expect(await hasher.check({ passwordHash: stored, legacyHash: null }, 'pässwörd\u0000😀')).toEqual({ ok: true, rehash: false });
    expect(await hasher.check({ passwordHash: stored, legacyHash: null }, 'pässwörd')).toEqual({ ok: false });
    // A fresh salt every time.
    expect(await hasher.hash('pässwörd\u0000😀')).not.toBe(stored);
  });

  it('verifies a legacy MD5(password + salt) row once and asks for the upgrade', async () => {
    expect(await hasher.check({ passwordHash: null, legacyHash: md5('old123salt') }, 'old123')).toEqual({ ok: true, rehash: true });
    expect(await hasher.check({ passwordHash: null, legacyHash: md5('old123salt').toLowerCase() }, 'old123')).toEqual({ ok: true, rehash: true });
    expect(await hasher.check({ passwordHash: null, legacyHash: md5('old123salt') }, 'old124')).toEqual({ ok: false });
    expect(await hasher.check({ passwordHash: null, legacyHash: '' }, '')).toEqual({ ok: false });
    expect(await hasher.check(null, 'anything')).toEqual({ ok: false });
  });

  it('keeps the MD5 column only while the old server runs beside', () => {
    expect(hasher.legacyColumn('abc')).toBe('');
    expect(new PasswordHasher(config({ keepLegacyMd5: true })).legacyColumn('abc')).toBe(md5('abcsalt'));
  });

  it('re-hashes a hash made with weaker parameters', async () => {
    const strong = new PasswordHasher(config({ argon2TimeCost: 3 }));
    const weak = await hasher.hash('secret-1');
    expect(await strong.check({ passwordHash: weak, legacyHash: null }, 'secret-1')).toEqual({ ok: true, rehash: true });
  });

  it('refuses passwords outside 6 to 128 characters, counting code points', () => {
    expect(() => PasswordHasher.checkPolicy('12345')).toThrow(/6 到 128/);
    expect(() => PasswordHasher.checkPolicy('😀😀😀😀😀😀')).not.toThrow();
    expect(() => PasswordHasher.checkPolicy('x'.repeat(129))).toThrow(/6 到 128/);
  });
});
