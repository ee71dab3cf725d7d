import { Injectable } from '@nestjs/common';
import { PushConfig } from '@app/config';
import { PushDevice, PushDeviceRepository } from '@app/database';

/** A user's devices for push (CONTRACT section 5); transport-free, so any edge can use it. */
@Injectable()
export class PushDevicesService {
  constructor(
    private readonly devices: PushDeviceRepository,
    private readonly config: PushConfig,
  ) {}

  /**
   * A token already registered moves to this user (one phone, one account at a time): its
   * previous user is no longer pushed to with it. Beyond PUSH_MAX_DEVICES_PER_USER the user's
   * least recently registered device is dropped (a phone reinstalled many times leaves old tokens).
   */
  async register(userId: number, device: PushDevice): Promise<PushDevice> {
    await this.devices.register(userId, device, this.config.maxDevicesPerUser);
    return device;
  }

  remove(userId: number, deviceToken: string): Promise<boolean> {
    return this.devices.remove(userId, deviceToken);
  }
}
