import { Injectable } from '@nestjs/common';
import { PushDevice, PushDeviceRepository } from '@app/database';

/** A user's devices for push (CONTRACT section 5); transport-free, so any edge can use it. */
@Injectable()
export class PushDevicesService {
  constructor(private readonly devices: PushDeviceRepository) {}

  async register(userId: number, device: PushDevice): Promise<PushDevice> {
    await this.devices.register(userId, device);
    return device;
  }

  remove(userId: number, deviceToken: string): Promise<boolean> {
    return this.devices.remove(userId, deviceToken);
  }
}
