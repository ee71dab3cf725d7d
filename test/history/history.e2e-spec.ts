import { SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { HISTORY_QUERIES } from '@app/database';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { expectedPageInfo, LegacyItem } from './expected-page-info';

const PATH = '/chat_message/get_Message_History.do';
const FORM = 'application/x-www-form-urlencoded';
const MAX_PAGE_SIZE = 50;
const MESSAGES = 23;

type User = Awaited<ReturnType<TestApp['newUser']>>;
type Body = { status: number; msg?: string; data?: Record<string, unknown> };

/** The history contract, run once per database engine, over messages written through the gateway. */
function historySuite(engine: string, databaseUrl: () => string, cleanup: () => void = () => undefined) {
  describe(`history API on ${engine}`, () => {
    let suite: TestApp;
    let db: DataSource;
    let a: User;
    let b: User;
    let stranger: User;
    let loner: User;
    /** The conversation a<->b as its recipients received it live, in storage order. */
    const sent: LegacyItem[] = [];

    /** The Android app's request: Retrofit @FormUrlEncoded POST with the raw token header. */
    const post = async (form: string, token: string | null = a.token, query = '') => {
      const headers: Record<string, string> = { 'Content-Type': FORM, 'User-Agent': 'okhttp/3.12.0' };
      if (token !== null) headers.token = token;
      const res = await fetch(`${suite.httpUrl}${PATH}${query}`, { method: 'POST', headers, body: form });
      return { status: res.status, text: await res.text() };
    };
    const get = async (query: string, token: string | null = a.token) => {
      const res = await fetch(`${suite.httpUrl}${PATH}?${query}`, { headers: token ? { token } : {} });
      return { status: res.status, text: await res.text() };
    };
    const parsed = (r: { status: number; text: string }): Body => {
      expect(r.status).toBe(200);
      return JSON.parse(r.text) as Body;
    };

    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: databaseUrl(), HISTORY_MAX_PAGE_SIZE: String(MAX_PAGE_SIZE) });
      db = suite.app.get(DataSource);
      a = await suite.newUser();
      b = await suite.newUser('小明');
      stranger = await suite.newUser();
      loner = await suite.newUser();

      // Both directions through real sockets, one at a time so that storage order is known.
      const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
      const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
      try {
        for (let i = 1; i <= MESSAGES; i++) {
          const fromA = i % 3 !== 0;
          const [from, to, receiver] = fromA ? [a, b, cb] : [b, a, ca];
          (fromA ? ca : cb).send({ senderId: from.id, to: to.id, text: `msg ${i} ${fromA ? 'a→b' : 'b→a'} 😀` });
          const got = await receiver.next();
          sent.push({ sender: got.sender as string, text: got.text as string, time: got.time as string, id: got.id as number, senderId: got.senderId as number });
        }
        // Traffic with someone else must not show up in a<->b.
        const cs = await TestClient.open(chatUrl(suite.wsUrl, stranger.id, stranger.token));
        cs.send({ senderId: stranger.id, to: a.id, text: 'not part of a<->b' });
        await ca.next();
        await cs.close();
      } finally {
        await ca.close();
        await cb.close();
      }
    });
    afterAll(async () => {
      await suite?.close();
      cleanup();
    });

    describe('legacy page form', () => {
      it('answers the Android request byte for byte as PageHelper would', async () => {
        const r = await post(`pageNum=1&pageSize=10&friendId=${b.id}`);
        expect(r.status).toBe(200);
        expect(r.text).toBe(JSON.stringify({ status: 0, data: expectedPageInfo(sent, 1, 10) }));
        const data = parsed(r).data!;
        expect((data.list as LegacyItem[])[0]).toEqual({ sender: a.name, text: 'msg 1 a→b 😀', time: sent[0].time, id: sent[0].id, senderId: a.id });
        expect((data.list as LegacyItem[])[2].sender).toBe('小明');
      });

      it.each([
        [1, 10],
        [2, 10],
        [3, 10], // last partial page
        [1, 2],
        [5, 2],
        [7, 2], // window in the middle of 12 pages
        [9, 2],
        [12, 2], // last page, single message
        [1, MAX_PAGE_SIZE], // page larger than the conversation
        [4, 7],
      ])('page %i of size %i equals an independently computed PageInfo (POST and GET)', async (pageNum, pageSize) => {
        const expected = JSON.stringify({ status: 0, data: expectedPageInfo(sent, pageNum, pageSize) });
        expect((await post(`pageNum=${pageNum}&pageSize=${pageSize}&friendId=${b.id}`)).text).toBe(expected);
        expect((await get(`friendId=${b.id}&pageSize=${pageSize}&pageNum=${pageNum}`)).text).toBe(expected);
      });

      it('gives the other party the same conversation, both directions, oldest first', async () => {
        const r = parsed(await post(`pageNum=1&pageSize=${MAX_PAGE_SIZE}&friendId=${a.id}`, b.token));
        const list = r.data!.list as LegacyItem[];
        expect(list.map((m) => m.text)).toEqual(sent.map((m) => m.text));
        expect(list.map((m) => m.senderId)).toEqual(sent.map((m) => m.senderId));
        const ids = list.map((m) => m.id);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        const times = list.map((m) => m.time);
        expect([...times].sort()).toEqual(times);
      });

      it('applies the legacy defaults (pageNum 1, pageSize 10), also for blank fields', async () => {
        const expected = JSON.stringify({ status: 0, data: expectedPageInfo(sent, 1, 10) });
        expect((await post(`friendId=${b.id}`)).text).toBe(expected);
        expect((await post(`pageNum=&pageSize=&friendId=${b.id}`)).text).toBe(expected);
        expect((await post(`pageNum=%201%20&pageSize=10&friendId=${b.id}`)).text).toBe(expected);
      });

      it('accepts Authorization: Bearer as well as the raw token header', async () => {
        const res = await fetch(`${suite.httpUrl}${PATH}`, {
          method: 'POST',
          headers: { 'Content-Type': FORM, Authorization: `Bearer ${a.token}` },
          body: `pageNum=2&pageSize=10&friendId=${b.id}`,
        });
        expect(await res.text()).toBe(JSON.stringify({ status: 0, data: expectedPageInfo(sent, 2, 10) }));
      });

      it('shows a message sent after the first read on the next read, with the total moved', async () => {
        const before = parsed(await get(`friendId=${loner.id}&pageNum=1`));
        expect(before).toEqual({ status: 1, msg: '不存在记录' });
        const cl = await TestClient.open(chatUrl(suite.wsUrl, loner.id, loner.token));
        const cs = await TestClient.open(chatUrl(suite.wsUrl, stranger.id, stranger.token));
        try {
          cl.send({ senderId: loner.id, to: stranger.id, text: 'first words' });
          const got = await cs.next();
          const after = parsed(await get(`friendId=${loner.id}`, stranger.token));
          expect(after.data).toMatchObject({ total: 1, size: 1, list: [{ sender: loner.name, text: 'first words', time: got.time, id: got.id }] });
        } finally {
          await cl.close();
          await cs.close();
        }
      });
    });

    describe('legacy failures', () => {
      const notLoggedIn = JSON.stringify({ status: 1, msg: '用户未登录' });

      it('answers 用户未登录 for a missing, malformed, forged or expired token', async () => {
        const forged = await new SignJWT({ id: a.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('some-other-secret-0123456789abcdef'));
        const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ id: a.id, exp: 9e9 })).toString('base64url')}.`;
        const expired = await suite.token(a.id, -60);
        for (const token of [null, '', 'not-a-jwt', forged, unsigned, expired]) {
          const r = await post(`pageNum=1&pageSize=10&friendId=${b.id}`, token);
          expect(r).toEqual({ status: 200, text: notLoggedIn });
        }
        expect(await get(`friendId=${b.id}`, 'garbage')).toEqual({ status: 200, text: notLoggedIn });
      });

      it('checks the token before the parameters', async () => {
        expect((await post('pageNum=abc', null)).text).toBe(notLoggedIn);
      });

      it('answers 不存在记录 for no friendId, no messages, an unknown friend and a page past the end', async () => {
        const none = JSON.stringify({ status: 1, msg: '不存在记录' });
        expect((await post('pageNum=1&pageSize=10')).text).toBe(none);
        expect((await post('pageNum=1&pageSize=10&friendId=')).text).toBe(none);
        expect((await post(`pageNum=1&pageSize=10&friendId=${loner.id}`, b.token)).text).toBe(none);
        expect((await post('pageNum=1&pageSize=10&friendId=2147483647')).text).toBe(none);
        expect((await post(`pageNum=4&pageSize=10&friendId=${b.id}`)).text).toBe(none);
        expect((await post(`pageNum=2147483647&pageSize=${MAX_PAGE_SIZE}&friendId=${b.id}`)).text).toBe(none);
      });
    });

    describe('privacy', () => {
      it('gives a user who is neither party nothing of the conversation', async () => {
        const texts = sent.map((m) => m.text);
        const answers = [
          await post(`pageNum=1&pageSize=${MAX_PAGE_SIZE}&friendId=${b.id}`, stranger.token),
          await post(`limit=50&friendId=${b.id}`, stranger.token),
          await post(`beforeId=${sent[10].id}&friendId=${b.id}`, stranger.token),
          await post(`afterId=0&friendId=${b.id}`, stranger.token),
          await post(`beforeId=${sent[10].id}&friendId=${a.id}`, stranger.token),
          await post(`afterId=${sent[0].id}&friendId=${a.id}`, stranger.token),
        ];
        for (const r of answers) {
          expect(r.status).toBe(200);
          for (const t of texts) expect(r.text).not.toContain(t);
        }
        // Its own conversation with a holds only its own message.
        const own = parsed(await post(`pageNum=1&pageSize=10&friendId=${a.id}`, stranger.token));
        expect((own.data!.list as LegacyItem[]).map((m) => m.text)).toEqual(['not part of a<->b']);
      });
    });

    describe('bad parameters', () => {
      const expectRefusal = async (r: { status: number; text: string }, mentions: string) => {
        const body = parsed(r);
        expect(body.status).toBe(1);
        expect(Object.keys(body)).toEqual(['status', 'msg']);
        expect(body.msg).toContain(mentions);
        expect(body.msg).not.toMatch(/\bat \w|Error|SQL|stack/);
      };

      it.each([
        ['pageNum=abc', 'pageNum'],
        ['pageNum=0', 'pageNum'],
        ['pageNum=-1', 'pageNum'],
        ['pageNum=1.5', 'pageNum'],
        ['pageNum=1e3', 'pageNum'],
        ['pageNum=0x10', 'pageNum'],
        ['pageNum=2147483648', 'pageNum'],
        ['pageNum=99999999999999999999999999', 'pageNum'],
        ['pageSize=0', 'pageSize'],
        ['pageSize=-10', 'pageSize'],
        [`pageSize=${MAX_PAGE_SIZE + 1}`, `${MAX_PAGE_SIZE}`],
        ['pageSize=10abc', 'pageSize'],
        ['pageNum=1&pageNum=2', 'pageNum'],
        ['pageNum[]=1', 'pageNum'],
        ['pageNum[x]=1', 'pageNum'],
        ['pageSize[]=10&pageSize[]=20', 'pageSize'],
        ['friendId=abc', 'friendId'],
        ['friendId=1%20OR%201%3D1', 'friendId'],
        ['friendId=1%3B%20DROP%20TABLE%20message', 'friendId'],
        ["pageNum=1'%20OR%20'1'%3D'1", 'pageNum'],
        ['friendId=-3', 'friendId'],
        ['beforeId=1&afterId=1', 'afterId'],
        ['pageNum=1&limit=5', 'pageNum'],
        ['limit=0', 'limit'],
        ['limit=100000', 'limit'],
        ['beforeId=abc', 'beforeId'],
      ])('refuses %s with a clear status:1 message (POST form and GET query)', async (params, mentions) => {
        const form = params.includes('friendId=') ? params : `${params}&friendId=${b.id}`;
        await expectRefusal(await post(form), mentions);
        await expectRefusal(await get(form), mentions);
      });

      it('refuses a parameter given in both the query string and the body', async () => {
        await expectRefusal(await post(`pageNum=1&friendId=${b.id}`, a.token, '?pageNum=2'), 'pageNum');
      });

      it('leaves the tables intact after injection-looking input', async () => {
        const rows = await db.query('SELECT COUNT(*) AS n FROM `message` WHERE conversation_id = (SELECT conversation_id FROM `message` WHERE id = ?)', [sent[0].id]);
        expect(Number(rows[0].n)).toBe(MESSAGES);
      });

      it('ignores a cursor id that belongs to another conversation', async () => {
        const other = await db.query('SELECT id FROM `message` WHERE sender = ? AND `to` = ?', [stranger.id, a.id]);
        await expectRefusal(await post(`beforeId=${other[0].id}&friendId=${b.id}`), 'beforeId');
        await expectRefusal(await post(`afterId=999999999&friendId=${b.id}`), 'afterId');
      });
    });

    it('reads pages by a seek on the (conversation_id, seq) index, never a scan or a sort', async () => {
      const [conv] = await db.query('SELECT conversation_id AS c FROM `message` WHERE id = ?', [sent[0].id]);
      const c = Number(conv.c);
      const cases: [keyof typeof HISTORY_QUERIES, unknown[]][] = [
        ['findBySeqRange', [c, 11, 20]],
        ['findBeforeSeq', [c, 5, 16, 11]],
        ['findAfterSeq', [c, 5, 16, 11]],
      ];
      for (const [name, params] of cases) {
        const plan: Record<string, unknown>[] = await db.query(`EXPLAIN ${engine === 'SQLite' ? 'QUERY PLAN ' : ''}${HISTORY_QUERIES[name]}`, params);
        const text = JSON.stringify(plan);
        expect(text).toContain('uq_message_conversation_seq');
        expect(text).not.toMatch(/filesort|TEMP B-TREE|"SCAN m"/i);
      }
    });

    describe('cursor form', () => {
      // Cursor-form items add their position: a<->b holds only `sent`, in storage order.
      const withSeq = (items: LegacyItem[]) => items.map((m) => ({ ...m, seq: sent.indexOf(m) + 1 }));
      const slice = async (params: string, token = a.token) => parsed(await get(`friendId=${b.id}&${params}`, token)).data as {
        total: number;
        list: LegacyItem[];
        size: number;
        limit: number;
        order: string;
        hasMore: boolean;
        nextBeforeId?: number;
        nextAfterId?: number;
      };

      it('gives the newest messages newest first for limit alone', async () => {
        const s = await slice('limit=5');
        expect(s).toEqual({
          total: MESSAGES,
          list: withSeq(sent.slice(-5).reverse()),
          size: 5,
          limit: 5,
          order: 'newest-first',
          hasMore: true,
          nextBeforeId: sent[MESSAGES - 5].id,
        });
      });

      it('scrolls back with beforeId to the first message, newest first', async () => {
        const seen: LegacyItem[] = [];
        let s = await slice('limit=4');
        seen.push(...s.list);
        let guard = 0;
        while (s.hasMore && guard++ < 20) {
          s = await slice(`beforeId=${s.nextBeforeId}&limit=4`);
          seen.push(...s.list);
        }
        expect(s.hasMore).toBe(false);
        expect(s.nextBeforeId).toBeUndefined();
        expect(seen).toEqual(withSeq([...sent].reverse()));
      });

      it('catches up with afterId, oldest first, from the start or from a message', async () => {
        const seen: LegacyItem[] = [];
        let s = await slice('afterId=0&limit=6');
        seen.push(...s.list);
        let guard = 0;
        while (s.hasMore && guard++ < 20) {
          expect(s.order).toBe('oldest-first');
          s = await slice(`afterId=${s.nextAfterId}&limit=6`);
          seen.push(...s.list);
        }
        expect(seen).toEqual(withSeq(sent));
        const fromMiddle = await slice(`afterId=${sent[19].id}`);
        expect(fromMiddle).toMatchObject({ list: withSeq(sent.slice(20)), size: 3, limit: 20, hasMore: false, nextAfterId: sent[22].id });
        // Nothing new: an empty success that keeps the caller's position.
        const caughtUp = await slice(`afterId=${sent[22].id}&limit=10`);
        expect(caughtUp).toEqual({ total: MESSAGES, list: [], size: 0, limit: 10, order: 'oldest-first', hasMore: false, nextAfterId: sent[22].id });
      });

      it('works over the POST form too and from the other party', async () => {
        const r = parsed(await post(`friendId=${a.id}&beforeId=${sent[3].id}&limit=10`, b.token));
        expect((r.data!.list as LegacyItem[])).toEqual(withSeq(sent.slice(0, 3).reverse()));
      });
    });
  });
}

const sqlite = tempSqlite();
historySuite('SQLite', () => sqlite.url, () => sqlite.remove());

describeMariaDb('MariaDB', () => {
  historySuite('MariaDB', () => testMariaDbUrl()!);
});
