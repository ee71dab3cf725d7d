import { logColours } from './bootstrap';

describe('logColours', () => {
  it('colours a terminal only, and not when NO_COLOR is set', () => {
    expect(logColours({ isTTY: true }, {})).toBe(true);
    expect(logColours({ isTTY: false }, {})).toBe(false);
    expect(logColours({}, {})).toBe(false);
    expect(logColours({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });
});
