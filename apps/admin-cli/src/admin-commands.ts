import { TokenService } from '@app/auth';
import { ChatClock } from '@app/common';
import { UserRepository } from '@app/database';

export const USAGE = `Usage: chat-admin <command>

  migrate                                  apply pending database migrations, then exit
  user add --phone <phone> [--name <name>] add a user (name defaults to 手机用户<phone>); prints the user as JSON
  token <userId> [--ttl <seconds>]         mint a token for an existing user; prints it
  help                                     this text

Reads the same environment as the apps (DATABASE_URL, JWT_SECRET, ...).`;

export class UsageError extends Error {}

export interface AdminDeps {
  users: UserRepository;
  tokens: TokenService;
  clock: ChatClock;
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
  const [command, sub] = args;
  if (command === 'migrate') return 'migrations applied';
  if (command === 'user' && sub === 'add') {
    const phone = option(args, 'phone');
    if (!phone || !/^\+?\d{5,20}$/.test(phone)) throw new UsageError('user add needs --phone with 5 to 20 digits');
    const name = option(args, 'name');
    if (await deps.users.findByPhone(phone)) throw new UsageError(`a user with phone ${phone} exists already`);
    const user = await deps.users.create({ phone, name, time: deps.clock.wallClock() });
    return JSON.stringify(user);
  }
  if (command === 'token') {
    const userId = Number(sub);
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new UsageError('token needs a user id, e.g. token 1');
    if (!(await deps.users.findById(userId))) throw new UsageError(`no user with id ${userId}`);
    const ttl = option(args, 'ttl');
    if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--ttl is a number of seconds');
    return deps.tokens.sign(userId, ttl === undefined ? undefined : Number(ttl));
  }
  throw new UsageError(command && command !== 'help' ? `unknown command: ${args.join(' ')}` : '');
}
