import { TokenService } from '@app/auth';
import { CoreConfig } from '@app/config';
import { benchTokens } from './tokens';

describe('bench tokens', () => {
  it('mints tokens the apps verify, for the given user and lifetime', async () => {
    const secret = 'bench-secret-of-some-length';
    const token = await benchTokens(secret, 600)(42);
    const claims = await new TokenService(Object.assign(new CoreConfig(), { jwtSecret: secret })).verify(token);
    expect(claims.userId).toBe(42);
    const ttl = claims.expiresAt - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('is refused under another secret', async () => {
    const token = await benchTokens('bench-secret-of-some-length')(1);
    const other = new TokenService(Object.assign(new CoreConfig(), { jwtSecret: 'another-secret-entirely' }));
    await expect(other.verify(token)).rejects.toThrow();
  });
});
