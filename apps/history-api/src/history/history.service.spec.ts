import { DomainError, ErrorCode } from '@app/common';
import type { HistoryRepository, HistoryRow } from '@app/database';
import { HistoryService } from './history.service';

// The repository is faked by an in-memory conversation; the SQL itself is covered by the
// repository spec and the e2e tests on SQLite and MariaDB.
const row = (seq: number): HistoryRow => ({ id: 100 + seq, seq, senderId: seq % 2 ? 1 : 2, senderName: 'n', text: `t${seq}`, time: '2019-05-28 17:00:00' });

function fakeRepo(total: number, conversationId = 7) {
  const rows = Array.from({ length: total }, (_, i) => row(i + 1));
  const repo = {
    findConversation: jest.fn(async (a: number, b: number) => (Math.min(a, b) === 1 && Math.max(a, b) === 2 ? { id: conversationId, messageCount: total } : null)),
    findBySeqRange: jest.fn(async (_c: number, from: number, to: number) => rows.filter((r) => r.seq >= from && r.seq <= to)),
    findPosition: jest.fn(async (id: number) => {
      if (id === 999) return { conversationId: 8, seq: 1 };
      const r = rows.find((x) => x.id === id);
      return r ? { conversationId, seq: r.seq } : null;
    }),
    findBeforeSeq: jest.fn(async (_c: number, seq: number, limit: number) => rows.filter((r) => r.seq < seq).reverse().slice(0, limit)),
    findAfterSeq: jest.fn(async (_c: number, seq: number, limit: number) => rows.filter((r) => r.seq > seq).slice(0, limit)),
  };
  return { repo, service: new HistoryService(repo as unknown as HistoryRepository) };
}

const noRecords = expect.objectContaining({ code: ErrorCode.NoRecords, message: '不存在记录' });

describe('HistoryService.page', () => {
  it('reads the page as a seq range and the total from the conversation', async () => {
    const { repo, service } = fakeRepo(23);
    const info = await service.page(2, 1, 3, 10);
    expect(repo.findBySeqRange).toHaveBeenCalledWith(7, 21, 23);
    expect(info).toMatchObject({ total: 23, pageNum: 3, size: 3, startRow: 21, endRow: 23, pages: 3, isLastPage: true });
    expect(info.list.map((r) => r.seq)).toEqual([21, 22, 23]);
  });

  it('answers 不存在记录 without touching messages for no friendId, no conversation, or a page past the end', async () => {
    const { repo, service } = fakeRepo(23);
    await expect(service.page(1, undefined, 1, 10)).rejects.toEqual(noRecords);
    await expect(service.page(1, 3, 1, 10)).rejects.toEqual(noRecords);
    await expect(service.page(1, 2, 4, 10)).rejects.toEqual(noRecords);
    await expect(service.page(1, 2, 2147483647, 100)).rejects.toEqual(noRecords);
    expect(repo.findBySeqRange).not.toHaveBeenCalled();
  });

  it('answers 不存在记录 for a conversation whose counter is 0', async () => {
    const { service } = fakeRepo(0);
    await expect(service.page(1, 2, 1, 10)).rejects.toBeInstanceOf(DomainError);
  });
});

describe('HistoryService.slice', () => {
  it('gives the newest messages newest first, with a cursor to go on', async () => {
    const { repo, service } = fakeRepo(23);
    const s = await service.slice(1, 2, { limit: 5 });
    expect(repo.findBeforeSeq).toHaveBeenCalledWith(7, 24, 6);
    expect(s).toMatchObject({ total: 23, limit: 5, order: 'newest-first', hasMore: true, nextBeforeId: 119 });
    expect(s.list.map((r) => r.seq)).toEqual([23, 22, 21, 20, 19]);
  });

  it('stops with hasMore false and no nextBeforeId at the first message', async () => {
    const { service } = fakeRepo(23);
    const s = await service.slice(1, 2, { beforeId: 104, limit: 5 });
    expect(s.list.map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(s.hasMore).toBe(false);
    expect(s).not.toHaveProperty('nextBeforeId');
  });

  it('catches up oldest first after a message or from the start, keeping the position when nothing is new', async () => {
    const { service } = fakeRepo(23);
    const s = await service.slice(1, 2, { afterId: 120, limit: 10 });
    expect(s).toMatchObject({ order: 'oldest-first', hasMore: false, nextAfterId: 123 });
    expect(s.list.map((r) => r.seq)).toEqual([21, 22, 23]);
    expect((await service.slice(1, 2, { afterId: 0, limit: 2 })).list.map((r) => r.seq)).toEqual([1, 2]);
    expect(await service.slice(1, 2, { afterId: 123, limit: 2 })).toMatchObject({ list: [], hasMore: false, nextAfterId: 123 });
  });

  it('refuses a cursor from another conversation or an unknown id with the same message', async () => {
    const { service } = fakeRepo(23);
    const other = await service.slice(1, 2, { beforeId: 999, limit: 5 }).catch((e: DomainError) => e.message);
    const unknown = await service.slice(1, 2, { beforeId: 5000, limit: 5 }).catch((e: DomainError) => e.message);
    expect(other).toMatch(/beforeId/);
    expect(unknown).toBe(other);
  });

  it('gives an empty slice for a friend never written to, and refuses a cursor there', async () => {
    const { repo, service } = fakeRepo(23);
    expect(await service.slice(1, 3, { limit: 5 })).toEqual({ total: 0, list: [], limit: 5, order: 'newest-first', hasMore: false });
    await expect(service.slice(1, 3, { afterId: 101, limit: 5 })).rejects.toMatchObject({ code: ErrorCode.InvalidParameter });
    expect(repo.findPosition).not.toHaveBeenCalled();
  });

  it('answers 不存在记录 without a friendId', async () => {
    const { service } = fakeRepo(23);
    await expect(service.slice(1, undefined, { limit: 5 })).rejects.toEqual(noRecords);
  });
});
