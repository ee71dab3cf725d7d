import type { ConversationSummary } from '../protocol/http-api';
import { initialList, listLoaded, listMessage, listPageAppended, listReadByFriend, listReadByMe, totalUnread } from './conversation-list.state';

const ME = 1;
const entry = (friendId: number, lastId: number, seq: number, unread = 0, readSeq = 0): ConversationSummary => ({
  friendId,
  friendName: `f${friendId}`,
  unread,
  readSeq,
  friendReadSeq: 0,
  lastMessage: { id: lastId, seq, senderId: friendId, sender: `f${friendId}`, text: `t${lastId}`, time: '2026-12-01 10:00:00' },
});
const live = (id: number, seq: number, senderId: number, to: number) => ({ id, seq, senderId, to, sender: `f${senderId}`, text: `t${id}`, time: 't' });

describe('conversation list state', () => {
  it('takes the first page, newest first, and keeps what live frames moved on while it was read', () => {
    let s = listLoaded(initialList(ME), { list: [entry(2, 10, 5, 1), entry(3, 8, 2)], nextCursor: 'c', totalUnread: 4 });
    expect(totalUnread(s)).toBe(4); // 1 here, 3 on pages not loaded
    s = listMessage(s, live(12, 6, 2, ME));
    s = listMessage(s, live(13, 1, 4, ME));
    // An answer read before those two arrived.
    s = listLoaded(s, { list: [entry(2, 10, 5, 1), entry(3, 8, 2)], nextCursor: 'c', totalUnread: 4 });
    expect(s.items.map((c) => [c.friendId, c.unread, c.lastMessage?.id])).toEqual([
      [4, 1, 13],
      [2, 2, 12],
      [3, 0, 8],
    ]);
  });

  it("counts the friend's messages above the read position once, never one's own", () => {
    let s = listLoaded(initialList(ME), { list: [entry(2, 10, 5, 1, 4)], nextCursor: null, totalUnread: 1 });
    s = listMessage(s, live(10, 5, 2, ME)); // the listed last message again
    s = listMessage(s, live(11, 6, ME, 2)); // mine
    expect(s.items[0]).toMatchObject({ unread: 1, lastMessage: { id: 11, senderId: ME } });
    s = listMessage(s, live(12, 7, 2, ME));
    expect(s.items[0].unread).toBe(2);
  });

  it("keeps a read of this tab's that the answer does not have yet, and the further read ticks", () => {
    let s = listLoaded(initialList(ME), { list: [entry(2, 10, 5, 2, 3)], nextCursor: null, totalUnread: 2 });
    s = listReadByMe(s, 2, 5);
    s = listReadByFriend(s, 2, 4);
    s = listLoaded(s, { list: [entry(2, 10, 5, 2, 3)], nextCursor: null, totalUnread: 2 });
    expect(s.items[0]).toMatchObject({ readSeq: 5, unread: 0, friendReadSeq: 4 });
  });

  it('appends later pages once each, moving the unread of other pages into the list', () => {
    let s = listLoaded(initialList(ME), { list: [entry(2, 10, 5, 1)], nextCursor: 'c', totalUnread: 3 });
    s = listPageAppended(s, { list: [entry(2, 10, 5, 1), entry(3, 4, 2, 2)], nextCursor: null, totalUnread: 3 });
    expect(s.items.map((c) => c.friendId)).toEqual([2, 3]);
    expect(totalUnread(s)).toBe(3);
    expect(s.nextCursor).toBeNull();
  });

  it('a read of my own clears the badge up to the end, or takes the count given, or marks the list stale', () => {
    const base = listLoaded(initialList(ME), { list: [entry(2, 10, 5, 3, 2)], nextCursor: null, totalUnread: 3 });
    expect(listReadByMe(base, 2, 5).items[0]).toMatchObject({ readSeq: 5, unread: 0 });
    expect(listReadByMe(base, 2, 4, 1).items[0]).toMatchObject({ readSeq: 4, unread: 1 });
    const stale = listReadByMe(base, 2, 4);
    expect(stale.stale).toBe(true);
    expect(listReadByMe(base, 2, 1)).toBe(base); // backwards: nothing
  });

  it('names a conversation this user started by the name the conversation had, not "User <id>"', () => {
    let s = listLoaded(initialList(ME), { list: [], nextCursor: null, totalUnread: 0 });
    s = listMessage(s, live(20, 1, ME, 4), 'Dora');
    expect(s.items[0].friendName).toBe('Dora');
    s = listMessage(s, live(21, 2, ME, 5));
    expect(s.items[0].friendName).toBe('User 5');
  });

  it("moves the friend's read position forward only", () => {
    const base = listLoaded(initialList(ME), { list: [entry(2, 10, 5)], nextCursor: null, totalUnread: 0 });
    const read = listReadByFriend(base, 2, 4);
    expect(read.items[0].friendReadSeq).toBe(4);
    expect(listReadByFriend(read, 2, 3)).toBe(read);
  });
});
