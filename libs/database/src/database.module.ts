import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoreConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';
import { MessageRepository } from './message.repository';
import { UserRepository } from './user.repository';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CoreConfig],
      useFactory: (config: CoreConfig) => ({
        ...dataSourceOptions(config.databaseUrl, config.runMigrations),
        // Fail fast at boot instead of retrying for minutes; the orchestrator restarts us.
        retryAttempts: 2,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [UserRepository, MessageRepository],
  exports: [UserRepository, MessageRepository],
})
export class DatabaseModule {}
