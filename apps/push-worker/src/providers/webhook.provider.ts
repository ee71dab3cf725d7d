import type { PushNotification } from '../notifications/notification';
import { postJson } from './json-post';
import { PushProvider, SendOutcome } from './push-provider';
import { signWebhook } from './webhook-signature';

/** The webhook body: exactly the contract's fields, in its order (section 5). */
export function webhookBody(n: PushNotification): string {
  return JSON.stringify({
    pushId: n.pushId,
    userId: n.userId,
    devices: n.devices.map((d) => ({ platform: d.platform, deviceToken: d.deviceToken, ...(d.appId ? { appId: d.appId } : {}) })),
    friendId: n.friendId,
    friendName: n.friendName,
    count: n.count,
    badge: n.badge,
    messageIds: n.messageIds,
    ...(n.preview === undefined ? {} : { preview: n.preview }),
  });
}

/**
 * One signed POST per notification to PUSH_WEBHOOK_URL. A 2xx is sent; 410 says the devices are
 * gone: those the answer lists as `{"goneTokens":[..]}`, or else every device of the notification;
 * anything else is tried again.
 */
export class WebhookProvider implements PushProvider {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  async send(n: PushNotification, timeoutMs: number): Promise<SendOutcome> {
    const body = webhookBody(n);
    const res = await postJson(this.url, body, { 'x-chat-signature': signWebhook(this.secret, body) }, timeoutMs);
    if ('error' in res) return { kind: 'retry', error: res.error };
    if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
    if (res.status === 410) return { kind: 'gone', deviceTokens: goneTokens(res.text) ?? n.devices.map((d) => d.deviceToken) };
    return { kind: 'retry', error: `webhook answered ${res.status}` };
  }
}

function goneTokens(text: string): string[] | undefined {
  try {
    const parsed = JSON.parse(text) as { goneTokens?: unknown };
    return Array.isArray(parsed.goneTokens) && parsed.goneTokens.every((t) => typeof t === 'string') ? parsed.goneTokens : undefined;
  } catch {
    return undefined;
  }
}
