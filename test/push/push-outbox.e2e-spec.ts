import { DataSource } from 'typeorm';
import { ChatClock } from '@app/common';
import { CoreConfig, PushConfig } from '@app/config';
import { dataSourceOptions, MessageStore, NewMessage, StepwiseBatchWriter, UserRepository } from '@app/database';
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
  });
}

describeMariaDb('push outbox, MariaDB', () => {
  outboxSuite('MariaDB (one round trip)', () => testMariaDbUrl()!, 'engine');
  outboxSuite('MariaDB (step by step, as on MySQL)', () => testMariaDbUrl()!, 'stepwise-mysql');
});

const sqlite = tempSqlite();
afterAll(() => sqlite.remove());
outboxSuite('SQLite', () => sqlite.url, 'engine');
