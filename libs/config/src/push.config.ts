import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

export const PUSH_PROVIDERS = ['webhook', 'gorush'] as const;
export type PushProviderName = (typeof PUSH_PROVIDERS)[number];

/**
 * Push to devices that hold no socket (CONTRACT section 5). Off unless PUSH_PROVIDER is set: then
 * the message store writes no outbox rows at all and no worker runs.
 */
export class PushConfig implements ConfigCheck {
  @Env('PUSH_PROVIDER') @IsOptional()
  @IsIn(PUSH_PROVIDERS, { message: 'PUSH_PROVIDER must be webhook or gorush (unset: push is off)' })
  provider?: PushProviderName;

  /** A message no device of its recipient has received this long after it was stored is pushed. */
  @Env('PUSH_DELAY_MS') @ToInt()
  @IsInt({ message: 'PUSH_DELAY_MS must be a whole number of milliseconds, e.g. 3000' })
  @Min(0, { message: 'PUSH_DELAY_MS must be at least 0' })
  @Max(3_600_000, { message: 'PUSH_DELAY_MS must be at most 3600000 (an hour)' })
  delayMs: number = 3000;

  /** false: notifications say how many messages came, not what the last one said. */
  @Env('PUSH_PREVIEW') @ToBool()
  @IsBoolean({ message: 'PUSH_PREVIEW must be true or false' })
  preview: boolean = true;

  @Env('PUSH_WEBHOOK_URL') @IsOptional() @IsString()
  webhookUrl?: string;

  @Env('PUSH_WEBHOOK_SECRET') @IsOptional() @IsString()
  @MinLength(16, { message: 'PUSH_WEBHOOK_SECRET is too short: use at least 16 characters, e.g. PUSH_WEBHOOK_SECRET=$(openssl rand -hex 32)' })
  webhookSecret?: string;

  @Env('PUSH_GORUSH_URL') @IsOptional() @IsString()
  gorushUrl?: string;

  /** Tries of one notification before it is given up (state `dead`). */
  @Env('PUSH_MAX_ATTEMPTS') @ToInt()
  @IsInt({ message: 'PUSH_MAX_ATTEMPTS must be a whole number, e.g. 8' })
  @Min(1, { message: 'PUSH_MAX_ATTEMPTS must be at least 1' })
  @Max(100, { message: 'PUSH_MAX_ATTEMPTS must be at most 100' })
  maxAttempts: number = 8;

  /** First retry after about this long, doubling each time (with jitter), at most PUSH_RETRY_MAX_MS. */
  @Env('PUSH_RETRY_BASE_MS') @ToInt()
  @IsInt({ message: 'PUSH_RETRY_BASE_MS must be a whole number of milliseconds, e.g. 1000' })
  @Min(10, { message: 'PUSH_RETRY_BASE_MS must be at least 10' })
  retryBaseMs: number = 1000;

  /** Finished jobs (sent, skipped, dead) are deleted this long after their message was stored. */
  @Env('PUSH_RETENTION_HOURS') @ToInt()
  @IsInt({ message: 'PUSH_RETENTION_HOURS must be a whole number of hours, e.g. 168 (a week)' })
  @Min(1, { message: 'PUSH_RETENTION_HOURS must be at least 1' })
  @Max(87_600, { message: 'PUSH_RETENTION_HOURS must be at most 87600 (ten years)' })
  retentionHours: number = 168;

  @Env('PUSH_RETRY_MAX_MS') @ToInt()
  @IsInt({ message: 'PUSH_RETRY_MAX_MS must be a whole number of milliseconds, e.g. 300000' })
  @Min(10, { message: 'PUSH_RETRY_MAX_MS must be at least 10' })
  retryMaxMs: number = 300_000;

  /** How long a worker holds the jobs it claimed; a killed worker's jobs go to another after it. */
  @Env('PUSH_LEASE_MS') @ToInt()
  @IsInt({ message: 'PUSH_LEASE_MS must be a whole number of milliseconds, e.g. 30000' })
  @Min(500, { message: 'PUSH_LEASE_MS must be at least 500' })
  leaseMs: number = 30_000;

  /** Longest wait for the provider's answer (must be well inside the lease). */
  @Env('PUSH_SEND_TIMEOUT_MS') @ToInt()
  @IsInt({ message: 'PUSH_SEND_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000' })
  @Min(100, { message: 'PUSH_SEND_TIMEOUT_MS must be at least 100' })
  sendTimeoutMs: number = 10_000;

  /** Jobs a worker claims at once, and sends at once. */
  @Env('PUSH_BATCH_SIZE') @ToInt()
  @IsInt({ message: 'PUSH_BATCH_SIZE must be a whole number, e.g. 50' })
  @Min(1, { message: 'PUSH_BATCH_SIZE must be at least 1' })
  @Max(1000, { message: 'PUSH_BATCH_SIZE must be at most 1000' })
  batchSize: number = 50;

  /** How often an idle worker looks for due jobs. */
  @Env('PUSH_POLL_MS') @ToInt()
  @IsInt({ message: 'PUSH_POLL_MS must be a whole number of milliseconds, e.g. 250' })
  @Min(10, { message: 'PUSH_POLL_MS must be at least 10' })
  pollMs: number = 250;

  /** Devices one user may register; beyond, the least recently registered is dropped (one push goes to all of them). */
  @Env('PUSH_MAX_DEVICES_PER_USER') @ToInt()
  @IsInt({ message: 'PUSH_MAX_DEVICES_PER_USER must be a whole number, e.g. 10' })
  @Min(1, { message: 'PUSH_MAX_DEVICES_PER_USER must be at least 1' })
  @Max(1000, { message: 'PUSH_MAX_DEVICES_PER_USER must be at most 1000' })
  maxDevicesPerUser: number = 10;

    get enabled(): boolean {
    return this.provider !== undefined;
  }

  checkConfig(): string[] {
    const problems: string[] = [];
    if (this.provider === 'webhook') {
      if (!this.webhookUrl) problems.push('PUSH_PROVIDER=webhook needs PUSH_WEBHOOK_URL, e.g. PUSH_WEBHOOK_URL=https://push.example.com/notify');
      if (!this.webhookSecret) problems.push('PUSH_PROVIDER=webhook needs PUSH_WEBHOOK_SECRET (the receiver checks the signature with it), e.g. $(openssl rand -hex 32)');
    }
    if (this.provider === 'gorush' && !this.gorushUrl) problems.push('PUSH_PROVIDER=gorush needs PUSH_GORUSH_URL, e.g. PUSH_GORUSH_URL=http://gorush:8088');
    for (const [name, url] of [
      ['PUSH_WEBHOOK_URL', this.webhookUrl],
      ['PUSH_GORUSH_URL', this.gorushUrl],
    ] as const) {
      if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) problems.push(`${name} must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
    }
    if (this.sendTimeoutMs * 2 > this.leaseMs) {
      problems.push(`PUSH_SEND_TIMEOUT_MS (${this.sendTimeoutMs}) must be at most half of PUSH_LEASE_MS (${this.leaseMs}): a send must end well inside its lease`);
    }
    if (this.retryBaseMs > this.retryMaxMs) problems.push(`PUSH_RETRY_BASE_MS (${this.retryBaseMs}) must not exceed PUSH_RETRY_MAX_MS (${this.retryMaxMs})`);
    return problems;
  }
}
