import { Global, Module, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CoreConfig } from '@app/config';
import { ReadinessRegistry } from '@app/ops';
import { boundDataSource } from './bounded-query';
import { dataSourceOptions } from './data-source-options';
import { ConversationRepository } from './conversation.repository';
import { MessageRepository } from './message.repository';
import { PushDeviceRepository } from './push-device.repository';
import { PushJobRepository } from './push-job.repository';
import { UserRepository } from './user.repository';
import { AccountRepository } from './account.repository';
import { RelationRepository } from './relation.repository';
import { SmsCodeRepository } from './sms-code.repository';
import { UploadOwnerRepository } from './upload-owner.repository';

const REPOSITORIES = [
  UserRepository,
  MessageRepository,
  ConversationRepository,
  PushDeviceRepository,
  PushJobRepository,
  AccountRepository,
  RelationRepository,
  SmsCodeRepository,
  UploadOwnerRepository,
];

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CoreConfig],
      useFactory: (config: CoreConfig) => ({
        ...dataSourceOptions(config.databaseUrl, config.runMigrations, config.databasePoolSize),
        // Ride out a short outage at boot (a failover, a replica restarting beside its database),
        // then give up: the orchestrator restarts us, rather than us retrying for minutes.
        retryAttempts: 10,
        retryDelay: 1000,
      }),
    }),
  ],
  // MessageStore is provided by the apps that write messages (it holds a writer pool of its own).
  providers: REPOSITORIES,
  exports: REPOSITORIES,
})
export class DatabaseModule implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: CoreConfig,
    // Absent in the admin CLI, which has no health endpoint.
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    // Every call from here on (reads, writes, transactions) settles within the statement timeout,
    // whatever the network does; the migrations at start ran before, unbounded.
    boundDataSource(this.db, this.config.databaseStatementTimeoutMs);
    this.readiness?.register({
      name: 'database',
      check: async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 1500 ms')), 1500);
        });
        try {
          await Promise.race([this.db.query('SELECT 1'), timeout]);
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }
}
