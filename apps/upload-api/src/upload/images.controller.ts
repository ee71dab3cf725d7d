import { Controller, Get, Logger, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { fail } from '@app/common';
import { UploadConfig } from '@app/config';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ThumbnailSourceMissingError, ThumbnailStore } from './thumbnail.store';
import { UndecodableImageError } from './thumbnail.service';
import { UploadMessages } from './upload-messages';
import { StoredImage, UploadService } from './upload.service';

// Stored names never change content (fresh UUID per upload), so caches may keep them forever.
const IMMUTABLE = 'public, max-age=31536000, immutable';

@ApiTags('upload')
@Controller('images')
export class ImagesController {
  private readonly logger = new Logger(ImagesController.name);

  constructor(
    private readonly uploads: UploadService,
    private readonly thumbnails: ThumbnailStore,
    private readonly config: UploadConfig,
  ) {}

  @Get(':name')
  @ApiOperation({ summary: 'Serve a stored image at the url the upload answered (legacy path /images/<uri>)' })
  @ApiParam({ name: 'name', example: '0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg', description: '<uuid>.<png|jpg|gif|webp>' })
  @ApiProduces('image/png', 'image/jpeg', 'image/gif', 'image/webp')
  @ApiOkResponse({ description: 'The stored bytes, with the Content-Type of the detected type' })
  @ApiNotFoundResponse({ description: 'No stored image has this name (any other name shape is 404 too)' })
  @ApiResponse({
    status: 422,
    description: 'A thumbnail whose image cannot be decoded: `{"status":1,"msg":"图片不完整或已损坏 (...)"}`',
  })
  @ApiResponse({
    status: 503,
    description: 'A thumbnail not made within UPLOAD_THUMBNAIL_WAIT_MS, or the storage unavailable: `{"status":1,"msg"}`, Retry-After',
  })
  async serve(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Only names of the stored-name shape reach the storage: no traversal, no overlong names.
    let image = await this.uploads.open(name);
    // A thumbnail is made after its upload was answered: one asked for before is waited for.
    if (!image && ThumbnailStore.isThumbnail(name)) {
      if (!(await this.awaitThumbnail(name, res))) return;
      image = await this.uploads.open(name);
    }
    if (!image) throw new NotFoundException('no such image');
    this.send(name, image, req, res);
  }

  /** False when the answer was given here (cannot be made, not in time, storage down). */
  private async awaitThumbnail(name: string, res: Response): Promise<boolean> {
    const waitMs = this.config.thumbnailWaitMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
    try {
      if ((await Promise.race([this.thumbnails.ensure(name), late])) !== 'late') return true;
      res.setHeader('Retry-After', '1');
      this.answer(res, 503, UploadMessages.thumbnailNotReady(waitMs / 1000));
    } catch (err) {
      if (err instanceof ThumbnailSourceMissingError) return true;
      if (err instanceof UndecodableImageError) {
        this.answer(res, 422, UploadMessages.damaged('its pixel data cannot be decoded'));
      } else {
        this.logger.error(`serving the thumbnail ${name} failed: ${String((err as Error)?.message ?? err)}`);
        res.setHeader('Retry-After', '5');
        this.answer(res, 503, UploadMessages.storageUnavailable());
      }
    } finally {
      clearTimeout(timer);
    }
    return false;
  }

  // The suite's error shape, with a status an image view treats as a failure; not cached.
  private answer(res: Response, status: number, msg: string): void {
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).json(fail(msg));
  }

  private send(name: string, image: StoredImage, req: Request, res: Response): void {
    const etag = `"${name}"`;
    res.setHeader('Content-Type', image.mime);
    res.setHeader('Cache-Control', IMMUTABLE);
    res.setHeader('ETag', etag);
    // Opened directly in a browser, the image gets no powers even if a decoder is fooled.
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    const known = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (known.includes(etag) || req.method === 'HEAD') {
      image.stream.destroy();
      res.status(req.method === 'HEAD' ? 200 : 304);
      if (req.method === 'HEAD') res.setHeader('Content-Length', image.size);
      res.end();
      return;
    }
    res.setHeader('Content-Length', image.size);
    res.status(200);
    // A client that leaves early ends the pipeline; nothing to answer then.
    pipeline(image.stream, res).catch(() => undefined);
  }
}
