import type { WebSocket } from 'ws';
import { FrameIngress, IngressSink } from './frame-ingress';
import { FrameRate } from './frame-rate';
import { InboundBudget } from './inbound-budget';

function ingress(perSecond: number, maxOverruns: number) {
  const ws = { pause: jest.fn(), resume: jest.fn() };
  const sink = { handle: jest.fn((): Promise<void> => Promise.resolve()), paused: jest.fn(), flooding: jest.fn(), failed: jest.fn() };
  const ing = new FrameIngress(ws as unknown as WebSocket, 'owner', sink as IngressSink<string>, { maxFrames: 32, maxBytes: 65536, maxOverruns }, new InboundBudget(1 << 20), new FrameRate(perSecond));
  return { ws, sink, ing };
}

describe('FrameIngress and pings', () => {
  afterEach(() => jest.useRealTimers());

  it('lets pings within the frame rate through without pausing', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { ws, sink, ing } = ingress(10, 3);
    for (let i = 0; i < 20; i++) ing.ping();
    expect(ws.pause).not.toHaveBeenCalled();
    expect(sink.flooding).not.toHaveBeenCalled();
  });

  it('stops reading a socket whose pings go over the rate, and reads it again once the rate has room', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { ws, sink, ing } = ingress(10, 3);
    for (let i = 0; i < 21; i++) ing.ping();
    expect(ws.pause).toHaveBeenCalledTimes(1);
    expect(ing.isPaused).toBe(true);
    jest.advanceTimersByTime(100);
    expect(ws.resume).toHaveBeenCalledTimes(1);
    expect(ing.isPaused).toBe(false);
    expect(sink.flooding).not.toHaveBeenCalled();
  });

  it('closes a socket that keeps pinging over the rate, as a ping flood, once', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { sink, ing } = ingress(10, 3);
    // ws keeps parsing the pings of a chunk already read after the socket is paused.
    for (let i = 0; i < 100; i++) ing.ping();
    expect(sink.flooding).toHaveBeenCalledTimes(1);
    expect(sink.flooding).toHaveBeenCalledWith('owner', 'ping');
  });

  it('never closes for pings when overruns are not limited (0)', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { sink, ing } = ingress(10, 0);
    for (let i = 0; i < 100; i++) ing.ping();
    expect(sink.flooding).not.toHaveBeenCalled();
  });
});
