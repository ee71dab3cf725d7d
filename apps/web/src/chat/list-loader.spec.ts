import type { ConversationPage } from '../protocol/http-api';
import { fakeContext, FRIEND, item } from '../testing/fake-context';
import { ListLoader } from './list-loader';

const summary = (readSeq: number) => ({ friendId: FRIEND, friendName: '小红', unread: 0, readSeq, friendReadSeq: 0, lastMessage: item(5, 5, FRIEND) });

describe('ListLoader', () => {
  it('reads the first page once at a time, and once more when asked meanwhile', async () => {
    const calls: unknown[] = [];
    let release!: () => void;
    const conversations = jest.fn((_t: string, q: unknown) => {
      calls.push(q);
      return calls.length === 1 ? new Promise<ConversationPage>((r) => (release = () => r({ list: [summary(0)], nextCursor: null, totalUnread: 0 } as never))) : Promise.resolve({ list: [summary(0)], nextCursor: null, totalUnread: 0 } as never);
    });
    const { ctx } = fakeContext({ conversations } as never);
    const l = new ListLoader(ctx, () => undefined);
    const first = l.load();
    const second = l.load();
    void l.load();
    expect(second).toBe(first);
    release();
    await first;
    expect(calls).toEqual([{ limit: 20 }, { limit: 20 }]);
    expect(ctx.list.get().status).toBe('loaded');
  });

  it('reports again a read of this tab the server does not have', async () => {
    const { ctx } = fakeContext({ conversations: () => Promise.resolve({ list: [summary(2)], nextCursor: null, totalUnread: 0 }) } as never);
    const again: [number, number][] = [];
    const l = new ListLoader(ctx, (f, s) => again.push([f, s]));
    await l.load();
    ctx.list.set((x) => ({ ...x, items: x.items.map((c) => ({ ...c, readSeq: 4 })) }));
    await l.load();
    expect(again).toEqual([[FRIEND, 4]]);
  });

  it('shows an error when the first read fails, and keeps a loaded list when a later one does', async () => {
    let fail = true;
    const { ctx } = fakeContext({ conversations: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve({ list: [], nextCursor: 'c', totalUnread: 0 })) } as never);
    const l = new ListLoader(ctx, () => undefined);
    await l.load();
    expect(ctx.list.get()).toMatchObject({ status: 'error', error: 'down' });
    fail = false;
    await l.load();
    fail = true;
    await l.load();
    expect(ctx.list.get().status).toBe('loaded');
    await l.loadMore();
    expect(ctx.list.get()).toMatchObject({ loadingMore: false, error: 'down' });
  });
});
