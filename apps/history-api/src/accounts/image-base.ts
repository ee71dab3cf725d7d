import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { CoreConfig, UploadConfig } from '@app/config';

const SAFE_HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * Where avatars are served, as upload.do answers its `url`: UPLOAD_PUBLIC_BASE_URL, else (in
 * development) the address the client used.
 */
@Injectable()
export class ImageBase {
  private readonly configured?: string;
  private readonly fallback: string;

  constructor(upload: UploadConfig, core: CoreConfig) {
    this.configured = upload.normalizedPublicBaseUrl;
    this.fallback = `http://localhost:${core.port}/images/`;
  }

  for(req: Pick<Request, 'headers' | 'protocol'>): string {
    if (this.configured) return this.configured;
    const host = req.headers.host;
    if (!host || !SAFE_HOST.test(host)) return this.fallback;
    return `${req.protocol === 'https' ? 'https' : 'http'}://${host}/images/`;
  }
}
