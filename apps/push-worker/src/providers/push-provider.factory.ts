import { PushConfig } from '@app/config';
import { GorushProvider } from './gorush.provider';
import { PushProvider } from './push-provider';
import { WebhookProvider } from './webhook.provider';

/** The provider PUSH_PROVIDER names (the config check made sure its settings are there). */
export function pushProviderFor(config: PushConfig): PushProvider {
  switch (config.provider) {
    case 'webhook':
      return new WebhookProvider(config.webhookUrl!, config.webhookSecret!);
    case 'gorush':
      return new GorushProvider(config.gorushUrl!);
    case undefined:
      throw new Error('push is off (PUSH_PROVIDER is unset): no provider to send with');
  }
}
