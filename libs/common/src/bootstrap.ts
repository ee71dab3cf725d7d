import { ConsoleLogger, INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { assertConfig, ConfigError, CoreConfig, loadConfig, OpsConfig, UploadConfig } from '@app/config';
import { OpsAccess, OpsListener, PROTECTED_OPS_MOUNTS } from '@app/ops';
import { Logger as PinoLogger } from 'nestjs-pino';
import { BODY_LIMITS } from './body-error';
import { refuseBadBodies } from './body-errors.middleware';
import { LegacyEnvelopeFilter } from './legacy-envelope.filter';
import { apiDocsPolicy, securityHeaders } from './security-headers';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export interface BootOptions {
  /** Shown in logs. */
  name: string;
  /** Config classes this app reads: all are validated before anything starts. */
  configs: (new () => object)[];
  /**
   * Checks before the app is created, given the validated core config (the apps pass the database
   * library's presence check: a missing database is one line with its fix). Kept out of this
   * library so that it imports nothing of the database's.
   */
  prepare?: (core: CoreConfig, name: string) => Promise<void>;
  /** App-specific wiring before listen (WebSocket adapter, OpenAPI, ...). */
  configure?: (app: INestApplication) => void | Promise<void>;
  /**
   * Extra lines printed once listening. `opsUrl`: where /api-docs and /metrics are (the
   * operations listener, or this port with OPS_TOKEN or in development mode), if anywhere.
   */
  banner?: (baseUrl: string, core: CoreConfig, opsUrl: string | undefined) => string[];
}

/** Validates configuration, then creates and starts an app; a bad environment exits with its fixes. */
export async function bootApp(module: unknown, options: BootOptions): Promise<INestApplication> {
  let core: CoreConfig;
  try {
    assertConfig([CoreConfig, OpsConfig, ...options.configs]);
    core = loadConfig(CoreConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${options.name} cannot start. ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  await options.prepare?.(core, options.name);
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
  const access = optional(app, OpsAccess);
  const opsUrl = optional(app, OpsListener)?.url ?? (access?.reachableOnPublicPort ? baseUrl : undefined);
  for (const line of options.banner?.(baseUrl, core, opsUrl) ?? []) log.log(line);
  return app;
}

/** The app wired as in production, not listening yet (tests listen on a free port). */
export async function createApp(
  module: unknown,
  options: Pick<BootOptions, 'configure'>,
  nestOptions: { logger?: LogLevel[] | false } = {},
): Promise<INestApplication> {
  const text = loadConfig(CoreConfig).logFormat === 'text';
  const logger = text && nestOptions.logger ? textLogger(nestOptions.logger) : nestOptions.logger;
  const app = await NestFactory.create<NestExpressApplication>(module as never, { ...nestOptions, logger, bufferLogs: nestOptions.logger !== false });
  if (!text) app.useLogger(app.get(PinoLogger));
  else app.flushLogs();
  app.useGlobalFilters(new LegacyEnvelopeFilter());
  useHttpEdge(app);
  await options.configure?.(app);
  return app;
}

/**
 * What every request meets before a route (in this order): the operations listener's own path
 * filter, the security headers, the operational endpoints' access check, and the body parsers
 * with their limits and the answer to what they refuse. Registered here, before `configure`
 * mounts /api-docs, so that they come first.
 */
function useHttpEdge(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  const access = optional(app, OpsAccess);
  if (access) app.use(access.opsListenerOnly);
  const imagesBase = app.get(UploadConfig).normalizedPublicBaseUrl;
  app.use(securityHeaders({ imageOrigins: imagesBase ? [new URL(imagesBase).origin] : [] }));
  if (access) app.use(PROTECTED_OPS_MOUNTS, access.guard);
  app.use('/api-docs', apiDocsPolicy);
  app.useBodyParser('json', { limit: BODY_LIMITS.bytes });
  app.useBodyParser('urlencoded', { extended: true, limit: BODY_LIMITS.bytes, parameterLimit: BODY_LIMITS.parameters, depth: BODY_LIMITS.depth });
  app.use(refuseBadBodies);
}

function optional<T>(app: INestApplication, token: new (...args: never[]) => T): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Colour codes only for a person at a terminal: a log file or a pipe gets plain text. NO_COLOR
 * (https://no-color.org) turns them off on a terminal too; Nest's own colour helpers read it.
 */
export function logColours(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** Nest's console logger, coloured only where logColours says so. */
export function textLogger(levels: LogLevel[]): ConsoleLogger {
  const colors = logColours();
  if (!colors) process.env.NO_COLOR ??= '1';
  return new ConsoleLogger({ logLevels: levels, colors });
}
