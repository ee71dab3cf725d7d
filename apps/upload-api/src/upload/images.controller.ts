import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { UploadService } from './upload.service';

// Stored names never change content (fresh UUID per upload), so caches may keep them forever.
const IMMUTABLE = 'public, max-age=31536000, immutable';

@ApiTags('upload')
@Controller('images')
export class ImagesController {
  constructor(private readonly uploads: UploadService) {}

  @Get(':name')
  @ApiOperation({ summary: 'Serve a stored image at the url the upload answered (legacy path /images/<uri>)' })
  @ApiParam({ name: 'name', example: '0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg', description: '<uuid>.<png|jpg|gif|webp>' })
  @ApiProduces('image/png', 'image/jpeg', 'image/gif', 'image/webp')
  @ApiOkResponse({ description: 'The stored bytes, with the Content-Type of the detected type' })
  @ApiNotFoundResponse({ description: 'No stored image has this name (any other name shape is 404 too)' })
  async serve(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Only names of the stored-name shape reach the storage: no traversal, no overlong names.
    const image = await this.uploads.open(name);
    if (!image) throw new NotFoundException('no such image');
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
    await pipeline(image.stream, res).catch(() => undefined);
  }
}
