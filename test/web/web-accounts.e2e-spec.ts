import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Browser, Page } from 'playwright-core';
import { dataSourceOptions } from '@app/database';
import { GatewayProcess } from '../support/gateway-process';
import { freshPhone, tempSqlite } from '../support/test-app';
import { buildForStart, describeChromium, launchChromium, snap } from './chromium';

// The sign-in page of a production server (no development shortcuts): a user the old server
// made (MD5 password, follow rows) signs in with phone and password and is shown by name; a new
// user registers where the server allows it; a wrong password is answered as the server says.

const WAIT = 15_000;
jest.setTimeout(240_000);

describeChromium('the web client signs in with phone and password', () => {
  const sqlite = tempSqlite();
  let suite: GatewayProcess;
  let browser: Browser;

  beforeAll(async () => {
    buildForStart();
    suite = await GatewayProcess.start(
      { DATABASE_URL: sqlite.url, DATABASE_RUN_MIGRATIONS: 'true', CHAT_DEV_MODE: 'false', ACCOUNTS_REGISTRATION: 'open', LOG_FORMAT: 'text' },
      { args: ['dist/apps/suite/main.js'], readyTimeoutMs: 90_000 },
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await suite?.stop();
    sqlite.remove();
  });

  const open = async (): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 760 }, locale: 'zh-CN' })).newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${suite.httpUrl}/`);
    await page.getByRole('heading', { name: 'Sign in with your phone' }).waitFor();
    return page;
  };

  it('a legacy user signs in with the old password and sees their name; a wrong password is refused', async () => {
    const phone = freshPhone();
    const ds = new DataSource(dataSourceOptions(sqlite.url, false));
    await ds.initialize();
    const md5 = createHash('md5').update('old-secret', 'utf8').digest('hex').toUpperCase();
    await ds.query("INSERT INTO `user` (name, phone, password) VALUES ('<b>老用户</b>', ?, ?)", [phone, md5]);
    await ds.destroy();

    const page = await open();
    expect(await page.getByRole('heading', { name: 'Development mode: choose a user' }).count()).toBe(0);
    await page.getByLabel('Mobile').fill(phone);
    await page.getByLabel('Password').fill('wrong-secret');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: '账号或密码错误' }).waitFor();

    await page.getByLabel('Password').fill('old-secret');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const me = page.locator('.me');
    await me.waitFor();
    // The name as text (HTML in a name is never markup).
    expect(await me.innerText()).toContain('<b>老用户</b>');
    expect(await page.locator('.me b').count()).toBe(0);
    await snap(page, 'accounts-signed-in');
    await page.context().close();
  });

  it('a newcomer registers with phone and password', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    const phone = freshPhone();
    await page.getByLabel('Mobile').fill(phone);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('alert').filter({ hasText: '密码长度必须为 6 到 128 个字符' }).waitFor();
    await page.getByLabel('Password').fill('a long enough 密码 🙂');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.locator('.me').filter({ hasText: `手机用户${phone}` }).waitFor();
    await page.context().close();
  });
});
