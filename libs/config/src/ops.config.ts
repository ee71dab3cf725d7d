import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { Env, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

/**
 * Who reaches the operational endpoints (/metrics, the details of /health/ready, /api-docs): a
 * listener of their own on OPS_PORT, or a bearer token on the public port, or both. With
 * neither they are off, except in development mode, where they are open to anyone.
 */
export class OpsConfig implements ConfigCheck {
  @Env('OPS_PORT') @ToInt() @IsOptional()
  @IsInt({ message: 'OPS_PORT must be a whole number between 0 and 65535, e.g. OPS_PORT=9464 (0 picks a free port)' })
  @Min(0, { message: 'OPS_PORT must be between 0 and 65535' })
  @Max(65535, { message: 'OPS_PORT must be between 0 and 65535' })
  port?: number;

  @Env('OPS_TOKEN') @IsOptional() @IsString()
  @MinLength(16, { message: 'OPS_TOKEN is too short: use at least 16 characters, e.g. OPS_TOKEN=$(openssl rand -hex 32)' })
  token?: string;

  // PORT is CoreConfig's; read here only to refuse OPS_PORT=PORT.
  @Env('PORT') @ToInt() @IsOptional()
  private readonly publicPort?: unknown;

  checkConfig(): string[] {
    const publicPort = this.publicPort ?? 8080;
    return this.port !== undefined && this.port !== 0 && this.port === publicPort
      ? [`OPS_PORT (${this.port}) must differ from PORT: the operations listener is a second port, e.g. OPS_PORT=9464`]
      : [];
  }
}
