import { AccountAdmin, UserAccounts } from '@app/accounts';
import { TokenService } from '@app/auth';
import { ChatClock, DomainError } from '@app/common';
import { PushJobRepository, UserRepository } from '@app/database';
import { pushStatus } from './push/push-status';

export const USAGE = `Usage: chat-admin <command>

  migrate [--create-database]              apply pending database migrations, then exit; with the flag
                                           (or DATABASE_CREATE=true) create a missing database first (utf8mb4)
  user add --phone <phone> [--name <name>] add a user (name defaults to 手机用户<phone>); prints the user as JSON
  user passwd <userId>                     set a password, read from the first line of standard input; every
                                           token the user holds is refused from then on
  user block <userId> <otherId>            userId blocks otherId (their messages, typing, receipts); unblock: the same
  user unblock <userId> <otherId>
  user list [--q <text>] [--limit <n>]     users whose phone or name contains text (default all, 50), one JSON per line
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
  admin?: AccountAdmin;
  /** The first line of standard input (user passwd). */
  readSecret?: () => Promise<string>;
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
  if (command === 'user' && ['passwd', 'block', 'unblock', 'list'].includes(sub)) return runUserAdmin(args, deps);
  if (command === 'token') {
    const userId = Number(sub);
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new UsageError('token needs a user id, e.g. token 1');
    const ttl = option(args, 'ttl');
    if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--ttl is a number of seconds');
    return accounts.issueToken(userId, ttl === undefined ? undefined : Number(ttl));
  }
  throw new UsageError(command && command !== 'help' ? `unknown command: ${args.join(' ')}` : '');
}

const userId = (value: string | undefined, what: string): number => {
  const id = Number(value);
  if (!value || !/^\d+$/.test(value) || !Number.isSafeInteger(id) || id <= 0) throw new UsageError(`${what} must be a user id, e.g. 42`);
  return id;
};

async function runUserAdmin(args: string[], deps: AdminDeps): Promise<string> {
  const admin = deps.admin;
  if (!admin) throw new UsageError('account commands need the accounts module');
  const sub = args[1];
  if (sub === 'passwd') {
    const id = userId(args[2], 'user passwd <userId>');
    if (!deps.readSecret) throw new UsageError('user passwd reads the password from standard input');
    const password = (await deps.readSecret()).replace(/\r?\n$/, '');
    await admin.setPassword(id, password);
    return `password of user ${id} set; tokens issued before are refused`;
  }
  if (sub === 'block' || sub === 'unblock') {
    const [blocker, blocked] = [userId(args[2], `user ${sub} <userId>`), userId(args[3], `user ${sub} <userId> <otherId>`)];
    await (sub === 'block' ? admin.block(blocker, blocked) : admin.unblock(blocker, blocked));
    return `user ${blocker} ${sub === 'block' ? 'blocks' : 'no longer blocks'} user ${blocked}`;
  }
  const limit = option(args, 'limit');
  if (limit !== undefined && !/^\d{1,4}$/.test(limit)) throw new UsageError('--limit is a number of users, at most 9999');
  const users = await admin.list(option(args, 'q'), limit === undefined ? 50 : Number(limit));
  return users.map((u) => JSON.stringify(u)).join('\n');
}
