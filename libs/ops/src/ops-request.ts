import type { IncomingMessage } from 'node:http';

const viaOps = new WeakSet<IncomingMessage>();

/** Marks a request as arrived on the operations listener (OPS_PORT), not the public port. */
export function markOpsRequest(req: IncomingMessage): void {
  viaOps.add(req);
}

export function viaOpsListener(req: IncomingMessage): boolean {
  return viaOps.has(req);
}

/** What the operations listener serves; anything else is 404 there. */
export const OPS_PATHS = /^\/+(metrics|health|api-docs)(\/|-|$)/i;

/** Paths answered to anyone on the public port only when the caller is trusted (see OpsAccess). */
export const PROTECTED_OPS_MOUNTS = ['/metrics', '/api-docs'];
