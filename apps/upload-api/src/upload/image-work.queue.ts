import { Injectable } from '@nestjs/common';
import { UploadConfig } from '@app/config';

/** A job's place in the queue: urgent jobs (someone is waiting for the result) go first. */
export interface WorkTicket {
  urgent: boolean;
  /** Set while the job waits for a slot. */
  start?: () => void;
}

/**
 * Bounds how many images are decoded at once (UPLOAD_IMAGE_CONCURRENCY). Decoding runs on
 * libuv's thread pool, off the event loop; without a bound a burst of uploads would queue that
 * many decodes, each holding its source and pixels, and starve the pool's file system work.
 * Jobs over the bound wait: urgent ones first (a request waits for their result), then
 * background ones, each kind in order of arrival; a waiting background job can be promoted.
 */
@Injectable()
export class ImageWorkQueue {
  private readonly limit: number;
  private running = 0;
  private readonly urgent: WorkTicket[] = [];
  private readonly background: WorkTicket[] = [];

  constructor(config: UploadConfig) {
    this.limit = config.imageConcurrency;
  }

  async run<T>(job: () => Promise<T>, ticket: WorkTicket = { urgent: true }): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A finishing job hands its slot straight to the next one, so `running` stays counted.
    else
      await new Promise<void>((resolve) => {
        ticket.start = resolve;
        (ticket.urgent ? this.urgent : this.background).push(ticket);
      });
    ticket.start = undefined;
    try {
      return await job();
    } finally {
      const next = this.urgent.shift() ?? this.background.shift();
      if (next) next.start!();
      else this.running--;
    }
  }

  /** Moves a waiting background job to the end of the urgent ones; nothing if it runs already. */
  promote(ticket: WorkTicket): void {
    const at = this.background.indexOf(ticket);
    ticket.urgent = true;
    if (at < 0) return;
    this.background.splice(at, 1);
    this.urgent.push(ticket);
  }

  /** Jobs running and waiting (urgent and background), for metrics and diagnostics. */
  get load(): { running: number; waiting: number; background: number } {
    return { running: this.running, waiting: this.urgent.length + this.background.length, background: this.background.length };
  }
}
