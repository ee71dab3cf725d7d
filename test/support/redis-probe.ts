import Redis from 'ioredis';

/**
 * A one-shot connection for asking whether a Redis answers: connects on `connect()`, once, with
 * nothing queued or retried, and errors go to the caller instead of the log.
 */
export function redisProbe(url: string, connectTimeoutMs = 1000): Redis {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: connectTimeoutMs,
    disconnectTimeout: 50,
  });
  probe.on('error', () => undefined);
  return probe;
}
