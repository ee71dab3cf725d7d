import { isMysqlOptions } from '@app/entities';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CoreConfig, PushConfig } from '@app/config';
import { BatchWriter, DUPLICATE_KEY_CODES, driverErrorCode, OutcomeUnknownError, RETRYABLE_CODES } from './batch-writer';
import { mysqlPoolOptions } from './data-source-options';
import { MariaDbBatchWriter } from './mariadb-batch.writer';
import { batchResults, matchInserted, NewMessage, planBatch, StoredMessage, StoreResult } from './message-batch';
import { StepwiseBatchWriter } from './stepwise-batch.writer';

export { OutcomeUnknownError };

/** The batch reached the database after its deadline (or could not commit before it): nothing was written. */
export class StoreExpiredError extends Error {
  constructor() {
    super('the deadline passed before the batch could be stored; nothing was written');
    this.name = 'StoreExpiredError';
  }
}

/** Tries of one batch against deadlocks, lock waits and racing duplicate keys. */
const MAX_ATTEMPTS = 6;

/** Writer connections held at once: one per writer shard of a gateway. */
export const MESSAGE_STORE_CONNECTIONS = 16;

/**
 * Stores batches of chat messages: positions gapless per conversation, idempotent per
 * (sender, clientMsgId), the conversation members' rows moved in the same transaction. Picks the
 * writer the engine allows: one round trip per batch on MariaDB 10.5+, step by step on MySQL and
 * SQLite.
 */
@Injectable()
export class MessageStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MessageStore.name);
  private writer?: BatchWriter;
  private choosing?: Promise<BatchWriter>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: CoreConfig,
    // Push on (PUSH_PROVIDER set): every batch writes its outbox jobs in its transaction. Off, or
    // absent (tests building a store by hand): not a statement more.
    @Optional() private readonly push?: PushConfig,
  ) {}

  private get pushDelayMs(): number | undefined {
    return this.push?.enabled ? this.push.delayMs : undefined;
  }

  /** Whether several batches may be written at once (a pool, not SQLite's one connection). */
  get concurrentWrites(): boolean {
    return isMysqlOptions(this.db.options);
  }

  async onModuleInit(): Promise<void> {
    await this.writerFor();
  }

  /** How long a batch (any database call) may go unanswered before it is given up: DATABASE_STATEMENT_TIMEOUT_MS. */
  get statementTimeoutMs(): number {
    return this.config.databaseStatementTimeoutMs;
  }

  /**
   * One cheap look-up on the writer's own connections (a unique-index probe that finds nothing):
   * resolves once they answer again. Bounded like every call.
   */
  async probe(): Promise<void> {
    await (await this.writerFor()).findByKeys([{ senderId: 0, clientMsgId: '' }]);
  }

  /** Tests: the writer to use instead of the one the engine would get. */
  useWriter(writer: BatchWriter): void {
    this.writer = writer;
  }

  /**
   * Stores a batch in one transaction, or nothing if the database starts on it after
   * `deadline` (StoreExpiredError). A clientMsgId the sender used before answers with the
   * stored row ('duplicate') instead of a second one.
   */
  async storeBatch(items: readonly NewMessage[], deadline = Number.MAX_SAFE_INTEGER): Promise<StoreResult[]> {
    const writer = await this.writerFor();
    let existing = new Map<string, StoredMessage>();
    for (let attempt = 1; ; attempt++) {
      const plan = planBatch(items, existing);
      if (!plan.placed.length) return batchResults(items, plan, new Map());
      try {
        const rows = await writer.write(plan, deadline);
        if (rows === 'expired') throw new StoreExpiredError();
        return batchResults(items, plan, matchInserted(plan, rows));
      } catch (e) {
        const code = driverErrorCode(e);
        if (attempt >= MAX_ATTEMPTS || !code) throw e;
        if (DUPLICATE_KEY_CODES.has(code)) {
          // Another replica stored one of these keys first (a client retrying elsewhere).
          existing = await writer.findByKeys(
            items.flatMap((m) => (m.clientMsgId === undefined ? [] : [{ senderId: m.senderId, clientMsgId: m.clientMsgId }])),
          );
        } else if (RETRYABLE_CODES.has(code)) {
          // A deadlock victim was rolled back whole: try again after a short, random pause, so
          // the batches that collided do not collide again.
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 8 * attempt));
        } else {
          throw e;
        }
      }
    }
  }

  /** After an OutcomeUnknownError: which of the items were stored, by index. */
  async findStored(items: readonly NewMessage[]): Promise<Map<number, StoredMessage>> {
    return (await this.writerFor()).findStored(items);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer?.close();
  }

  private writerFor(): Promise<BatchWriter> {
    if (this.writer) return Promise.resolve(this.writer);
    this.choosing ??= this.choose().then((w) => (this.writer = w));
    return this.choosing;
  }

  private async choose(): Promise<BatchWriter> {
    if (!this.concurrentWrites) return new StepwiseBatchWriter(this.db, { pushDelayMs: this.pushDelayMs });
    const rows: { v: string }[] = await this.db.query('SELECT VERSION() AS v');
    const version = rows[0]?.v ?? '';
    const mariadb = /mariadb/i.exec(version) && /^(\d+)\.(\d+)/.exec(version);
    if (mariadb && (Number(mariadb[1]) > 10 || (Number(mariadb[1]) === 10 && Number(mariadb[2]) >= 5))) {
      return new MariaDbBatchWriter(mysqlPoolOptions(this.config.databaseUrl), MESSAGE_STORE_CONNECTIONS, this.config.databaseStatementTimeoutMs, this.pushDelayMs);
    }
    this.logger.log(`database ${version}: batches are written statement by statement (no INSERT ... RETURNING)`);
    return new StepwiseBatchWriter(this.db, { returning: false, pushDelayMs: this.pushDelayMs });
  }
}
