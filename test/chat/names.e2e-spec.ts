import { DataSource } from 'typeorm';
import { postForm } from '../support/form-post';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// A name with U+202E (right-to-left override) shows `abc\u202Egpj.exe` as `abcexe.jpg`, and an
// unterminated override reverses whatever a client shows after the name. Names lose their
// bidirectional controls where they are stored and wherever they are served (an old row, written
// by the old server on a shared database, may hold them).

const SPOOF = 'abc\u202egpj.exe';
const CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

describe('names with bidirectional controls', () => {
  const db = tempSqlite();
  let suite: TestApp;
  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await suite?.close();
    db.remove();
  });

  it('are served without them: live frames, history and the conversation list', async () => {
    const [a, b] = [await suite.newUser(), await suite.newUser()];
    // As the old server would have stored it.
    await suite.app.get(DataSource).query('UPDATE `user` SET name = ? WHERE id = ?', [`\u2067${SPOOF}\u2069\u200f`, a.id]);
    const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
    ca.send({ senderId: a.id, to: b.id, text: 'hi' });
    expect((await cb.next()).sender).toBe('abcgpj.exe');
    const history = await postForm<{ data: { list: { sender: string }[] } }>(suite.httpUrl, '/chat_message/get_Message_History.do', b.token, { friendId: a.id });
    expect(history.body.data.list.map((m) => m.sender)).toEqual(['abcgpj.exe']);
    const list = await postForm<{ data: { list: { friendName: string; lastMessage: { sender: string } }[] } }>(suite.httpUrl, '/chat_message/get_Conversation_List.do', b.token, {});
    expect(list.body.data.list[0]).toMatchObject({ friendName: 'abcgpj.exe', lastMessage: { sender: 'abcgpj.exe' } });
    expect(JSON.stringify([history.body, list.body])).not.toMatch(CONTROLS);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('are stored without them, and a name of nothing else becomes the default name', async () => {
    const spoofed = await suite.newUser(SPOOF);
    const empty = await suite.newUser('\u202e\u202d');
    const rows = (await suite.app.get(DataSource).query('SELECT id, name, phone FROM `user` WHERE id IN (?, ?) ORDER BY id', [spoofed.id, empty.id])) as { name: string; phone: string }[];
    expect(rows.map((r) => r.name)).toEqual(['abcgpj.exe', `手机用户${rows[1].phone}`]);
  });
});
