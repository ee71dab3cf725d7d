import { ChatClock } from './chat-clock';

describe('ChatClock', () => {
  const instant = new Date('2019-05-27T13:31:56Z');

  it('formats in GMT+8 for Asia/Shanghai, as the legacy server wrote', () => {
    expect(new ChatClock('Asia/Shanghai').wallClock(instant)).toBe('2019-05-27 21:31:56');
  });

  it('follows the configured zone', () => {
    expect(new ChatClock('UTC').wallClock(instant)).toBe('2019-05-27 13:31:56');
  });

  it('rolls over the date and uses a 24-hour clock', () => {
    expect(new ChatClock('Asia/Shanghai').wallClock(new Date('2019-12-31T16:00:00Z'))).toBe('2020-01-01 00:00:00');
  });
});
