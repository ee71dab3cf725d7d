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
