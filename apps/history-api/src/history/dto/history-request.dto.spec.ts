import { DomainError, ErrorCode } from '@app/common';
import { HistoryLimits, parseHistoryRequest } from './history-request.dto';

const limits: HistoryLimits = { maxPageSize: 100, cursorDefaultLimit: 20, cursorMaxLimit: 50 };
const parse = (...sources: unknown[]) => parseHistoryRequest(sources, limits);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe(ErrorCode.InvalidParameter);
    return (e as DomainError).message;
  }
  throw new Error('expected a refusal');
}

describe('parseHistoryRequest', () => {
  describe('legacy page form', () => {
    it('reads the Android form fields', () => {
      expect(parse({}, { pageNum: '2', pageSize: '20', friendId: '22' })).toEqual({ kind: 'page', friendId: 22, pageNum: 2, pageSize: 20 });
    });

    it('applies the legacy defaults, also for blank fields', () => {
      expect(parse({}, {})).toEqual({ kind: 'page', friendId: undefined, pageNum: 1, pageSize: 10 });
      expect(parse({ pageNum: '', pageSize: '  ', friendId: '' })).toEqual({ kind: 'page', friendId: undefined, pageNum: 1, pageSize: 10 });
    });

    it('accepts surrounding spaces, a plus sign, leading zeros and JSON numbers', () => {
      expect(parse({ pageNum: ' 3 ', pageSize: '+5', friendId: '007' })).toEqual({ kind: 'page', friendId: 7, pageNum: 3, pageSize: 5 });
      expect(parse({}, { pageNum: 4, pageSize: 10, friendId: 9 })).toEqual({ kind: 'page', friendId: 9, pageNum: 4, pageSize: 10 });
    });

    it('merges query string and body', () => {
      expect(parse({ friendId: '5' }, { pageNum: '2' })).toEqual({ kind: 'page', friendId: 5, pageNum: 2, pageSize: 10 });
    });

    it('keeps the default page size within a smaller configured bound', () => {
      expect(parseHistoryRequest([{}], { ...limits, maxPageSize: 5 })).toMatchObject({ pageSize: 5 });
    });

    it.each([
      [{ pageNum: 'abc' }, /pageNum .*whole number.*"abc"/],
      [{ pageNum: '1.5' }, /pageNum/],
      [{ pageNum: '1e3' }, /pageNum/],
      [{ pageNum: '0x10' }, /pageNum/],
      [{ pageNum: '0' }, /pageNum must be between 1 and 2147483647/],
      [{ pageNum: '-1' }, /pageNum must be between 1/],
      [{ pageNum: '2147483648' }, /pageNum must be between/],
      [{ pageNum: '123456789012345678901234567890' }, /pageNum must be between/],
      [{ pageSize: '101' }, /pageSize must be between 1 and 100; the server's HISTORY_MAX_PAGE_SIZE is 100/],
      [{ pageSize: '0' }, /pageSize/],
      [{ friendId: '1 OR 1=1' }, /friendId/],
      [{ friendId: "1'; DROP TABLE message; --" }, /friendId/],
      [{ friendId: '0' }, /friendId/],
    ])('refuses %j', (source, message) => {
      expect(refusal(() => parse(source))).toMatch(message);
    });

    it('refuses a non-integer JSON number and a boolean', () => {
      expect(refusal(() => parse({}, { pageNum: 1.5 }))).toMatch(/pageNum/);
      expect(refusal(() => parse({}, { pageNum: true }))).toMatch(/pageNum/);
    });

    it('echoes at most a short prefix of a long bad value', () => {
      const msg = refusal(() => parse({ pageNum: 'x'.repeat(10_000) }));
      expect(msg.length).toBeLessThan(200);
    });
  });

  describe('repeated and array-shaped parameters', () => {
    it.each([
      [[{ pageNum: ['1', '2'] }]], // pageNum=1&pageNum=2
      [[{ pageNum: ['1'] }]], // pageNum[]=1 through the extended parser
      [[{ pageNum: { a: '1' } }]], // pageNum[a]=1
      [[{ 'pageNum[]': '1' }]], // pageNum[]=1 through the simple parser
      [[{ 'pageNum[0]': '1' }]],
      [[{ pageNum: '1' }, { pageNum: '1' }]], // query and body
    ])('refuses %j', (sources) => {
      expect(refusal(() => parseHistoryRequest(sources, limits))).toMatch(/pageNum must be given once/);
    });
  });

  describe('cursor form', () => {
    it('is selected by beforeId, afterId or limit', () => {
      expect(parse({ friendId: '2', beforeId: '10', limit: '5' })).toEqual({ kind: 'cursor', friendId: 2, beforeId: 10, afterId: undefined, limit: 5 });
      expect(parse({ friendId: '2', afterId: '0' })).toEqual({ kind: 'cursor', friendId: 2, beforeId: undefined, afterId: 0, limit: 20 });
      expect(parse({ friendId: '2', limit: '7' })).toEqual({ kind: 'cursor', friendId: 2, beforeId: undefined, afterId: undefined, limit: 7 });
    });

    it('treats blank cursor fields as absent', () => {
      expect(parse({ friendId: '2', limit: '', beforeId: ' ' })).toMatchObject({ kind: 'page' });
    });

    it('refuses both directions at once, mixing with the page form, and a limit out of range', () => {
      expect(refusal(() => parse({ beforeId: '5', afterId: '3' }))).toMatch(/not both/);
      expect(refusal(() => parse({ pageNum: '1', limit: '5' }))).toMatch(/either the page form/);
      expect(refusal(() => parse({ pageSize: '10', beforeId: '5' }))).toMatch(/either the page form/);
      expect(refusal(() => parse({ limit: '51' }))).toMatch(/limit must be between 1 and 50; the server's HISTORY_CURSOR_MAX_LIMIT is 50/);
      expect(refusal(() => parse({ limit: '0' }))).toMatch(/limit/);
      expect(refusal(() => parse({ beforeId: '0' }))).toMatch(/beforeId/);
      expect(refusal(() => parse({ afterId: '-1' }))).toMatch(/afterId/);
    });
  });
});
