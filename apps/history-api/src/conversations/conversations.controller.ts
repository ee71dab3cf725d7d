import { ChatPolicy } from '@app/accounts';
import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { LegacyOk, ok } from '@app/common';
import { ConversationService } from '@app/conversations';
import { ListRequestDto, MarkReadRequestDto, parseListRequest, parseMarkReadRequest } from './dto/conversation-request.dto';
import { ConversationListDto, ReadPositionDto, toConversationList, toReadPosition } from './dto/conversation-response.dto';

export const LIST_PATH = 'get_Conversation_List.do';
export const MARK_READ_PATH = 'mark_Read.do';

const envelope = (model: new () => object, failure: string) => ({
  description: `Always HTTP 200. Success: {"status":0,"data":...}. Failure: {"status":1,"msg":"用户未登录"} for the token, {"status":1,"msg":"<reason>"} ${failure}.`,
  schema: {
    oneOf: [
      { type: 'object', properties: { status: { type: 'integer', example: 0 }, data: { $ref: getSchemaPath(model) } } },
      { type: 'object', properties: { status: { type: 'integer', example: 1 }, msg: { type: 'string', example: '参数 limit 必须在 1 到 100 之间' } } },
    ],
  },
});

/** Conversations for modern clients (CONTRACT section 4): the list with unread counts, and read positions. */
@ApiTags('conversations')
@ApiExtraModels(ConversationListDto, ReadPositionDto)
@ApiHeader({ name: 'token', required: false, description: 'The JWT as the legacy apps send it (raw). Or Authorization: Bearer <jwt>.' })
@Controller('chat_message')
@UseGuards(TokenGuard)
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationService,
    private readonly policy: ChatPolicy,
  ) {}

  @Post(LIST_PATH)
  @HttpCode(200)
  @ApiOperation({ summary: "The user's conversations, most recent first, seek-paged (form body or query)" })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: ListRequestDto, required: false })
  @ApiOkResponse(envelope(ConversationListDto, 'for a bad limit or cursor'))
  async listPost(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<ConversationListDto>> {
    const { limit, cursor } = parseListRequest([query, body]);
    return ok(toConversationList(await this.conversations.list(userId, limit, cursor)));
  }

  @Get(LIST_PATH)
  @ApiOperation({ summary: "The user's conversations (same parameters in the query string)" })
  @ApiQuery({ type: ListRequestDto })
  @ApiOkResponse(envelope(ConversationListDto, 'for a bad limit or cursor'))
  async listGet(@CurrentUserId() userId: number, @Query() query: unknown): Promise<LegacyOk<ConversationListDto>> {
    const { limit, cursor } = parseListRequest([query]);
    return ok(toConversationList(await this.conversations.list(userId, limit, cursor)));
  }

  @Post(MARK_READ_PATH)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Read the conversation with friendId up to seq',
    description:
      'The same as the `read` frame: monotonic (a lower seq changes nothing), refused past the last message or without a conversation. ' +
      "The friend's v2 sockets get the read receipt, the user's own v2 sockets the cleared badge.",
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: MarkReadRequestDto })
  @ApiOkResponse(envelope(ReadPositionDto, 'for a missing or bad friendId or seq, a seq past the end, or no conversation with friendId'))
  async markRead(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<ReadPositionDto>> {
    const { friendId, seq } = parseMarkReadRequest([query, body]);
    // A receipt over HTTP is refused like the read frame: BLOCKED, or NOT_FRIENDS under CHAT_POLICY=friends.
    await this.policy.check(userId, friendId);
    return ok(toReadPosition(await this.conversations.markRead(userId, friendId, seq)));
  }
}
