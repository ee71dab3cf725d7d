import { Controller, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { TokenGuard } from '@app/auth';
import { LegacyOk, ok } from '@app/common';
import { UploadConfig } from '@app/config';
import type { Request, Response } from 'express';
import { toUploadResult, UploadFailDto, UploadOkDto, UploadResultDto } from './dto/upload-result.dto';
import { MultipartUploadReader } from './multipart-upload.reader';
import { PublicUrlService } from './public-url.service';
import { UploadExceptionFilter } from './upload-exception.filter';
import { UploadService } from './upload.service';

export const UPLOAD_FIELD = 'upload_file';

@ApiTags('upload')
@ApiExtraModels(UploadOkDto, UploadFailDto)
@UseFilters(UploadExceptionFilter)
@Controller()
export class UploadController {
  constructor(
    private readonly uploads: UploadService,
    private readonly reader: MultipartUploadReader,
    private readonly urls: PublicUrlService,
    private readonly config: UploadConfig,
  ) {}

  @Post('user/upload.do')
  @HttpCode(200)
  @UseGuards(TokenGuard)
  @ApiOperation({
    summary: 'Upload an image (legacy)',
    description:
      'One file in the multipart field `upload_file`. The bytes decide: PNG, JPEG, GIF and WebP are accepted whatever the ' +
      'file name or part content type says; anything else, and truncated images, are refused. The file is streamed to ' +
      'storage under a fresh UUID name and served at the answered `url`. Every answer is HTTP 200 in the legacy envelope.',
  })
  @ApiHeader({ name: 'token', required: true, description: 'The HS256 JWT issued at login (raw, no Bearer); `Authorization: Bearer` works too' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [UPLOAD_FIELD],
      properties: { [UPLOAD_FIELD]: { type: 'string', format: 'binary', description: 'The image (PNG, JPEG, GIF or WebP)' } },
    },
  })
  @ApiOkResponse({
    description: 'Success `{"status":0,"data":{"uri","url"}}` or failure `{"status":1,"msg"}`, both with HTTP 200',
    schema: { oneOf: [{ $ref: getSchemaPath(UploadOkDto) }, { $ref: getSchemaPath(UploadFailDto) }] },
  })
  async upload(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LegacyOk<UploadResultDto>> {
    const uri = await this.reader.readSingleFile(req, {
      field: UPLOAD_FIELD,
      maxFileSize: this.config.maxFileSize,
      consume: (file) => this.uploads.store(file),
      discard: (name) => this.uploads.discard(name),
      // The rest of an oversized body is not read: close once answered, or now if already answered.
      closeConnection: () => (res.headersSent ? req.socket.destroy() : res.setHeader('Connection', 'close')),
    });
    return ok(toUploadResult(uri, this.urls.baseFor(req)));
  }
}
