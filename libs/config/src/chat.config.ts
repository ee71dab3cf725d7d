import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';

/** Settings of the WebSocket chat gateway. */
export class ChatConfig {
  /** The legacy `message.text` column held 500 characters. */
  @Env('CHAT_TEXT_MAX_LENGTH') @ToInt()
  @IsInt({ message: 'CHAT_TEXT_MAX_LENGTH must be a whole number of characters, e.g. 500' })
  @Min(1, { message: 'CHAT_TEXT_MAX_LENGTH must be at least 1' })
  @Max(500, { message: 'CHAT_TEXT_MAX_LENGTH must be at most 500: the message.text column holds 500 characters' })
  textMaxLength: number = 500;

  /** The iOS app's keep-alive: a chat message with this exact text, neither stored nor forwarded. */
  @Env('CHAT_HEARTBEAT_TEXT') @IsString()
  heartbeatText: string = 'heart';

  /** false: the heartbeat text is an ordinary message again. */
  @Env('CHAT_HEARTBEAT_ENABLED') @ToBool()
  @IsBoolean({ message: 'CHAT_HEARTBEAT_ENABLED must be true or false' })
  heartbeatEnabled: boolean = true;

  /** Accept sockets without a token, trusting `{id}` as the legacy server did. Never in production. */
  @Env('CHAT_LEGACY_UNAUTHENTICATED') @ToBool()
  @IsBoolean({ message: 'CHAT_LEGACY_UNAUTHENTICATED must be true or false' })
  legacyUnauthenticated: boolean = false;

  /** Frames above this size close the socket with 1009. */
  @Env('CHAT_MAX_FRAME_BYTES') @ToInt()
  @IsInt({ message: 'CHAT_MAX_FRAME_BYTES must be a whole number of bytes, e.g. 16384' })
  @Min(1024, { message: 'CHAT_MAX_FRAME_BYTES must be at least 1024' })
  maxFrameBytes: number = 16 * 1024;

  /** Protocol-level ping interval; a socket that missed the previous pong is dropped. */
  @Env('CHAT_PING_INTERVAL_MS') @ToInt()
  @IsInt({ message: 'CHAT_PING_INTERVAL_MS must be a whole number of milliseconds, e.g. 30000' })
  @Min(100, { message: 'CHAT_PING_INTERVAL_MS must be at least 100' })
  pingIntervalMs: number = 30_000;

  /** Most messages written to the database in one transaction. */
  @Env('CHAT_STORE_BATCH_MAX') @ToInt()
  @IsInt({ message: 'CHAT_STORE_BATCH_MAX must be a whole number, e.g. 500' })
  @Min(1, { message: 'CHAT_STORE_BATCH_MAX must be at least 1' })
  storeBatchMax: number = 500;

  /** Batches written at once, each for its own share of the conversations (MySQL only). */
  @Env('CHAT_STORE_SHARDS') @ToInt()
  @IsInt({ message: 'CHAT_STORE_SHARDS must be a whole number, e.g. 3' })
  @Min(1, { message: 'CHAT_STORE_SHARDS must be at least 1' })
  @Max(16, { message: 'CHAT_STORE_SHARDS must be at most 16 (each holds a database connection while it writes)' })
  storeShards: number = 3;

  /** Messages one user may send per window, counted across replicas (in Redis when configured); 0 = no limit. */
  @Env('CHAT_RATE_LIMIT_COUNT') @ToInt()
  @IsInt({ message: 'CHAT_RATE_LIMIT_COUNT must be a whole number of messages (0 = no limit), e.g. 30' })
  @Min(0, { message: 'CHAT_RATE_LIMIT_COUNT must be 0 (no limit) or more' })
  rateLimitCount: number = 30;

  @Env('CHAT_RATE_LIMIT_WINDOW_SEC') @ToInt()
  @IsInt({ message: 'CHAT_RATE_LIMIT_WINDOW_SEC must be a whole number of seconds, e.g. 10' })
  @Min(1, { message: 'CHAT_RATE_LIMIT_WINDOW_SEC must be at least 1' })
  rateLimitWindowSec: number = 10;

  /** Open sockets one user may hold on one replica; one more is closed with 1008. */
  @Env('CHAT_MAX_SOCKETS_PER_USER') @ToInt()
  @IsInt({ message: 'CHAT_MAX_SOCKETS_PER_USER must be a whole number, e.g. 10' })
  @Min(1, { message: 'CHAT_MAX_SOCKETS_PER_USER must be at least 1' })
  maxSocketsPerUser: number = 10;

  /** On SIGTERM: longest wait for sockets to close and stores to finish before exiting. */
  @Env('CHAT_SHUTDOWN_GRACE_MS') @ToInt()
  @IsInt({ message: 'CHAT_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, e.g. 10000' })
  @Min(0, { message: 'CHAT_SHUTDOWN_GRACE_MS must be 0 or more' })
  shutdownGraceMs: number = 10_000;
}
