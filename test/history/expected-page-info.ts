/**
 * PageInfo as PageHelper 5.1.4 computes it, written out again for the tests from the Java source
 * (Page.calculateStartAndEndRow/setTotal, PageInfo.calcNavigatepageNums/calcPage/judgePageBoudary)
 * and deliberately not shared with libs/pagination, so that the two can catch each other out (only
 * the PageInfo type is: the compiler checks the field list).
 */
import type { PageInfo } from '@app/pagination';

export interface LegacyItem {
  sender: string;
  text: string;
  time: string;
  id: number;
  senderId: number;
}

export function expectedPageInfo<T>(all: readonly T[], pageNum: number, pageSize: number): PageInfo<T> {
  const total = all.length;
  const pages = Math.ceil(total / pageSize);
  const offset = (pageNum - 1) * pageSize;
  const list = all.slice(offset, offset + pageSize);
  const size = list.length;

  let nav: number[] = [];
  if (pages <= 8) {
    for (let p = 1; p <= pages; p++) nav.push(p);
  } else {
    let start = pageNum - 4;
    if (start < 1) start = 1;
    else if (pageNum + 4 > pages) start = pages - 7;
    nav = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => start + i);
  }

  // Insertion order is the JSON order of the legacy answer.
  return {
    total,
    list,
    pageNum,
    pageSize,
    size,
    startRow: size ? offset + 1 : 0,
    endRow: size ? offset + size : 0,
    pages,
    prePage: nav.length && pageNum > 1 ? pageNum - 1 : 0,
    nextPage: nav.length && pageNum < pages ? pageNum + 1 : 0,
    isFirstPage: pageNum === 1,
    isLastPage: pageNum === pages || pages === 0,
    hasPreviousPage: pageNum > 1,
    hasNextPage: pageNum < pages,
    navigatePages: 8,
    navigatepageNums: nav,
    navigateFirstPage: nav[0] ?? 0,
    navigateLastPage: nav[nav.length - 1] ?? 0,
    firstPage: nav[0] ?? 0,
    lastPage: nav[nav.length - 1] ?? 0,
  };
}
