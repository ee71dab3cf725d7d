export {
  DEFAULT_NAVIGATE_PAGES,
  PAGE_INFO_KEYS,
  countPages,
  navigatepageNums,
  pageWindow,
  toPageInfo,
} from './page-info';
export type { PageInfo, PageQuery, PageWindow } from './page-info';
