import type { PushNotification } from '../notifications/notification';

/** What a provider made of one notification. */
export type SendOutcome =
  /** Accepted (a 2xx): never sent again. */
  | { kind: 'sent' }
  /** These device tokens are gone (410): they are removed. */
  | { kind: 'gone'; deviceTokens: string[] }
  /** Anything else (another status, no answer in time, a refused connection): tried again later. */
  | { kind: 'retry'; error: string };

/** One way of delivering notifications to phones (webhook, Gorush). */
export interface PushProvider {
  readonly name: string;
  send(notification: PushNotification, timeoutMs: number): Promise<SendOutcome>;
}

export const PUSH_PROVIDER = Symbol('PUSH_PROVIDER');

/** POSTs JSON; any failure to get an answer is an outcome, never a throw. */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => '');
    return { status: res.status, text };
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string }; message?: string };
    return { error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message ?? String(e)) };
  }
}
