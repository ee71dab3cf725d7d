import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook's signature header (CONTRACT section 5): `t=<unix seconds>,v1=<hex>`, v1 the
 * HMAC-SHA256 with the shared secret of `<t>.<body>`, so a receiver can check both who sent the
 * body and that it is recent.
 */
export function signWebhook(secret: string, body: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** A receiver's check (the tests' and a reference for integrators): true when the header signs the body within `toleranceSec`. */
export function verifyWebhook(secret: string, body: string, header: string | undefined, toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
