import type { LoggerService } from '@nestjs/common';

/**
 * Logs the first of a kind of message at once and the rest at most every `everyMs`, with how many
 * were left out: an outage makes every batch or read fail, and one line a second says as much as
 * a thousand.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { last: number; suppressed: number }>();

  constructor(
    private readonly logger: Pick<LoggerService, 'warn' | 'error'>,
    private readonly everyMs = 5000,
  ) {}

  warn(kind: string, message: string): void {
    this.emit('warn', kind, message);
  }

  error(kind: string, message: string): void {
    this.emit('error', kind, message);
  }

  private emit(level: 'warn' | 'error', kind: string, message: string): void {
    const now = Date.now();
    const k = this.kinds.get(kind);
    if (k && now - k.last < this.everyMs) {
      k.suppressed += 1;
      return;
    }
    const more = k?.suppressed ? ` (and ${k.suppressed} more like it in the last ${Math.round((now - k.last) / 1000)} s)` : '';
    this.kinds.set(kind, { last: now, suppressed: 0 });
    if (this.kinds.size > 1000) this.kinds.delete(this.kinds.keys().next().value as string);
    this.logger[level](`${message}${more}`);
  }
}
