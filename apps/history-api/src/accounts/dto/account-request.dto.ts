import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProfileChange } from '@app/database';
import { formObjects, integer, invalid, single } from '../../params/form-params';

type Form = Record<string, unknown>[];

/** A field as given (passwords are never trimmed); undefined when absent. */
function raw(objects: Form, name: string): string | undefined {
  const value = single(objects, name);
  return value === undefined ? undefined : String(value);
}

function trimmed(objects: Form, name: string): string | undefined {
  const value = raw(objects, name);
  return value === undefined ? undefined : value.trim();
}

export function parseLogin(sources: readonly unknown[]): { phone: string; password: string } {
  const o = formObjects(sources);
  return { phone: trimmed(o, 'phoneNumber') ?? '', password: raw(o, 'password') ?? '' };
}

export function parseRegister(sources: readonly unknown[]): { phone: string; password: string; msgCode?: string } {
  const o = formObjects(sources);
  return { phone: trimmed(o, 'phone') ?? '', password: raw(o, 'password') ?? '', msgCode: trimmed(o, 'msgCode') || undefined };
}

export function parsePhone(sources: readonly unknown[]): string {
  return trimmed(formObjects(sources), 'phoneNumber') ?? '';
}

export function parseReset(sources: readonly unknown[]): { password: string; oldPassword?: string } {
  const o = formObjects(sources);
  return { password: raw(o, 'password') ?? '', oldPassword: raw(o, 'oldPassword') };
}

export function parseProfileChange(sources: readonly unknown[]): ProfileChange {
  const o = formObjects(sources);
  const change: ProfileChange = {};
  for (const field of ['name', 'msg', 'stage', 'img'] as const) {
    const value = field === 'name' || field === 'img' ? trimmed(o, field) : raw(o, field);
    if (value !== undefined) change[field] = value;
  }
  const sex = integer(o, 'sex', 0, 9);
  if (sex !== undefined) change.sex = sex;
  return change;
}

/** A user id field (`friendId`, `userId`), required. */
export function parseUserId(sources: readonly unknown[], name: 'friendId' | 'userId'): number {
  const id = integer(formObjects(sources), name, 1, 2_147_483_647);
  if (id === undefined) throw invalid(`缺少参数 ${name} (${name} is required)`);
  return id;
}

export function parseQuery(sources: readonly unknown[]): string {
  return trimmed(formObjects(sources), 'q') ?? '';
}

export class LoginRequestDto {
  @ApiProperty({ example: '13227769909' }) phoneNumber: string;
  @ApiProperty({ example: 'secret-password' }) password: string;
}

export class RegisterRequestDto {
  @ApiProperty({ example: '13227769909' }) phone: string;
  @ApiProperty({ description: '6 to 128 characters' }) password: string;
  @ApiPropertyOptional({ description: 'The six-digit code from get_msgcode.do (required when ACCOUNTS_REGISTRATION=code)' }) msgCode?: string;
}

export class PhoneRequestDto {
  @ApiProperty({ example: '13227769909' }) phoneNumber: string;
}

export class ResetPasswordRequestDto {
  @ApiProperty({ description: 'The new password, 6 to 128 characters' }) password: string;
  @ApiPropertyOptional({ description: 'The current password (required when ACCOUNTS_RESET_REQUIRES_OLD_PASSWORD=true)' }) oldPassword?: string;
}

export class UpdateUserRequestDto {
  @ApiPropertyOptional({ description: 'At most 50 characters' }) name?: string;
  @ApiPropertyOptional({ description: 'The signature, at most 200 characters' }) msg?: string;
  @ApiPropertyOptional({ description: '0 to 9' }) sex?: number;
  @ApiPropertyOptional({ description: 'At most 50 characters' }) stage?: string;
  @ApiPropertyOptional({ description: 'The `uri` of an image this user uploaded with /user/upload.do: becomes the avatar' }) img?: string;
}

export class FriendIdRequestDto {
  @ApiProperty({ example: 23 }) friendId: number;
}

export class UserIdRequestDto {
  @ApiProperty({ example: 23 }) userId: number;
}

export class SearchRequestDto {
  @ApiProperty({ description: 'An exact phone number, or the start of a name (at least 2 characters)' }) q: string;
}
