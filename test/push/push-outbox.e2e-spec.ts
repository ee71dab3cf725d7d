import { DataSource } from 'typeorm';
import { ChatClock } from '@app/common';
import { CoreConfig, PushConfig } from '@app/config';
import { dataSourceOptions, displayName, MessageStore, NewMessage, PushJobRepository, StepwiseBatchWriter, UserRepository } from '@app/database';
import { FinishedJobPruner } from '../../apps/push-worker/src/jobs/finished-job-pruner.service';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { freshPhone, tempSqlite } from '../support/test-app';

const clock = new ChatClock('Asia/Shanghai');

// The outbox as each batch writer writes it, in the messages' transaction.
function outboxSuite(engine: string, url: () => string, writer: 'engine' | 'stepwise-mysql') {
  describe(`push outbox on ${engine}`, () => {
    let ds: DataSource;
    let users: UserRepository;
    const stores: MessageStore[] = [];
    const store = (push?: PushConfig) => {
      const s = new MessageStore(ds, Object.assign(new CoreConfig(), { databaseUrl: url() }), push);
      if (writer === 'stepwise-mysql') s.useWriter(new StepwiseBatchWriter(ds, { returning: false, pushDelayMs: push?.enabled ? push.delayMs : undefined }));
      stores.push(s);
      return s;
    };
    const on = Object.assign(new PushConfig(), { provider: 'webhook', delayMs: 5000 });

    beforeAll(async () => {
      ds = new DataSource(dataSourceOptions(url(), true));
      await ds.initialize();
      users = new UserRepository(ds);
    });
    afterAll(async () => {
      for (const s of stores) await s.onApplicationShutdown();
      await ds?.destroy();
    });
    const user = async () => (await users.create({ phone: freshPhone(), time: clock.wallClock() })).id;
    const msg = (senderId: number, to: number, text: string): NewMessage => ({ senderId, to, text, time: clock.wallClock() });
    const jobs = (userId: number): Promise<{ friend_id: number; first_seq: number; last_seq: number; message_count: number; state: string; due_minus_stored: number }[]> =>
      ds.query('SELECT friend_id, first_seq, last_seq, message_count, state, due_at - stored_at AS due_minus_stored FROM push_job WHERE user_id = ? ORDER BY id', [userId]);

    it('writes no outbox row with push off', async () => {
      const [a, b] = [await user(), await user()];
      await store().storeBatch([msg(a, b, 'x'), msg(b, a, 'y')]);
      expect(await jobs(a)).toEqual([]);
      expect(await jobs(b)).toEqual([]);
    });

    it('with push on: one job per recipient and friend, gathering later batches until claimed', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const s = store(on);
      // a→b twice and b→a once in one batch, then a→b again and c→b in a second one.
      await s.storeBatch([msg(a, b, '1'), msg(b, a, '2'), msg(a, b, '3')]);
      await s.storeBatch([msg(a, b, '4'), msg(c, b, '5')]);
      const toB = (await jobs(b)).map((j) => ({ ...j, friend_id: Number(j.friend_id), due_minus_stored: Number(j.due_minus_stored) }));
      expect(toB).toEqual([
        { friend_id: a, first_seq: 1, last_seq: 4, message_count: 3, state: 'pending', due_minus_stored: 5000 },
        { friend_id: c, first_seq: 1, last_seq: 1, message_count: 1, state: 'pending', due_minus_stored: 5000 },
      ]);
      expect((await jobs(a)).map((j) => [Number(j.friend_id), j.first_seq, j.last_seq, j.message_count])).toEqual([[b, 2, 2, 1]]);
      // Claimed: the next message opens a job of its own.
      await ds.query("UPDATE push_job SET open_slot = NULL, state = 'sending' WHERE user_id = ? AND friend_id = ?", [b, a]);
      await s.storeBatch([msg(a, b, '6')]);
      expect((await jobs(b)).filter((j) => Number(j.friend_id) === a).map((j) => [j.first_seq, j.last_seq, j.message_count, j.state])).toEqual([
        [1, 4, 3, 'sending'],
        [5, 5, 1, 'pending'],
      ]);
    });

    it('prunes finished jobs past the retention, oldest first, and never a job still to send', async () => {
      const [a, b] = [await user(), await user()];
      const hour = 3_600_000;
      const now = Date.now();
      const add = (state: string, storedAt: number, availableAt: number | null) =>
        ds.query(
          'INSERT INTO push_job (user_id, friend_id, conversation_id, first_seq, last_seq, message_count, stored_at, due_at, available_at, state) VALUES (?, ?, 0, 1, 1, 1, ?, ?, ?, ?)',
          [b, a, storedAt, storedAt, availableAt, state],
        );
      for (const state of ['sent', 'skipped', 'dead']) await add(state, now - 3 * hour, null);
      await add('pending', now - 3 * hour, now - 3 * hour); // due long ago, never sent: kept
      await add('sending', now - 3 * hour, now + hour); // leased: kept
      await add('sent', now - hour / 2, null); // within the retention: kept
      const states = async () => ((await jobs(b)) as { state: string }[]).map((j) => j.state);

      const repository = new PushJobRepository(ds);
      expect(await repository.pruneFinished(now - 2 * hour, 2)).toBe(2);
      expect(await states()).toEqual(['dead', 'pending', 'sending', 'sent']);
      const pruner = new FinishedJobPruner(repository, Object.assign(new PushConfig(), { retentionHours: 2 }));
      expect(await pruner.prune(now)).toBeGreaterThanOrEqual(1);
      expect(await states()).toEqual(['pending', 'sending', 'sent']);
    });

    it('reads a claimed batch\'s facts at once and records its outcomes in one go, only under its own lease', async () => {
      const [a, b, c, d] = [await user(), await user(), await user(), await user()];
      const phoneOf = async (id: number) => ((await ds.query('SELECT phone FROM `user` WHERE id = ?', [id])) as { phone: string }[])[0].phone;
      await store(on).storeBatch([msg(a, b, 'b1'), msg(a, b, 'b2'), msg(c, b, 'b3'), msg(a, d, 'd1'), msg(a, d, 'd2'), msg(a, b, 'b4')]);
      // A device of b received a's first message meanwhile.
      await ds.query('UPDATE conversation_member SET delivered_seq = 1 WHERE user_id = ? AND friend_id = ?', [b, a]);
      const repository = new PushJobRepository(ds);
      const claimed = (await repository.claimDue('worker-1', Date.now() + 10_000, 30_000, 1000)).filter((j) => j.userId === b || j.userId === d);
      const key = (j: { userId: number; friendId: number }) => `${j.userId}<-${j.friendId}`;
      const job = Object.fromEntries(claimed.map((j) => [key(j), j]));
      expect(Object.keys(job).sort()).toEqual([`${b}<-${a}`, `${b}<-${c}`, `${d}<-${a}`].sort());

      const facts = await repository.factsOf(claimed);
      const texts = (k: string) => facts.get(job[k].id)!.messages.map((m) => m.text);
      expect(texts(`${b}<-${a}`)).toEqual(['b2', 'b4']);
      expect(texts(`${b}<-${c}`)).toEqual(['b3']);
      expect(texts(`${d}<-${a}`)).toEqual(['d1', 'd2']);
      expect(facts.get(job[`${b}<-${a}`].id)).toMatchObject({ deliveredSeq: 1, friendName: displayName(null, await phoneOf(a)), badge: 4 });
      expect(facts.get(job[`${b}<-${c}`].id)).toMatchObject({ deliveredSeq: 0, friendName: displayName(null, await phoneOf(c)), badge: 4 });
      expect(facts.get(job[`${d}<-${a}`].id)).toMatchObject({ deliveredSeq: 0, badge: 2 });

      // Another worker's outcome for b<-c changes nothing; worker-1's are recorded together.
      expect([...(await repository.finishMany('worker-2', [{ id: job[`${b}<-${c}`].id, end: { state: 'sent', at: 1, count: 1 } }]))]).toEqual([]);
      const recorded = await repository.finishMany('worker-1', [
        { id: job[`${b}<-${a}`].id, end: { state: 'sent', at: 1000, count: 2 } },
        { id: job[`${d}<-${a}`].id, end: { state: 'skipped', at: 1001, outcome: 'delivered' } },
        { id: job[`${b}<-${c}`].id, end: { state: 'dead', at: 1002, error: 'x'.repeat(300) } },
      ]);
      expect([...recorded].sort((x, y) => x - y)).toEqual([job[`${b}<-${a}`].id, job[`${b}<-${c}`].id, job[`${d}<-${a}`].id].sort((x, y) => x - y));
      const rows: { id: number | string; state: string; sent_at: number | string | null; sent_count: number | string | null; outcome: string; last_error: string | null; lease_owner: string | null; available_at: number | null }[] =
        await ds.query(`SELECT id, state, sent_at, sent_count, outcome, last_error, lease_owner, available_at FROM push_job WHERE id IN (?, ?, ?)`, claimed.map((j) => j.id));
      const row = (k: string) => {
        const r = rows.find((x) => Number(x.id) === job[k].id)!;
        return { state: r.state, sentAt: r.sent_at === null ? null : Number(r.sent_at), sentCount: r.sent_count === null ? null : Number(r.sent_count), outcome: r.outcome, error: r.last_error?.length ?? null, owner: r.lease_owner, availableAt: r.available_at };
      };
      expect(row(`${b}<-${a}`)).toEqual({ state: 'sent', sentAt: 1000, sentCount: 2, outcome: 'sent', error: null, owner: null, availableAt: null });
      expect(row(`${d}<-${a}`)).toEqual({ state: 'skipped', sentAt: null, sentCount: null, outcome: 'delivered', error: null, owner: null, availableAt: null });
      expect(row(`${b}<-${c}`)).toEqual({ state: 'dead', sentAt: null, sentCount: null, outcome: 'gave up', error: 255, owner: null, availableAt: null });
      // Finished: a second record is not ours any more.
      expect((await repository.finishMany('worker-1', [{ id: job[`${b}<-${a}`].id, end: { state: 'sent', at: 2000, count: 2 } }])).size).toBe(0);
    });
  });
}

describeMariaDb('push outbox, MariaDB', () => {
  outboxSuite('MariaDB (one round trip)', () => testMariaDbUrl()!, 'engine');
  outboxSuite('MariaDB (step by step, as on MySQL)', () => testMariaDbUrl()!, 'stepwise-mysql');
});

const sqlite = tempSqlite();
afterAll(() => sqlite.remove());
outboxSuite('SQLite', () => sqlite.url, 'engine');
