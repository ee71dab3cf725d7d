import { BusEvent, BusMessage } from './message-bus';

/**
 * What travels on a user channel: an event, or a hint that peers must re-read. Messages travel
 * in `msg`, as replicas of the previous release read them (a rolling upgrade keeps delivering);
 * the other events in `ev`, which those replicas ignore.
 */
export interface BusEnvelope {
  v: 1;
  /** instanceId of the publisher. */
  from: string;
  /** The previous release wrote it without `type`. */
  msg?: Omit<BusMessage, 'type'> & { type?: 'message' };
  ev?: BusEvent;
  resync?: true;
  /** A request: holders of this user's sockets confirm them and record their positions, then answer. */
  confirm?: string;
  /** The answer to the request of that id. */
  confirmed?: string;
}

/** What a payload read from a user channel asks of this replica. */
export type DecodedPayload =
  | { kind: 'event'; event: BusEvent }
  /** A peer could not publish to this user: holders re-read from the database. */
  | { kind: 'resync' }
  /** Another replica asks this one to confirm the user's sockets (and answer `id`). */
  | { kind: 'confirm'; id: string }
  /** A replica (this one, for its own request) has answered the request `id`. */
  | { kind: 'confirmed'; id: string; from: string }
  /** Our own publish (or hint), already delivered locally. */
  | { kind: 'echo' }
  /** Not an envelope at all. */
  | { kind: 'garbage'; reason: string }
  /** An envelope carrying nothing this release reads (a later release's addition): ignored. */
  | { kind: 'unknown' };

const EVENT_TYPES: ReadonlySet<string> = new Set<BusEvent['type']>(['message', 'read', 'delivered', 'typing']);

/**
 * The bus's wire format: channel names (`<prefix>user:{<id>}`, the braces being the Redis
 * Cluster hash tag, so each user's traffic lives on one shard) and the envelope on them.
 */
export class BusEnvelopeCodec {
  private readonly channelPrefix: string;

  constructor(
    keyPrefix: string,
    private readonly instanceId: string,
  ) {
    this.channelPrefix = `${keyPrefix}user:{`;
  }

  channelFor(userId: number): string {
    return `${this.channelPrefix}${userId}}`;
  }

  /** The user whose channel this is; undefined for anything channelFor() does not make. */
  userOf(channel: string): number | undefined {
    if (!channel.startsWith(this.channelPrefix) || !channel.endsWith('}')) return undefined;
    const userId = Number(channel.slice(this.channelPrefix.length, -1));
    // The round trip rejects '', '007', '0x1f', ' 7' and the like, which Number() would take.
    return Number.isSafeInteger(userId) && this.channelFor(userId) === channel ? userId : undefined;
  }

  encode(event: BusEvent): string {
    const envelope: BusEnvelope =
      event.type === 'message' ? { v: 1, from: this.instanceId, msg: event } : { v: 1, from: this.instanceId, ev: event };
    return JSON.stringify(envelope);
  }

  encodeResyncHint(): string {
    return JSON.stringify({ v: 1, from: this.instanceId, resync: true } satisfies BusEnvelope);
  }

  encodeConfirmRequest(id: string): string {
    return JSON.stringify({ v: 1, from: this.instanceId, confirm: id } satisfies BusEnvelope);
  }

  encodeConfirmed(id: string): string {
    return JSON.stringify({ v: 1, from: this.instanceId, confirmed: id } satisfies BusEnvelope);
  }

  decode(payload: string): DecodedPayload {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return { kind: 'garbage', reason: 'not JSON' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { kind: 'garbage', reason: 'not an envelope' };
    }
    const envelope = parsed as Partial<BusEnvelope>;
    const from = typeof envelope.from === 'string' ? envelope.from : '';
    if (typeof envelope.confirmed === 'string') {
      return from === this.instanceId ? { kind: 'echo' } : { kind: 'confirmed', id: envelope.confirmed, from };
    }
    // Our own request coming back is our own answer: the asker confirms its sockets itself.
    if (typeof envelope.confirm === 'string') {
      return from === this.instanceId ? { kind: 'confirmed', id: envelope.confirm, from } : { kind: 'confirm', id: envelope.confirm };
    }
    if (envelope.from === this.instanceId) return { kind: 'echo' };
    if (envelope.resync) return { kind: 'resync' };
    if (isObject(envelope.msg)) return { kind: 'event', event: { ...envelope.msg, type: 'message' } };
    // An event type this release does not know is a later release's: not ours to hand on.
    const type: unknown = isObject(envelope.ev) ? (envelope.ev as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && EVENT_TYPES.has(type)) return { kind: 'event', event: envelope.ev as BusEvent };
    return { kind: 'unknown' };
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
