import { addReadings, difference, parseHistograms, quantileBound, stagesOf } from './gateway-stages';

const text = (batchCount: number, batchSum: number, sizeSum: number, fast: number, slow: number) => `
# HELP chat_store_batch_seconds Time to store one batch of messages (one transaction)
# TYPE chat_store_batch_seconds histogram
chat_store_batch_seconds_bucket{le="0.001"} 0
chat_store_batch_seconds_bucket{le="0.005"} ${batchCount}
chat_store_batch_seconds_bucket{le="+Inf"} ${batchCount}
chat_store_batch_seconds_sum ${batchSum}
chat_store_batch_seconds_count ${batchCount}
chat_store_batch_size_bucket{le="1"} 0
chat_store_batch_size_bucket{le="+Inf"} ${batchCount}
chat_store_batch_size_sum ${sizeSum}
chat_store_batch_size_count ${batchCount}
chat_delivery_latency_seconds_bucket{le="0.005"} ${fast}
chat_delivery_latency_seconds_bucket{le="0.05"} ${fast + slow}
chat_delivery_latency_seconds_bucket{le="+Inf"} ${fast + slow}
chat_delivery_latency_seconds_sum ${fast * 0.003 + slow * 0.03}
chat_delivery_latency_seconds_count ${fast + slow}
chat_messages_delivered_total 12
`;

describe('gateway stages from Prometheus histograms', () => {
  it('parses sums, counts and cumulative buckets, and ignores other metrics', () => {
    const r = parseHistograms(text(4, 0.012, 10, 9, 1));
    expect(r.chat_store_batch_seconds).toEqual({ buckets: [[0.001, 0], [0.005, 4], [Infinity, 4]], sum: 0.012, count: 4 });
    expect(r.chat_store_batch_size.sum).toBe(10);
    expect(Object.keys(r)).toHaveLength(3);
  });

  it('reads a missing histogram as empty', () => {
    expect(parseHistograms('').chat_delivery_latency_seconds).toEqual({ buckets: [], sum: 0, count: 0 });
  });

  it('adds two replicas and takes the difference of a round', () => {
    const before = addReadings([parseHistograms(text(1, 0.002, 1, 1, 0)), parseHistograms(text(1, 0.002, 1, 1, 0))]);
    const after = addReadings([parseHistograms(text(11, 0.042, 41, 91, 1)), parseHistograms(text(11, 0.042, 41, 100, 10))]);
    const round = difference(after, before);
    expect(round.chat_store_batch_seconds.count).toBe(20);
    expect(round.chat_delivery_latency_seconds.buckets).toEqual([[0.005, 189], [0.05, 200], [Infinity, 200]]);

    const stages = stagesOf(round, 80);
    expect(stages.batchesPerMessage).toBe(0.25);
    expect(stages.messagesPerBatch).toBe(4);
    expect(stages.batchMs).toBe(4);
    expect(stages.deliveryP50AtMostMs).toBe(5);
    expect(stages.deliveryP99AtMostMs).toBe(50);
    expect(stages.deliveryMeanMs).toBeCloseTo((189 * 3 + 11 * 30) / 200, 1);
  });

  it('bounds a quantile by its bucket, past the last finite one by Infinity, and nothing observed by NaN', () => {
    const h = { buckets: [[0.01, 50], [0.1, 98], [Infinity, 100]] as [number, number][], sum: 1, count: 100 };
    expect(quantileBound(h, 0.5)).toBe(0.01);
    expect(quantileBound(h, 0.9)).toBe(0.1);
    expect(quantileBound(h, 0.99)).toBe(Infinity);
    expect(quantileBound({ buckets: [], sum: 0, count: 0 }, 0.5)).toBeNaN();
  });
});
