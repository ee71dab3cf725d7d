import { Body, Controller, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from '@app/accounts';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { DomainError, ErrorCode, LegacyMessages, LegacyOk, LegacyOkMsg, ok, okMsg } from '@app/common';
import { AccountsConfig } from '@app/config';
import { clientAddress } from './client-address';
import {
  LoginRequestDto,
  parseLogin,
  parsePhone,
  parseProfileChange,
  parseRegister,
  parseReset,
  PhoneRequestDto,
  RegisterRequestDto,
  ResetPasswordRequestDto,
  UpdateUserRequestDto,
} from './dto/account-request.dto';
import { SignedInDto, TokenDto, toUser, UserDto } from './dto/user.dto';
import { ImageBase } from './image-base';

export const envelope = (model?: new () => object, example = '账号或密码错误') => ({
  description: 'Always HTTP 200, legacy envelope: {"status":0,"msg"?,"data"?} or {"status":1,"msg":"<reason>"}.',
  schema: {
    oneOf: [
      {
        type: 'object',
        properties: { status: { type: 'integer', example: 0 }, msg: { type: 'string' }, ...(model ? { data: { $ref: getSchemaPath(model) } } : {}) },
      },
      { type: 'object', properties: { status: { type: 'integer', example: 1 }, msg: { type: 'string', example } } },
    ],
  },
});

const FORM = ['application/x-www-form-urlencoded', 'application/json'];

/** The legacy user service's paths (CONTRACT section 6): sign-in, registration, profile, password. */
@ApiTags('accounts')
@ApiExtraModels(UserDto, SignedInDto, TokenDto)
@Controller('user')
export class AccountsController {
  constructor(
    private readonly accounts: AccountService,
    private readonly images: ImageBase,
    private readonly config: AccountsConfig,
  ) {}

  @Post('login.do')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with phone and password',
    description: 'An unknown phone and a wrong password both answer 账号或密码错误 after the same work. Attempts are limited per phone and per client address (尝试次数过多，请稍后再试).',
  })
  @ApiConsumes(...FORM)
  @ApiBody({ type: LoginRequestDto })
  @ApiOkResponse(envelope(SignedInDto))
  async login(@Req() req: Request, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<SignedInDto>> {
    const { phone, password } = parseLogin([query, body]);
    const signed = await this.accounts.login(phone, password, this.address(req));
    return okMsg(LegacyMessages.loginOk, { user: toUser(signed.user, this.images.for(req)), token: signed.token });
  }

  @Post('register.do')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Register (ACCOUNTS_REGISTRATION: open, code or closed)',
    description: 'A new user named 手机用户<phone>. Refusals: 手机号码已存在, 信息不完全, 验证码错误, a password policy message, or registration closed.',
  })
  @ApiConsumes(...FORM)
  @ApiBody({ type: RegisterRequestDto })
  @ApiOkResponse(envelope(SignedInDto, '手机号码已存在'))
  async register(@Req() req: Request, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<SignedInDto>> {
    const { phone, password, msgCode } = parseRegister([query, body]);
    const signed = await this.accounts.register(phone, password, msgCode, this.address(req));
    return okMsg(LegacyMessages.registered, { user: toUser(signed.user, this.images.for(req)), token: signed.token });
  }

  @Post('get_msgcode.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a six-digit registration code through the operator\'s SMS webhook (发送成功 / 发送失败)' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: PhoneRequestDto })
  @ApiOkResponse(envelope(undefined, '发送失败'))
  async sendCode(@Req() req: Request, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<never>> {
    if (!(await this.accounts.sendCode(parsePhone([query, body]), this.address(req)))) {
      throw new DomainError(ErrorCode.InvalidParameter, LegacyMessages.codeNotSent);
    }
    return okMsg(LegacyMessages.codeSent);
  }

  @Post('get_user_info.do')
  @HttpCode(200)
  @UseGuards(TokenGuard)
  @ApiHeader({ name: 'token', required: true, description: 'The JWT (raw), or Authorization: Bearer <jwt>' })
  @ApiOperation({ summary: 'The caller\'s own profile' })
  @ApiOkResponse(envelope(UserDto, LegacyMessages.notLoggedIn))
  async info(@Req() req: Request, @CurrentUserId() userId: number): Promise<LegacyOk<UserDto>> {
    return ok(toUser(await this.accounts.profile(userId), this.images.for(req)));
  }

  @Post('update_user_info.do')
  @HttpCode(200)
  @UseGuards(TokenGuard)
  @ApiHeader({ name: 'token', required: true })
  @ApiOperation({ summary: 'Change name, signature (msg), sex, stage, and the avatar (img: the uri of one\'s own upload)' })
  @ApiConsumes(...FORM)
  @ApiBody({ type: UpdateUserRequestDto })
  @ApiOkResponse(envelope(UserDto, '头像必须是自己上传的图片'))
  async update(@Req() req: Request, @CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<UserDto>> {
    const profile = await this.accounts.updateProfile(userId, parseProfileChange([query, body]));
    return okMsg(LegacyMessages.infoUpdated, toUser(profile, this.images.for(req)));
  }

  @Post('login_reset_password.do')
  @HttpCode(200)
  @UseGuards(TokenGuard)
  @ApiHeader({ name: 'token', required: true })
  @ApiOperation({
    summary: 'Change the password',
    description: 'Every token issued before is refused from now on, by every app (at once on replicas that hear of it through Redis, within 5 s otherwise). The answer carries a fresh token.',
  })
  @ApiConsumes(...FORM)
  @ApiBody({ type: ResetPasswordRequestDto })
  @ApiOkResponse(envelope(TokenDto, '信息不完全'))
  async resetPassword(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOkMsg<TokenDto>> {
    const { password, oldPassword } = parseReset([query, body]);
    return okMsg('修改密码成功', { token: await this.accounts.resetPassword(userId, password, oldPassword) });
  }

  @Post('logout.do')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign out (the client forgets its token; 注销成功)' })
  @ApiOkResponse(envelope())
  logout(): LegacyOkMsg<never> {
    return okMsg(LegacyMessages.loggedOut);
  }

  private address(req: Request): string {
    return clientAddress(req, this.config.trustProxyHops);
  }
}
