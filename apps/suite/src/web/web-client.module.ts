import { Logger, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreConfig, UploadConfig, WebConfig } from '@app/config';
import { webClientMiddleware } from './web-client.middleware';

/** The web client (apps/web, built into WEB_CLIENT_DIR) at `/`, beside the APIs. */
@Module({})
export class WebClientModule implements NestModule {
  private readonly log = new Logger('WebClient');

  constructor(
    private readonly config: WebConfig,
    private readonly core: CoreConfig,
    private readonly upload: UploadConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const root = resolve(this.config.clientDir);
    if (!existsSync(join(root, 'index.html'))) {
      this.log.warn(`no web client in ${root} (WEB_CLIENT_DIR): build it with npm run build:web; until then / answers 404`);
      return;
    }
    consumer
      .apply(webClientMiddleware(root, { devMode: this.core.devMode, maxUploadBytes: this.upload.maxFileSize }))
      .forRoutes({ path: '{*path}', method: RequestMethod.GET }, { path: '{*path}', method: RequestMethod.HEAD });
  }
}
