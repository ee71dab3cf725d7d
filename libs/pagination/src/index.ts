export {
  DEFAULT_NAVIGATE_PAGES,
  countPages,
  navigatepageNums,
  pageWindow,
  toPageInfo,
} from './page-info';
export type { PageInfo, PageQuery, PageWindow } from './page-info';
