import { socketFactory } from '../testing/fake-socket';
import { ChatConnection, ConnectionState } from './connection';

describe('ChatConnection', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function connection(checkCredentials?: () => Promise<boolean>) {
    const factory = socketFactory();
    const states: ConnectionState[] = [];
    const c = new ChatConnection({
      url: () => 'ws://host/chat/1?token=t',
      protocols: ['chat.v2'],
      createSocket: factory.create,
      random: () => 0,
      backoff: { baseMs: 1000, capMs: 8000 },
      checkCredentials,
    });
    c.onState((s) => states.push(s));
    return { c, factory, states };
  }

  it('offers chat.v2 and reports the protocol the server chose', () => {
    const { c, factory } = connection();
    c.start();
    expect(factory.last.protocols).toEqual(['chat.v2']);
    factory.last.serverOpens('chat.v2');
    expect(c.state).toEqual({ status: 'open', protocol: 'chat.v2' });
  });

  it('reconnects with growing delays until a socket opens, then starts over', () => {
    const { c, factory, states } = connection();
    c.start();
    factory.last.drops();
    expect(c.state).toMatchObject({ status: 'waiting', attempt: 1 });
    jest.advanceTimersByTime(499);
    expect(factory.sockets).toHaveLength(1);
    jest.advanceTimersByTime(1); // 1000 ms / 2 with random() = 0
    expect(factory.sockets).toHaveLength(2);
    factory.last.drops();
    expect(c.state).toMatchObject({ status: 'waiting', attempt: 2 });
    jest.advanceTimersByTime(1000);
    expect(factory.sockets).toHaveLength(3);
    factory.last.drops();
    jest.advanceTimersByTime(2000);
    factory.last.serverOpens();
    expect(c.state.status).toBe('open');

    // Open long enough to count as a success: the next loss waits the shortest delay again.
    jest.advanceTimersByTime(6000);
    factory.last.drops(1001);
    expect(c.state).toMatchObject({ status: 'waiting', attempt: 1 });
    expect(states.map((s) => s.status)).toContain('connecting');
  });

  it('skips the wait when asked (the browser is online again)', () => {
    const { c, factory } = connection();
    c.start();
    factory.last.drops();
    c.reconnectNow();
    expect(factory.sockets).toHaveLength(2);
  });

  it('delivers text frames and sends only while open', () => {
    const { c, factory } = connection();
    const frames: string[] = [];
    c.onFrame((f) => frames.push(f));
    c.start();
    expect(c.send('early')).toBe(false);
    factory.last.serverOpens();
    expect(c.send('now')).toBe(true);
    factory.last.serverSends('{"a":1}');
    expect(factory.last.sent).toEqual(['now']);
    expect(frames).toEqual(['{"a":1}']);
  });

  it('stops for good when the server refuses the token, and not when it is only away', async () => {
    const answers = [Promise.reject(new Error('offline')), Promise.resolve(false)];
    const { c, factory } = connection(() => answers.shift()!);
    c.start();
    factory.last.drops();
    await Promise.resolve();
    await Promise.resolve();
    expect(c.state.status).toBe('waiting');
    jest.advanceTimersByTime(500);
    factory.last.drops();
    await Promise.resolve();
    await Promise.resolve();
    expect(c.state.status).toBe('refused');
    jest.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(2);
  });

  it('closes the socket and never reconnects after stop()', () => {
    const { c, factory } = connection();
    c.start();
    factory.last.serverOpens();
    const socket = factory.last;
    c.stop();
    expect(socket.closedWith).toBe(1000);
    jest.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(1);
    expect(c.state.status).toBe('stopped');
  });
});
