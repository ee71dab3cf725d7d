/**
 * What the gateway replicas say of their own time, read from their Prometheus histograms before
 * and after a round: how many batches the writer made, how long a batch took in the database, and
 * how long a frame took from its arrival on the sender's replica to the recipient's socket. Beside
 * the driver's end-to-end figure this tells the database's share from the rest of the path.
 */

/** A histogram's cumulative buckets (upper bound in seconds, count), sum and count. */
export interface HistogramReading {
  buckets: [number, number][];
  sum: number;
  count: number;
}

export type MetricsReading = Record<string, HistogramReading>;

export const STAGE_HISTOGRAMS = ['chat_store_batch_seconds', 'chat_store_batch_size', 'chat_delivery_latency_seconds'] as const;

/**
 * Reads the named histograms (without labels other than `le`) from Prometheus text format. A
 * histogram missing from the text reads as empty.
 */
export function parseHistograms(text: string, names: readonly string[] = STAGE_HISTOGRAMS): MetricsReading {
  const out: MetricsReading = Object.fromEntries(names.map((n) => [n, { buckets: [], sum: 0, count: 0 }]));
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+?)_(bucket|sum|count)(?:\{([^}]*)\})? (\S+)$/.exec(line.trim());
    if (!m || !out[m[1]]) continue;
    const value = Number(m[4]);
    const h = out[m[1]];
    if (m[2] === 'sum') h.sum = value;
    else if (m[2] === 'count') h.count = value;
    else {
      const le = /le="([^"]+)"/.exec(m[3] ?? '')?.[1];
      if (le !== undefined) h.buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    }
  }
  return out;
}

/** The sum of readings (one per replica). */
export function addReadings(readings: MetricsReading[]): MetricsReading {
  const out: MetricsReading = {};
  for (const r of readings) {
    for (const [name, h] of Object.entries(r)) {
      const acc = (out[name] ??= { buckets: h.buckets.map(([le]) => [le, 0]), sum: 0, count: 0 });
      acc.sum += h.sum;
      acc.count += h.count;
      h.buckets.forEach(([le, n]) => {
        const b = acc.buckets.find(([x]) => x === le);
        if (b) b[1] += n;
        else acc.buckets.push([le, n]);
      });
    }
  }
  return out;
}

/** What happened between two readings. */
export function difference(after: MetricsReading, before: MetricsReading): MetricsReading {
  const out: MetricsReading = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { buckets: [], sum: 0, count: 0 };
    out[name] = {
      buckets: a.buckets.map(([le, n]) => [le, n - (b.buckets.find(([x]) => x === le)?.[1] ?? 0)]),
      sum: a.sum - b.sum,
      count: a.count - b.count,
    };
  }
  return out;
}

/**
 * The upper bound of the bucket holding quantile `q` (0-1): the true quantile is at most that.
 * Infinity when it lies above the last finite bound, NaN without observations.
 */
export function quantileBound(h: HistogramReading, q: number): number {
  if (!h.count) return NaN;
  const sorted = [...h.buckets].sort((x, y) => x[0] - y[0]);
  const rank = q * h.count;
  for (const [le, n] of sorted) if (n >= rank) return le;
  return Infinity;
}

/** A round's stages, per message where it says so; NaN where nothing was observed. */
export interface GatewayStages {
  /** Batches written per message stored (1 / messages per batch). */
  batchesPerMessage: number;
  messagesPerBatch: number;
  /** A batch's time in the store, mean (ms). */
  batchMs: number;
  /** Frame arrival to the recipient's socket, on the servers' clock: mean, and bucket bounds of p50 and p99 (ms). */
  deliveryMeanMs: number;
  deliveryP50AtMostMs: number;
  deliveryP99AtMostMs: number;
}

const ms = (seconds: number) => Math.round(seconds * 1000 * 100) / 100;
const ratio = (a: number, b: number, digits = 3) => (b ? Math.round((a / b) * 10 ** digits) / 10 ** digits : NaN);

export function stagesOf(delta: MetricsReading, messages: number): GatewayStages {
  const batch = delta.chat_store_batch_seconds;
  const size = delta.chat_store_batch_size;
  const delivery = delta.chat_delivery_latency_seconds;
  return {
    batchesPerMessage: ratio(batch.count, messages),
    messagesPerBatch: ratio(size.sum, size.count, 2),
    batchMs: batch.count ? ms(batch.sum / batch.count) : NaN,
    deliveryMeanMs: delivery.count ? ms(delivery.sum / delivery.count) : NaN,
    deliveryP50AtMostMs: ms(quantileBound(delivery, 0.5)),
    deliveryP99AtMostMs: ms(quantileBound(delivery, 0.99)),
  };
}
