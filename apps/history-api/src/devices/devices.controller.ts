import { Body, Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { LegacyOk, ok } from '@app/common';
import { parseRegisterDevice, parseRemoveDevice, RegisterDeviceRequestDto, RemoveDeviceRequestDto } from './dto/device-request.dto';
import { DeviceDto, RemovedDeviceDto, toDevice, toRemovedDevice } from './dto/device-response.dto';
import { PushDevicesService } from './push-devices.service';

export const PUSH_TOKEN_PATH = 'push_token.do';
export const REMOVE_PUSH_TOKEN_PATH = 'remove_push_token.do';

const envelope = (model: new () => object) => ({
  description: 'Always HTTP 200. Success: {"status":0,"data":...}. Failure: {"status":1,"msg":"用户未登录"} for the token, {"status":1,"msg":"<reason>"} for a bad parameter.',
  schema: {
    oneOf: [
      { type: 'object', properties: { status: { type: 'integer', example: 0 }, data: { $ref: getSchemaPath(model) } } },
      { type: 'object', properties: { status: { type: 'integer', example: 1 }, msg: { type: 'string', example: '缺少参数 deviceToken' } } },
    ],
  },
});

/** Devices to push to when the user holds no socket (CONTRACT section 5). */
@ApiTags('push')
@ApiExtraModels(DeviceDto, RemovedDeviceDto)
@ApiHeader({ name: 'token', required: false, description: 'The JWT as the legacy apps send it (raw). Or Authorization: Bearer <jwt>.' })
@Controller('user')
@UseGuards(TokenGuard)
export class DevicesController {
  constructor(private readonly devices: PushDevicesService) {}

  @Post(PUSH_TOKEN_PATH)
  @HttpCode(200)
  @ApiOperation({ summary: "Register a device of the user for push (a token known for another user moves to this one)" })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RegisterDeviceRequestDto })
  @ApiOkResponse(envelope(DeviceDto))
  async register(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<DeviceDto>> {
    return ok(toDevice(await this.devices.register(userId, parseRegisterDevice([query, body]))));
  }

  @Post(REMOVE_PUSH_TOKEN_PATH)
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a device of the user (signed out); nothing is pushed to it any more' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RemoveDeviceRequestDto })
  @ApiOkResponse(envelope(RemovedDeviceDto))
  async remove(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown): Promise<LegacyOk<RemovedDeviceDto>> {
    const { deviceToken } = parseRemoveDevice([query, body]);
    return ok(toRemovedDevice(deviceToken, await this.devices.remove(userId, deviceToken)));
  }
}
