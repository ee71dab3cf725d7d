import { Module } from '@nestjs/common';
import { DevicesController } from './devices.controller';
import { PushDevicesService } from './push-devices.service';

@Module({
  controllers: [DevicesController],
  providers: [PushDevicesService],
})
export class DevicesModule {}
