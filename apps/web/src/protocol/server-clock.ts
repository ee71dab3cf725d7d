// Message times are the server's wall clock (`yyyy-MM-dd HH:mm:ss` in its CHAT_TIMEZONE, GMT+8
// unless configured), with no zone on the wire. To tell "today" from "before" as the server
// counts days, the client learns the zone's offset from an ack (a time the server just took).

/** The legacy default zone, Asia/Shanghai, until an ack tells otherwise. */
export const DEFAULT_OFFSET_MINUTES = 8 * 60;

/** The server zone's offset from UTC in minutes (to the quarter hour), from a time it took at `nowMs`; null when unreadable. */
export function offsetFrom(serverTime: string, nowMs: number): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(serverTime);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const minutes = Math.round((asUtc - nowMs) / 60_000 / 15) * 15;
  return Math.abs(minutes) <= 14 * 60 ? minutes + 0 : null; // + 0: never -0
}

/** The server's date (`yyyy-MM-dd`) at `nowMs`. */
export function serverDate(nowMs: number, offsetMinutes: number): string {
  return new Date(nowMs + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** `HH:mm` for a time of the server's today, `MM-dd` for one before. */
export function shortTime(time: string, today: string): string {
  return time.slice(0, 10) === today ? time.slice(11, 16) : time.slice(5, 10);
}
