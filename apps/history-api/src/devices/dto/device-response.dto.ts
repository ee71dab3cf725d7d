import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PushDevice } from '@app/database';

export class DeviceDto {
  @ApiProperty({ example: 'fcm' })
  platform: string;

  @ApiProperty({ example: 'dGVzdC10b2tlbi0x' })
  deviceToken: string;

  @ApiPropertyOptional({ example: 'com.example.chat' })
  appId?: string;
}

export class RemovedDeviceDto {
  @ApiProperty({ example: 'dGVzdC10b2tlbi0x' })
  deviceToken: string;

  @ApiProperty({ description: 'false when the user had no such device (nothing to do; still status 0).', example: true })
  removed: boolean;
}

export const toDevice = (d: PushDevice): DeviceDto => ({ platform: d.platform, deviceToken: d.deviceToken, ...(d.appId ? { appId: d.appId } : {}) });
export const toRemovedDevice = (deviceToken: string, removed: boolean): RemovedDeviceDto => ({ deviceToken, removed });
