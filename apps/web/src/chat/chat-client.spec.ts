import { HttpApi } from '../protocol/http-api';
import { socketFactory } from '../testing/fake-socket';
import { ChatClient } from './chat-client';
import type { KeyValueStorage } from './outbox';

// The client's protocol logic against a fake socket and a fake history endpoint: resends keep
// their clientMsgId, catch-up starts after the newest message, nothing is shown twice.

const ME = 1;
const clientsCreated: ChatClient[] = [];
const FRIEND = 2;

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

function setup(storage = memoryStorage()) {
  const requests: URLSearchParams[] = [];
  let history: (q: URLSearchParams) => object = () => ({ list: [], hasMore: false });
  const fetchFn = (async (input: RequestInfo | URL) => {
    const q = new URL(String(input), 'http://host').searchParams;
    requests.push(q);
    return new Response(JSON.stringify({ status: 0, data: history(q) }), { status: 200 });
  }) as typeof fetch;
  const factory = socketFactory();
  const client = new ChatClient({
    api: new HttpApi('', fetchFn),
    session: { token: 't', userId: ME, name: 'me' },
    storage,
    socketUrl: (id, token) => `ws://host/chat/${id}?token=${token}`,
    createSocket: factory.create,
    random: () => 0,
  });
  clientsCreated.push(client);
  return { client, factory, requests, storage, setHistory: (h: typeof history) => (history = h) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const item = (id: number, senderId: number, text: string) => ({ id, senderId, sender: senderId === ME ? 'me' : '小红', text, time: '2026-12-01 10:00:00' });

describe('ChatClient', () => {
  afterEach(() => clientsCreated.splice(0).forEach((c) => c.stop()));
  it('loads the newest page, sends with a clientMsgId, and turns the ack into a sent message', async () => {
    const { client, factory, requests, setHistory } = setup();
    setHistory(() => ({ list: [item(5, FRIEND, 'hello'), item(4, ME, 'hi')], hasMore: true }));
    client.start();
    factory.last.serverOpens();
    const conv = client.open(FRIEND);
    await flush();
    expect(requests[0].get('limit')).toBe('30');
    expect(conv.get()).toMatchObject({ history: 'loaded', hasOlder: true, friendName: '小红' });

    client.send('你好 👋');
    const frame = JSON.parse(factory.last.sent[0]) as { to: number; text: string; clientMsgId: string };
    expect(frame).toMatchObject({ to: FRIEND, text: '你好 👋' });
    expect(conv.get().messages.at(-1)).toMatchObject({ status: 'sending', clientMsgId: frame.clientMsgId });

    factory.last.serverSends({ type: 'ack', clientMsgId: frame.clientMsgId, id: 6, time: '2026-12-01 10:00:05' });
    expect(conv.get().messages.map((m) => [m.id, m.status])).toEqual([
      [4, 'sent'],
      [5, 'received'],
      [6, 'sent'],
    ]);
  });

  it('keeps what was typed offline and sends it on reconnect with the same clientMsgId, then catches up after the newest id', async () => {
    const { client, factory, requests, setHistory } = setup();
    setHistory(() => ({ list: [item(5, FRIEND, 'hello')], hasMore: false }));
    client.start();
    factory.last.serverOpens();
    const conv = client.open(FRIEND);
    await flush();
    client.send('first');
    const first = JSON.parse(factory.last.sent[0]) as { clientMsgId: string };
    factory.last.drops(1001); // the ack never came

    client.send('second');
    expect(conv.get().messages.filter((m) => m.status === 'sending')).toHaveLength(2);
    client.reconnectNow();
    const socket = factory.last;
    socket.serverOpens();
    const resent = socket.sent.map((s) => JSON.parse(s) as { clientMsgId: string; text: string });
    expect(resent.map((f) => f.text)).toEqual(['first', 'second']);
    expect(resent[0].clientMsgId).toBe(first.clientMsgId);

    // The server had stored "first" before the drop; its catch-up must not show it twice.
    setHistory((q) => (q.get('afterId') === '5' ? { list: [item(6, ME, 'first'), item(7, FRIEND, 'while away')], hasMore: false } : { list: [], hasMore: false }));
    socket.serverSends({ type: 'ack', clientMsgId: resent[0].clientMsgId, id: 6, time: 't' });
    socket.serverSends({ type: 'ack', clientMsgId: resent[1].clientMsgId, id: 8, time: 't' });
    await flush();
    await flush();
    expect(requests.at(-1)?.get('afterId')).toBe('5');
    expect(conv.get().messages.map((m) => [m.id, m.text, m.status])).toEqual([
      [5, 'hello', 'received'],
      [6, 'first', 'sent'],
      [7, 'while away', 'received'],
      [8, 'second', 'sent'],
    ]);
    // A live copy of something already shown (pushed again after the reconnect) is dropped.
    socket.serverSends({ ...item(7, FRIEND, 'while away'), to: ME });
    expect(conv.get().messages).toHaveLength(4);
  });

  it('matches an error frame without clientMsgId to the oldest unanswered send', async () => {
    const { client, factory } = setup();
    client.start();
    factory.last.serverOpens();
    const conv = client.open(FRIEND);
    await flush();
    client.send('a');
    client.send('b');
    const [a, b] = factory.last.sent.map((s) => JSON.parse(s) as { clientMsgId: string });
    factory.last.serverSends({ id: null, sender: 0, to: FRIEND, text: '发送太频繁', createTime: 't', code: 'RATE_LIMITED' });
    factory.last.serverSends({ type: 'ack', clientMsgId: b.clientMsgId, id: 9, time: 't' });
    expect(conv.get().messages.map((m) => [m.clientMsgId, m.status, m.retryable])).toEqual([
      [b.clientMsgId, 'sent', undefined],
      [a.clientMsgId, 'failed', true],
    ]);
    client.retry(a.clientMsgId);
    expect(JSON.parse(factory.last.sent.at(-1)!)).toMatchObject({ clientMsgId: a.clientMsgId, text: 'a' });
  });

  it('keeps unsent messages across a reload of the tab', async () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.client.start();
    first.client.open(FRIEND);
    await flush();
    first.client.send('typed before the reload');
    first.client.stop();

    const second = setup(storage);
    second.client.start();
    const conv = second.client.open(FRIEND);
    expect(conv.get().messages).toMatchObject([{ text: 'typed before the reload', status: 'sending' }]);
    second.factory.last.serverOpens();
    expect(second.factory.last.sent.map((s) => (JSON.parse(s) as { text: string }).text)).toEqual(['typed before the reload']);
  });

  it('counts messages of other conversations as notices until opened', async () => {
    const { client, factory } = setup();
    client.start();
    factory.last.serverOpens();
    client.open(FRIEND);
    factory.last.serverSends({ ...item(20, 3, 'psst'), sender: '阿强', to: ME });
    factory.last.serverSends({ ...item(21, 3, 'psst again'), sender: '阿强', to: ME });
    expect(client.state.get().notices).toEqual([{ friendId: 3, name: '阿强', count: 2 }]);
    const other = client.open(3);
    expect(client.state.get().notices).toEqual([]);
    expect(other.get().friendName).toBe('阿强');
  });
});
