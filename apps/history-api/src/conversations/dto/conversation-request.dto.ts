import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { formObjects, integer, invalid, single } from '../../params/form-params';
import { JAVA_INT_MAX } from '../../history/dto/history-request.dto';

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

export interface ListRequest {
  limit: number;
  cursor?: string;
}

export interface MarkReadRequest {
  friendId: number;
  seq: number;
}

/** get_Conversation_List.do: `limit` (default 20, at most 100) and `cursor` (the previous nextCursor). */
export function parseListRequest(sources: readonly unknown[]): ListRequest {
  const objects = formObjects(sources);
  const limit = integer(objects, 'limit', 1, LIST_MAX_LIMIT) ?? LIST_DEFAULT_LIMIT;
  const raw = single(objects, 'cursor');
  const cursor = raw === undefined || String(raw).trim() === '' ? undefined : String(raw).trim();
  return cursor === undefined ? { limit } : { limit, cursor };
}

/** mark_Read.do: `friendId` and `seq`, both required. */
export function parseMarkReadRequest(sources: readonly unknown[]): MarkReadRequest {
  const objects = formObjects(sources);
  const friendId = integer(objects, 'friendId', 1, JAVA_INT_MAX);
  if (friendId === undefined) throw invalid('缺少参数 friendId (friendId is required: the other party of the conversation)');
  const seq = integer(objects, 'seq', 1, JAVA_INT_MAX);
  if (seq === undefined) throw invalid('缺少参数 seq (seq is required: the position read up to, a message\'s seq)');
  return { friendId, seq };
}

export class ListRequestDto {
  @ApiPropertyOptional({ description: `Most conversations to return, 1..${LIST_MAX_LIMIT}.`, default: LIST_DEFAULT_LIMIT, example: 20 })
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page (opaque); absent for the first page.', example: 'YzEuNDcxMQ' })
  cursor?: string;
}

export class MarkReadRequestDto {
  @ApiProperty({ description: 'The other party of the conversation (user id).', example: 22 })
  friendId: number;

  @ApiProperty({ description: 'Read up to this position (a message\'s seq). A lower one than already read changes nothing; one past the last message is refused.', example: 17 })
  seq: number;
}
