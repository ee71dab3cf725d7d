import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/** prom-client keeps one registry per process: reuse a metric a previous app instance made. */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** The push worker's Prometheus metrics, scraped at /metrics. */
@Injectable()
export class PushMetrics {
  private queuedSource: () => Promise<{ due: number; waiting: number }> = () => Promise.resolve({ due: 0, waiting: 0 });

  readonly queued = metric(
    'push_jobs_queued',
    () =>
      new Gauge({
        name: 'push_jobs_queued',
        help: 'Outbox jobs not finished yet (waiting for their time, a retry or a lease), and of those the due ones',
        labelNames: ['when'],
        // Read from the outbox at scrape time: the rows are written by the gateways, not here.
        collect: async function (this: Gauge) {
          const { due, waiting } = await PUSH_METRICS_SOURCE.current();
          this.set({ when: 'all' }, waiting);
          this.set({ when: 'due' }, due);
        },
      }),
  );

  readonly claimed = metric('push_jobs_claimed_total', () => new Counter({ name: 'push_jobs_claimed_total', help: 'Jobs claimed by this worker (each try counts)' }));

  readonly sent = metric('push_notifications_sent_total', () => new Counter({ name: 'push_notifications_sent_total', help: 'Notifications the provider accepted (2xx)' }));

  readonly skipped = metric(
    'push_jobs_skipped_total',
    () => new Counter({ name: 'push_jobs_skipped_total', help: 'Jobs finished without a send, by reason (delivered, no device, device gone)', labelNames: ['reason'] }),
  );

  readonly retried = metric('push_jobs_retried_total', () => new Counter({ name: 'push_jobs_retried_total', help: 'Failed sends put back for another try' }));

  readonly failed = metric(
    'push_send_failures_total',
    () => new Counter({ name: 'push_send_failures_total', help: 'Sends that failed, by kind (gone: 410, error: anything else)', labelNames: ['kind'] }),
  );

  readonly dead = metric('push_jobs_dead_total', () => new Counter({ name: 'push_jobs_dead_total', help: 'Jobs given up after PUSH_MAX_ATTEMPTS tries' }));

  readonly latency = metric(
    'push_store_to_push_seconds',
    () =>
      new Histogram({
        name: 'push_store_to_push_seconds',
        help: 'From storing the first message of a notification to the provider accepting it (includes PUSH_DELAY_MS)',
        buckets: [0.1, 0.25, 0.5, 1, 2, 3, 3.5, 4, 5, 7.5, 10, 20, 30, 60, 120, 300],
      }),
  );

  /** Where the queued gauge reads the outbox's backlog from. */
  readBacklogFrom(source: () => Promise<{ due: number; waiting: number }>): void {
    this.queuedSource = source;
    PUSH_METRICS_SOURCE.current = () => this.queuedSource().catch(() => ({ due: 0, waiting: 0 }));
  }
}

// The gauge outlives app instances (one registry per process): it reads through this holder.
const PUSH_METRICS_SOURCE: { current: () => Promise<{ due: number; waiting: number }> } = { current: () => Promise.resolve({ due: 0, waiting: 0 }) };
