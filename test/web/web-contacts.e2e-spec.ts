import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { call } from '../accounts/accounts-client';
import { GatewayProcess } from '../support/gateway-process';
import { freshPhone, tempSqlite } from '../support/test-app';
import { buildForStart, describeChromium, launchChromium, snap } from './chromium';

// What a signed-in user of a production server does beyond signing in: the open conversation in
// the address (reload, back button), contacts with follow and unfollow, search to start a chat,
// blocking from a conversation (a blocked user's message is refused and says so), and a profile
// with an uploaded avatar; names are the server's everywhere, and HTML in a name is text.

const WAIT = 15_000;
const PASSWORD = 'a long enough secret';
jest.setTimeout(240_000);

interface Account {
  id: number;
  phone: string;
  name: string;
  token: string;
}

describeChromium('the web client: address, contacts, search, blocking, profile', () => {
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

  /** A user registered through the legacy path, renamed to `name`. */
  async function account(name: string): Promise<Account> {
    const phone = freshPhone();
    const reg = await call(suite.httpUrl, '/user/register.do', { phone, password: PASSWORD });
    expect(reg.status).toBe(0);
    const { user, token } = reg.data as { user: { id: number }; token: string };
    expect((await call(suite.httpUrl, '/user/update_user_info.do', { name }, token)).status).toBe(0);
    return { id: user.id, phone, name, token };
  }

  async function signIn(who: Account, hash = '', width = 1000): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width, height: 760 } })).newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${suite.httpUrl}/${hash}`);
    await page.getByLabel('Mobile').fill(who.phone);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('.me').filter({ hasText: who.name }).waitFor();
    return page;
  }

  const unique = (prefix: string): string => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

  it('keeps the open conversation in the address: reload and the back button', async () => {
    const ann = await account(unique('Ann'));
    const bob = await account(unique('Bob'));
    expect((await call(suite.httpUrl, '/friend/concern.do', { friendId: bob.id }, ann.token)).status).toBe(0);

    // Phone-sized: the list or the conversation, with a back button.
    const page = await signIn(ann, '', 390);
    await page.getByRole('button', { name: `Chat with ${bob.name}` }).click();
    await page.getByRole('heading', { name: bob.name, exact: true }).waitFor();
    await page.waitForURL(new RegExp(`#/chat/${bob.id}$`));

    await page.reload();
    await page.getByRole('heading', { name: bob.name, exact: true }).waitFor();

    await page.getByRole('button', { name: 'Back to the conversations' }).click();
    await page.getByRole('heading', { name: bob.name, exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.goBack();
    await page.getByRole('heading', { name: bob.name, exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/chat/${bob.id}`);
    await page.goForward();
    await page.getByRole('heading', { name: bob.name, exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();

    // An address with a conversation opens it right after signing in.
    const other = await signIn(ann, `#/chat/${bob.id}`);
    await other.getByRole('heading', { name: bob.name, exact: true }).waitFor();
    await page.context().close();
    await other.context().close();
  });

  it('contacts: search by phone and by name, follow, unfollow, and start a chat named right', async () => {
    const ann = await account(unique('Ann'));
    const cleo = await account(unique('Cleo'));
    const page = await signIn(ann);
    await page.getByText('You follow nobody yet').waitFor();
    const follows = page.getByRole('list', { name: 'People you follow' });
    const results = page.getByRole('list', { name: 'Search results' });

    await page.getByLabel('Search by phone or name').fill(cleo.phone);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await results.getByRole('button', { name: `Chat with ${cleo.name}` }).waitFor();
    await results.getByRole('button', { name: `Follow ${cleo.name}` }).click();
    await follows.getByRole('button', { name: `Chat with ${cleo.name}` }).waitFor();
    expect((await call(suite.httpUrl, '/friend/check_concern.do', { friendId: cleo.id }, ann.token)).msg).toBe('已关注');

    await follows.getByRole('button', { name: `Unfollow ${cleo.name}` }).click();
    await page.getByText('You follow nobody yet').waitFor();
    expect((await call(suite.httpUrl, '/friend/check_concern.do', { friendId: cleo.id }, ann.token)).msg).toBe('未关注');

    // By the start of the name, then a chat: the conversation list names it as the server does.
    await page.getByLabel('Search by phone or name').fill(cleo.name.slice(0, 8));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await results.getByRole('button', { name: `Chat with ${cleo.name}` }).click();
    await page.getByRole('heading', { name: cleo.name, exact: true }).waitFor();
    const field = page.getByLabel(/^Message to /);
    await field.fill('hello from search');
    await field.press('Enter');
    const entry = page.locator(`button.conversation-item[data-friend-id="${cleo.id}"]`);
    await entry.filter({ hasText: 'hello from search' }).waitFor();
    expect(await entry.innerText()).toContain(cleo.name);
    expect(await entry.innerText()).not.toContain(`User ${cleo.id}`);
    await snap(page, 'contacts-search');
    await page.context().close();
  });

  it('blocks and unblocks from a conversation; the blocked user is told their message was refused', async () => {
    const ann = await account(unique('Ann'));
    const dan = await account(unique('Dan'));
    const annPage = await signIn(ann, `#/chat/${dan.id}`);
    await annPage.getByRole('heading', { name: dan.name, exact: true }).waitFor();
    await annPage.getByRole('button', { name: 'Block', exact: true }).click();
    await annPage.getByRole('status').filter({ hasText: 'You blocked this user' }).waitFor();
    expect(await annPage.getByRole('button', { name: 'Unblock', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const list = (await call(suite.httpUrl, '/user/block_List.do', {}, ann.token)).data as { id: number }[];
    expect(list.map((u) => u.id)).toEqual([dan.id]);

    // The state survives a reload (read from block_List.do).
    await annPage.reload();
    await annPage.getByRole('status').filter({ hasText: 'You blocked this user' }).waitFor();

    const danPage = await signIn(dan, `#/chat/${ann.id}`);
    const field = danPage.getByLabel(/^Message to /);
    await field.fill('are you there?');
    await field.press('Enter');
    await danPage.locator('.failure[role="alert"]').filter({ hasText: '消息已发出，但被对方拒收了' }).waitFor();
    await snap(danPage, 'blocked-refused');
    expect(await annPage.getByText('are you there?').count()).toBe(0);

    await annPage.getByRole('button', { name: 'Unblock', exact: true }).click();
    await annPage.getByRole('button', { name: 'Block', exact: true }).waitFor();
    expect(await annPage.getByText('You blocked this user').count()).toBe(0);
    expect((await call(suite.httpUrl, '/user/block_List.do', {}, ann.token)).data).toEqual([]);
    await annPage.context().close();
    await danPage.context().close();
  });

  it('a token sign-in shows the name from the server; the profile saves name, signature and an uploaded avatar', async () => {
    const eve = await account('<i>Eve</i>');
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 760 } })).newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${suite.httpUrl}/`);
    await page.getByLabel('Token (JWT)').fill(eve.token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    const me = page.locator('.me');
    await me.filter({ hasText: '<i>Eve</i>' }).waitFor();
    expect(await page.locator('.me i').count()).toBe(0);

    await page.getByRole('button', { name: 'Profile' }).click();
    await page.waitForURL(/#\/profile$/);
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('<i>Eve</i>');
    const newName = unique('Eve ');
    await page.getByLabel('Name', { exact: true }).fill(newName);
    await page.getByLabel('Signature').fill('少说话，多做事');
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c44' } }).png().toBuffer();
    await page.getByLabel('Avatar (an image)').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
    await me.filter({ hasText: newName }).waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.me .me-avatar')?.naturalWidth ?? 0) > 0);

    const info = (await call(suite.httpUrl, '/user/get_user_info.do', {}, eve.token)).data as { name: string; msg: string; img: string };
    expect(info).toMatchObject({ name: newName, msg: '少说话，多做事' });
    expect(info.img).toMatch(/^https?:\/\//);
    expect(await page.locator('.profile-avatar').getAttribute('src')).toBe(info.img);
    await snap(page, 'profile-saved');

    // Back leaves the profile; a reload keeps the name.
    await page.getByRole('button', { name: 'Back to the conversations' }).click();
    await page.getByText('Choose a conversation, or start one.').waitFor();
    await page.reload();
    await me.filter({ hasText: newName }).waitFor();
    await page.context().close();
  });
});
