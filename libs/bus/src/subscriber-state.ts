/**
 * The bus subscriber's life, as data. The subscriber is `down` (not all held users are known to
 * be subscribed), `resubscribing` (confirming every held user's subscription on a connection that
 * came up), `live` (all confirmed), or `closed` for good.
 *
 * What a down subscriber owes for when it gets back is part of its state: whether holders must
 * re-read (and why), and whether coming back counts as a reconnect. Each (re)subscription
 * attempt and each loss takes a new generation, so an attempt that finishes after the connection
 * dropped again, or after a newer attempt started, is recognised as stale and changes nothing.
 *
 * Pure functions of the state: the bus holds the current value and acts on what they return.
 */
export type SubscriberState = SubscriberDown | SubscriberResubscribing | SubscriberLive | SubscriberClosed;

/** Why holders must re-read from the database once the subscriber is live again. */
export type ResyncReason =
  /** Subscriptions were lost while users were held: anything published meanwhile is gone. */
  | 'subscriptions-lost'
  /** A user was taken on while its subscription could not be made. */
  | 'held-while-down';

/** Carried from the loss to the next live state. */
interface Owed {
  /** Set: the next live state asks holders to re-read. */
  resync?: ResyncReason;
  /** It was live before: getting back counts as a reconnect. */
  wasLive: boolean;
}

export interface SubscriberDown extends Owed {
  kind: 'down';
  generation: number;
  /** Since when the connection has been seen up while the subscriber stays down (the cluster watchdog). */
  stalledSince?: number;
}

export interface SubscriberResubscribing extends Owed {
  kind: 'resubscribing';
  /** This attempt's generation. */
  generation: number;
}

export interface SubscriberLive {
  kind: 'live';
  generation: number;
}

export interface SubscriberClosed {
  kind: 'closed';
}

/** What going live asks of the bus. */
export interface WentLive {
  resync?: ResyncReason;
  reconnected: boolean;
}

/** Before the first connect: nothing to re-read for, nothing to count. */
export const initialSubscriberState: SubscriberDown = { kind: 'down', generation: 0, wasLive: false };

export const closedSubscriberState: SubscriberClosed = { kind: 'closed' };

/**
 * A connection came up (or the watchdog asks): start confirming every held user. A running
 * attempt is superseded; a live or closed subscriber starts nothing (the same state comes back).
 */
export function beginResubscription(state: SubscriberState): SubscriberState {
  if (state.kind !== 'down' && state.kind !== 'resubscribing') return state;
  return { kind: 'resubscribing', generation: state.generation + 1, resync: state.resync, wasLive: state.wasLive };
}

/** The attempt of `generation` is still the one that counts (not superseded, not lost, not closed). */
export function isCurrentAttempt(state: SubscriberState, generation: number): boolean {
  return state.kind === 'resubscribing' && state.generation === generation;
}

/**
 * Nothing was lost, restarted nor closed between `before` and `now`: a failure seen now is about
 * the connection in use.
 */
export function sameGeneration(before: SubscriberState, now: SubscriberState): boolean {
  return before.kind !== 'closed' && now.kind !== 'closed' && before.generation === now.generation;
}

/**
 * The attempt of `generation` confirmed every held user. On a connection that is still up it
 * goes live and settles what was owed; on one that is no longer up it is down again (its own
 * 'ready' starts over). A stale attempt changes nothing.
 */
export function resubscribed(
  state: SubscriberState,
  generation: number,
  connected: boolean,
): { state: SubscriberState; wentLive?: WentLive } {
  if (state.kind !== 'resubscribing' || state.generation !== generation) return { state };
  if (!connected) return { state: down(state, state.generation) };
  return {
    state: { kind: 'live', generation: state.generation },
    wentLive: { resync: state.resync, reconnected: state.wasLive },
  };
}

/**
 * The attempt of `generation` failed. If it was the current one the subscriber is down, and the
 * connection must be restarted, since we no longer know what the server holds for us.
 */
export function resubscriptionFailed(state: SubscriberState, generation: number): { state: SubscriberState; restart: boolean } {
  if (state.kind !== 'resubscribing' || state.generation !== generation) return { state, restart: false };
  return { state: down(state, state.generation), restart: true };
}

/**
 * The subscriber connection (or one shard's) went away. Held users may miss messages from now
 * on; with none held there is nothing to re-read. Coming back from live counts as a reconnect.
 */
export function subscriptionsLost(state: SubscriberState, heldUsers: number): SubscriberState {
  if (state.kind === 'closed') return state;
  const owed: Owed =
    state.kind === 'live'
      ? { wasLive: true }
      : { resync: state.resync, wasLive: state.wasLive };
  if (heldUsers > 0) owed.resync ??= 'subscriptions-lost';
  return down(owed, state.generation + 1);
}

/**
 * A user was taken on while its subscription could not be made: the next live state asks for a
 * re-read. While live the connection is only briefly not ready, before its loss is reported,
 * and that loss owes a re-read of every held user, this one included.
 */
export function heldWhileDown(state: SubscriberState): SubscriberState {
  if (state.kind !== 'down' && state.kind !== 'resubscribing') return state;
  return { ...state, resync: state.resync ?? 'held-while-down' };
}

/**
 * The cluster watchdog's look at the subscriber. A cluster client that lost a shard subscriber
 * only comes back through 'subscribersReady', which a wedged shard subscriber group never sends
 * while the client itself stays 'ready'. Down with the connection up for `boundMs`: resubscribe.
 */
export function watchStall(
  state: SubscriberState,
  connected: boolean,
  now: number,
  boundMs: number,
): { state: SubscriberState; resubscribe: boolean } {
  if (state.kind !== 'down') return { state, resubscribe: false };
  if (!connected) return { state: { ...state, stalledSince: undefined }, resubscribe: false };
  const stalledSince = state.stalledSince ?? now;
  if (now - stalledSince < boundMs) return { state: { ...state, stalledSince }, resubscribe: false };
  return { state: { ...state, stalledSince: undefined }, resubscribe: true };
}

function down(owed: Owed, generation: number): SubscriberDown {
  return { kind: 'down', generation, resync: owed.resync, wasLive: owed.wasLive };
}
