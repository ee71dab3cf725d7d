/**
 * Legacy timestamps: `yyyy-MM-dd HH:mm:ss` wall-clock time in the chat zone (Asia/Shanghai by
 * default), which is also how the old server wrote its DATETIME columns.
 */
export class ChatClock {
  private readonly format: Intl.DateTimeFormat;
  /** The last second formatted: every message of that second shares the string (formatToParts is costly). */
  private lastSecond = NaN;
  private lastText = '';

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** Formats an instant as the legacy wall-clock string. */
  wallClock(at: Date = new Date()): string {
    const second = Math.floor(at.getTime() / 1000);
    if (second === this.lastSecond) return this.lastText;
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(at)) parts[p.type] = p.value;
    this.lastSecond = second;
    this.lastText = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
    return this.lastText;
  }
}
