// PageInfo as the legacy server's PageHelper 5.1.x put it on the wire.
//
// The legacy answers were Jackson-serialised com.github.pagehelper.PageInfo objects from the 5.1.3/5.1.4
// line: PageInfo extends PageSerializable (so `total` and `list` come first), keeps the deprecated
// getFirstPage()/getLastPage() getters (so `firstPage`/`lastPage` come last, mirroring the
// navigate ones) and computes `isLastPage` as `pageNum == pages || pages == 0`. Key order matters to
// clients that compare or log raw bodies, so toPageInfo() builds the object in exactly that order.

export const DEFAULT_NAVIGATE_PAGES = 8;

export interface PageInfo<T> {
  total: number;
  list: T[];
  pageNum: number;
  pageSize: number;
  size: number;
  startRow: number;
  endRow: number;
  pages: number;
  prePage: number;
  nextPage: number;
  isFirstPage: boolean;
  isLastPage: boolean;
  hasPreviousPage: boolean;
  hasNextPage: boolean;
  navigatePages: number;
  navigatepageNums: number[];
  navigateFirstPage: number;
  navigateLastPage: number;
  firstPage: number;
  lastPage: number;
}

export interface PageWindow {
  /** 0-based index of the first row of the page (Page.startRow). */
  startRow: number;
  /** 0-based index one past the last row of the page (Page.endRow). */
  endRow: number;
}

function assertInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be a safe integer, got ${String(value)}`);
  }
}

/** Page.calculateStartAndEndRow(): which rows page `pageNum` of size `pageSize` covers. */
export function pageWindow(pageNum: number, pageSize: number): PageWindow {
  assertInteger('pageNum', pageNum);
  assertInteger('pageSize', pageSize);
  const startRow = pageNum > 0 ? (pageNum - 1) * pageSize : 0;
  return { startRow, endRow: startRow + pageSize * (pageNum > 0 ? 1 : 0) };
}

/** Page.setTotal(): the page count for `total` rows; -1 means "not counted" and gives one page. */
export function countPages(total: number, pageSize: number): number {
  assertInteger('total', total);
  assertInteger('pageSize', pageSize);
  if (total === -1) return 1;
  if (pageSize <= 0) return 0;
  return Math.floor(total / pageSize) + (total % pageSize === 0 ? 0 : 1);
}

/** PageInfo.calcNavigatepageNums(): the page numbers shown in a navigation bar. */
export function navigatepageNums(pageNum: number, pages: number, navigatePages = DEFAULT_NAVIGATE_PAGES): number[] {
  if (pages <= navigatePages) {
    return Array.from({ length: Math.max(pages, 0) }, (_, i) => i + 1);
  }
  // Java int division: an odd window leans the same way as the legacy one.
  const half = Math.trunc(navigatePages / 2);
  const startNum = pageNum - half;
  const endNum = pageNum + half;
  let first: number;
  if (startNum < 1) {
    first = 1;
  } else if (endNum > pages) {
    first = pages - navigatePages + 1;
  } else {
    first = startNum;
  }
  return Array.from({ length: navigatePages }, (_, i) => first + i);
}

export interface PageQuery {
  pageNum: number;
  pageSize: number;
  /** Total rows over all pages. */
  total: number;
}

/**
 * new PageInfo<>(page, navigatePages) for a Page holding `list` (the rows of page `pageNum`).
 * The caller fetches exactly the rows of pageWindow(pageNum, pageSize); `list` may be shorter on
 * the last page and empty past the end.
 */
export function toPageInfo<T>(list: readonly T[], query: PageQuery, navigatePages = DEFAULT_NAVIGATE_PAGES): PageInfo<T> {
  const { pageNum, pageSize, total } = query;
  assertInteger('navigatePages', navigatePages);
  const pages = countPages(total, pageSize);
  const size = list.length;
  const startRow = size === 0 ? 0 : pageWindow(pageNum, pageSize).startRow + 1;
  const endRow = size === 0 ? 0 : startRow - 1 + size;

  const nums = navigatepageNums(pageNum, pages, navigatePages);
  // calcPage(): everything here stays 0 when the navigation bar is empty (no pages at all).
  let navigateFirstPage = 0;
  let navigateLastPage = 0;
  let prePage = 0;
  let nextPage = 0;
  if (nums.length > 0) {
    navigateFirstPage = nums[0];
    navigateLastPage = nums[nums.length - 1];
    if (pageNum > 1) prePage = pageNum - 1;
    if (pageNum < pages) nextPage = pageNum + 1;
  }

  return {
    total,
    list: [...list],
    pageNum,
    pageSize,
    size,
    startRow,
    endRow,
    pages,
    prePage,
    nextPage,
    isFirstPage: pageNum === 1,
    isLastPage: pageNum === pages || pages === 0,
    hasPreviousPage: pageNum > 1,
    hasNextPage: pageNum < pages,
    navigatePages,
    navigatepageNums: nums,
    navigateFirstPage,
    navigateLastPage,
    // The deprecated getFirstPage()/getLastPage() getters of 5.1.x returned the navigate ones.
    firstPage: navigateFirstPage,
    lastPage: navigateLastPage,
  };
}
