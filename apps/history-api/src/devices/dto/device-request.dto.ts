import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PUSH_PLATFORMS, PushDevice, PushPlatform } from '@app/database';
import { formObjects, invalid, single } from '../../params/form-params';

// Printable ASCII without spaces: what FCM, APNs and webhook tokens are made of.
const TOKEN = /^[\x21-\x7e]{1,255}$/;
const APP_ID = /^[\x21-\x7e]{1,128}$/;

function text(objects: Record<string, unknown>[], name: string): string | undefined {
  const raw = single(objects, name);
  if (raw === undefined) return undefined;
  const value = String(raw).trim();
  return value === '' ? undefined : value;
}

function deviceToken(objects: Record<string, unknown>[]): string {
  const token = text(objects, 'deviceToken');
  if (token === undefined) throw invalid('缺少参数 deviceToken (deviceToken is required: the token the push service gave the app)');
  if (!TOKEN.test(token)) throw invalid('参数 deviceToken 无效 (deviceToken must be 1 to 255 printable ASCII characters without spaces)');
  return token;
}

/** push_token.do: `platform` (fcm, apns or webhook), `deviceToken`, optional `appId`. */
export function parseRegisterDevice(sources: readonly unknown[]): PushDevice {
  const objects = formObjects(sources);
  const platform = text(objects, 'platform');
  if (platform === undefined) throw invalid(`缺少参数 platform (platform is required: ${PUSH_PLATFORMS.join(', ')})`);
  if (!(PUSH_PLATFORMS as readonly string[]).includes(platform)) throw invalid(`参数 platform 无效 (platform must be one of ${PUSH_PLATFORMS.join(', ')})`);
  const token = deviceToken(objects);
  const appId = text(objects, 'appId');
  if (appId !== undefined && !APP_ID.test(appId)) throw invalid('参数 appId 无效 (appId must be 1 to 128 printable ASCII characters without spaces)');
  return { platform: platform as PushPlatform, deviceToken: token, ...(appId === undefined ? {} : { appId }) };
}

/** remove_push_token.do: `deviceToken`. */
export function parseRemoveDevice(sources: readonly unknown[]): { deviceToken: string } {
  return { deviceToken: deviceToken(formObjects(sources)) };
}

export class RegisterDeviceRequestDto {
  @ApiProperty({ enum: PUSH_PLATFORMS, example: 'fcm' })
  platform: string;

  @ApiProperty({ description: 'The token the push service gave the app (1..255 printable ASCII).', example: 'dGVzdC10b2tlbi0x' })
  deviceToken: string;

  @ApiPropertyOptional({ description: 'The app (bundle id, FCM project), for providers that serve several.', example: 'com.example.chat' })
  appId?: string;
}

export class RemoveDeviceRequestDto {
  @ApiProperty({ example: 'dGVzdC10b2tlbi0x' })
  deviceToken: string;
}
