import { toPageInfo } from '@app/pagination';
import { toHistoryCursorItem, toHistoryItem, toHistoryPage } from './history-response.dto';

const row = { id: 5, seq: 1, senderId: 23, senderName: '手机用户13227769909', text: 'hello!', time: '2019-05-28 17:00:00' };

describe('history response mapping', () => {
  it('puts the legacy fields first, then the additive ones', () => {
    const item = toHistoryItem(row);
    expect(Object.keys(item)).toEqual(['sender', 'text', 'time', 'id', 'senderId']);
    expect(item).toEqual({ sender: '手机用户13227769909', text: 'hello!', time: '2019-05-28 17:00:00', id: 5, senderId: 23 });
  });

  it('leaves out null columns, as the legacy JSON left out nulls', () => {
    expect(JSON.stringify(toHistoryItem({ ...row, senderName: null, text: null, time: null }))).toBe('{"id":5,"senderId":23}');
  });

  it('adds seq to cursor-form items only, after the page form\'s fields', () => {
    const item = toHistoryCursorItem({ ...row, seq: 17 });
    expect(Object.keys(item)).toEqual(['sender', 'text', 'time', 'id', 'senderId', 'seq']);
    expect(item.seq).toBe(17);
    expect(toHistoryItem({ ...row, seq: 17 })).not.toHaveProperty('seq');
  });

  it('keeps the PageInfo key order when mapping the list', () => {
    const info = toPageInfo([row], { pageNum: 1, pageSize: 10, total: 1 });
    const mapped = toHistoryPage(info);
    expect(Object.keys(mapped)).toEqual(Object.keys(info));
    expect(mapped.list).toEqual([toHistoryItem(row)]);
  });
});
