import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { LegacyFail, LegacyOk, ok } from '@app/common';
import { HistoryConfig } from '@app/config';
import type { PageInfo } from '@app/pagination';
import { HistoryRequest, HistoryRequestDto, parseHistoryRequest } from './dto/history-request.dto';
import { HistoryCursorDto, HistoryItemDto, HistoryPageDto, toHistoryCursorItem, toHistoryPage } from './dto/history-response.dto';
import { HistoryService } from './history.service';

export const HISTORY_PATH = 'get_Message_History.do';

type HistoryAnswer = LegacyOk<PageInfo<HistoryItemDto> | HistoryCursorDto>;

const ANSWER_DOC = {
  description:
    'Always HTTP 200. Success: {"status":0,"data":PageInfo} for the page form, {"status":0,"data":cursor slice} for the cursor form. ' +
    'Failure: {"status":1,"msg":"用户未登录"} (token missing, malformed, forged, expired, issued in the future, or of a user that ' +
    'does not exist), {"status":1,"msg":"不存在记录"} ' +
    '(page form: no friendId, no messages, or a page past the end), or {"status":1,"msg":"<reason>"} for a bad parameter.',
  schema: {
    oneOf: [
      { type: 'object', properties: { status: { type: 'integer', example: 0 }, data: { $ref: getSchemaPath(HistoryPageDto) } } },
      { type: 'object', properties: { status: { type: 'integer', example: 0 }, data: { $ref: getSchemaPath(HistoryCursorDto) } } },
      { type: 'object', properties: { status: { type: 'integer', example: 1 }, msg: { type: 'string', example: '不存在记录' } } },
    ],
  },
};

const FORM_DOC =
  'Legacy form (the Android/iOS apps): pageNum, pageSize, friendId; answers PageHelper 5 PageInfo, messages oldest first. ' +
  'Cursor form (extension): beforeId or afterId with limit; answers a slice without page arithmetic. ' +
  'Parameters may come in the query string, the form body, or both (each at most once).';

/** The legacy history endpoint: parse, one service call, map to the wire shape. */
@ApiTags('history')
@ApiExtraModels(HistoryPageDto, HistoryCursorDto)
@ApiHeader({ name: 'token', required: false, description: 'The JWT as the legacy apps send it (raw). Or Authorization: Bearer <jwt>.' })
@Controller('chat_message')
@UseGuards(TokenGuard)
export class HistoryController {
  constructor(
    private readonly history: HistoryService,
    private readonly config: HistoryConfig,
  ) {}

  @Post(HISTORY_PATH)
  @HttpCode(200)
  @ApiOperation({ summary: 'Chat history with a friend (legacy POST, x-www-form-urlencoded)', description: FORM_DOC })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: HistoryRequestDto })
  @ApiOkResponse(ANSWER_DOC)
  post(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<HistoryAnswer | LegacyFail> {
    return this.answer(userId, parseHistoryRequest([query, body], this.config));
  }

  @Get(HISTORY_PATH)
  @ApiOperation({ summary: 'Chat history with a friend (same parameters in the query string)', description: FORM_DOC })
  @ApiQuery({ type: HistoryRequestDto })
  @ApiOkResponse(ANSWER_DOC)
  get(@CurrentUserId() userId: number, @Query() query: unknown): Promise<HistoryAnswer | LegacyFail> {
    return this.answer(userId, parseHistoryRequest([query], this.config));
  }

  private async answer(userId: number, request: HistoryRequest): Promise<HistoryAnswer> {
    if (request.kind === 'page') {
      return ok(toHistoryPage(await this.history.page(userId, request.friendId, request.pageNum, request.pageSize)));
    }
    const slice = await this.history.slice(userId, request.friendId, request);
    const { list, ...rest } = slice;
    const dto: HistoryCursorDto = {
      total: rest.total,
      list: list.map(toHistoryCursorItem),
      size: list.length,
      limit: rest.limit,
      order: rest.order,
      hasMore: rest.hasMore,
      ...(rest.nextBeforeId !== undefined ? { nextBeforeId: rest.nextBeforeId } : {}),
      ...(rest.nextAfterId !== undefined ? { nextAfterId: rest.nextAfterId } : {}),
    };
    return ok(dto);
  }
}
