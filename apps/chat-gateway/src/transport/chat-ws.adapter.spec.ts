import { dirname } from 'node:path';
import { WebSocketServer } from 'ws';
import { assertOurWs } from './chat-ws.adapter';

describe('the ws the chat adapter runs on', () => {
  it('is the one ws of the tree: Nest\'s adapter resolves the same copy as the app', () => {
    const nestAdapter = dirname(require.resolve('@nestjs/platform-ws'));
    expect(require.resolve('ws', { paths: [nestAdapter] })).toBe(require.resolve('ws'));
  });

  it('bounds pending automatic pongs (an option older copies ignore)', () => {
    const server = new WebSocketServer({ noServer: true, maxPendingAutoPongs: 3 } as ConstructorParameters<typeof WebSocketServer>[0]);
    expect((server as unknown as { options: { maxPendingAutoPongs: number } }).options.maxPendingAutoPongs).toBe(3);
    server.close();
  });

  it('refuses a server that is not from that copy', () => {
    expect(() => assertOurWs({})).toThrow(/top-level ws/);
    expect(() => assertOurWs(new WebSocketServer({ noServer: true }))).not.toThrow();
  });
});
