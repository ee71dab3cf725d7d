import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signature', () => {
  const secret = 'a-secret-of-sixteen+';
  const body = '{"pushId":"push-1","count":2}';

  it('is t=<seconds>,v1=HMAC-SHA256(secret, "<t>.<body>") in hex', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, body, 1700000000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature, and refuses another body, secret, or an old time', () => {
    const now = 1700000000;
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, body, header, 300, now + 10)).toBe(true);
    expect(verifyWebhook(secret, `${body} `, header, 300, now)).toBe(false);
    expect(verifyWebhook('another-secret-0123', body, header, 300, now)).toBe(false);
    expect(verifyWebhook(secret, body, header, 300, now + 301)).toBe(false);
    expect(verifyWebhook(secret, body, undefined)).toBe(false);
  });
});
