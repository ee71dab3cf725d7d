import type { Request } from 'express';

/**
 * The client's address for the attempt limits: the TCP peer, or with TRUST_PROXY_HOPS=N the
 * address N entries from the right of X-Forwarded-For (what the N-th trusted proxy saw; anything
 * left of it is the client's own claim and never believed).
 */
export function clientAddress(req: Pick<Request, 'headers' | 'socket'>, trustedHops: number): string {
  const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (trustedHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const address = chain[chain.length - trustedHops];
  return address ? address.replace(/^::ffff:/, '') : peer;
}
