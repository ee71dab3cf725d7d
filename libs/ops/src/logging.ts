import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CoreConfig, processInstanceId } from '@app/config';

/** Removes `token=...` from a URL: tokens never reach the logs. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

const PINO_LEVEL = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' } as const;

/**
 * Structured JSON logs (pino) when LOG_FORMAT=json. Request logs carry method, URL without token,
 * status and time; never the token headers, never a body (so never a message text).
 */
export const LoggingModule = LoggerModule.forRootAsync({
  inject: [CoreConfig],
  useFactory: (core: CoreConfig) => ({
    // With text logs pino is not the app's logger and writes nothing: keep its per-request
    // middleware (a child logger with the serialized request, every request) off the routes.
    forRoutes: core.logFormat === 'json' ? [{ path: '*', method: RequestMethod.ALL }] : [],
    pinoHttp: {
      enabled: core.logFormat === 'json',
      level: PINO_LEVEL[core.logLevel],
      // `instance` is the name socket ids and the bus carry too. APP_NAME: set by bootApp.
      base: { app: process.env.APP_NAME, instance: processInstanceId(core), pid: process.pid },
      // Probes and scrapes every few seconds would drown everything else.
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)/.test(req.url ?? '') },
      redact: { paths: ['req.headers.token', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
      },
    },
  }),
});
