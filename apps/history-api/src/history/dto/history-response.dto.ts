import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { HistoryRow } from '@app/database';
import type { PageInfo } from '@app/pagination';

/** One message as the legacy apps read it: {sender, text, time}, plus additive id and senderId. */
export class HistoryItemDto {
  @ApiProperty({ description: "The sender's user.name (legacy default 手机用户<phone>).", example: '手机用户13227769909' })
  sender?: string;

  @ApiProperty({ example: 'hello!' })
  text?: string;

  @ApiProperty({ description: 'Receive time, yyyy-MM-dd HH:mm:ss wall clock in the chat zone (Asia/Shanghai by default).', example: '2019-05-28 17:00:00' })
  time?: string;

  @ApiProperty({ description: 'Extension: the stored message id (a cursor for beforeId/afterId).', example: 1042 })
  id: number;

  @ApiProperty({ description: "Extension: the sender's user id.", example: 23 })
  senderId: number;
}

/** Null columns are left out, as the legacy server's JSON left out nulls. */
export function toHistoryItem(row: HistoryRow): HistoryItemDto {
  const item: HistoryItemDto = { id: row.id, senderId: row.senderId };
  const out: Record<string, unknown> = {};
  if (row.senderName !== null) out.sender = row.senderName;
  if (row.text !== null) out.text = row.text;
  if (row.time !== null) out.time = row.time;
  return Object.assign(out, item) as HistoryItemDto;
}

/** Cursor-form item: the page form's fields plus `seq` (protocol v2 clients tick and report reads by it). */
export class HistoryCursorItemDto extends HistoryItemDto {
  @ApiProperty({ description: 'Extension (cursor form): the position in the conversation, 1-based, gapless.', example: 17 })
  seq: number;
}

export function toHistoryCursorItem(row: HistoryRow): HistoryCursorItemDto {
  return Object.assign(toHistoryItem(row), { seq: row.seq });
}

export function toHistoryPage(info: PageInfo<HistoryRow>): PageInfo<HistoryItemDto> {
  // Spread keeps PageHelper's key order; only the list items change shape.
  return { ...info, list: info.list.map(toHistoryItem) };
}

/** PageHelper 5's PageInfo for the OpenAPI description; `implements` keeps it to the interface's fields. */
export class HistoryPageDto implements PageInfo<HistoryItemDto> {
  @ApiProperty({ description: 'Messages in the conversation (both directions).', example: 3 }) total: number;
  @ApiProperty({ type: [HistoryItemDto], description: 'This page, oldest first.' }) list: HistoryItemDto[];
  @ApiProperty({ example: 1 }) pageNum: number;
  @ApiProperty({ example: 10 }) pageSize: number;
  @ApiProperty({ description: 'Items on this page.', example: 3 }) size: number;
  @ApiProperty({ description: '1-based position of the first item of the page.', example: 1 }) startRow: number;
  @ApiProperty({ description: '1-based position of the last item of the page.', example: 3 }) endRow: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ description: 'pageNum - 1, or 0 on page 1.', example: 0 }) prePage: number;
  @ApiProperty({ description: 'pageNum + 1, or 0 on the last page.', example: 0 }) nextPage: number;
  @ApiProperty({ example: true }) isFirstPage: boolean;
  @ApiProperty({ description: 'pageNum == pages.', example: true }) isLastPage: boolean;
  @ApiProperty({ example: false }) hasPreviousPage: boolean;
  @ApiProperty({ example: false }) hasNextPage: boolean;
  @ApiProperty({ description: 'Width of the navigation window: always 8.', example: 8 }) navigatePages: number;
  @ApiProperty({ type: [Number], description: 'Up to 8 page numbers around pageNum.', example: [1] }) navigatepageNums: number[];
  @ApiProperty({ example: 1 }) navigateFirstPage: number;
  @ApiProperty({ example: 1 }) navigateLastPage: number;
  @ApiProperty({ description: 'Same as navigateFirstPage (PageHelper 5.1 getter).', example: 1 }) firstPage: number;
  @ApiProperty({ description: 'Same as navigateLastPage (PageHelper 5.1 getter).', example: 1 }) lastPage: number;
}

export type CursorOrder = 'newest-first' | 'oldest-first';

/** Extension: one slice of a conversation around a message id. */
export class HistoryCursorDto {
  @ApiProperty({ description: 'Messages in the conversation (both directions).', example: 1200 }) total: number;
  @ApiProperty({ type: [HistoryCursorItemDto] }) list: HistoryCursorItemDto[];
  @ApiProperty({ description: 'Items in list.', example: 20 }) size: number;
  @ApiProperty({ example: 20 }) limit: number;
  @ApiProperty({
    enum: ['newest-first', 'oldest-first'],
    description: 'newest-first for beforeId (or no cursor), oldest-first for afterId.',
  })
  order: CursorOrder;
  @ApiProperty({ description: 'More messages lie beyond this slice in its direction.', example: true }) hasMore: boolean;
  @ApiPropertyOptional({ description: 'Newest-first only, when hasMore: pass as beforeId for the next older slice.', example: 1001 })
  nextBeforeId?: number;
  @ApiPropertyOptional({ description: 'Oldest-first only: pass as afterId to continue (the last id seen, or the given afterId if nothing is new).', example: 1042 })
  nextAfterId?: number;
}
