import { Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AccountsConfig } from '@app/config';

/**
 * The operator's SMS gateway, reached by one signed POST per code: body
 * `{"phone","code","purpose":"register","expiresAt"}` (expiresAt in epoch ms), header
 * `X-Chat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as push
 * webhooks are signed. A 2xx answer means sent.
 */
@Injectable()
export class SmsSender {
  private readonly logger = new Logger(SmsSender.name);

  constructor(private readonly config: AccountsConfig) {}

  get configured(): boolean {
    return Boolean(this.config.smsWebhookUrl && this.config.smsWebhookSecret);
  }

  async send(phone: string, code: string, expiresAt: number): Promise<boolean> {
    if (!this.config.smsWebhookUrl || !this.config.smsWebhookSecret) return false;
    const body = JSON.stringify({ phone, code, purpose: 'register', expiresAt });
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', this.config.smsWebhookSecret).update(`${t}.${body}`).digest('hex');
    try {
      const res = await fetch(this.config.smsWebhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Chat-Signature': `t=${t},v1=${v1}` },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) this.logger.warn(`SMS webhook answered ${res.status}`);
      return res.ok;
    } catch (e) {
      this.logger.warn(`SMS webhook unreachable: ${String(e)}`);
      return false;
    }
  }
}
