import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConversationPage, ReadPosition } from '@app/conversations';
import type { ConversationListRow } from '@app/database';

export class LastMessageDto {
  @ApiProperty({ example: 4711 }) id: number;
  @ApiProperty({ description: 'Position in the conversation (1-based, gapless).', example: 17 }) seq: number;
  @ApiProperty({ example: 23 }) senderId: number;
  @ApiProperty({ description: "The sender's user.name (legacy default 手机用户<phone>).", example: '手机用户18066877585' }) sender: string;
  @ApiProperty({ example: '晚上一起吃饭吗？' }) text: string;
  @ApiProperty({ description: 'Receive time, yyyy-MM-dd HH:mm:ss in the chat zone.', example: '2026-11-25 21:31:56' }) time: string;
}

export class ConversationDto {
  @ApiProperty({ example: 23 }) friendId: number;
  @ApiProperty({ example: '手机用户18066877585' }) friendName: string;
  @ApiPropertyOptional({ description: "The friend's user.img; absent when none.", example: 'http://example.com/images/a.jpg' }) friendImg?: string;
  @ApiProperty({ description: "The friend's messages above readSeq: never the user's own, never capped.", example: 3 }) unread: number;
  @ApiProperty({ description: 'How far the user has read (a seq; 0: nothing).', example: 14 }) readSeq: number;
  @ApiProperty({ description: 'How far the friend has read (for read ticks on the user\'s messages).', example: 16 }) friendReadSeq: number;
  @ApiPropertyOptional({ type: LastMessageDto, description: 'The conversation\'s last message (absent only if that row was deleted by hand).' })
  lastMessage?: LastMessageDto;
}

export class ConversationListDto {
  @ApiProperty({ type: [ConversationDto], description: 'Most recent conversation first.' }) list: ConversationDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last one.', example: 'YzEuNDcxMQ' })
  nextCursor: string | null;
  @ApiProperty({ description: "The user's unread messages over all conversations.", example: 5 }) totalUnread: number;
}

export class ReadPositionDto {
  @ApiProperty({ example: 22 }) friendId: number;
  @ApiProperty({ description: 'The read position after the call.', example: 17 }) readSeq: number;
  @ApiProperty({ description: 'Extension: unread messages left in the conversation.', example: 0 }) unread: number;
}

/** Null fields are left out, as the legacy server's JSON left out nulls (nextCursor excepted: the contract shows it). */
export function toConversation(row: ConversationListRow): ConversationDto {
  const m = row.lastMessage;
  return {
    friendId: row.friendId,
    friendName: row.friendName,
    ...(row.friendImg ? { friendImg: row.friendImg } : {}),
    unread: row.unread,
    readSeq: row.readSeq,
    friendReadSeq: row.friendReadSeq,
    ...(m ? { lastMessage: { id: m.id, seq: m.seq, senderId: m.senderId, sender: m.sender, text: m.text, time: m.time } } : {}),
  };
}

export function toConversationList(page: ConversationPage): ConversationListDto {
  return { list: page.list.map(toConversation), nextCursor: page.nextCursor, totalUnread: page.totalUnread };
}

export function toReadPosition(p: ReadPosition): ReadPositionDto {
  return { friendId: p.friendId, readSeq: p.readSeq, unread: p.unread };
}
