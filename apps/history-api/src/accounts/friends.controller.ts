import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { FriendService } from '@app/accounts';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { DomainError, ErrorCode, LegacyMessages, LegacyOk, LegacyOkMsg, ok, okMsg } from '@app/common';
import { envelope } from './accounts.controller';
import { FriendIdRequestDto, parseQuery, parseUserId, SearchRequestDto, UserIdRequestDto } from './dto/account-request.dto';
import { toCard, toUser, UserCardDto, UserDto } from './dto/user.dto';
import { ImageBase } from './image-base';

const FORM = ['application/x-www-form-urlencoded', 'application/json'];
const FOLLOW_STATE = { mutual: LegacyMessages.mutual, following: LegacyMessages.following, none: LegacyMessages.notFollowing } as const;

/** The legacy friend (`concern`) paths, with their exact answers (CONTRACT section 6). */
@ApiTags('friends')
@ApiExtraModels(UserDto, UserCardDto)
@ApiHeader({ name: 'token', required: true, description: 'The JWT (raw), or Authorization: Bearer <jwt>' })
@Controller('friend')
@UseGuards(TokenGuard)
export class FriendsController {
  constructor(
    private readonly friends: FriendService,
    private readonly images: ImageBase,
  ) {}

  @Post('concern.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Follow a user (关注成功 / 用户不存在)' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: FriendIdRequestDto })
  @ApiOkResponse(envelope(undefined, LegacyMessages.userNotFound))
  async follow(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    await this.friends.follow(userId, parseUserId([query, body], 'friendId'));
    return okMsg(LegacyMessages.followed);
  }

  @Post('unconcern.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop following (取关成功 / 取关失败)' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: FriendIdRequestDto })
  @ApiOkResponse(envelope(undefined, LegacyMessages.unfollowFailed))
  async unfollow(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    if (!(await this.friends.unfollow(userId, parseUserId([query, body], 'friendId')))) {
      throw new DomainError(ErrorCode.NotFollowing, LegacyMessages.unfollowFailed);
    }
    return okMsg(LegacyMessages.unfollowed);
  }

  @Post('check_concern.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'How the caller and a user stand: msg 互相关注, 已关注 or 未关注, status 0' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: FriendIdRequestDto })
  @ApiOkResponse(envelope())
  async check(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    return okMsg(FOLLOW_STATE[await this.friends.state(userId, parseUserId([query, body], 'friendId'))]);
  }

  @Post('get_list.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'The users the caller follows, [{id,name,img}] (status 1 好友数量为零 when none)' })
  @ApiOkResponse({ description: '{"status":0,"data":[{"id","name","img"}]} or {"status":1,"msg":"好友数量为零"}' })
  async list(@Req() req: Request, @CurrentUserId() userId: number): Promise<LegacyOk<UserCardDto[]>> {
    const base = this.images.for(req);
    return ok((await this.friends.following(userId)).map((c) => toCard(c, base)));
  }

  @Post('get_detail.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Another user\'s profile, without the phone' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: FriendIdRequestDto })
  @ApiOkResponse(envelope(UserDto, LegacyMessages.userNotFound))
  async detail(@Req() req: Request, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<UserDto>> {
    return ok(toUser(await this.friends.detail(parseUserId([query, body], 'friendId')), this.images.for(req)));
  }
}

/** Finding people and blocking (CONTRACT section 6 extensions). */
@ApiTags('friends')
@ApiExtraModels(UserCardDto)
@ApiHeader({ name: 'token', required: true, description: 'The JWT (raw), or Authorization: Bearer <jwt>' })
@Controller('user')
@UseGuards(TokenGuard)
export class PeopleController {
  constructor(
    private readonly friends: FriendService,
    private readonly images: ImageBase,
  ) {}

  @Get('search.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'search.do as a GET with q in the query' })
  @ApiOkResponse({ description: 'As the POST' })
  searchByGet(@Req() req: Request, @CurrentUserId() userId: number, @Query() query: unknown): Promise<LegacyOk<UserCardDto[]>> {
    return this.search(req, userId, query, undefined);
  }

  @Post('search.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Find users by an exact phone number or the start of a name (2+ characters); at most 20, never a phone' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: SearchRequestDto })
  @ApiOkResponse({ description: '{"status":0,"data":[{"id","name","img"}]}; an empty q is refused' })
  async search(@Req() req: Request, @CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<UserCardDto[]>> {
    const base = this.images.for(req);
    return ok((await this.friends.search(userId, parseQuery([query, body]))).map((c) => toCard(c, base)));
  }

  @Post('block.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block a user: their messages, typing and receipts no longer reach the caller (every replica within a second)' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: UserIdRequestDto })
  @ApiOkResponse(envelope(undefined, LegacyMessages.userNotFound))
  async block(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    await this.friends.block(userId, parseUserId([query, body], 'userId'));
    return okMsg('屏蔽成功');
  }

  @Post('unblock.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unblock a user' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: UserIdRequestDto })
  @ApiOkResponse(envelope())
  async unblock(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    await this.friends.unblock(userId, parseUserId([query, body], 'userId'));
    return okMsg('已取消屏蔽');
  }

  @Get('block_List.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'block_List.do as a GET' })
  @ApiOkResponse({ description: 'As the POST' })
  blockedByGet(@Req() req: Request, @CurrentUserId() userId: number): Promise<LegacyOk<UserCardDto[]>> {
    return this.blocked(req, userId);
  }

  @Post('block_List.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'The users the caller blocked, [{id,name,img}]' })
  @ApiOkResponse({ description: '{"status":0,"data":[{"id","name","img"}]}' })
  async blocked(@Req() req: Request, @CurrentUserId() userId: number): Promise<LegacyOk<UserCardDto[]>> {
    const base = this.images.for(req);
    return ok((await this.friends.blocked(userId)).map((c) => toCard(c, base)));
  }
}
