import {
  beginResubscription,
  closedSubscriberState,
  heldWhileDown,
  initialSubscriberState,
  isCurrentAttempt,
  resubscribed,
  resubscriptionFailed,
  sameGeneration,
  SubscriberResubscribing,
  SubscriberState,
  subscriptionsLost,
  watchStall,
} from './subscriber-state';

/** Starts an attempt, which the spec expects to start. */
function attemptFrom(state: SubscriberState): SubscriberResubscribing {
  const attempt = beginResubscription(state);
  if (attempt.kind !== 'resubscribing') throw new Error(`no attempt from ${attempt.kind}`);
  return attempt;
}

function generationOf(state: SubscriberState): number {
  if (state.kind === 'closed') throw new Error('closed has no generation');
  return state.generation;
}

/** Runs one attempt to its end on a connection that stayed up. */
function goLive(state: SubscriberState) {
  const attempt = attemptFrom(state);
  return resubscribed(attempt, attempt.generation, true);
}

const live = (): SubscriberState => goLive(initialSubscriberState).state;

describe('SubscriberState', () => {
  describe('first connect', () => {
    it('starts down, owing nothing', () => {
      expect(initialSubscriberState).toEqual({ kind: 'down', generation: 0, wasLive: false });
    });

    it('goes live without a re-read or a reconnect when nobody was taken on before', () => {
      const done = goLive(initialSubscriberState);
      expect(done.state.kind).toBe('live');
      expect(done.wentLive).toEqual({ resync: undefined, reconnected: false });
    });

    it('asks for a re-read when a user was taken on before Redis was reached', () => {
      const done = goLive(heldWhileDown(initialSubscriberState));
      expect(done.wentLive).toEqual({ resync: 'held-while-down', reconnected: false });
    });

    it('asks for a re-read when a first connect with users held was lost before going live', () => {
      const lost = subscriptionsLost(attemptFrom(initialSubscriberState), 2);
      expect(goLive(lost).wentLive).toEqual({ resync: 'subscriptions-lost', reconnected: false });
    });
  });

  describe('losing a live subscriber', () => {
    it('owes a re-read and counts a reconnect when users were held', () => {
      const lost = subscriptionsLost(live(), 3);
      expect(lost).toMatchObject({ kind: 'down', resync: 'subscriptions-lost', wasLive: true });
      expect(goLive(lost).wentLive).toEqual({ resync: 'subscriptions-lost', reconnected: true });
    });

    it('counts a reconnect but owes no re-read when nobody was held', () => {
      const lost = subscriptionsLost(live(), 0);
      expect(goLive(lost).wentLive).toEqual({ resync: undefined, reconnected: true });
    });

    it('owes a re-read after a loss with nobody held once a user is taken on while down', () => {
      const lost = heldWhileDown(subscriptionsLost(live(), 0));
      expect(goLive(lost).wentLive).toEqual({ resync: 'held-while-down', reconnected: true });
    });

    it('keeps what it owes across further losses and failed attempts, then settles it once', () => {
      let state = subscriptionsLost(live(), 1);
      const attempt = attemptFrom(state);
      state = resubscriptionFailed(attempt, attempt.generation).state;
      state = subscriptionsLost(state, 0);
      const done = goLive(state);
      expect(done.wentLive).toEqual({ resync: 'subscriptions-lost', reconnected: true });
      // Settled: the next loss with nobody held owes nothing but the reconnect.
      expect(goLive(subscriptionsLost(done.state, 0)).wentLive).toEqual({ resync: undefined, reconnected: true });
    });

    it('moves to a new generation, so what was started before is no longer current', () => {
      const before = live();
      expect(sameGeneration(before, heldWhileDown(before))).toBe(true);
      const lost = subscriptionsLost(before, 1);
      expect(sameGeneration(before, lost)).toBe(false);
      expect(generationOf(lost)).toBeGreaterThan(generationOf(before));
    });
  });

  describe('taking a user on while down', () => {
    it('is noted while down and while resubscribing', () => {
      expect(heldWhileDown(initialSubscriberState)).toMatchObject({ kind: 'down', resync: 'held-while-down' });
      const attempt = attemptFrom(initialSubscriberState);
      expect(heldWhileDown(attempt)).toMatchObject({ kind: 'resubscribing', resync: 'held-while-down' });
    });

    it('does not replace an earlier reason', () => {
      const lost = subscriptionsLost(live(), 1);
      expect(heldWhileDown(lost)).toMatchObject({ resync: 'subscriptions-lost' });
    });

    it('leaves a live subscriber alone: the loss that follows owes the re-read', () => {
      const state = live();
      expect(heldWhileDown(state)).toBe(state);
    });
  });

  describe('attempts', () => {
    it('starts none on a live subscriber (a repeated ready)', () => {
      const state = live();
      expect(beginResubscription(state)).toBe(state);
    });

    it('supersedes a running attempt with a newer one', () => {
      const first = attemptFrom(initialSubscriberState);
      const second = attemptFrom(first);
      expect(isCurrentAttempt(second, first.generation)).toBe(false);
      // The first one finishing changes nothing...
      expect(resubscribed(second, first.generation, true)).toEqual({ state: second });
      // ...the second one goes live.
      expect(resubscribed(second, second.generation, true).state.kind).toBe('live');
    });

    it('does not go live when the connection dropped during the attempt', () => {
      const attempt = attemptFrom(subscriptionsLost(live(), 1));
      const lost = subscriptionsLost(attempt, 1);
      expect(isCurrentAttempt(lost, attempt.generation)).toBe(false);
      expect(resubscribed(lost, attempt.generation, true)).toEqual({ state: lost });
      expect(resubscriptionFailed(lost, attempt.generation)).toEqual({ state: lost, restart: false });
    });

    it('does not go live when the connection dropped and came back during the attempt (a newer one runs)', () => {
      const attempt = attemptFrom(subscriptionsLost(live(), 1));
      const newer = beginResubscription(subscriptionsLost(attempt, 1));
      expect(resubscribed(newer, attempt.generation, true)).toEqual({ state: newer });
      expect(newer).toMatchObject({ kind: 'resubscribing', resync: 'subscriptions-lost', wasLive: true });
    });

    it('falls back to down, keeping its debt, when confirmed on a connection no longer up', () => {
      const attempt = attemptFrom(subscriptionsLost(live(), 1));
      const done = resubscribed(attempt, attempt.generation, false);
      expect(done.wentLive).toBeUndefined();
      expect(done.state).toEqual({ kind: 'down', generation: attempt.generation, resync: 'subscriptions-lost', wasLive: true });
    });

    it('asks for a restart when the current attempt fails, keeping its debt', () => {
      const attempt = attemptFrom(heldWhileDown(initialSubscriberState));
      const failed = resubscriptionFailed(attempt, attempt.generation);
      expect(failed.restart).toBe(true);
      expect(failed.state).toMatchObject({ kind: 'down', resync: 'held-while-down', wasLive: false });
    });

    it('gives every attempt and every loss a generation of its own', () => {
      const seen = new Set<number>();
      let state: SubscriberState = initialSubscriberState;
      for (let i = 0; i < 5; i++) {
        state = attemptFrom(state);
        seen.add(generationOf(state));
        state = subscriptionsLost(state, 1);
        seen.add(generationOf(state));
      }
      expect(seen.size).toBe(10);
    });
  });

  describe('the cluster watchdog', () => {
    const bound = 2000;

    it('notes since when a down subscriber has its connection up, and resubscribes after the bound', () => {
      const down = subscriptionsLost(live(), 1);
      const first = watchStall(down, true, 10_000, bound);
      expect(first).toEqual({ state: { ...down, stalledSince: 10_000 }, resubscribe: false });
      const later = watchStall(first.state, true, 11_999, bound);
      expect(later).toEqual({ state: first.state, resubscribe: false });
      const due = watchStall(later.state, true, 12_000, bound);
      expect(due.resubscribe).toBe(true);
      expect(due.state).toMatchObject({ kind: 'down', stalledSince: undefined });
      // The attempt it starts carries what the subscriber owes.
      expect(beginResubscription(due.state)).toMatchObject({ kind: 'resubscribing', resync: 'subscriptions-lost', wasLive: true });
    });

    it('starts over while the connection itself is down', () => {
      const stalled = watchStall(subscriptionsLost(live(), 1), true, 10_000, bound).state;
      const disconnected = watchStall(stalled, false, 11_000, bound);
      expect(disconnected).toEqual({ state: { ...stalled, stalledSince: undefined }, resubscribe: false });
      expect(watchStall(disconnected.state, true, 12_500, bound).resubscribe).toBe(false);
    });

    it('leaves live and resubscribing subscribers alone, and forgets a stall once an attempt ran', () => {
      const state = live();
      expect(watchStall(state, true, 10_000, 0)).toEqual({ state, resubscribe: false });
      const stalled = watchStall(subscriptionsLost(state, 1), true, 10_000, bound).state;
      const attempt = attemptFrom(stalled);
      expect(watchStall(attempt, true, 99_000, bound)).toEqual({ state: attempt, resubscribe: false });
      const back = resubscribed(attempt, attempt.generation, false).state;
      expect(watchStall(back, true, 99_000, bound)).toEqual({ state: { ...back, stalledSince: 99_000 }, resubscribe: false });
    });
  });

  describe('closed', () => {
    it('is final: no transition leaves it', () => {
      const closed = closedSubscriberState;
      expect(beginResubscription(closed)).toBe(closed);
      expect(subscriptionsLost(closed, 3)).toBe(closed);
      expect(heldWhileDown(closed)).toBe(closed);
      expect(resubscribed(closed, 0, true)).toEqual({ state: closed });
      expect(resubscriptionFailed(closed, 0)).toEqual({ state: closed, restart: false });
      expect(watchStall(closed, true, 10_000, 0)).toEqual({ state: closed, resubscribe: false });
      expect(isCurrentAttempt(closed, 0)).toBe(false);
      expect(sameGeneration(initialSubscriberState, closed)).toBe(false);
      expect(sameGeneration(closed, closed)).toBe(false);
    });
  });
});
