import { Injectable, Logger } from '@nestjs/common';
import { CoreConfig, UploadConfig } from '@app/config';
import type { Request } from 'express';

// host or host:port, or a bracketed IPv6 literal; anything else in Host is not echoed back.
const SAFE_HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * The base the answered `url` starts with. Configured: UPLOAD_PUBLIC_BASE_URL, always. Not
 * configured (development): the address the client used to reach us, so that a phone on the LAN
 * gets a URL it can load; `http://localhost:<PORT>/images/` when the Host header is unusable.
 */
@Injectable()
export class PublicUrlService {
  private readonly logger = new Logger(PublicUrlService.name);
  private readonly configured?: string;
  private readonly fallback: string;

  constructor(upload: UploadConfig, core: CoreConfig) {
    this.configured = upload.normalizedPublicBaseUrl;
    this.fallback = `http://localhost:${core.port}/images/`;
    if (!this.configured) {
      this.logger.warn('UPLOAD_PUBLIC_BASE_URL is not set: upload URLs follow the request Host header; set it in production');
    }
  }

  baseFor(req: Pick<Request, 'headers' | 'protocol'>): string {
    if (this.configured) return this.configured;
    const host = req.headers.host;
    if (!host || !SAFE_HOST.test(host)) return this.fallback;
    const protocol = req.protocol === 'https' ? 'https' : 'http';
    return `${protocol}://${host}/images/`;
  }
}
