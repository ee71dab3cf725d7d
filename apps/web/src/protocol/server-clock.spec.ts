import { offsetFrom, serverDate, shortTime } from './server-clock';

describe('server clock', () => {
  const now = Date.UTC(2026, 11, 1, 23, 24, 10); // 2026-12-01 23:24:10 UTC

  it('learns the zone offset from a time the server just took', () => {
    expect(offsetFrom('2026-12-02 07:24:11', now)).toBe(480); // Asia/Shanghai
    expect(offsetFrom('2026-12-01 23:24:09', now)).toBe(0);
    expect(offsetFrom('2026-12-01 18:54:10', now)).toBe(-270);
    expect(offsetFrom('not a time', now)).toBeNull();
    expect(offsetFrom('2026-11-20 10:00:00', now)).toBeNull(); // not "now" anywhere
  });

  it("tells the server's today from before", () => {
    const today = serverDate(now, 480);
    expect(today).toBe('2026-12-02');
    expect(shortTime('2026-12-02 07:24:11', today)).toBe('07:24');
    expect(shortTime('2026-12-01 22:00:00', today)).toBe('12-01');
  });
});
