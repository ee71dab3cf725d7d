import { DataSource } from 'typeorm';
import { ChatClock } from '@app/common';
import { dataSourceOptions, MessageRepository, NewMessage, UserRepository } from '@app/database';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { freshPhone, tempSqlite } from '../support/test-app';

const clock = new ChatClock('Asia/Shanghai');

function repositorySuite(engine: string, url: () => string, options: { returning?: boolean } = {}) {
  describe(`MessageRepository.storeBatch on ${engine}`, () => {
    let ds: DataSource;
    let repo: MessageRepository;
    let users: UserRepository;
    beforeAll(async () => {
      ds = new DataSource(dataSourceOptions(url(), true));
      await ds.initialize();
      repo = new MessageRepository(ds);
      // MySQL has no INSERT ... RETURNING: its path (ids read back by position) runs here too.
      if (options.returning === false) (repo as unknown as { returning: Promise<boolean> }).returning = Promise.resolve(false);
      users = new UserRepository(ds);
    });
    afterAll(() => ds?.destroy());

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
      expect(results.map((r) => [r.message.text, r.message.seq, r.duplicate])).toEqual([
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
    });

    it('stores a repeated clientMsgId once, inside a batch and across batches', async () => {
      const [a, b] = await Promise.all([newUser(), newUser()]);
      const [first, again] = await repo.storeBatch([msg(a.id, b.id, 'x', 'dup'), msg(a.id, b.id, 'x', 'dup')]);
      expect(again).toEqual({ message: first.message, duplicate: true });
      const [later] = await repo.storeBatch([msg(a.id, b.id, 'x', 'dup')]);
      expect(later.duplicate).toBe(true);
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
  repositorySuite('MariaDB (INSERT ... RETURNING)', () => testMariaDbUrl()!);
  repositorySuite('MariaDB (ids by position, as on MySQL)', () => testMariaDbUrl()!, { returning: false });
});
