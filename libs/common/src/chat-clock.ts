/**
 * Legacy timestamps: `yyyy-MM-dd HH:mm:ss` wall-clock time in the chat zone (Asia/Shanghai by
 * default), which is also how the old server wrote its DATETIME columns.
 */
export class ChatClock {
  private readonly format: Intl.DateTimeFormat;

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
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(at)) parts[p.type] = p.value;
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  }
}
