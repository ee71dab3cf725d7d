import { ApiProperty } from '@nestjs/swagger';
import type { StoredUpload } from '../upload.service';

export class UploadResultDto {
  @ApiProperty({ example: '0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg', description: 'Stored name: a fresh UUID and the extension of the detected image type' })
  uri: string;

  @ApiProperty({
    example: 'https://chat.example.com/images/0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg',
    description: 'Public base URL (UPLOAD_PUBLIC_BASE_URL) followed by uri; the suite serves the image there',
  })
  url: string;

  @ApiProperty({ example: 3024, description: 'Width as displayed, after the EXIF orientation: what a chat bubble reserves' })
  width: number;

  @ApiProperty({ example: 4032, description: 'Height as displayed, after the EXIF orientation' })
  height: number;

  @ApiProperty({
    example: '0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11_thumb.jpg',
    description: 'Stored name of the thumbnail: longest side UPLOAD_THUMBNAIL_SIZE (320), upright, JPEG (PNG with transparency)',
  })
  thumbUri: string;

  @ApiProperty({
    example: 'https://chat.example.com/images/0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11_thumb.jpg',
    description: 'Public base URL followed by thumbUri, served like the image',
  })
  thumbUrl: string;
}

/** `{"status":0,"data":{...}}` on success. */
export class UploadOkDto {
  @ApiProperty({ enum: [0], example: 0 })
  status: 0;

  @ApiProperty({ type: UploadResultDto })
  data: UploadResultDto;
}

/** `{"status":1,"msg":"..."}` on failure, with HTTP 200 like every legacy answer. */
export class UploadFailDto {
  @ApiProperty({ enum: [1], example: 1 })
  status: 1;

  @ApiProperty({
    example: '用户未登录',
    description:
      '`用户未登录` for a missing/invalid/expired token; otherwise a reason: no file, not an image (PNG, JPEG, GIF, WebP only), ' +
      'incomplete or damaged image, file too large, malformed multipart body',
  })
  msg: string;
}

/** The legacy `uri` and `url` first, as the apps have always had them; the rest is additive. */
export function toUploadResult(stored: StoredUpload, baseUrl: string): UploadResultDto {
  return {
    uri: stored.uri,
    url: baseUrl + stored.uri,
    width: stored.width,
    height: stored.height,
    thumbUri: stored.thumbUri,
    thumbUrl: baseUrl + stored.thumbUri,
  };
}
