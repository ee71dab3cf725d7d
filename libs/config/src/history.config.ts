import { IsInt, Max, Min } from 'class-validator';
import { Env, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

/** Settings of the chat history API. */
export class HistoryConfig implements ConfigCheck {
  /**
   * Upper bound of the legacy `pageSize` (the old server had none, so one request could ask for
   * a whole conversation). Larger values are refused with a status:1 message naming the bound.
   */
  @Env('HISTORY_MAX_PAGE_SIZE') @ToInt()
  @IsInt({ message: 'HISTORY_MAX_PAGE_SIZE must be a whole number of messages, e.g. 100' })
  @Min(10, { message: 'HISTORY_MAX_PAGE_SIZE must be at least 10: the legacy apps ask for 10 per page by default' })
  @Max(1000, { message: 'HISTORY_MAX_PAGE_SIZE must be at most 1000' })
  maxPageSize: number = 100;

  /** `limit` of the cursor form when the client gives none. */
  @Env('HISTORY_CURSOR_DEFAULT_LIMIT') @ToInt()
  @IsInt({ message: 'HISTORY_CURSOR_DEFAULT_LIMIT must be a whole number of messages, e.g. 20' })
  @Min(1, { message: 'HISTORY_CURSOR_DEFAULT_LIMIT must be at least 1' })
  cursorDefaultLimit: number = 20;

  /** Upper bound of `limit` in the cursor form. */
  @Env('HISTORY_CURSOR_MAX_LIMIT') @ToInt()
  @IsInt({ message: 'HISTORY_CURSOR_MAX_LIMIT must be a whole number of messages, e.g. 100' })
  @Min(1, { message: 'HISTORY_CURSOR_MAX_LIMIT must be at least 1' })
  @Max(1000, { message: 'HISTORY_CURSOR_MAX_LIMIT must be at most 1000' })
  cursorMaxLimit: number = 100;

  checkConfig(): string[] {
    return this.cursorDefaultLimit > this.cursorMaxLimit
      ? [`HISTORY_CURSOR_DEFAULT_LIMIT (${this.cursorDefaultLimit}) must not exceed HISTORY_CURSOR_MAX_LIMIT (${this.cursorMaxLimit})`]
      : [];
  }
}
