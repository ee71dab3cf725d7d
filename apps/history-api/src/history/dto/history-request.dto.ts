import { ApiPropertyOptional } from '@nestjs/swagger';
import { formObjects, integer as integerParam, invalid, single as singleParam } from '../../params/form-params';

/** Largest Java int: the legacy server bound these parameters to Integer. */
export const JAVA_INT_MAX = 2_147_483_647;
export const DEFAULT_PAGE_NUM = 1;
export const DEFAULT_PAGE_SIZE = 10;

export interface HistoryLimits {
  maxPageSize: number;
  cursorDefaultLimit: number;
  cursorMaxLimit: number;
}

export interface LegacyPageRequest {
  kind: 'page';
  friendId?: number;
  pageNum: number;
  pageSize: number;
}

export interface CursorRequest {
  kind: 'cursor';
  friendId?: number;
  beforeId?: number;
  afterId?: number;
  limit: number;
}

export type HistoryRequest = LegacyPageRequest | CursorRequest;

const PAGE_PARAMS = ['pageNum', 'pageSize'] as const;
const CURSOR_PARAMS = ['beforeId', 'afterId', 'limit'] as const;
type ParamName = 'friendId' | (typeof PAGE_PARAMS)[number] | (typeof CURSOR_PARAMS)[number];

// The history parameters by name, for the checks below.
const single = (sources: Record<string, unknown>[], name: ParamName) => singleParam(sources, name);
const integer = (sources: Record<string, unknown>[], name: ParamName, min: number, max: number, why = '') => integerParam(sources, name, min, max, why);

/**
 * Reads the history parameters from the query string and the form body (POST sends both to the
 * legacy server, which merged them). The presence of beforeId, afterId or limit selects the
 * cursor form; pageNum/pageSize (or nothing) select the legacy page form.
 */
export function parseHistoryRequest(sources: readonly unknown[], limits: HistoryLimits): HistoryRequest {
  const objects = formObjects(sources);
  const friendId = integer(objects, 'friendId', 1, JAVA_INT_MAX);
  const has = (names: readonly ParamName[]) =>
    names.some((n) => {
      const v = single(objects, n);
      return v !== undefined && String(v).trim() !== '';
    });
  const cursor = has(CURSOR_PARAMS);

  if (cursor) {
    if (has(PAGE_PARAMS)) {
      throw invalid(
        'pageNum/pageSize 不能与 beforeId/afterId/limit 同时使用 (use either the page form pageNum/pageSize or the cursor form beforeId/afterId/limit)',
      );
    }
    const beforeId = integer(objects, 'beforeId', 1, JAVA_INT_MAX);
    const afterId = integer(objects, 'afterId', 0, JAVA_INT_MAX);
    if (beforeId !== undefined && afterId !== undefined) {
      throw invalid('beforeId 与 afterId 只能给一个 (give beforeId to scroll back or afterId to catch up, not both)');
    }
    const limit =
      integer(objects, 'limit', 1, limits.cursorMaxLimit, `; the server's HISTORY_CURSOR_MAX_LIMIT is ${limits.cursorMaxLimit}`) ??
      limits.cursorDefaultLimit;
    return { kind: 'cursor', friendId, beforeId, afterId, limit };
  }

  const pageNum = integer(objects, 'pageNum', 1, JAVA_INT_MAX) ?? DEFAULT_PAGE_NUM;
  const pageSize =
    integer(objects, 'pageSize', 1, limits.maxPageSize, `; the server's HISTORY_MAX_PAGE_SIZE is ${limits.maxPageSize}`) ??
    Math.min(DEFAULT_PAGE_SIZE, limits.maxPageSize);
  return { kind: 'page', friendId, pageNum, pageSize };
}

/** The request fields, for the OpenAPI description (parsing is parseHistoryRequest's job). */
export class HistoryRequestDto {
  @ApiPropertyOptional({ description: 'The other party of the conversation (user id). Without it the answer is 不存在记录.', example: 22 })
  friendId?: number;

  @ApiPropertyOptional({ description: 'Legacy form: 1-based page number, 1..2147483647.', default: DEFAULT_PAGE_NUM, example: 1 })
  pageNum?: number;

  @ApiPropertyOptional({
    description: 'Legacy form: messages per page, 1..HISTORY_MAX_PAGE_SIZE (100 unless configured).',
    default: DEFAULT_PAGE_SIZE,
    example: 10,
  })
  pageSize?: number;

  @ApiPropertyOptional({
    description: 'Cursor form: messages older than this message id, newest first (scroll back). Not with afterId.',
    example: 1042,
  })
  beforeId?: number;

  @ApiPropertyOptional({
    description: 'Cursor form: messages newer than this message id, oldest first (catch up after reconnecting). 0 = from the start. Not with beforeId.',
    example: 1042,
  })
  afterId?: number;

  @ApiPropertyOptional({
    description:
      'Cursor form: most messages to return, 1..HISTORY_CURSOR_MAX_LIMIT (100 unless configured); default HISTORY_CURSOR_DEFAULT_LIMIT (20). ' +
      'limit alone returns the newest messages, newest first.',
    example: 20,
  })
  limit?: number;
}
