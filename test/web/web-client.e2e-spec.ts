import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pngImage } from '../../libs/storage/test/image.fixtures';
import { GatewayProcess } from '../support/gateway-process';
import { freshPhone, tempSqlite } from '../support/test-app';
import { buildForStart, describeChromium, launchChromium, snap } from './chromium';

// Two users in two browser contexts (two tabs of two people), on a phone-sized screen, against
// the suite as `npm start` builds and runs it: a process of its own serving the client it built,
// stopped (SIGTERM) and started again on the same port mid-conversation. Every wait has a
// timeout; no timing is asserted.

const WAIT = 15_000;
jest.setTimeout(120_000);

interface Person {
  page: Page;
  id: number;
  name: string;
}

describeChromium('the web client in Chromium', () => {
  let uploads: string;
  const sqlite = tempSqlite();
  let suite: GatewayProcess;
  let port: number | undefined;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Person;
  let bob: Person;

  const boot = async () => {
    const app = await GatewayProcess.start(
      { DATABASE_URL: sqlite.url, DATABASE_RUN_MIGRATIONS: 'true', CHAT_DEV_MODE: 'true', UPLOAD_DIR: uploads, LOG_FORMAT: 'text' },
      { port, args: ['dist/apps/suite/main.js'] },
    );
    port = app.port;
    return app;
  };

  beforeAll(async () => {
    buildForStart();
    uploads = mkdtempSync(join(tmpdir(), 'chat-web-uploads-'));
    suite = await boot();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await suite?.stop();
    sqlite.remove();
    if (uploads) rmSync(uploads, { recursive: true, force: true });
  });

  const messages = (p: Page) => p.locator('li.message');
  const mine = (p: Page, text: string) => p.locator('li.message.mine', { hasText: text });
  const theirs = (p: Page, text: string) => p.locator('li.message.theirs', { hasText: text });

  async function newPerson(name: string, screenshot?: string): Promise<Person> {
    const context = await browser.newContext({ viewport: { width: 390, height: 760 }, deviceScaleFactor: 1, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${suite.httpUrl}/`);
    await page.getByRole('heading', { name: 'Development mode: choose a user' }).waitFor();
    await page.getByLabel('Phone number').fill(freshPhone());
    await page.getByLabel('Name (optional)').fill(name);
    if (screenshot) await snap(page, screenshot);
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('heading', { name: 'Start a conversation' }).waitFor();
    const id = Number((await page.locator('.me .muted').innerText()).replace('#', ''));
    expect(id).toBeGreaterThan(0);
    return { page, id, name };
  }

  async function send(p: Page, text: string): Promise<void> {
    const field = p.getByLabel(/^Message to /);
    await field.fill(text);
    await field.press('Enter');
  }

  /** Each text once on the page, and no message id twice. */
  async function expectEachOnce(p: Page, texts: string[]): Promise<void> {
    const shown = await messages(p).locator('.text').allInnerTexts();
    for (const t of texts) expect(shown.filter((s) => s === t)).toHaveLength(1);
    const ids = await messages(p).evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids.every((id) => id !== null)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  }

  it('serves the client at / beside the APIs', async () => {
    const page = await fetch(`${suite.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${suite.httpUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // The APIs answer as before.
    const history = await fetch(`${suite.httpUrl}/chat_message/get_Message_History.do?friendId=1`);
    expect(await history.json()).toEqual({ status: 1, msg: '用户未登录' });
    expect((await fetch(`${suite.httpUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${suite.httpUrl}/no-such-page`)).status).toBe(404);
  });

  it('signs two people in through the development endpoints', async () => {
    alice = await newPerson('小明 Alice', '01-sign-in');
    bob = await newPerson('Bob 🐻');
    expect(bob.id).not.toBe(alice.id);
    await snap(bob.page, '02-pick-a-friend');
  });

  it('sends and receives, with a sent tick from the ack', async () => {
    // Alice opens the conversation by id, Bob from the list of people (Alice was there first).
    await alice.page.getByLabel("Friend's user id").fill(String(bob.id));
    await alice.page.getByRole('button', { name: 'Open' }).click();
    await alice.page.getByRole('heading', { name: bob.name }).waitFor();
    await bob.page.getByRole('button', { name: new RegExp(`^${alice.name}`) }).click();
    await bob.page.getByRole('heading', { name: alice.name }).waitFor();

    await send(alice.page, '你好 Bob 👋 今天一起吃饭吗？');
    await mine(alice.page, '你好 Bob 👋').and(alice.page.locator('[data-status="sent"]')).waitFor();
    await theirs(bob.page, '你好 Bob 👋').waitFor();
    // Sent on the ack; Bob's open conversation then moves it on to delivered and read (web-client-v2.e2e-spec.ts).
    expect(await mine(alice.page, '你好 Bob 👋').locator('.tick').getAttribute('aria-label')).toMatch(/^(sent|delivered|read)$/);

    await send(bob.page, '好啊 🍜 7 点见');
    await theirs(alice.page, '好啊 🍜').waitFor();
    await mine(bob.page, '好啊 🍜').and(bob.page.locator('[data-status="sent"]')).waitFor();
    await snap(alice.page, '03-conversation-alice');
    await snap(bob.page, '03-conversation-bob');
  });

  it('uploads an image with a preview; it shows as a picture on both sides', async () => {
    await alice.page.getByLabel('Attach an image').setInputFiles({ name: 'noodles.png', mimeType: 'image/png', buffer: pngImage(160, 100) });
    const preview = alice.page.getByAltText('Preview of the image to send');
    await preview.waitFor();
    await alice.page.waitForFunction((el) => (el as HTMLImageElement).naturalWidth === 160, await preview.elementHandle(), { timeout: WAIT });
    await snap(alice.page, '04-image-preview');
    await alice.page.getByRole('button', { name: 'Send image' }).click();

    for (const [p, where] of [
      [alice.page, 'li.message.mine[data-status="sent"] img'],
      [bob.page, 'li.message.theirs img'],
    ] as const) {
      const img = p.locator(where).last();
      await img.waitFor();
      expect(await img.getAttribute('src')).toMatch(/\/images\/[0-9a-f-]+\.png$/);
      await p.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 160, await img.elementHandle(), {
        timeout: WAIT,
      });
    }
    await snap(bob.page, '05-image-received');
  });

  it('rides out a gateway restart: offline banner, reconnect, nothing lost or doubled', async () => {
    await suite.stop('SIGTERM');
    for (const p of [alice.page, bob.page]) await p.locator('.offline-banner').waitFor();

    // Typed while the server is away: kept, shown as sending, sent once it is back.
    await send(alice.page, '服务器重启了吗？ (sent while offline)');
    await send(bob.page, 'Bob here, also offline 🔌');
    await mine(alice.page, '服务器重启了吗').and(alice.page.locator('[data-status="sending"]')).waitFor();
    await snap(alice.page, '06-offline');

    suite = await boot();
    for (const p of [alice.page, bob.page]) await p.locator('.banner-slot[data-connection="open"]').waitFor({ state: 'attached', timeout: 45_000 });
    await mine(alice.page, '服务器重启了吗').and(alice.page.locator('[data-status="sent"]')).waitFor();
    await theirs(bob.page, '服务器重启了吗').waitFor();
    await theirs(alice.page, 'Bob here, also offline').waitFor();

    await send(bob.page, 'back online ✅');
    await theirs(alice.page, 'back online ✅').waitFor();
    await snap(alice.page, '07-after-restart');

    const texts = ['你好 Bob 👋 今天一起吃饭吗？', '好啊 🍜 7 点见', '服务器重启了吗？ (sent while offline)', 'Bob here, also offline 🔌', 'back online ✅'];
    await expectEachOnce(alice.page, texts);
    await expectEachOnce(bob.page, texts);
    expect(await messages(alice.page).count()).toBe(texts.length + 1);
    expect(await messages(bob.page).count()).toBe(texts.length + 1);

    // And the server stored each of them once.
    const minted = (await (await fetch(`${suite.httpUrl}/dev/users/${alice.id}/token`, { method: 'POST' })).json()) as { data: { token: string } };
    const token = minted.data.token;
    const res = await fetch(`${suite.httpUrl}/chat_message/get_Message_History.do?friendId=${bob.id}&limit=50`, { headers: { token } });
    const body = (await res.json()) as { status: number; data: { list: { text: string }[] } };
    expect(body.status).toBe(0);
    expect(body.data.list).toHaveLength(texts.length + 1);
    for (const t of texts) expect(body.data.list.filter((m) => m.text === t)).toHaveLength(1);

  });
});
