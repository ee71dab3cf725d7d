import { NestFactory } from '@nestjs/core';
import { AccountAdmin } from '@app/accounts';
import { TokenService } from '@app/auth';
import { ChatClock, textLogger } from '@app/common';
import { assertConfig, ConfigError, CoreConfig, loadConfig } from '@app/config';
import { ensureDatabase, MissingDatabaseError, PushJobRepository, UserRepository } from '@app/database';
import { AdminCliModule } from './admin-cli.module';
import { runAdminCommand, USAGE, UsageError } from './admin-commands';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (!args.length || args[0] === 'help' || args[0] === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return args.length ? 0 : 2;
  }
  // `migrate` is what the one-shot migration job runs: it always applies them.
  if (args[0] === 'migrate') process.env.DATABASE_RUN_MIGRATIONS = 'true';
  if (args[0] === 'migrate' && args.includes('--create-database')) process.env.DATABASE_CREATE = 'true';
  let core: CoreConfig;
  try {
    assertConfig([CoreConfig]);
    core = loadConfig(CoreConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    if (await ensureDatabase(core.databaseUrl, core.createDatabase)) process.stderr.write('created the database (utf8mb4)\n');
  } catch (e) {
    if (e instanceof MissingDatabaseError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const app = await NestFactory.createApplicationContext(AdminCliModule, { logger: textLogger(['error', 'warn']) });
  try {
    const out = await runAdminCommand(args, { users: app.get(UserRepository), tokens: app.get(TokenService), clock: app.get(ChatClock), pushJobs: app.get(PushJobRepository),
      admin: app.get(AccountAdmin),
      readSecret: readFirstLine,
    });
    process.stdout.write(`${out}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message ? `${e.message}\n\n` : ''}${USAGE}\n`);
      return 2;
    }
    throw e;
  } finally {
    await app.close();
  }
}

/** The first line of standard input (a password is never an argument: it would show in ps and shell history). */
function readFirstLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) {
        process.stdin.pause();
        resolve(text.slice(0, end));
      }
    });
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
