import { Injectable } from '@nestjs/common';
import { Counter, Gauge, register } from 'prom-client';

/** prom-client keeps one registry per process: reuse a metric a previous app instance made. */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** Where the queue gauge reads from: the latest app instance's work queue. */
let queueSource: () => { running: number; waiting: number } = () => ({ running: 0, waiting: 0 });

/** The thumbnails' Prometheus metrics, scraped at /metrics. */
@Injectable()
export class ThumbnailMetrics {
  readonly renders = metric(
    'upload_thumbnail_renders_total',
    () =>
      new Counter({
        name: 'upload_thumbnail_renders_total',
        help: 'Thumbnails rendered, by why (background: after the upload was answered; request: for a request that found none) and outcome (stored, undecodable, failed)',
        labelNames: ['trigger', 'outcome'],
      }),
  );

  readonly skipped = metric(
    'upload_thumbnail_backlog_full_total',
    () =>
      new Counter({
        name: 'upload_thumbnail_backlog_full_total',
        help: 'Uploads whose thumbnail was left to its first request because UPLOAD_THUMBNAIL_BACKLOG renders were waiting already',
      }),
  );

  readonly queue = metric(
    'upload_image_queue',
    () =>
      new Gauge({
        name: 'upload_image_queue',
        help: 'Image decodes running and waiting for a slot (UPLOAD_IMAGE_CONCURRENCY)',
        labelNames: ['state'],
        collect: function (this: Gauge) {
          const { running, waiting } = queueSource();
          this.set({ state: 'running' }, running);
          this.set({ state: 'waiting' }, waiting);
        },
      }),
  );

  readQueueFrom(source: () => { running: number; waiting: number }): void {
    queueSource = source;
  }
}
