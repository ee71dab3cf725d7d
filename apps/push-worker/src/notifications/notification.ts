import type { ClaimedPushJob, NotificationFacts, PushDevice } from '@app/database';

/** One notification as every provider gets it: the webhook body's fields (CONTRACT section 5). */
export interface PushNotification {
  pushId: string;
  userId: number;
  devices: PushDevice[];
  friendId: number;
  friendName: string;
  /** Messages in this notification. */
  count: number;
  /** The user's total unread. */
  badge: number;
  messageIds: number[];
  /** The last text; absent when previews are off. */
  preview?: string;
}

/** A job's pushId: the same on every try, so a receiver can tell a repeat by it. */
export const pushIdOf = (jobId: number): string => `push-${jobId}`;

/** Longest preview, in characters (a lock screen shows less). */
export const PREVIEW_MAX = 120;

/**
 * The notification for a job, or why none is sent: every message of the job reached a device
 * (delivered), or the user has no device.
 */
export function shapeNotification(
  job: ClaimedPushJob,
  facts: NotificationFacts,
  devices: readonly PushDevice[],
  options: { preview: boolean },
): { send: PushNotification } | { skip: 'delivered' | 'no device' } {
  if (!facts.messages.length) return { skip: 'delivered' };
  if (!devices.length) return { skip: 'no device' };
  const last = facts.messages[facts.messages.length - 1];
  const n: PushNotification = {
    pushId: pushIdOf(job.id),
    userId: job.userId,
    devices: devices.map((d) => ({ platform: d.platform, deviceToken: d.deviceToken, ...(d.appId ? { appId: d.appId } : {}) })),
    friendId: job.friendId,
    friendName: facts.friendName,
    count: facts.messages.length,
    // The badge counts at least what this notification announces.
    badge: Math.max(facts.badge, facts.messages.length),
    messageIds: facts.messages.map((m) => m.id),
  };
  if (options.preview) n.preview = [...last.text].slice(0, PREVIEW_MAX).join('');
  return { send: n };
}
