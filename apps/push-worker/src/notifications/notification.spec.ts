import type { ClaimedPushJob, NotificationFacts } from '@app/database';
import { shapeNotification } from './notification';

const job: ClaimedPushJob = { id: 7, userId: 2, friendId: 1, conversationId: 3, firstSeq: 4, lastSeq: 9, messageCount: 3, storedAt: 0, dueAt: 0, attempts: 1, leaseUntil: 0 };
const facts = (over: Partial<NotificationFacts> = {}): NotificationFacts => ({
  deliveredSeq: 3,
  messages: [
    { id: 10, text: 'a' },
    { id: 12, text: 'b' },
    { id: 14, text: '最后一条 😀' },
  ],
  friendName: 'Li',
  badge: 5,
  ...over,
});
const phone = [{ platform: 'fcm' as const, deviceToken: 'tok-1', appId: 'app' }, { platform: 'apns' as const, deviceToken: 'tok-2' }];

describe('shapeNotification', () => {
  it('makes one notification of the job: count, ids, badge, the last text as preview', () => {
    expect(shapeNotification(job, facts(), phone, { preview: true })).toEqual({
      send: {
        pushId: 'push-7',
        userId: 2,
        devices: phone,
        friendId: 1,
        friendName: 'Li',
        count: 3,
        badge: 5,
        messageIds: [10, 12, 14],
        preview: '最后一条 😀',
      },
    });
  });

  it('leaves the preview out when previews are off', () => {
    const n = shapeNotification(job, facts(), phone, { preview: false });
    expect('send' in n && 'preview' in n.send).toBe(false);
  });

  it('sends nothing when every message reached a device, or there is no device', () => {
    expect(shapeNotification(job, facts({ messages: [] }), phone, { preview: true })).toEqual({ skip: 'delivered' });
    expect(shapeNotification(job, facts(), [], { preview: true })).toEqual({ skip: 'no device' });
  });

  it('cuts a long preview by characters, not bytes', () => {
    const n = shapeNotification(job, facts({ messages: [{ id: 1, text: '😀'.repeat(500) }] }), phone, { preview: true });
    expect('send' in n && [...n.send.preview!].length).toBe(120);
  });
});
