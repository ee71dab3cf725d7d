import type { PushJobRepository, PushJobStatus } from '@app/database';

const at = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** One job of the message in a sentence: what happened to its push, and why. */
export function describeJob(j: PushJobStatus, now = Date.now()): string {
  const head = `job ${j.id} (push-${j.id}, ${j.messageCount} message(s), positions ${j.firstSeq}..${j.lastSeq}, stored ${at(j.storedAt)})`;
  const tries = j.attempts ? `, ${j.attempts} tr${j.attempts === 1 ? 'y' : 'ies'}` : '';
  const lastError = j.lastError ? `; last error: ${j.lastError}` : '';
  switch (j.state) {
    case 'pending':
      return j.attempts
        ? `${head}: retrying, next try at ${at(j.availableAt)}${tries}${lastError}`
        : `${head}: pending, due at ${at(j.dueAt)}${j.dueAt <= now ? ' (due now; no worker has taken it yet)' : ''}`;
    case 'sending':
      return `${head}: being sent by ${j.leaseOwner ?? '?'} (lease until ${at(j.leaseUntil)})${tries}${lastError}`;
    case 'sent':
      return `${head}: sent at ${at(j.sentAt)} as ${j.sentCount ?? '?'} message(s)${tries}${lastError ? ` after failures${lastError}` : ''}`;
    case 'skipped':
      return `${head}: not sent, ${j.outcome === 'delivered' ? 'delivered to a device before it was due' : (j.outcome ?? 'skipped')}${lastError}`;
    case 'dead':
      return `${head}: dead, given up${tries}${lastError}`;
  }
}

/** `push status <messageId>`: the message's recipient and every push job that covers it. */
export async function pushStatus(jobs: PushJobRepository, messageId: number): Promise<string> {
  const found = await jobs.statusOfMessage(messageId);
  if (!found) return `message ${messageId}: no such message`;
  const { message, deliveredSeq } = found;
  const head = `message ${message.id} from ${message.senderId} to ${message.to}, position ${message.seq ?? '-'}; delivered to the recipient's devices up to ${deliveredSeq}`;
  if (!found.jobs.length) {
    return `${head}\nno push job: ${
      message.seq !== null && message.seq <= deliveredSeq ? 'delivered, and push was off or it was stored before push was on' : 'push was off when it was stored (PUSH_PROVIDER unset), or it predates push'
    }`;
  }
  return [head, ...found.jobs.map((j) => describeJob(j))].join('\n');
}
