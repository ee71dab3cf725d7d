import { Injectable } from '@nestjs/common';
import { UploadConfig } from '@app/config';

/**
 * Bounds how many images are decoded at once (UPLOAD_IMAGE_CONCURRENCY). Decoding runs on
 * libuv's thread pool, off the event loop; without a bound a burst of uploads would queue that
 * many decodes, each holding its source and pixels, and starve the pool's file system work.
 * Jobs over the bound wait in order of arrival.
 */
@Injectable()
export class ImageWorkQueue {
  private readonly limit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(config: UploadConfig) {
    this.limit = config.imageConcurrency;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A finishing job hands its slot straight to the next one, so `running` stays counted.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Jobs running and waiting, for tests and diagnostics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
