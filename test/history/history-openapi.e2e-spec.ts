import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { TokenService } from '@app/auth';
import { ChatClock, createApp } from '@app/common';
import { UserRepository } from '@app/database';
import { HistoryApiModule } from '../../apps/history-api/src/history-api.module';
import { useHistoryOpenApi } from '../../apps/history-api/src/history/history-openapi';
import { freshPhone, opsAuth, tempSqlite, TEST_JWT_SECRET, TEST_OPS_TOKEN } from '../support/test-app';

/** The history app on its own (as apps/history-api/src/main.ts wires it), with its OpenAPI description. */
describe('standalone history app', () => {
  const sqlite = tempSqlite();
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: sqlite.url, JWT_SECRET: TEST_JWT_SECRET, OPS_TOKEN: TEST_OPS_TOKEN, CHAT_DEV_MODE: 'false', LOG_LEVEL: 'error' });
    try {
      app = await createApp(HistoryApiModule, { configure: useHistoryOpenApi }, { logger: ['error'] });
      await app.listen(0, '127.0.0.1');
    } finally {
      process.env = saved;
    }
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    sqlite.remove();
  });

  it('serves the legacy endpoint at the legacy path', async () => {
    const user = await app.get(UserRepository).create({ phone: freshPhone(), time: app.get(ChatClock).wallClock() });
    const token = await app.get(TokenService).sign(user.id);
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/chat_message/get_Message_History.do`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: 'pageNum=1&pageSize=10&friendId=2',
      }).then(async (r) => [r.status, await r.text()]);
    expect(await post({})).toEqual([200, '{"status":1,"msg":"用户未登录"}']);
    expect(await post({ token })).toEqual([200, '{"status":1,"msg":"不存在记录"}']);
  });

  it('describes both forms and both methods in the OpenAPI document it serves', async () => {
    const res = await fetch(`${base}/api-docs/history-json`, { headers: opsAuth });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      info: { description: string };
      paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const op = doc.paths['/chat_message/get_Message_History.do'];
    expect(Object.keys(op).sort()).toEqual(['get', 'post']);
    expect(Object.keys(op.post.requestBody!.content)).toContain('application/x-www-form-urlencoded');
    expect(op.get.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['friendId', 'pageNum', 'pageSize', 'beforeId', 'afterId', 'limit', 'token']));
    expect(doc.info.description).toMatch(/beforeId/);
    expect(doc.info.description).toMatch(/HISTORY_MAX_PAGE_SIZE/);
    expect(Object.keys(doc.components.schemas.HistoryPageDto.properties)).toEqual([
      'total', 'list', 'pageNum', 'pageSize', 'size', 'startRow', 'endRow', 'pages', 'prePage', 'nextPage', 'isFirstPage',
      'isLastPage', 'hasPreviousPage', 'hasNextPage', 'navigatePages', 'navigatepageNums', 'navigateFirstPage',
      'navigateLastPage', 'firstPage', 'lastPage',
    ]);
    const ui = await fetch(`${base}/api-docs/history`, { headers: opsAuth });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });
});
