import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

export const DEFAULT_DATABASE_URL = 'sqlite:./data/chat.sqlite';

/** Settings every app needs: where it listens, its database, tokens and the clock. */
export class CoreConfig implements ConfigCheck {
  /**
   * Whether JWT_SECRET must be set (outside development mode). An app that verifies no token (the
   * push worker) turns this off in its main file, before its configuration is first read.
   */
  static requireTokenSecret = true;

  @Env('PORT') @ToInt()
  @IsInt({ message: 'PORT must be a whole number between 0 and 65535, e.g. PORT=8080 (0 picks a free port)' })
  @Min(0, { message: 'PORT must be between 0 and 65535' })
  @Max(65535, { message: 'PORT must be between 0 and 65535' })
  port: number = 8080;

  /** HOST as given; `host` is what the apps listen on. */
  @Env('HOST') @IsOptional() @IsString()
  hostSetting?: string;

  @Env('DATABASE_URL')
  @Matches(/^(mysql|mariadb):\/\/.+|^sqlite:.+/, {
    message:
      'DATABASE_URL must be mysql://user:pass@host:3306/db (MySQL 8 or MariaDB) or sqlite:<file>, e.g. sqlite:./data/chat.sqlite',
  })
  databaseUrl: string = DEFAULT_DATABASE_URL;

  /** Development mode: a generated secret is allowed; says so loudly at boot. */
  @Env('CHAT_DEV_MODE') @ToBool()
  @IsBoolean({ message: 'CHAT_DEV_MODE must be true or false' })
  devMode: boolean = false;

  @Env('JWT_SECRET') @IsOptional() @IsString()
  @MinLength(16, { message: 'JWT_SECRET is too short: use at least 16 characters (32 random bytes recommended)' })
  jwtSecret?: string;

  /** How JWT_SECRET turns into key bytes: utf8 (auth0 java-jwt) or base64 (jjwt 0.9 signWith(alg, String)). */
  @Env('JWT_SECRET_ENCODING')
  @IsIn(['utf8', 'base64'], { message: 'JWT_SECRET_ENCODING must be utf8 or base64' })
  jwtSecretEncoding: 'utf8' | 'base64' = 'utf8';

  /** Lifetime of tokens minted by the admin CLI, in seconds (the legacy login issued 7 days). */
  @Env('JWT_TTL_SECONDS') @ToInt()
  @IsInt({ message: 'JWT_TTL_SECONDS must be a whole number of seconds' })
  @Min(60, { message: 'JWT_TTL_SECONDS must be at least 60' })
  jwtTtlSeconds: number = 7 * 24 * 3600;

  /** How far a token's `iat` may lie in the future (clocks of the login service and ours differ). */
  @Env('JWT_CLOCK_SKEW_SECONDS') @ToInt()
  @IsInt({ message: 'JWT_CLOCK_SKEW_SECONDS must be a whole number of seconds, e.g. 60' })
  @Min(0, { message: 'JWT_CLOCK_SKEW_SECONDS must be 0 or more' })
  @Max(3600, { message: 'JWT_CLOCK_SKEW_SECONDS must be at most 3600: a token issued further ahead is forged or from a broken clock' })
  jwtClockSkewSeconds: number = 60;

  @Env('CHAT_TIMEZONE') @IsString()
  timezone: string = 'Asia/Shanghai';

  @Env('LOG_LEVEL')
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], { message: 'LOG_LEVEL must be one of error, warn, log, debug, verbose' })
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  /** Connections of the database pool (MySQL/MariaDB); the gateway's writers hold a pool of their own. */
  @Env('DATABASE_POOL_SIZE') @ToInt()
  @IsInt({ message: 'DATABASE_POOL_SIZE must be a whole number of connections, e.g. 16' })
  @Min(2, { message: 'DATABASE_POOL_SIZE must be at least 2' })
  @Max(200, { message: 'DATABASE_POOL_SIZE must be at most 200' })
  databasePoolSize: number = 16;

  /**
   * Longest a database call may take: then the caller gets an error and a write's connection is
   * dropped, so a stalled database (packets lost, no reset) never holds anyone for good.
   */
  @Env('DATABASE_STATEMENT_TIMEOUT_MS') @ToInt()
  @IsInt({ message: 'DATABASE_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds, e.g. 10000' })
  @Min(100, { message: 'DATABASE_STATEMENT_TIMEOUT_MS must be at least 100' })
  databaseStatementTimeoutMs: number = 10_000;

  /** Run pending migrations at boot; turn off where a one-shot migration job does it. */
  @Env('DATABASE_RUN_MIGRATIONS') @ToBool()
  @IsBoolean({ message: 'DATABASE_RUN_MIGRATIONS must be true or false' })
  runMigrations: boolean = true;

  /**
   * Create the MySQL/MariaDB database DATABASE_URL names when it does not exist (utf8mb4), as
   * `migrate --create-database` does; off: a missing one is reported in one line with the fix.
   */
  @Env('DATABASE_CREATE') @ToBool()
  @IsBoolean({ message: 'DATABASE_CREATE must be true or false' })
  createDatabase: boolean = false;

  /** json: one JSON object per line (pino), for containers; text: Nest's console (coloured on a terminal). */
  @Env('LOG_FORMAT')
  @IsIn(['json', 'text'], { message: 'LOG_FORMAT must be json or text' })
  logFormat: 'json' | 'text' = 'json';

  /** Names this process in logs and bus routing, with the pid and a random suffix (processInstanceId); defaults to the host name. */
  @Env('INSTANCE_ID') @IsOptional() @IsString()
  instanceId?: string;

  checkConfig(): string[] {
    const problems: string[] = [];
    if (CoreConfig.requireTokenSecret && !this.jwtSecret && !this.devMode) {
      problems.push(
        'JWT_SECRET is not set: set it to the secret the login service signs tokens with ' +
          '(e.g. JWT_SECRET=$(openssl rand -hex 32)), or set CHAT_DEV_MODE=true on a development machine',
      );
    }
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: this.timezone });
    } catch {
      problems.push(`CHAT_TIMEZONE "${this.timezone}" is not an IANA time zone: use e.g. Asia/Shanghai or UTC`);
    }
    return problems;
  }

  /**
   * Where the apps listen: HOST, or every interface, except in development mode, where a
   * machine's own browser is the only expected client (its /dev endpoints hand out tokens).
   */
  get host(): string {
    return this.hostSetting ?? (this.devMode ? '127.0.0.1' : '0.0.0.0');
  }

  get isSqlite(): boolean {
    return this.databaseUrl.startsWith('sqlite:');
  }
}
