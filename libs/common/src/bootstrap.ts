import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { assertConfig, ConfigError, CoreConfig, loadConfig } from '@app/config';
import { Logger as PinoLogger } from 'nestjs-pino';
import { LegacyEnvelopeFilter } from './legacy-envelope.filter';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export interface BootOptions {
  /** Shown in logs. */
  name: string;
  /** Config classes this app reads: all are validated before anything starts. */
  configs: (new () => object)[];
  /** App-specific wiring before listen (WebSocket adapter, OpenAPI, ...). */
  configure?: (app: INestApplication) => void | Promise<void>;
  /** Extra lines printed once listening. */
  banner?: (baseUrl: string, core: CoreConfig) => string[];
}

/** Validates configuration, then creates and starts an app; a bad environment exits with its fixes. */
export async function bootApp(module: unknown, options: BootOptions): Promise<INestApplication> {
  let core: CoreConfig;
  try {
    assertConfig([CoreConfig, ...options.configs]);
    core = loadConfig(CoreConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${options.name} cannot start. ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // Names the app in every JSON log line.
  process.env.APP_NAME ??= options.name;
  const logger = LEVELS.slice(0, LEVELS.indexOf(core.logLevel) + 1);
  const app = await createApp(module, options, { logger });
  app.enableShutdownHooks();
  await app.listen(core.port, core.host);
  const log = new Logger(options.name);
  const shown = core.host === '0.0.0.0' || core.host === '::' ? 'localhost' : core.host;
  const baseUrl = `http://${shown}:${core.port}`;
  log.log(`listening on ${baseUrl} (database ${core.isSqlite ? core.databaseUrl : 'mysql'})`);
  if (core.devMode) {
    log.warn(
      `CHAT_DEV_MODE=true: development mode${process.env.JWT_SECRET ? '' : ', tokens signed with a generated secret kept in ./data/dev-jwt-secret'}. Never use it in production.`,
    );
  }
  for (const line of options.banner?.(baseUrl, core) ?? []) log.log(line);
  return app;
}

/** The app wired as in production, not listening yet (tests listen on a free port). */
export async function createApp(
  module: unknown,
  options: Pick<BootOptions, 'configure'>,
  nestOptions: { logger?: LogLevel[] | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(module as never, { ...nestOptions, bufferLogs: nestOptions.logger !== false });
  if (loadConfig(CoreConfig).logFormat === 'json') app.useLogger(app.get(PinoLogger));
  else app.flushLogs();
  app.useGlobalFilters(new LegacyEnvelopeFilter());
  await options.configure?.(app);
  return app;
}
