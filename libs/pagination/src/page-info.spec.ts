import { countPages, navigatepageNums, pageWindow, toPageInfo } from './page-info';

// Expected values below are worked out by hand from PageHelper 5.1.4's Page/PageInfo source,
// not from the code under test.
const rows = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// The sample answer of the legacy API document.
const LEGACY_SAMPLE = `{
    "status": 0,
    "data": {
        "total": 3,
        "list": [
            {
                "sender": "手机用户13227769909",
                "text": "hello!",
                "time": "2019-05-28 17:00:00"
            },
            {
                "sender": "手机用户18066877585",
                "text": "what's up bro",
                "time": "2019-05-28 17:00:13"
            },
            {
                "sender": "手机用户13227769909",
                "text": "fine",
                "time": "2019-05-28 17:00:18"
            }
        ],
        "pageNum": 1,
        "pageSize": 10,
        "size": 3,
        "startRow": 1,
        "endRow": 3,
        "pages": 1,
        "prePage": 0,
        "nextPage": 0,
        "isFirstPage": true,
        "isLastPage": true,
        "hasPreviousPage": false,
        "hasNextPage": false,
        "navigatePages": 8,
        "navigatepageNums": [
            1
        ],
        "navigateFirstPage": 1,
        "navigateLastPage": 1,
        "firstPage": 1,
        "lastPage": 1
    }
}`;

describe('toPageInfo', () => {
  it('reproduces the sample answer of the legacy API document byte for byte', () => {
    const list = [
      { sender: '手机用户13227769909', text: 'hello!', time: '2019-05-28 17:00:00' },
      { sender: '手机用户18066877585', text: "what's up bro", time: '2019-05-28 17:00:13' },
      { sender: '手机用户13227769909', text: 'fine', time: '2019-05-28 17:00:18' },
    ];
    const body = { status: 0, data: toPageInfo(list, { pageNum: 1, pageSize: 10, total: 3 }) };
    expect(JSON.stringify(body, null, 4)).toBe(LEGACY_SAMPLE);
  });

  it('emits the keys in the legacy order on every page', () => {
    const info = toPageInfo(rows(11, 20), { pageNum: 2, pageSize: 10, total: 95 });
    expect(Object.keys(info)).toEqual(Object.keys((JSON.parse(LEGACY_SAMPLE) as { data: object }).data));
  });

  it('one page, pageSize larger than the total', () => {
    expect(toPageInfo(rows(1, 3), { pageNum: 1, pageSize: 50, total: 3 })).toEqual({
      total: 3,
      list: [1, 2, 3],
      pageNum: 1,
      pageSize: 50,
      size: 3,
      startRow: 1,
      endRow: 3,
      pages: 1,
      prePage: 0,
      nextPage: 0,
      isFirstPage: true,
      isLastPage: true,
      hasPreviousPage: false,
      hasNextPage: false,
      navigatePages: 8,
      navigatepageNums: [1],
      navigateFirstPage: 1,
      navigateLastPage: 1,
      firstPage: 1,
      lastPage: 1,
    });
  });

  it('exactly one full page', () => {
    const info = toPageInfo(rows(1, 10), { pageNum: 1, pageSize: 10, total: 10 });
    expect(info).toMatchObject({ pages: 1, size: 10, startRow: 1, endRow: 10, isLastPage: true, hasNextPage: false });
  });

  it('the last partial page', () => {
    expect(toPageInfo(rows(21, 23), { pageNum: 3, pageSize: 10, total: 23 })).toEqual({
      total: 23,
      list: [21, 22, 23],
      pageNum: 3,
      pageSize: 10,
      size: 3,
      startRow: 21,
      endRow: 23,
      pages: 3,
      prePage: 2,
      nextPage: 0,
      isFirstPage: false,
      isLastPage: true,
      hasPreviousPage: true,
      hasNextPage: false,
      navigatePages: 8,
      navigatepageNums: [1, 2, 3],
      navigateFirstPage: 1,
      navigateLastPage: 3,
      firstPage: 1,
      lastPage: 3,
    });
  });

  it('a middle page of a short conversation', () => {
    expect(toPageInfo(rows(11, 20), { pageNum: 2, pageSize: 10, total: 23 })).toMatchObject({
      startRow: 11,
      endRow: 20,
      prePage: 1,
      nextPage: 3,
      isFirstPage: false,
      isLastPage: false,
      hasPreviousPage: true,
      hasNextPage: true,
    });
  });

  it('exactly 8 pages: the whole range on every page', () => {
    for (const pageNum of [1, 4, 5, 8]) {
      const info = toPageInfo([1], { pageNum, pageSize: 5, total: 40 });
      expect(info.pages).toBe(8);
      expect(info.navigatepageNums).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect([info.navigateFirstPage, info.navigateLastPage, info.firstPage, info.lastPage]).toEqual([1, 8, 1, 8]);
    }
  });

  it('exactly 9 pages: the window slides by one', () => {
    const nav = (pageNum: number) => toPageInfo([1], { pageNum, pageSize: 5, total: 45 }).navigatepageNums;
    expect(nav(1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(nav(4)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // pageNum 5: 5-4 = 1 and 5+4 = 9 both in range, so the "middle" branch starts at 1.
    expect(nav(5)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // pageNum 6: 6+4 = 10 > 9, so the last eight pages.
    expect(nav(6)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(nav(9)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('window at the start, middle and end of 20 pages', () => {
    const info = (pageNum: number) => toPageInfo([1], { pageNum, pageSize: 10, total: 200 });
    expect(info(1).navigatepageNums).toEqual(rows(1, 8));
    expect(info(3).navigatepageNums).toEqual(rows(1, 8));
    // Middle: startNum = pageNum - 4 and eight pages from there (the window leans forward).
    expect(info(10).navigatepageNums).toEqual(rows(6, 13));
    expect(info(10)).toMatchObject({ navigateFirstPage: 6, navigateLastPage: 13, firstPage: 6, lastPage: 13 });
    expect(info(16).navigatepageNums).toEqual(rows(12, 19));
    expect(info(17).navigatepageNums).toEqual(rows(13, 20));
    expect(info(20).navigatepageNums).toEqual(rows(13, 20));
    expect(info(20)).toMatchObject({ prePage: 19, nextPage: 0, isLastPage: true, hasNextPage: false });
  });

  it('a page past the end keeps prePage and leaves the rows at 0', () => {
    expect(toPageInfo([], { pageNum: 5, pageSize: 10, total: 23 })).toMatchObject({
      size: 0,
      startRow: 0,
      endRow: 0,
      pages: 3,
      prePage: 4,
      nextPage: 0,
      isFirstPage: false,
      isLastPage: false,
      hasPreviousPage: true,
      hasNextPage: false,
      navigatepageNums: [1, 2, 3],
    });
  });

  it('no rows at all: empty navigation, everything 0, isLastPage by pages == 0', () => {
    expect(toPageInfo([], { pageNum: 1, pageSize: 10, total: 0 })).toEqual({
      total: 0,
      list: [],
      pageNum: 1,
      pageSize: 10,
      size: 0,
      startRow: 0,
      endRow: 0,
      pages: 0,
      prePage: 0,
      nextPage: 0,
      isFirstPage: true,
      isLastPage: true,
      hasPreviousPage: false,
      hasNextPage: false,
      navigatePages: 8,
      navigatepageNums: [],
      navigateFirstPage: 0,
      navigateLastPage: 0,
      firstPage: 0,
      lastPage: 0,
    });
  });

  it('copies the list so later mutation of the source does not leak into the answer', () => {
    const list = [1, 2];
    const info = toPageInfo(list, { pageNum: 1, pageSize: 10, total: 2 });
    list.push(3);
    expect(info.list).toEqual([1, 2]);
  });

  it('honours another navigatePages like PageHelper (odd window uses int division)', () => {
    expect(toPageInfo([1], { pageNum: 10, pageSize: 1, total: 30 }, 5).navigatepageNums).toEqual([8, 9, 10, 11, 12]);
    expect(navigatepageNums(10, 30, 5)).toEqual([8, 9, 10, 11, 12]);
  });
});

describe('pageWindow', () => {
  it('is 0-based and pageSize wide', () => {
    expect(pageWindow(1, 10)).toEqual({ startRow: 0, endRow: 10 });
    expect(pageWindow(3, 10)).toEqual({ startRow: 20, endRow: 30 });
  });

  it('treats pageNum <= 0 like PageHelper (empty window at 0)', () => {
    expect(pageWindow(0, 10)).toEqual({ startRow: 0, endRow: 0 });
    expect(pageWindow(-3, 10)).toEqual({ startRow: 0, endRow: 0 });
  });

  it('rejects non-integers', () => {
    expect(() => pageWindow(1.5, 10)).toThrow(RangeError);
    expect(() => pageWindow(1, Number.NaN)).toThrow(RangeError);
  });
});

describe('countPages', () => {
  it('rounds up and handles exact multiples', () => {
    expect(countPages(0, 10)).toBe(0);
    expect(countPages(1, 10)).toBe(1);
    expect(countPages(10, 10)).toBe(1);
    expect(countPages(11, 10)).toBe(2);
    expect(countPages(1_000_000, 10)).toBe(100_000);
    expect(countPages(1_000_001, 10)).toBe(100_001);
  });

  it('gives 0 pages for a non-positive pageSize and 1 page for an uncounted total', () => {
    expect(countPages(5, 0)).toBe(0);
    expect(countPages(-1, 10)).toBe(1);
  });
});
