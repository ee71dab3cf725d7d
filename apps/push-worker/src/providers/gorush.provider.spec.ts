import { gorushRequest } from './gorush.provider';
import { webhookBody } from './webhook.provider';
import type { PushNotification } from '../notifications/notification';

const n: PushNotification = {
  pushId: 'push-3',
  userId: 2,
  devices: [
    { platform: 'fcm', deviceToken: 'a1' },
    { platform: 'apns', deviceToken: 'i1', appId: 'com.example' },
    { platform: 'webhook', deviceToken: 'w1' },
    { platform: 'fcm', deviceToken: 'a2' },
  ],
  friendId: 1,
  friendName: 'Li',
  count: 2,
  badge: 4,
  messageIds: [5, 6],
};

describe('provider formats', () => {
  it('gorush: one entry per platform (1 iOS, 2 Android), a count for a message without preview', () => {
    expect(gorushRequest(n)).toEqual({
      notifications: [
        { tokens: ['i1'], platform: 1, title: 'Li', message: '2 new messages', badge: 4, data: { pushId: 'push-3', friendId: 1, count: 2, messageIds: [5, 6] } },
        { tokens: ['a1', 'a2'], platform: 2, title: 'Li', message: '2 new messages', badge: 4, data: { pushId: 'push-3', friendId: 1, count: 2, messageIds: [5, 6] } },
      ],
    });
    expect(gorushRequest({ ...n, preview: 'hi' }).notifications[0].message).toBe('hi');
  });

  it('webhook: exactly the contract fields, preview absent when off', () => {
    const body = JSON.parse(webhookBody(n)) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['pushId', 'userId', 'devices', 'friendId', 'friendName', 'count', 'badge', 'messageIds']);
    expect(Object.keys(JSON.parse(webhookBody({ ...n, preview: 'x' })) as object)).toContain('preview');
  });
});
