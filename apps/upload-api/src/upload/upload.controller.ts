import { Controller, HttpCode, Post, Req, UploadedFile, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentUserId, TokenGuard } from '@app/auth';
import { UploadOwnerRepository } from '@app/database';
import { DomainError, ErrorCode, LegacyOk, ok } from '@app/common';
import type { Request } from 'express';
import { toUploadResult, UploadFailDto, UploadOkDto, UploadResultDto } from './dto/upload-result.dto';
import type { UploadedImage } from './image-storage.engine';
import { PublicUrlService } from './public-url.service';
import { UploadExceptionFilter } from './upload-exception.filter';
import { UPLOAD_FIELD, UploadLimitsInterceptor } from './upload-limits.interceptor';
import { UploadMessages } from './upload-messages';

@ApiTags('upload')
@ApiExtraModels(UploadOkDto, UploadFailDto)
@UseFilters(UploadExceptionFilter)
@Controller()
export class UploadController {
  constructor(
    private readonly urls: PublicUrlService,
    private readonly owners: UploadOwnerRepository,
  ) {}

  @Post('user/upload.do')
  @HttpCode(200)
  @UseGuards(TokenGuard)
  // multer (with our storage engine) stores the file before the handler runs; see image-storage.engine.ts.
  @UseInterceptors(UploadLimitsInterceptor, FileInterceptor(UPLOAD_FIELD))
  @ApiOperation({
    summary: 'Upload an image (legacy)',
    description:
      'One file in the multipart field `upload_file`. The bytes decide: PNG, JPEG, GIF and WebP are accepted whatever the ' +
      'file name or part content type says; anything else, truncated images and images over the pixel limit are refused. ' +
      'The file is streamed to storage under a fresh UUID name without its metadata (EXIF, GPS, XMP, IPTC, comments; the ' +
      'orientation stays), a thumbnail is made, and both are served at the answered URLs. Every answer is HTTP 200 in the ' +
      'legacy envelope.',
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
    description: 'Success `{"status":0,"data":{"uri","url","width","height","thumbUri","thumbUrl"}}` or failure `{"status":1,"msg"}`, both with HTTP 200',
    schema: { oneOf: [{ $ref: getSchemaPath(UploadOkDto) }, { $ref: getSchemaPath(UploadFailDto) }] },
  })
  async upload(@Req() req: Request, @CurrentUserId() userId: number, @UploadedFile() file?: UploadedImage): Promise<LegacyOk<UploadResultDto>> {
    if (!file) throw missingFile(req);
    // Who uploaded it: only one's own upload may become one's avatar (update_user_info.do).
    await this.owners.record(file.stored.uri, userId, Date.now());
    return ok(toUploadResult(file.stored, this.urls.baseFor(req)));
  }
}

// multer passes over a body that is not multipart, and keeps a part without a file name as a field.
function missingFile(req: Request): DomainError {
  if (!req.is('multipart/form-data')) return new DomainError(ErrorCode.UploadInvalid, UploadMessages.notMultipart(UPLOAD_FIELD));
  const body = req.body as Record<string, unknown> | undefined;
  if (body && Object.prototype.hasOwnProperty.call(body, UPLOAD_FIELD)) {
    return new DomainError(ErrorCode.UploadMissingFile, UploadMessages.notAFilePart(UPLOAD_FIELD));
  }
  return new DomainError(ErrorCode.UploadMissingFile, UploadMessages.missingFile(UPLOAD_FIELD));
}
