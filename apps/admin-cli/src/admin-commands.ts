import { UserAccounts } from '@app/accounts';
import { TokenService } from '@app/auth';
import { ChatClock, DomainError } from '@app/common';
import { PushJobRepository, UserRepository } from '@app/database';
import { pushStatus } from './push/push-status';

export const USAGE = `Usage: chat-admin <command>

  migrate [--create-database]              apply pending database migrations, then exit; with the flag
                                           (or DATABASE_CREATE=true) create a missing database first (utf8mb4)
  user add --phone <phone> [--name <name>] add a user (name defaults to 手机用户<phone>); prints the user as JSON
  token <userId> [--ttl <seconds>]         mint a token for an existing user; prints it
  push status <messageId>                  what happened to a message's push, and why
  help                                     this text

Reads the same environment as the apps (DATABASE_URL, JWT_SECRET, ...).`;

export class UsageError extends Error {}

export interface AdminDeps {
  users: UserRepository;
  tokens: TokenService;
  clock: ChatClock;
  pushJobs?: PushJobRepository;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
  return value;
}

/** Runs one command and returns what to print. `migrate` is done by booting the context. */
export async function runAdminCommand(args: string[], deps: AdminDeps): Promise<string> {
  const accounts = new UserAccounts(deps.users, deps.tokens, deps.clock);
  try {
    return await run(args, accounts, deps);
  } catch (e) {
    // The accounts' refusals (bad phone, taken phone, unknown user) are the operator's to fix.
    if (e instanceof DomainError) throw new UsageError(e.message);
    throw e;
  }
}

async function run(args: string[], accounts: UserAccounts, deps: AdminDeps): Promise<string> {
  const [command, sub] = args;
  if (command === 'push' && sub === 'status') {
    const id = Number(args[2]);
    if (!Number.isSafeInteger(id) || id <= 0 || !deps.pushJobs) throw new UsageError('push status needs a message id, e.g. push status 42');
    return pushStatus(deps.pushJobs, id);
  }
  if (command === 'migrate') return 'migrations applied';
  if (command === 'user' && sub === 'add') {
    const phone = option(args, 'phone');
    if (!phone) throw new UsageError('user add needs --phone with 5 to 20 digits');
    return JSON.stringify(await accounts.add(phone, option(args, 'name')));
  }
  if (command === 'token') {
    const userId = Number(sub);
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new UsageError('token needs a user id, e.g. token 1');
    const ttl = option(args, 'ttl');
    if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--ttl is a number of seconds');
    return accounts.issueToken(userId, ttl === undefined ? undefined : Number(ttl));
  }
  throw new UsageError(command && command !== 'help' ? `unknown command: ${args.join(' ')}` : '');
}
