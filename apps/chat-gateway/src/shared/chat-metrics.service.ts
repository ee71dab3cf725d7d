import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/** prom-client keeps one registry per process: reuse a metric a previous app instance made. */
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** The gateway's Prometheus metrics, scraped at /metrics. */
@Injectable()
export class ChatMetrics {
  private socketsSource: () => number = () => 0;

  readonly openSockets = metric(
    'chat_open_sockets',
    () =>
      new Gauge({
        name: 'chat_open_sockets',
        help: 'WebSocket connections open on this replica',
        collect: () => undefined,
      }),
  );

  readonly framesIn = metric(
    'chat_frames_received_total',
    () =>
      new Counter({
        name: 'chat_frames_received_total',
        help: 'Frames received from clients, by outcome (stored, duplicate, heartbeat, read, typing, refused, failed)',
        labelNames: ['outcome'],
      }),
  );

  readonly messagesOut = metric(
    'chat_messages_delivered_total',
    () => new Counter({ name: 'chat_messages_delivered_total', help: 'Message frames written to sockets (live, backlog and re-read)' }),
  );

  readonly storeLatency = metric(
    'chat_store_batch_seconds',
    () =>
      new Histogram({
        name: 'chat_store_batch_seconds',
        help: 'Time to store one batch of messages (one transaction)',
        // Fine where a healthy database answers (a few ms), coarse where a stalled one does.
        buckets: [0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      }),
  );

  readonly storeBatchSize = metric(
    'chat_store_batch_size',
    () =>
      new Histogram({ name: 'chat_store_batch_size', help: 'Messages per stored batch', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500] }),
  );

  readonly deliveryLatency = metric(
    'chat_delivery_latency_seconds',
    () =>
      new Histogram({
        name: 'chat_delivery_latency_seconds',
        help: 'From receiving a frame to writing the message to a live recipient socket',
        buckets: [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1],
      }),
  );

  readonly busResyncs = metric(
    'chat_bus_resyncs_total',
    () => new Counter({ name: 'chat_bus_resyncs_total', help: 'Times the bus came back after an outage and sockets re-read from the database' }),
  );

  readonly slowReaders = metric(
    'chat_slow_readers_closed_total',
    () => new Counter({ name: 'chat_slow_readers_closed_total', help: 'Sockets closed because they stopped reading (send buffer full too long)' }),
  );

  readonly inboundPauses = metric(
    'chat_inbound_pauses_total',
    () => new Counter({ name: 'chat_inbound_pauses_total', help: 'Times a socket was no longer read because its unhandled frames reached their bound' }),
  );

  readonly floodCloses = metric(
    'chat_flood_closes_total',
    () =>
      new Counter({
        name: 'chat_flood_closes_total',
        help: 'Sockets closed with 1008 for sending faster than allowed, by reason (overrun, ping, rate)',
        labelNames: ['reason'],
      }),
  );

  readonly storeTimeouts = metric(
    'chat_store_timeouts_total',
    () => new Counter({ name: 'chat_store_timeouts_total', help: 'Sends answered STORE_UNAVAILABLE because they could not be stored in time' }),
  );

  readonly lateAcks = metric(
    'chat_store_late_total',
    () => new Counter({ name: 'chat_store_late_total', help: 'Sends answered STORE_UNAVAILABLE in time that the database had stored after all (acked and delivered late)' }),
  );

  readonly lateUnanswered = metric(
    'chat_store_late_unanswered_total',
    () =>
      new Counter({
        name: 'chat_store_late_unanswered_total',
        help: 'Sends stored late (see chat_store_late_total) whose sender cannot learn it: its socket closed first, or it gave no clientMsgId (no ack), by reason',
        labelNames: ['reason'],
      }),
  );

  readonly rejectedSockets = metric(
    'chat_sockets_rejected_total',
    () => new Counter({ name: 'chat_sockets_rejected_total', help: 'Sockets closed at connect for exceeding the per-user cap' }),
  );

  constructor() {
    // The gauge reads the live count at scrape time from whichever app instance is current.
    (this.openSockets as unknown as { collect: () => void }).collect = () => this.openSockets.set(this.socketsSource());
  }

  countSocketsWith(source: () => number): void {
    this.socketsSource = source;
  }
}
