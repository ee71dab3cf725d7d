import { DataSource } from 'typeorm';
import { ChatClock } from '@app/common';
import { CoreConfig } from '@app/config';
import { createConnection, format } from 'mysql2';
import { batchStatements, dataSourceOptions, MessageStore, NewMessage, planBatch, StepwiseBatchWriter, StoreExpiredError, UserRepository } from '@app/database';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { freshPhone, tempSqlite } from '../support/test-app';

const clock = new ChatClock('Asia/Shanghai');

function repositorySuite(engine: string, url: () => string, options: { stepwise?: { returning: boolean } } = {}) {
  describe(`MessageStore.storeBatch on ${engine}`, () => {
    let ds: DataSource;
    let repo: MessageStore;
    let users: UserRepository;
    beforeAll(async () => {
      ds = new DataSource(dataSourceOptions(url(), true));
      await ds.initialize();
      repo = new MessageStore(ds, Object.assign(new CoreConfig(), { databaseUrl: url() }));
      // MySQL (no INSERT ... RETURNING: ids read back by position) and MariaDB before 10.5 write
      // step by step; those paths run here too.
      if (options.stepwise) repo.useWriter(new StepwiseBatchWriter(ds, options.stepwise));
      users = new UserRepository(ds);
    });
    afterAll(async () => {
      await repo?.onApplicationShutdown();
      await ds?.destroy();
    });
    const memberRow = async (userId: number, friendId: number) => {
      const [row] = await ds.query(
        'SELECT last_seq, last_message_id, received_count, received_seq, delivered_seq, read_seq, read_count FROM conversation_member WHERE user_id = ? AND friend_id = ?',
        [userId, friendId],
      );
      return row ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) : undefined;
    };

    const newUser = () => users.create({ phone: freshPhone(), time: clock.wallClock() });
    const msg = (from: number, to: number, text: string, clientMsgId?: string): NewMessage => ({
      senderId: from,
      to,
      text,
      time: clock.wallClock(),
      clientMsgId,
    });

    it('stores a batch over several conversations with positions in arrival order and the right ids', async () => {
      const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
      const batch = [msg(a.id, b.id, 'ab1'), msg(b.id, a.id, 'ba1'), msg(a.id, c.id, 'ac1'), msg(a.id, b.id, 'ab2', 'k1')];
      const results = await repo.storeBatch(batch);
      expect(results.map((r) => [r.message.text, r.message.seq, r.status === 'duplicate'])).toEqual([
        ['ab1', 1, false],
        ['ba1', 2, false],
        ['ac1', 1, false],
        ['ab2', 3, false],
      ]);
      for (const r of results) {
        const [row] = await ds.query('SELECT text, seq, sender, `to` FROM `message` WHERE id = ?', [r.message.id]);
        expect([row.text, Number(row.seq), Number(row.sender), Number(row.to)]).toEqual([r.message.text, r.message.seq, r.message.senderId, r.message.to]);
      }
      // The users were created concurrently: their ids may come in any order.
      const countOf = async (x: number, y: number) => {
        const [row] = await ds.query('SELECT message_count FROM conversation WHERE user_lo = ? AND user_hi = ?', [Math.min(x, y), Math.max(x, y)]);
        return Number(row?.message_count);
      };
      expect([await countOf(a.id, b.id), await countOf(a.id, c.id)]).toEqual([3, 1]);
      // Each member's row moved in the same transaction: last message, what they received.
      const last = results[3].message.id;
      expect(await memberRow(b.id, a.id)).toEqual({ last_seq: 3, last_message_id: last, received_count: 2, received_seq: 3, delivered_seq: 0, read_seq: 0, read_count: 0 });
      expect(await memberRow(a.id, b.id)).toEqual({ last_seq: 3, last_message_id: last, received_count: 1, received_seq: 2, delivered_seq: 0, read_seq: 0, read_count: 0 });
      expect(await memberRow(c.id, a.id)).toMatchObject({ last_seq: 1, last_message_id: results[2].message.id, received_count: 1, received_seq: 1 });
      expect(await memberRow(a.id, c.id)).toMatchObject({ last_seq: 1, received_count: 0, received_seq: 0 });
    });

    it('writes nothing when the database starts on the batch after its deadline, leaving positions gapless', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      await repo.storeBatch([msg(a.id, b.id, 'before')]);
      await expect(repo.storeBatch([msg(a.id, b.id, 'too late'), msg(b.id, a.id, 'too late 2')], Date.now() - 1)).rejects.toBeInstanceOf(StoreExpiredError);
      const [after] = await repo.storeBatch([msg(a.id, b.id, 'after')]);
      expect(after.message.seq).toBe(2);
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM `message` WHERE text LIKE ?', ['too late%']);
      expect(Number(n)).toBe(0);
      expect(await memberRow(b.id, a.id)).toMatchObject({ last_seq: 2, received_count: 2 });
    });

    it('leaves no trace of a first conversation whose batch came after its deadline', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      await expect(repo.storeBatch([msg(a.id, b.id, 'too late')], Date.now() - 1)).rejects.toBeInstanceOf(StoreExpiredError);
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM conversation WHERE user_lo = ? AND user_hi = ?', [Math.min(a.id, b.id), Math.max(a.id, b.id)]);
      expect(Number(n)).toBe(0);
      expect(await memberRow(b.id, a.id)).toBeUndefined();
      // The connection that refused it writes the next batch as usual.
      const [first] = await repo.storeBatch([msg(a.id, b.id, 'in time')]);
      expect(first.message.seq).toBe(1);
    });

    it('answers a clientMsgId another writer stored first with that row, storing nothing twice', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const [x, y] = await Promise.all([repo.storeBatch([msg(a.id, b.id, 'raced', 'race-1')]), repo.storeBatch([msg(a.id, b.id, 'raced', 'race-1'), msg(a.id, b.id, 'other')])]);
      expect(x[0].message.id).toBe(y[0].message.id);
      expect(new Set([x[0].status, y[0].status])).toEqual(new Set(['stored', 'duplicate']));
      expect(y[1].status).toBe('stored');
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM `message` WHERE sender = ? AND client_msg_id = ?', [a.id, 'race-1']);
      expect(Number(n)).toBe(1);
      expect(await memberRow(b.id, a.id)).toMatchObject({ last_seq: 2, received_count: 2 });
    });

    it('stores a repeated clientMsgId once, inside a batch and across batches', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const [first, again] = await repo.storeBatch([msg(a.id, b.id, 'x', 'dup'), msg(a.id, b.id, 'x', 'dup')]);
      expect(again).toEqual({ message: first.message, status: 'duplicate' });
      const [later] = await repo.storeBatch([msg(a.id, b.id, 'x', 'dup')]);
      expect(later.status).toBe('duplicate');
      expect(later.message.id).toBe(first.message.id);
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [a.id]);
      expect(Number(n)).toBe(1);
    });

    it('keeps positions unique and gapless when batches of one conversation race', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const batches = [...Array(6).keys()].map((k) => [...Array(5).keys()].map((i) => msg(k % 2 ? a.id : b.id, k % 2 ? b.id : a.id, `${k}.${i}`)));
      const results = (await Promise.all(batches.map((batch) => repo.storeBatch(batch)))).flat();
      const seqs = results.map((r) => r.message.seq!).sort((x, y) => x - y);
      expect(seqs).toEqual([...Array(30).keys()].map((i) => i + 1));
      expect(await memberRow(a.id, b.id)).toMatchObject({ last_seq: 30, received_count: 15 });
      expect(await memberRow(b.id, a.id)).toMatchObject({ last_seq: 30, received_count: 15 });
      // Inside each batch, positions follow the batch's order.
      for (let k = 0; k < 6; k++) {
        const mine = results.slice(k * 5, k * 5 + 5).map((r) => r.message.seq!);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
        expect(mine[4] - mine[0]).toBe(4);
      }
    });
  });
}

const sqlite = tempSqlite();
repositorySuite('SQLite', () => sqlite.url);
afterAll(() => sqlite.remove());
describeMariaDb('MariaDB', () => {
  repositorySuite('MariaDB (one round trip per batch)', () => testMariaDbUrl()!);
  repositorySuite('MariaDB (step by step with RETURNING, as before 10.5)', () => testMariaDbUrl()!, { stepwise: { returning: true } });
  repositorySuite('MariaDB (step by step, ids by position, as on MySQL)', () => testMariaDbUrl()!, { stepwise: { returning: false } });
});

describeMariaDb('the one-round-trip batch on MariaDB', () => {
  it('refuses a batch past its deadline on a server without strict mode too, writing nothing', async () => {
    const ds = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
    await ds.initialize();
    // One session as a permissive legacy server would have it, taking the batch as the writer sends it.
    const session = createConnection({ uri: testMariaDbUrl()!, multipleStatements: true });
    try {
      const users = new UserRepository(ds);
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => users.create({ phone: freshPhone(), time: clock.wallClock() })));
      const store = new MessageStore(ds, Object.assign(new CoreConfig(), { databaseUrl: testMariaDbUrl()! }));
      await store.storeBatch([{ senderId: a.id, to: b.id, text: 'before', time: clock.wallClock() }]);
      await store.onApplicationShutdown();
      const late = [
        { senderId: a.id, to: b.id, text: 'late', time: clock.wallClock() },
        { senderId: a.id, to: c.id, text: 'late, new conversation', time: clock.wallClock() },
      ];
      const { statements, params } = batchStatements(planBatch(late), Date.now() - 1);
      await session.promise().query("SET SESSION sql_mode = ''");
      const error = await session
        .promise()
        .query(statements.join(';\n'), params)
        .then(
          () => null,
          (e: { code?: string }) => e,
        );
      await session.promise().query('ROLLBACK');
      expect(error?.code).toBe('ER_BAD_NULL_ERROR');
      const rows = (await ds.query('SELECT user_lo, user_hi, message_count FROM conversation WHERE user_lo IN (?, ?) OR user_hi IN (?, ?)', [a.id, c.id, a.id, c.id])) as {
        message_count: number;
      }[];
      // The existing conversation keeps its count; the new one has no row.
      expect(rows.map((r) => Number(r.message_count))).toEqual([1]);
    } finally {
      session.destroy();
      await ds.destroy();
    }
  });

  // An INSERT ... SELECT share-locks every row it reads: a scan of `conversation` would lock all
  // of them and collide with every other batch (deadlocks between replicas: seen in the soak,
  // where the tables grew from empty and the planner, on stale statistics, scanned). Each read
  // must be a unique-index look-up from the batch's own rows.
  it('reads conversation and message rows by unique index only', async () => {
    const ds = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
    await ds.initialize();
    try {
      const users = new UserRepository(ds);
      const made = await Promise.all([...Array(40).keys()].map(() => users.create({ phone: freshPhone(), time: clock.wallClock() })));
      const store = new MessageStore(ds, Object.assign(new CoreConfig(), { databaseUrl: testMariaDbUrl()! }));
      // Hundreds of conversations; the statistics may be stale (as on a table that grew from empty
      // since the last recount, when the planner believes a scan is cheap): the hints must hold.
      const all: NewMessage[] = [];
      for (let i = 0; i < made.length; i++) for (let j = i + 1; j < made.length; j++) all.push({ senderId: made[i].id, to: made[j].id, text: 'x', time: clock.wallClock() });
      for (let k = 0; k < all.length; k += 200) await store.storeBatch(all.slice(k, k + 200));
      await store.onApplicationShutdown();
      const items = [
        { senderId: made[1].id, to: made[2].id, text: 'a', time: clock.wallClock() },
        { senderId: made[0].id, to: made[3].id, text: 'b', time: clock.wallClock(), clientMsgId: 'explain-1' },
      ];
      const { statements, params } = batchStatements(planBatch(items), Date.now() + 60_000);
      let at = 0;
      const inlined = statements.map((sql) => {
        const n = (sql.match(/\?/g) ?? []).length;
        const text = format(sql, params.slice(at, at + n) as Parameters<typeof format>[1]);
        at += n;
        return text;
      });
      await ds.query(inlined[0]);
      for (const sql of inlined.slice(3, 5)) {
        const plan: { table: string | null; type: string; key: string | null }[] = await ds.query(`EXPLAIN ${sql.replace(/RETURNING[\s\S]*$/, '')}`);
        for (const row of plan.filter((r) => r.table === 'c' || r.table === 'm')) {
          expect({ table: row.table, type: row.type }).toEqual({ table: row.table, type: 'eq_ref' });
          expect(row.key).toBe(row.table === 'c' ? 'uq_conversation_pair' : 'uq_message_conversation_seq');
        }
        expect(plan.some((r) => r.table === 'c')).toBe(true);
      }
    } finally {
      await ds.destroy();
    }
  });
});
