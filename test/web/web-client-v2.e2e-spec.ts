import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GatewayProcess } from '../support/gateway-process';
import { freshPhone, tempSqlite } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { buildForStart, describeChromium, launchChromium, SCREENSHOT_DIR, snap } from './chromium';

// Protocol v2 in the web client, in Chromium against the suite as `npm start` builds and runs it
// (embedded SQLite): the conversation list live, ticks up to read, typing, a badge cleared by the
// same user's other tab, scrolling back through history, a phone-sized screen beside a desktop
// one. Every wait has a timeout; no timing is asserted.

const WAIT = 15_000;
const SEEDED = 75;
jest.setTimeout(120_000);

interface User {
  id: number;
  name: string;
  token: string;
}

const PHONE = { width: 390, height: 760 };
const DESKTOP = { width: 1180, height: 760 };

describeChromium('the web client on protocol v2, in Chromium', () => {
  const sqlite = tempSqlite();
  let uploads: string;
  let suite: GatewayProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: TestClient[] = [];
  let alice: User;
  let bob: User;
  let carol: User;
  let alicePage: Page; // desktop: the list beside the conversation
  let bobPage: Page; // phone: one pane at a time
  let aliceSecondTab: BrowserContext;
  let port: number | undefined;

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const body = (await (await fetch(`${suite.httpUrl}${path}`, init)).json()) as { status: number; data: T; msg?: string };
    if (body.status !== 0) throw new Error(`${path}: ${body.msg}`);
    return body.data;
  };
  const newUser = async (name: string): Promise<User> => {
    const u = await api<{ id: number; name: string }>('/dev/users', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ phone: freshPhone(), name }),
    });
    const { token } = await api<{ token: string }>(`/dev/users/${u.id}/token`, { method: 'POST' });
    return { id: u.id, name: u.name, token };
  };
  /** A v2 socket of `from` outside the browser; each message waits for its ack, so storage order is known. */
  const socketOf = async (from: User): Promise<TestClient> => {
    const c = await TestClient.openV2(chatUrl(suite.wsUrl, from.id, from.token));
    sockets.push(c);
    return c;
  };
  let seq = 0;
  const sendFrom = async (c: TestClient, to: User, text: string) => {
    const clientMsgId = `t-${++seq}`;
    c.send({ to: to.id, text, clientMsgId });
    await c.nextMatching((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, WAIT);
  };

  async function signIn(user: User, viewport: { width: number; height: number }, screenshot?: string): Promise<Page> {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${suite.httpUrl}/`);
    await page.getByRole('heading', { name: 'Development mode: choose a user' }).waitFor();
    if (screenshot) await snap(page, screenshot);
    await page.getByRole('button', { name: `${user.name} #${user.id}`, exact: true }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.locator('.banner-slot[data-connection="open"]').waitFor({ state: 'attached' });
    return page;
  }

  const entry = (p: Page, friend: User) => p.locator(`button.conversation-item[data-friend-id="${friend.id}"]`);
  const mine = (p: Page, text: string) => p.locator('li.message.mine', { hasText: text });
  const theirs = (p: Page, text: string) => p.locator('li.message.theirs', { hasText: text });
  const listOrder = (p: Page) => p.locator('button.conversation-item').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-friend-id'))));

  async function send(p: Page, text: string): Promise<void> {
    const field = p.getByLabel(/^Message to /);
    await field.fill(text);
    await field.press('Enter');
  }

  const boot = async () => {
    const app = await GatewayProcess.start(
      // No rate limit: the history test seeds a long conversation through a socket.
      { DATABASE_URL: sqlite.url, DATABASE_RUN_MIGRATIONS: 'true', CHAT_DEV_MODE: 'true', UPLOAD_DIR: uploads, LOG_FORMAT: 'text', CHAT_RATE_LIMIT_COUNT: '0' },
      { port, args: ['dist/apps/suite/main.js'] },
    );
    port = app.port;
    return app;
  };

  beforeAll(async () => {
    buildForStart();
    uploads = mkdtempSync(join(tmpdir(), 'chat-web-v2-uploads-'));
    suite = await boot();
    browser = await launchChromium();
    alice = await newUser('小明 Alice');
    bob = await newUser('Bob 🐻');
    carol = await newUser('王芳 Carol');
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await suite?.stop();
    sqlite.remove();
    if (uploads) rmSync(uploads, { recursive: true, force: true });
  });

  it('answers the conversation list on the embedded SQLite default, empty first', async () => {
    const res = await fetch(`${suite.httpUrl}/chat_message/get_Conversation_List.do`, { headers: { token: alice.token } });
    expect(await res.json()).toEqual({ status: 0, data: { list: [], nextCursor: null, totalUnread: 0 } });
  });

  it('ticks go from sent to delivered to read; the list updates live with badge, last message and time', async () => {
    alicePage = await signIn(alice, DESKTOP, 'v2-01-sign-in');
    bobPage = await signIn(bob, PHONE);
    await alicePage.getByText('No conversations yet').waitFor();

    await alicePage.getByLabel("Friend's user id").fill(String(bob.id));
    await alicePage.getByRole('button', { name: 'Open', exact: true }).click();
    await alicePage.getByRole('heading', { name: bob.name }).waitFor();
    await send(alicePage, '你好 Bob 👋 今天一起吃饭吗？');

    // Bob is on his list, not in the conversation: it reaches his device (delivered), unread.
    await mine(alicePage, '今天一起吃饭吗').and(alicePage.locator('[data-tick="delivered"]')).waitFor();
    expect(await mine(alicePage, '今天一起吃饭吗').locator('.tick').getAttribute('aria-label')).toBe('delivered');
    const bobsEntry = entry(bobPage, alice);
    await bobsEntry.and(bobPage.locator('[data-unread="1"]')).waitFor();
    expect(await bobsEntry.locator('.item-name').innerText()).toBe(alice.name);
    expect(await bobsEntry.locator('.item-preview').innerText()).toBe('你好 Bob 👋 今天一起吃饭吗？');
    expect(await bobsEntry.locator('time').innerText()).toMatch(/^\d\d:\d\d$|^\d\d-\d\d$/);
    await bobPage.waitForFunction(() => document.title === '(1) Chat');
    // Alice's own list has the conversation too, with her message last and nothing unread.
    await entry(alicePage, bob).and(alicePage.locator('[data-unread="0"]')).waitFor();
    expect(await entry(alicePage, bob).locator('.item-preview').innerText()).toBe('You: 你好 Bob 👋 今天一起吃饭吗？');
    await snap(bobPage, 'v2-02-list-with-badge');
    await snap(alicePage, 'v2-03-delivered');

    // Bob opens it: the message comes into view, is read, and Alice's tick turns to read.
    await bobsEntry.click();
    await theirs(bobPage, '今天一起吃饭吗').waitFor();
    await mine(alicePage, '今天一起吃饭吗').and(alicePage.locator('[data-tick="read"]')).waitFor();
    expect(await mine(alicePage, '今天一起吃饭吗').locator('.tick').getAttribute('aria-label')).toBe('read');
    await snap(alicePage, 'v2-04-read');

    // And the other way round, while both look at the conversation.
    await send(bobPage, '好啊 🍜 7 点见，老地方');
    await theirs(alicePage, '7 点见').waitFor();
    await mine(bobPage, '7 点见').and(bobPage.locator('[data-tick="read"]')).waitFor();
    await bobPage.locator('.back').click();
    await entry(bobPage, alice).and(bobPage.locator('[data-unread="0"]')).waitFor();
    expect(await bobPage.title()).toBe('Chat');
  });

  it('shows the friend typing, and lets it expire', async () => {
    await bobPage.locator(`button.conversation-item[data-friend-id="${alice.id}"]`).click();
    const field = bobPage.getByLabel(/^Message to /);
    // Keystrokes over 2 s: at least one falls outside the client's 1.5 s between typing frames.
    await field.pressSequentially('我在打字，马上好', { delay: 250 });
    const indicator = alicePage.locator('.typing', { hasText: `${bob.name} is typing…` });
    await indicator.waitFor();
    await snap(alicePage, 'v2-05-typing');
    // Nothing more typed: it goes by itself (5 s after the last typing frame).
    await indicator.waitFor({ state: 'detached', timeout: WAIT });
    expect(await alicePage.locator('.typing').innerText()).toBe('');
    await field.fill('');
  });

  it("clears an unread badge when the same user reads in another tab; the list moves live", async () => {
    const carolSocket = await socketOf(carol);
    await sendFrom(carolSocket, alice, '小明，明天的会改到 10 点 📅');
    await sendFrom(carolSocket, alice, '收到请回复 🙏');
    const first = entry(alicePage, carol);
    await first.and(alicePage.locator('[data-unread="2"]')).waitFor();
    expect(await listOrder(alicePage)).toEqual([carol.id, bob.id]);
    expect(await first.locator('.item-preview').innerText()).toBe('收到请回复 🙏');
    await alicePage.waitForFunction(() => document.title === '(2) Chat');
    await snap(alicePage, 'v2-06-badge-from-carol');

    // Alice again, in another tab (a phone): she reads Carol's messages there.
    const second = await signIn(alice, PHONE);
    aliceSecondTab = second.context();
    await entry(second, carol).and(second.locator('[data-unread="2"]')).waitFor();
    await entry(second, carol).click();
    await theirs(second, '收到请回复').waitFor();
    // The first tab's badge clears without a reload.
    await first.and(alicePage.locator('[data-unread="0"]')).waitFor();
    await alicePage.waitForFunction(() => document.title === 'Chat');
    expect(await first.locator('.badge').count()).toBe(0);
    await snap(second, 'v2-07-read-in-second-tab');
    await snap(alicePage, 'v2-08-badge-cleared');

    // The server agrees.
    const list = await api<{ list: { friendId: number; unread: number }[]; totalUnread: number }>('/chat_message/get_Conversation_List.do', {
      headers: { token: alice.token },
    });
    expect(list.totalUnread).toBe(0);
    expect(list.list.map((c) => [c.friendId, c.unread])).toEqual([
      [carol.id, 0],
      [bob.id, 0],
    ]);
  });

  it('scrolls back through history with the cursor, oldest message last', async () => {
    const carolSocket = await socketOf(carol);
    for (let i = 1; i <= SEEDED; i++) await sendFrom(carolSocket, bob, `第 ${i} 条消息 seed ${i}`);
    await bobPage.locator('.back').click();
    await entry(bobPage, carol).and(bobPage.locator(`[data-unread="${SEEDED}"]`)).waitFor();
    await entry(bobPage, carol).click();
    await theirs(bobPage, `seed ${SEEDED}`).waitFor();
    const shown = bobPage.locator('li.message');
    expect(await shown.count()).toBe(30);
    await snap(bobPage, 'v2-09-newest-30');

    const log = bobPage.getByRole('log');
    for (const expected of [60, SEEDED]) {
      await log.evaluate((el) => (el.scrollTop = 0));
      await bobPage.waitForFunction((n) => document.querySelectorAll('li.message').length === n, expected, { timeout: WAIT });
    }
    await bobPage.getByText('Beginning of the conversation').waitFor();
    const texts = await shown.locator('.text').allInnerTexts();
    expect(texts).toEqual(Array.from({ length: SEEDED }, (_, i) => `第 ${i + 1} 条消息 seed ${i + 1}`));
    const ids = await shown.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    await snap(bobPage, 'v2-10-scrolled-back');
  });

  it('fits a phone screen (one pane at a time, no sideways scrolling) and a desktop one (both panes)', async () => {
    for (const p of [bobPage, alicePage]) {
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    // Phone: the conversation fills the screen; back shows the list, by keyboard too (Escape).
    expect(await bobPage.locator('.list-pane').isVisible()).toBe(false);
    await bobPage.getByRole('log').focus();
    await bobPage.keyboard.press('Escape');
    await bobPage.locator('.list-pane').waitFor({ state: 'visible' });
    expect(await bobPage.locator('section.conversation').count()).toBe(0);
    // The keyboard is back on the conversation it left; arrow keys move, Enter opens.
    await bobPage.waitForFunction((id) => document.activeElement?.getAttribute('data-friend-id') === id, String(carol.id));
    await bobPage.keyboard.press('ArrowDown');
    expect(await bobPage.evaluate(() => document.activeElement?.getAttribute('data-friend-id'))).toBe(String(alice.id));
    await bobPage.keyboard.press('Enter');
    await bobPage.getByRole('heading', { name: alice.name }).waitFor();
    await snap(bobPage, 'v2-11-phone');

    // Desktop: list and conversation side by side.
    await entry(alicePage, bob).click();
    await alicePage.getByRole('heading', { name: bob.name }).waitFor();
    for (const sel of ['.list-pane', 'section.conversation']) expect(await alicePage.locator(sel).isVisible()).toBe(true);
    const [list, conv] = await Promise.all(['.list-pane', 'section.conversation'].map((s) => alicePage.locator(s).boundingBox()));
    expect(list!.x + list!.width).toBeLessThanOrEqual(conv!.x + 1);
    expect(await entry(alicePage, bob).getAttribute('aria-current')).toBe('true');
    // A few more lines, read at once on Bob's phone (his conversation with Alice is open).
    await send(alicePage, '我订了位子，7 点半 🍲 别迟到哦');
    await mine(alicePage, '我订了位子').and(alicePage.locator('[data-tick="read"]')).waitFor();
    await send(bobPage, '收到 👌 马上出发 🚇');
    await theirs(alicePage, '马上出发').waitFor();
    await entry(alicePage, bob).locator('.item-preview', { hasText: '马上出发' }).waitFor();
    await snap(bobPage, 'v2-12-phone-conversation');
    await snap(alicePage, 'v2-12-desktop');
    if (process.env.WEB_DOCS_SCREENSHOT) copyFileSync(join(SCREENSHOT_DIR, 'v2-12-desktop.png'), process.env.WEB_DOCS_SCREENSHOT);
  });

  it('catches up after a restart with the list and afterId: every message once, every count once', async () => {
    await aliceSecondTab.close(); // it would read Carol's messages at once
    await suite.stop('SIGTERM');
    await alicePage.locator('.offline-banner').waitFor();
    suite = await boot();
    // Written while Alice's tab is away or just coming back: live or caught up, never both.
    const carolSocket = await socketOf(carol);
    const bobSocket = await socketOf(bob);
    await sendFrom(carolSocket, alice, '重启之后的第一条 🔁');
    await sendFrom(bobSocket, alice, 'Bob: still there? 🤔');
    await sendFrom(carolSocket, alice, '第二条 ✌️');
    await alicePage.locator('.banner-slot[data-connection="open"]').waitFor({ state: 'attached', timeout: 45_000 });

    await entry(alicePage, carol).and(alicePage.locator('[data-unread="2"]')).waitFor();
    expect(await entry(alicePage, carol).locator('.item-preview').innerText()).toBe('第二条 ✌️');
    expect(await listOrder(alicePage)).toEqual([carol.id, bob.id]);
    // Bob's message lands in the open conversation once, and is read there.
    await theirs(alicePage, 'still there?').waitFor();
    expect(await theirs(alicePage, 'still there?').count()).toBe(1);
    const ids = await alicePage.locator('li.message').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(new Set(ids).size).toBe(ids.length);
    await entry(alicePage, bob).and(alicePage.locator('[data-unread="0"]')).waitFor();
    await alicePage.waitForFunction(() => document.title === '(2) Chat');
    await snap(alicePage, 'v2-13-after-restart');
  });
});
