import { ApiProperty } from '@nestjs/swagger';

export class UploadResultDto {
  @ApiProperty({ example: '0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg', description: 'Stored name: a fresh UUID and the extension of the detected image type' })
  uri: string;

  @ApiProperty({
    example: 'https://chat.example.com/images/0b9d7a8e-51f4-4c3e-9a59-3f1d1f7f2c11.jpg',
    description: 'Public base URL (UPLOAD_PUBLIC_BASE_URL) followed by uri; the suite serves the image there',
  })
  url: string;
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

export function toUploadResult(uri: string, baseUrl: string): UploadResultDto {
  return { uri, url: baseUrl + uri };
}
