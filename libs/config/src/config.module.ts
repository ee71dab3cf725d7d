import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccountsConfig } from './accounts.config';
import { BusConfig } from './bus.config';
import { ChatConfig } from './chat.config';
import { CoreConfig } from './core.config';
import { HistoryConfig } from './history.config';
import { loadConfig } from './load-config';
import { OpsConfig } from './ops.config';
import { PushConfig } from './push.config';
import { UploadConfig } from './upload.config';
import { WebConfig } from './web.config';
import { resolveDevSecret } from './dev-secret';

export const CONFIG_CLASSES = [CoreConfig, ChatConfig, HistoryConfig, UploadConfig, BusConfig, OpsConfig, WebConfig, PushConfig, AccountsConfig] as const;

const typedProviders = CONFIG_CLASSES.map((cls) => ({
  provide: cls,
  useFactory: () => (cls === CoreConfig ? resolveDevSecret(loadConfig(CoreConfig)) : loadConfig(cls as new () => object)),
}));

/**
 * Every setting as a typed, validated, injectable class. @nestjs/config loads `.env` into the
 * environment; the classes read from there.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true })],
  providers: typedProviders,
  exports: typedProviders.map((p) => p.provide),
})
export class AppConfigModule {}
