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

  /** Batches written at once, each for its own share of the conversations (MySQL/MariaDB; SQLite: 1). */
  @Env('CHAT_STORE_SHARDS') @ToInt()
  @IsInt({ message: 'CHAT_STORE_SHARDS must be a whole number, e.g. 2' })
  @Min(1, { message: 'CHAT_STORE_SHARDS must be at least 1' })
  @Max(16, { message: 'CHAT_STORE_SHARDS must be at most 16 (each holds a database connection while it writes)' })
  // Few: on a loaded machine CPU per message counts more than overlap, and fewer writers make
  // bigger batches (measured with bench:chat, 200 pairs: 2 beat 8 at every load).
  storeShards: number = 2;

  /**
   * Longest a send waits to be stored: then it is answered STORE_UNAVAILABLE, and a batch that
   * reaches the database later than that stores nothing (see docs/protocol.md).
   */
  @Env('CHAT_STORE_TIMEOUT_MS') @ToInt()
  @IsInt({ message: 'CHAT_STORE_TIMEOUT_MS must be a whole number of milliseconds, e.g. 3000' })
  @Min(200, { message: 'CHAT_STORE_TIMEOUT_MS must be at least 200' })
  @Max(60_000, { message: 'CHAT_STORE_TIMEOUT_MS must be at most 60000' })
  storeTimeoutMs: number = 3000;

  /** Longest the gateway waits for a database read (upgrade checks, a socket's backlog, gap reads). */
  @Env('CHAT_READ_TIMEOUT_MS') @ToInt()
  @IsInt({ message: 'CHAT_READ_TIMEOUT_MS must be a whole number of milliseconds, e.g. 3000' })
  @Min(100, { message: 'CHAT_READ_TIMEOUT_MS must be at least 100' })
  readTimeoutMs: number = 3000;

  /**
   * The sender's own messages also reach the sender's other legacy sockets (the old suite's
   * behaviour; an unchanged app shows them as the friend's). v2 sockets always get them.
   */
  @Env('CHAT_LEGACY_ECHO') @ToBool()
  @IsBoolean({ message: 'CHAT_LEGACY_ECHO must be true or false' })
  legacyEcho: boolean = false;

  /** How often the users of open sockets are checked to still exist; a deleted user's sockets are closed (4404). */
  @Env('CHAT_ACCOUNT_CHECK_MS') @ToInt()
  @IsInt({ message: 'CHAT_ACCOUNT_CHECK_MS must be a whole number of milliseconds, e.g. 30000' })
  @Min(100, { message: 'CHAT_ACCOUNT_CHECK_MS must be at least 100' })
  accountCheckMs: number = 30_000;

    /** Written messages are confirmed (a ping the client answers) this long after the first unconfirmed one. */
  @Env('CHAT_CONFIRM_DELAY_MS') @ToInt()
  @IsInt({ message: 'CHAT_CONFIRM_DELAY_MS must be a whole number of milliseconds, e.g. 1000' })
  @Min(10, { message: 'CHAT_CONFIRM_DELAY_MS must be at least 10' })
  @Max(10_000, { message: 'CHAT_CONFIRM_DELAY_MS must be at most 10000' })
  confirmDelayMs: number = 1000;

  /** Bytes written to a socket and not yet taken by the network, above which it stops getting frames. */
  @Env('CHAT_SEND_BUFFER_BYTES') @ToInt()
  @IsInt({ message: 'CHAT_SEND_BUFFER_BYTES must be a whole number of bytes, e.g. 262144' })
  @Min(16_384, { message: 'CHAT_SEND_BUFFER_BYTES must be at least 16384' })
  sendBufferBytes: number = 256 * 1024;

  /** A socket over its send buffer for this long is closed with 1008 (what it did not confirm stays pending). */
  @Env('CHAT_SLOW_READER_MS') @ToInt()
  @IsInt({ message: 'CHAT_SLOW_READER_MS must be a whole number of milliseconds, e.g. 15000' })
  @Min(100, { message: 'CHAT_SLOW_READER_MS must be at least 100' })
  slowReaderMs: number = 15_000;

  /** Frames per second one user's sockets may have handled on a replica (bursts of twice that); 0: no limit. */
  @Env('CHAT_INBOUND_FRAMES_PER_SEC') @ToInt()
  @IsInt({ message: 'CHAT_INBOUND_FRAMES_PER_SEC must be a whole number of frames per second, e.g. 50 (0 = no limit)' })
  @Min(0, { message: 'CHAT_INBOUND_FRAMES_PER_SEC must be 0 (no limit) or more' })
  inboundFramesPerSec: number = 50;

  /** Frames of one socket waiting to be handled, above which the socket is no longer read. */
  @Env('CHAT_INBOUND_MAX_FRAMES') @ToInt()
  @IsInt({ message: 'CHAT_INBOUND_MAX_FRAMES must be a whole number, e.g. 32' })
  @Min(1, { message: 'CHAT_INBOUND_MAX_FRAMES must be at least 1' })
  inboundMaxFrames: number = 32;

  /** Bytes of one socket's frames waiting to be handled, above which the socket is no longer read. */
  @Env('CHAT_INBOUND_MAX_BYTES') @ToInt()
  @IsInt({ message: 'CHAT_INBOUND_MAX_BYTES must be a whole number of bytes, e.g. 65536' })
  @Min(1024, { message: 'CHAT_INBOUND_MAX_BYTES must be at least 1024' })
  inboundMaxBytes: number = 64 * 1024;

  /** Bytes of frames waiting to be handled on the whole replica, above which no socket is read. */
  @Env('CHAT_INBOUND_TOTAL_BYTES') @ToInt()
  @IsInt({ message: 'CHAT_INBOUND_TOTAL_BYTES must be a whole number of bytes, e.g. 67108864' })
  @Min(65_536, { message: 'CHAT_INBOUND_TOTAL_BYTES must be at least 65536' })
  inboundTotalBytes: number = 64 * 1024 * 1024;

  /** Times in 10 s a socket may fill its inbound bound before it is closed with 1008 (0: never). */
  @Env('CHAT_INBOUND_OVERRUNS') @ToInt()
  @IsInt({ message: 'CHAT_INBOUND_OVERRUNS must be a whole number, e.g. 20 (0 = never close)' })
  @Min(0, { message: 'CHAT_INBOUND_OVERRUNS must be 0 or more' })
  inboundOverruns: number = 20;

  /** A socket's sends waiting to be stored, above which its next frames wait (and then it is no longer read). */
  @Env('CHAT_SENDS_IN_FLIGHT') @ToInt()
  @IsInt({ message: 'CHAT_SENDS_IN_FLIGHT must be a whole number, e.g. 64' })
  @Min(1, { message: 'CHAT_SENDS_IN_FLIGHT must be at least 1' })
  sendsInFlight: number = 64;

  /** Messages one user may send per window, counted across replicas (in Redis when configured); 0 = no limit. */
  @Env('CHAT_RATE_LIMIT_COUNT') @ToInt()
  @IsInt({ message: 'CHAT_RATE_LIMIT_COUNT must be a whole number of messages (0 = no limit), e.g. 30' })
  @Min(0, { message: 'CHAT_RATE_LIMIT_COUNT must be 0 (no limit) or more' })
  rateLimitCount: number = 30;

  /** Refusals for the rate limit in one window after which the socket is closed with 1008 (0: never). */
  @Env('CHAT_RATE_LIMIT_CLOSE_AFTER') @ToInt()
  @IsInt({ message: 'CHAT_RATE_LIMIT_CLOSE_AFTER must be a whole number of refusals (0 = never close), e.g. 50' })
  @Min(0, { message: 'CHAT_RATE_LIMIT_CLOSE_AFTER must be 0 or more' })
  rateLimitCloseAfter: number = 50;

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
