import type { PushNotification } from '../notifications/notification';
import { postJson } from './json-post';
import { PushProvider, SendOutcome } from './push-provider';

/** Gorush's platform numbers: 1 iOS (APNs), 2 Android (FCM). */
const GORUSH_PLATFORM = { apns: 1, fcm: 2 } as const;

/**
 * The notification in Gorush's request format (POST /api/push): one entry per platform with the
 * user's tokens on it. Webhook-platform devices have no place there and are left out.
 */
export function gorushRequest(n: PushNotification): { notifications: Record<string, unknown>[] } {
  const notifications: Record<string, unknown>[] = [];
  for (const platform of ['apns', 'fcm'] as const) {
    const tokens = n.devices.filter((d) => d.platform === platform).map((d) => d.deviceToken);
    if (!tokens.length) continue;
    notifications.push({
      tokens,
      platform: GORUSH_PLATFORM[platform],
      title: n.friendName,
      message: n.preview ?? (n.count === 1 ? '1 new message' : `${n.count} new messages`),
      badge: n.badge,
      data: { pushId: n.pushId, friendId: n.friendId, count: n.count, messageIds: n.messageIds },
    });
  }
  return { notifications };
}

/** Relays through a Gorush gateway (PUSH_GORUSH_URL), which talks to APNs and FCM. */
export class GorushProvider implements PushProvider {
  readonly name = 'gorush';
  private readonly endpoint: string;

  constructor(baseUrl: string) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/api/push`;
  }

  async send(n: PushNotification, timeoutMs: number): Promise<SendOutcome> {
    const request = gorushRequest(n);
    if (!request.notifications.length) return { kind: 'gone', deviceTokens: [] };
    const res = await postJson(this.endpoint, JSON.stringify(request), {}, timeoutMs);
    if ('error' in res) return { kind: 'retry', error: res.error };
    if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
    if (res.status === 410) return { kind: 'gone', deviceTokens: n.devices.map((d) => d.deviceToken) };
    return { kind: 'retry', error: `gorush answered ${res.status}` };
  }
}
