import { DataSource } from 'typeorm';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// A user deleted while connected (an operator, or the old server on a shared database): the user
// is checked at the upgrade, and again every CHAT_ACCOUNT_CHECK_MS for the sockets already open.

describe('a user deleted while connected', () => {
  const db = tempSqlite();
  let suite: TestApp;
  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: db.url, CHAT_ACCOUNT_CHECK_MS: '200' });
  });
  afterAll(async () => {
    await suite?.close();
    db.remove();
  });

  it('has its sockets closed with 4404 and cannot connect again; other users keep theirs', async () => {
    const [a, b] = [await suite.newUser(), await suite.newUser()];
    const legacy = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const modern = await TestClient.openV2(chatUrl(suite.wsUrl, a.id, a.token));
    const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
    legacy.send({ to: b.id, text: 'before' });
    await expect(cb.next()).resolves.toMatchObject({ text: 'before' });

    await suite.app.get(DataSource).query('DELETE FROM `user` WHERE id = ?', [a.id]);
    for (const c of [legacy, modern]) await expect(c.closed).resolves.toEqual({ code: 4404, reason: 'user no longer exists' });
    await expect(TestClient.refusal(chatUrl(suite.wsUrl, a.id, a.token))).resolves.toMatchObject({ status: 404 });
    // b's socket stayed open: it still gets what it is sent.
    const c2 = await suite.newUser();
    const cc = await TestClient.open(chatUrl(suite.wsUrl, c2.id, c2.token));
    cc.send({ to: b.id, text: 'still here' });
    await expect(cb.next()).resolves.toMatchObject({ text: 'still here' });
    await Promise.all([cb.close(), cc.close()]);
  });
});
