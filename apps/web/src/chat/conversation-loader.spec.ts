import { fakeContext, FRIEND, item } from '../testing/fake-context';
import { ConversationLoader } from './conversation-loader';

describe('ConversationLoader', () => {
  it('loads the newest page, then older pages before the oldest id', async () => {
    const queries: unknown[] = [];
    const history = (_t: string, _f: number, q: { beforeId?: number }) => {
      queries.push(q);
      return Promise.resolve(q.beforeId ? { list: [item(1, 1, FRIEND)], hasMore: false } : { list: [item(2, 2, FRIEND), item(3, 3, FRIEND)], hasMore: true });
    };
    const { ctx, conversation } = fakeContext({ history } as never);
    const store = conversation();
    const loader = new ConversationLoader(ctx);
    await loader.loadNewest(FRIEND);
    expect(store.get()).toMatchObject({ history: 'loaded', hasOlder: true });
    await loader.loadOlder(FRIEND);
    expect(queries).toEqual([{ limit: 30 }, { beforeId: 2, limit: 30 }]);
    expect(store.get().messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(store.get().hasOlder).toBe(false);
  });

  it('catches up after the newest message, page by page, one catch-up at a time', async () => {
    const queries: { afterId?: number }[] = [];
    const history = (_t: string, _f: number, q: { afterId?: number }) => {
      queries.push(q);
      if (q.afterId === undefined) return Promise.resolve({ list: [item(3, 3, FRIEND)], hasMore: false });
      return Promise.resolve(q.afterId === 3 ? { list: [item(4, 4, FRIEND)], hasMore: true, nextAfterId: 4 } : { list: [item(5, 5, FRIEND)], hasMore: false });
    };
    const { ctx, conversation } = fakeContext({ history } as never);
    const store = conversation();
    const loader = new ConversationLoader(ctx);
    await loader.loadNewest(FRIEND);
    const a = loader.refresh(FRIEND);
    expect(loader.refresh(FRIEND)).toBe(a);
    await a;
    expect(queries.slice(1)).toEqual([{ afterId: 3, limit: 100 }, { afterId: 4, limit: 100 }]);
    expect(store.get().messages.map((m) => m.id)).toEqual([3, 4, 5]);
  });

  it('loads the first page instead when it never came, and shows a failure', async () => {
    let fail = true;
    const history = () => (fail ? Promise.reject(new Error('offline')) : Promise.resolve({ list: [item(1, 1, FRIEND)], hasMore: false }));
    const { ctx, conversation } = fakeContext({ history } as never);
    const store = conversation();
    const loader = new ConversationLoader(ctx);
    await loader.loadNewest(FRIEND);
    expect(store.get()).toMatchObject({ history: 'error', error: 'offline' });
    fail = false;
    await loader.refresh(FRIEND);
    expect(store.get()).toMatchObject({ history: 'loaded' });
    expect(store.get().messages.map((m) => m.id)).toEqual([1]);
  });

  it('opens a conversation named by the list, with its read positions and pending sends, and catches up when it exists', async () => {
    const queries: unknown[] = [];
    const history = (_t: string, _f: number, q: unknown) => (queries.push(q), Promise.resolve({ list: [item(3, 3, FRIEND)], hasMore: false }));
    const { ctx } = fakeContext({ history } as never);
    ctx.list.set((l) => ({ ...l, items: [{ friendId: FRIEND, friendName: '阿强', unread: 0, readSeq: 2, friendReadSeq: 1, lastMessage: item(3, 3, FRIEND) }] as never }));
    const loader = new ConversationLoader(ctx);
    const store = loader.open(FRIEND, undefined, (s) => ({ ...s, error: 'pending added' }));
    expect(store.get()).toMatchObject({ friendName: '阿强', readSeq: 2, friendReadSeq: 1, error: 'pending added' });
    expect(ctx.conversations.get(FRIEND)).toBe(store);
    await new Promise((r) => setTimeout(r, 0));
    expect(loader.open(FRIEND, 'other', (s) => s)).toBe(store);
    await new Promise((r) => setTimeout(r, 0));
    expect(queries).toEqual([{ limit: 30 }, { afterId: 3, limit: 100 }]);
  });
});
