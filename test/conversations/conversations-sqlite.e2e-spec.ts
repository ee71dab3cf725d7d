import { DataSource } from 'typeorm';
import { CONVERSATION_QUERIES } from '@app/database';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, Frame, TestClient } from '../support/ws-client';
import { postForm } from '../support/form-post';

// The conversation list and read positions on the embedded default (SQLite, no Redis): what
// `npm start` runs. The two-replica behaviour on MariaDB is in conversations.e2e-spec.ts.

jest.setTimeout(60_000);

type User = Awaited<ReturnType<TestApp['newUser']>>;
interface ListAnswer {
  status: number;
  msg?: string;
  data: {
    list: { friendId: number; unread: number; readSeq: number; friendReadSeq: number; lastMessage: { id: number; seq: number; text: string } }[];
    nextCursor: string | null;
    totalUnread: number;
  };
}

const typed = (type: string) => (f: Frame) => f.type === type;

describe('conversations on the embedded SQLite database', () => {
  const db = tempSqlite();
  let suite: TestApp;
  const open: TestClient[] = [];

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: db.url, REDIS_URL: undefined, CHAT_CONFIRM_DELAY_MS: '100' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await suite?.close();
    db.remove();
  });

  const post = async <T>(path: string, user: User, form: Record<string, string | number>): Promise<T> => {
    const { status, body } = await postForm<T>(suite.httpUrl, `/chat_message/${path}`, user.token, form);
    expect(status).toBe(200);
    return body;
  };
  const list = (user: User, form: Record<string, string | number> = {}) => post<ListAnswer>('get_Conversation_List.do', user, form);

  async function sendAll(from: User, to: User, texts: string[]): Promise<void> {
    const c = await TestClient.openV2(chatUrl(suite.wsUrl, from.id, from.token));
    open.push(c);
    texts.forEach((text, i) => c.send({ to: to.id, text, clientMsgId: `${from.id}-${to.id}-${i}` }));
    for (let i = 0; i < texts.length; i++) await c.nextMatching(typed('ack'));
  }

  it('lists conversations most recent first with unread counts, pages by cursor, and clears them on mark_Read', async () => {
    const [me, x, y, z] = await Promise.all([suite.newUser(), suite.newUser(), suite.newUser(), suite.newUser()]);
    await sendAll(x, me, ['x1', 'x2']);
    await sendAll(y, me, ['y1']);
    await sendAll(z, me, ['z1', 'z2', '你好 🙂']);

    const first = await list(me, { limit: 2 });
    expect(first.status).toBe(0);
    expect(first.data.totalUnread).toBe(6);
    expect(first.data.list.map((i) => [i.friendId, i.unread, i.lastMessage.text])).toEqual([
      [z.id, 3, '你好 🙂'],
      [y.id, 1, 'y1'],
    ]);
    expect(first.data.nextCursor).toEqual(expect.any(String));
    const second = await list(me, { limit: 2, cursor: first.data.nextCursor! });
    expect(second.data.list.map((i) => [i.friendId, i.unread, i.lastMessage.text])).toEqual([[x.id, 2, 'x2']]);
    expect(second.data.nextCursor).toBeNull();

    expect(await post('mark_Read.do', me, { friendId: z.id, seq: 2 })).toEqual({ status: 0, data: { friendId: z.id, readSeq: 2, unread: 1 } });
    const after = await list(me, { limit: 10 });
    expect(after.data.totalUnread).toBe(4);
    expect(after.data.list.find((i) => i.friendId === z.id)).toMatchObject({ unread: 1, readSeq: 2 });
    // The sender sees how far the reader got.
    const theirs = await list(z, { limit: 10 });
    expect(theirs.data.list).toEqual([expect.objectContaining({ friendId: me.id, unread: 0, friendReadSeq: 2 })]);
  });

  it('plans the list page and the total unread as index look-ups (no scan of message or of other users’ rows)', async () => {
    const ds = suite.app.get(DataSource);
    const plan = async (sql: string, params: unknown[]) => ((await ds.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as { detail: string }[]).map((p) => p.detail);
    const page = await plan(CONVERSATION_QUERIES.listPage, [1, Number.MAX_SAFE_INTEGER, 20]);
    expect(page[0]).toMatch(/^SEARCH cm USING INDEX idx_member_recent \(user_id=\? AND last_message_id<\?\)/);
    for (const step of page) expect(step).toMatch(/^SEARCH .* USING (INTEGER PRIMARY KEY|(COVERING )?INDEX)/);
    const total = await plan(CONVERSATION_QUERIES.totalUnread, [1]);
    expect(total).toEqual([expect.stringMatching(/^SEARCH conversation_member USING (COVERING )?INDEX \S+ \(user_id=\?\)/)]);
  });
});
