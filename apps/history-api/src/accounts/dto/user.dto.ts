import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Profile, UserCard } from '@app/database';

export class UserDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ description: 'Only in the user\'s own profile' }) phone?: string;
  @ApiPropertyOptional() sex?: number;
  @ApiPropertyOptional() stage?: string;
  @ApiPropertyOptional({ description: 'The signature' }) msg?: string;
  @ApiPropertyOptional({ description: 'The avatar, a full URL' }) img?: string;
}

export class UserCardDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ description: 'The avatar, a full URL' }) img?: string;
}

export class SignedInDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ description: 'HS256 JWT {id, iat, exp, ep}' }) token: string;
}

export class TokenDto {
  @ApiProperty({ description: 'A fresh token: every earlier one of the user is refused from now on' }) token: string;
}

/** A stored avatar as the apps load it: a file name under the image base URL, a remote URL as it is. */
export const avatarUrl = (img: string | null, base: string): string | undefined =>
  img === null || img === '' ? undefined : /^https?:\/\//i.test(img) ? img : `${base}${img}`;

/** Null fields are left out (legacy envelope rule). */
export function toUser(p: Omit<Profile, 'phone'> & { phone?: string | null }, base: string): UserDto {
  const dto: UserDto = { id: p.id, name: p.name };
  if (p.phone) dto.phone = p.phone;
  if (p.sex !== null) dto.sex = p.sex;
  if (p.stage !== null) dto.stage = p.stage;
  if (p.msg !== null) dto.msg = p.msg;
  const img = avatarUrl(p.img, base);
  if (img) dto.img = img;
  return dto;
}

export function toCard(c: UserCard, base: string): UserCardDto {
  const img = avatarUrl(c.img, base);
  return img ? { id: c.id, name: c.name, img } : { id: c.id, name: c.name };
}
