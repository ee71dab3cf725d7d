import { DataSource } from 'typeorm';
import { ChatClock } from '@app/common';
import { CoreConfig, PushConfig } from '@app/config';
import { dataSourceOptions, MessageStore, NewMessage, PushJobRepository, StepwiseBatchWriter, UserRepository } from '@app/database';
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
  });
}

describeMariaDb('push outbox, MariaDB', () => {
  outboxSuite('MariaDB (one round trip)', () => testMariaDbUrl()!, 'engine');
  outboxSuite('MariaDB (step by step, as on MySQL)', () => testMariaDbUrl()!, 'stepwise-mysql');
});

const sqlite = tempSqlite();
afterAll(() => sqlite.remove());
outboxSuite('SQLite', () => sqlite.url, 'engine');
