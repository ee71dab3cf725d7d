import { TokenService } from '@app/auth';
import { CoreConfig } from '@app/config';

/**
 * Tokens for the users a bench creates, minted by the same issuer the apps verify with
 * (libs/auth), so a bench never drifts from the real token format.
 */
export function benchTokens(jwtSecret: string, ttlSeconds = 3600): (userId: number) => Promise<string> {
  const config = Object.assign(new CoreConfig(), { jwtSecret, jwtTtlSeconds: ttlSeconds });
  const issuer = new TokenService(config);
  return (userId) => issuer.sign(userId);
}
