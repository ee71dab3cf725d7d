import { HttpApi } from '../protocol/http-api';
import { socketFactory } from '../testing/fake-socket';
import { tickOf } from '../store/conversation.state';
import { totalUnread } from '../store/conversation-list.state';
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
  const listRequests: URLSearchParams[] = [];
  const markReads: URLSearchParams[] = [];
  let history: (q: URLSearchParams) => object = () => ({ list: [], hasMore: false });
  let conversations: (q: URLSearchParams) => object = () => ({ list: [], nextCursor: null, totalUnread: 0 });
  let clock = 1_000_000;
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://host');
    const q = url.searchParams;
    let data: object;
    if (url.pathname.endsWith('get_Conversation_List.do')) {
      listRequests.push(q);
      data = conversations(q);
    } else if (url.pathname.endsWith('mark_Read.do')) {
      const form = new URLSearchParams(String(init?.body));
      markReads.push(form);
      data = { friendId: Number(form.get('friendId')), readSeq: Number(form.get('seq')) };
    } else {
      requests.push(q);
      data = history(q);
    }
    return new Response(JSON.stringify({ status: 0, data }), { status: 200 });
  }) as typeof fetch;
  const factory = socketFactory();
  const client = new ChatClient({
    api: new HttpApi('', fetchFn),
    session: { token: 't', userId: ME, name: 'me' },
    storage,
    socketUrl: (id, token) => `ws://host/chat/${id}?token=${token}`,
    createSocket: factory.create,
    random: () => 0,
    now: () => clock,
  });
  clientsCreated.push(client);
  return {
    client,
    factory,
    requests,
    listRequests,
    markReads,
    storage,
    setHistory: (h: typeof history) => (history = h),
    setConversations: (c: typeof conversations) => (conversations = c),
    tick: (ms: number) => (clock += ms),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const item = (id: number, senderId: number, text: string) => ({ id, senderId, sender: senderId === ME ? 'me' : '小红', text, time: '2026-12-01 10:00:00' });
/** A message with its v2 position, as live frames and cursor-form history items carry it. */
const v2item = (id: number, seq: number, senderId: number, text: string) => ({ ...item(id, senderId, text), seq, to: senderId === ME ? FRIEND : ME });
const listed = (unread: number, readSeq: number, friendReadSeq: number, last: ReturnType<typeof v2item>) => ({
  friendId: FRIEND,
  friendName: '小红',
  unread,
  readSeq,
  friendReadSeq,
  lastMessage: { id: last.id, seq: last.seq, senderId: last.senderId, sender: last.sender, text: last.text, time: last.time },
});
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  it('offers the token as a subprotocol beside chat.v2, not in the URL it is given', () => {
    const { client, factory } = setup();
    client.start();
    expect(factory.last.protocols).toEqual(['chat.v2', 'chat.token.t']);
  });

  describe('protocol v2', () => {
    it('reads the list at start and after a connect, and counts a live message above its last position once', async () => {
      const { client, factory, listRequests, setConversations } = setup();
      setConversations(() => ({ list: [listed(2, 3, 1, v2item(5, 5, FRIEND, 'two unread'))], nextCursor: null, totalUnread: 2 }));
      client.start();
      factory.last.serverOpens('chat.v2');
      await flush();
      await flush();
      expect(listRequests.length).toBeGreaterThanOrEqual(1);
      expect(listRequests[0].get('limit')).toBe('20');
      expect(client.list.get().items).toMatchObject([{ friendId: FRIEND, unread: 2 }]);

      // Pushed again after a reconnect: already counted. A new one: one more.
      factory.last.serverSends(v2item(5, 5, FRIEND, 'two unread'));
      factory.last.serverSends(v2item(6, 6, FRIEND, 'three'));
      expect(client.list.get().items[0]).toMatchObject({ unread: 3, lastMessage: { id: 6, text: 'three' } });
      expect(totalUnread(client.list.get())).toBe(3);
      // Another conversation moves to the top.
      factory.last.serverSends({ ...item(7, 3, 'hi from 3'), sender: '阿强', seq: 1, to: ME });
      expect(client.list.get().items.map((c) => [c.friendId, c.unread])).toEqual([
        [3, 1],
        [FRIEND, 3],
      ]);
    });

    it('ticks: sent on the ack, delivered on `delivered`, read on the friend\'s `read`', async () => {
      const { client, factory, setHistory } = setup();
      setHistory(() => ({ list: [v2item(5, 1, FRIEND, 'hello')], hasMore: false }));
      client.start();
      factory.last.serverOpens('chat.v2');
      const conv = client.open(FRIEND);
      await flush();
      client.send('你好');
      const frame = JSON.parse(factory.last.sent.at(-1)!) as { clientMsgId: string };
      factory.last.serverSends({ type: 'ack', clientMsgId: frame.clientMsgId, id: 6, seq: 2, time: 't' });
      const mine = () => conv.get().messages.find((m) => m.id === 6)!;
      expect(tickOf(conv.get(), mine())).toBe('sent');
      factory.last.serverSends({ type: 'delivered', friendId: FRIEND, seq: 2 });
      expect(tickOf(conv.get(), mine())).toBe('delivered');
      factory.last.serverSends({ type: 'read', friendId: FRIEND, by: FRIEND, seq: 1, time: 't' });
      expect(tickOf(conv.get(), mine())).toBe('delivered');
      factory.last.serverSends({ type: 'read', friendId: FRIEND, by: FRIEND, seq: 2, time: 't' });
      expect(tickOf(conv.get(), mine())).toBe('read');
      // Positions only move forward.
      factory.last.serverSends({ type: 'delivered', friendId: FRIEND, seq: 1 });
      expect(tickOf(conv.get(), mine())).toBe('read');
    });

    it('reports what came into view once, the newest position, as a read frame; over HTTP when the socket is away', async () => {
      const { client, factory, markReads, setHistory, setConversations } = setup();
      const last = v2item(12, 4, FRIEND, 'd');
      setConversations(() => ({ list: [listed(3, 1, 0, last)], nextCursor: null, totalUnread: 3 }));
      setHistory(() => ({ list: [last, v2item(11, 3, FRIEND, 'c'), v2item(10, 2, FRIEND, 'b'), v2item(9, 1, FRIEND, 'a')], hasMore: false }));
      client.start();
      factory.last.serverOpens('chat.v2');
      await flush();
      client.open(FRIEND);
      await flush();
      await flush();
      client.markSeen(FRIEND, 2);
      client.markSeen(FRIEND, 3);
      client.markSeen(FRIEND, 3);
      expect(client.list.get().items[0]).toMatchObject({ readSeq: 3, unread: 1 });
      await wait(550);
      const reads = factory.last.sent.map((f) => JSON.parse(f) as { type?: string }).filter((f) => f.type === 'read');
      expect(reads).toEqual([{ type: 'read', friendId: FRIEND, seq: 3 }]);

      factory.last.drops();
      client.markSeen(FRIEND, 4);
      expect(client.list.get().items[0]).toMatchObject({ readSeq: 4, unread: 0 });
      await wait(550);
      expect(markReads.map((f) => [f.get('friendId'), f.get('seq')])).toEqual([[String(FRIEND), '4']]);
    });

    it('reports a read again when the list read after a connect does not have it', async () => {
      const { client, factory, setConversations } = setup();
      const last = v2item(12, 4, FRIEND, 'd');
      setConversations(() => ({ list: [listed(3, 1, 0, last)], nextCursor: null, totalUnread: 3 }));
      client.start();
      factory.last.serverOpens('chat.v2');
      await flush();
      client.markSeen(FRIEND, 4);
      await wait(550);
      factory.last.drops(); // the read frame was lost with the socket
      client.reconnectNow();
      factory.last.serverOpens('chat.v2');
      await flush();
      await flush();
      expect(client.list.get().items[0]).toMatchObject({ readSeq: 4, unread: 0 });
      await wait(550);
      expect(factory.last.sent.map((f) => JSON.parse(f) as object)).toContainEqual({ type: 'read', friendId: FRIEND, seq: 4 });
    });

    it("clears the badge on a `read` of the user's own (another tab), and reads the list again when it cannot count", async () => {
      const { client, factory, listRequests, setConversations } = setup();
      setConversations(() => ({ list: [listed(3, 1, 0, v2item(12, 4, FRIEND, 'd'))], nextCursor: null, totalUnread: 3 }));
      client.start();
      factory.last.serverOpens('chat.v2');
      await flush();
      await flush();
      const before = listRequests.length;
      factory.last.serverSends({ type: 'read', friendId: FRIEND, by: ME, seq: 2, time: 't' });
      expect(client.list.get().stale).toBe(true);
      await flush();
      expect(listRequests.length).toBe(before + 1);
      factory.last.serverSends({ type: 'read', friendId: FRIEND, by: ME, seq: 4, time: 't' });
      expect(client.list.get().items[0]).toMatchObject({ readSeq: 4, unread: 0 });
    });

    it('shows typing until it expires or the message comes, and sends typing at most every 1.5 s', async () => {
      const { client, factory, tick } = setup();
      client.start();
      factory.last.serverOpens('chat.v2');
      const conv = client.open(FRIEND);
      await flush();
      factory.last.serverSends({ type: 'typing', friendId: FRIEND });
      expect(conv.get().typingUntil).toBe(client.now + 5000);
      factory.last.serverSends(v2item(5, 1, FRIEND, 'done typing'));
      expect(conv.get().typingUntil).toBeUndefined();

      client.typing(FRIEND);
      tick(1000);
      client.typing(FRIEND);
      tick(500);
      client.typing(FRIEND);
      const typing = factory.last.sent.filter((f) => f.includes('"typing"'));
      expect(typing).toEqual([JSON.stringify({ type: 'typing', friendId: FRIEND }), JSON.stringify({ type: 'typing', friendId: FRIEND })]);
    });

    it('does not take an error without clientMsgId for a message on a v2 socket', async () => {
      const { client, factory, listRequests } = setup();
      client.start();
      factory.last.serverOpens('chat.v2');
      const conv = client.open(FRIEND);
      await flush();
      client.send('pending');
      const before = listRequests.length;
      factory.last.serverSends({ id: null, sender: 0, to: FRIEND, text: '已读位置超出会话末尾', createTime: 't', code: 'READ_PAST_END' });
      expect(conv.get().messages.at(-1)).toMatchObject({ text: 'pending', status: 'sending' });
      await flush();
      expect(listRequests.length).toBe(before + 1);
    });
  });
});
