import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { pngChunk, pngImage } from '../../libs/storage/test/image.fixtures';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { tempSqlite } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { buildForStart, describeChromium, launchChromium, snap } from './chromium';

// The web client on a production-mode suite (no development endpoints, a token pasted to sign
// in, an upload limit of 3 MiB instead of the default): no /dev/users request, a tab in the
// background that shows a badge, notifies and chimes, images pasted and dropped with a progress
// bar, refused before sending when too large, viewed full screen; the phone layout. Every wait
// has a timeout; no timing is asserted.

const WAIT = 15_000;
const MiB = 1024 * 1024;
const LIMIT = 3 * MiB;
jest.setTimeout(120_000);

interface User {
  id: number;
  name: string;
  token: string;
}

// What the page does that a test cannot see from outside: every Notification made (and closed),
// and every tone started. Installed before the page's own scripts.
const SPIES = () => {
  const w = window as unknown as { __notes: { title: string; body?: string; tag?: string; closed: boolean }[]; __made: Notification[]; __tones: number };
  w.__notes = [];
  w.__made = [];
  w.__tones = 0;
  const Real = window.Notification;
  class Spy extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      const note = { title, body: options?.body, tag: options?.tag, closed: false };
      w.__notes.push(note);
      w.__made.push(this);
      const close = this.close.bind(this);
      this.close = () => {
        note.closed = true;
        close();
      };
    }
  }
  window.Notification = Spy;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args: Parameters<typeof start>) {
    w.__tones += 1;
    return start.apply(this, args);
  };
};

/** The page's visibility as the browser reports it when the tab goes to the background and back. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    if (h) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete (document as unknown as Record<string, unknown>).visibilityState;
      delete (document as unknown as Record<string, unknown>).hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
    return document.visibilityState;
  }, hidden);

describeChromium('the web client in the background and with images, in Chromium (production mode)', () => {
  const sqlite = tempSqlite();
  let uploads: string;
  let suite: GatewayProcess;
  let browser: Browser;
  let directory: Awaited<ReturnType<typeof openTestDirectory>>;
  const contexts: BrowserContext[] = [];
  const sockets: TestClient[] = [];
  let alice: User;
  let bob: User;
  let page: Page; // Alice's, on a phone
  let context: BrowserContext;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    buildForStart();
    uploads = mkdtempSync(join(tmpdir(), 'chat-web-attention-uploads-'));
    suite = await GatewayProcess.start(
      { DATABASE_URL: sqlite.url, DATABASE_RUN_MIGRATIONS: 'true', CHAT_DEV_MODE: 'false', UPLOAD_DIR: uploads, UPLOAD_MAX_FILE_SIZE: String(LIMIT), LOG_FORMAT: 'text' },
      { args: ['dist/apps/suite/main.js'] },
    );
    directory = await openTestDirectory(sqlite.url);
    const user = async (name: string): Promise<User> => {
      const u = await directory.newUser();
      await directory.ds.query('UPDATE `user` SET name = ? WHERE id = ?', [name, u.id]);
      return { id: u.id, name, token: u.token };
    };
    alice = await user('小明 Alice');
    bob = await user('Bob 🐻 王建国 (design team)');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await directory?.close();
    await suite?.stop();
    sqlite.remove();
    if (uploads) rmSync(uploads, { recursive: true, force: true });
  });

  const path = (r: Request) => new URL(r.url()).pathname;
  const theirs = (p: Page, text: string) => p.locator('li.message.theirs', { hasText: text });
  const favicon = (p: Page) => p.locator('link[rel~="icon"]');
  const bobSocket = async () => {
    const c = await TestClient.openV2(chatUrl(suite.wsUrl, bob.id, bob.token));
    sockets.push(c);
    return c;
  };
  let seq = 0;
  const sendFromBob = async (c: TestClient, text: string) => {
    const clientMsgId = `t-${++seq}`;
    c.send({ to: alice.id, text, clientMsgId });
    await c.nextMatching((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, WAIT);
  };

  it('asks nothing of /dev/ on a production page and logs no error; a pasted token signs in', async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'zh-CN', permissions: ['notifications'] });
    contexts.push(context);
    await context.addInitScript(SPIES);
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('request', (r) => requests.push(path(r)));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    await page.goto(`${suite.httpUrl}/`);
    await page.getByRole('heading', { name: 'Or paste a token' }).waitFor();
    expect(await page.locator('meta[name="chat-dev-mode"]').getAttribute('content')).toBe('false');
    expect(await page.locator('meta[name="chat-upload-max-bytes"]').getAttribute('content')).toBe(String(LIMIT));
    await page.getByLabel('Token (JWT)').fill(alice.token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.locator('.banner-slot[data-connection="open"]').waitFor({ state: 'attached' });
    // And after a reload (a signed-in page).
    await page.reload();
    await page.locator('.banner-slot[data-connection="open"]').waitFor({ state: 'attached' });

    expect(requests).toContain('/chat_message/get_Conversation_List.do');
    expect(requests.filter((p) => p.startsWith('/dev/'))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('fits the composer on a 390 px phone: the placeholder on one line, nothing wider than the screen', async () => {
    await sendFromBob(await bobSocket(), 'hello from Bob');
    await page.locator(`button.conversation-item[data-friend-id="${bob.id}"]`).click();
    await page.getByRole('heading', { name: bob.name }).waitFor();
    const field = page.getByLabel(/^Message to /);
    await field.waitFor();
    await snap(page, 'attention-01-phone-composer');
    const fit = await field.evaluate((el) => {
      const t = el as HTMLTextAreaElement;
      const line = parseFloat(getComputedStyle(t).lineHeight);
      const style = getComputedStyle(t, '::placeholder');
      return {
        pageWidth: document.documentElement.scrollWidth,
        // One line tall, and the placeholder does not wrap onto a line that is cut off.
        contentHeight: t.clientHeight - parseFloat(getComputedStyle(t).paddingTop) - parseFloat(getComputedStyle(t).paddingBottom),
        line,
        placeholderWhiteSpace: style.whiteSpace,
        overflowing: t.scrollHeight > t.clientHeight,
      };
    });
    expect(fit.pageWidth).toBeLessThanOrEqual(390);
    expect(fit.contentHeight).toBeLessThan(fit.line * 2);
    expect(fit.placeholderWhiteSpace).toBe('nowrap');
    expect(fit.overflowing).toBe(false);
  });

  it('in the background: a badge with the count on the tab icon, a notification and a tone; back in view, cleared', async () => {
    const toggle = page.getByRole('button', { name: /^(🔕|🔔)?\s*Alerts/ });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    await page.locator('button[data-alerts="on"][aria-pressed="true"]').waitFor();

    const bobs = sockets[0];
    // In view: a message is just a message.
    await sendFromBob(bobs, 'seen right away');
    await theirs(page, 'seen right away').waitFor();
    expect(await page.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes.length)).toBe(0);
    expect(await favicon(page).getAttribute('href')).toBe('/favicon.svg');

    // Back to the list, then the tab goes into the background (headless Chromium keeps every tab visible, so the page is
    // told, as a browser tells it: visibilityState, hidden and the visibilitychange event).
    await page.getByRole('button', { name: 'Back to the conversations' }).click();
    await page.locator(`button.conversation-item[data-friend-id="${bob.id}"]`).waitFor();
    expect(await page.getByRole('heading', { name: bob.name }).count()).toBe(0);
    await setHidden(page, true);

    await sendFromBob(bobs, '在吗？ first while away');
    await sendFromBob(bobs, 'second while away 🐻');
    await page.locator('link[rel~="icon"][data-unread="2"]').waitFor({ state: 'attached' });
    const href = await favicon(page).getAttribute('href');
    expect(href).toMatch(/^data:image\/png;base64,/);
    const notes = await page.evaluate(() => (window as unknown as { __notes: { title: string; body?: string; tag?: string; closed: boolean }[] }).__notes);
    expect(notes).toEqual([
      { title: bob.name, body: '在吗？ first while away', tag: `chat-${bob.id}`, closed: false },
      { title: bob.name, body: 'second while away 🐻', tag: `chat-${bob.id}`, closed: false },
    ]);
    expect(await page.evaluate(() => (window as unknown as { __tones: number }).__tones)).toBe(2);
    // The badge as drawn, for a look.
    const other = await context.newPage();
    await other.setContent(`<img src="${href}" width="64" height="64" style="background:#fff">`);
    await snap(other, 'attention-02-favicon-badge');

    await other.close();

    // Clicking the notification opens the conversation it is about.
    await page.evaluate(() => {
      const n = (window as unknown as { __made: Notification[] }).__made.at(-1)!;
      n.onclick?.call(n, new Event('click'));
    });
    await page.getByRole('heading', { name: bob.name }).waitFor();

    // Back in view: the plain icon, the notifications gone.
    await setHidden(page, false);
    await page.locator('link[rel~="icon"][href="/favicon.svg"]:not([data-unread])').waitFor({ state: 'attached' });
    const after = await page.evaluate(() => (window as unknown as { __notes: { closed: boolean }[] }).__notes);
    expect(after.map((n) => n.closed)).toEqual([true, true]);
  });

  it('refuses an image over the server limit before sending it, with the limit in the message', async () => {
    const uploadsBefore = requests.filter((p) => p === '/user/upload.do').length;
    await page.getByLabel('Attach an image').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(LIMIT + 1, 0x7f) });
    await page.getByText('图片太大，最大 3 MiB').waitFor();
    await snap(page, 'attention-03-too-large');
    expect(requests.filter((p) => p === '/user/upload.do').length).toBe(uploadsBefore);
  });

  it('uploads a pasted image with a progress bar, and a dropped one', async () => {
    // A 1.5 MB picture (a long text chunk), sent through a slowed uplink: the bar moves.
    const big = pngImage(200, 120, [pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(1_500_000, 0x61)]))]);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1_000_000 });
    await page.evaluate(() => {
      const w = window as unknown as { __progress: number[] };
      w.__progress = [];
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>('#upload-progress');
        if (bar) w.__progress.push(bar.value / bar.max);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
    });
    await page.getByLabel(/^Message to /).evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'clipboard.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, big.toString('base64'));
    await page.locator('#upload-progress').waitFor();
    await snap(page, 'attention-04-progress');
    const preview = page.getByAltText('Preview of the image to send');
    await preview.waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const seen = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    // Moved through the middle, not only 0 and done.
    expect(seen.some((f) => f > 0 && f < 1)).toBe(true);
    await page.getByRole('button', { name: 'Send image' }).click();
    await page.locator('li.message.mine[data-status="sent"] img').waitFor();

    // Dropped on the conversation: the hint while over it, then the same preview.
    const dropped = pngImage(90, 60);
    const area = page.locator('section.conversation');
    const transfer = await page.evaluateHandle((b64) => {
      const data = new DataTransfer();
      data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
      return data;
    }, dropped.toString('base64'));
    await area.dispatchEvent('dragenter', { dataTransfer: transfer });
    await page.getByText('Drop the image to upload it').waitFor();
    await area.dispatchEvent('drop', { dataTransfer: transfer });
    await page.waitForFunction(() => (document.querySelector('.upload-preview img') as HTMLImageElement | null)?.naturalWidth === 90);
    expect(await page.getByText('Drop the image to upload it').count()).toBe(0);
    await page.getByRole('button', { name: 'Send image' }).click();
    await page.locator('li.message.mine[data-status="sent"] img').nth(1).waitFor();
  });

  it('shows a picture of the timeline full screen: opened by click or keyboard, closed by Escape or a click', async () => {
    const link = page.locator('li.message.mine a.image-link').first();
    await link.click();
    const viewer = page.getByRole('dialog');
    await viewer.waitFor();
    await page.waitForFunction(() => (document.querySelector('dialog.image-viewer img') as HTMLImageElement | null)?.naturalWidth === 200);
    const box = await viewer.boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Close');
    await snap(page, 'attention-05-viewer');
    // Escape closes the picture, not the conversation; the focus goes back to the picture's link.
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: bob.name }).waitFor();
    expect(await link.evaluate((el) => el === document.activeElement)).toBe(true);

    // From the keyboard: Enter on the focused link; a click anywhere closes it.
    await page.keyboard.press('Enter');
    await viewer.waitFor();
    await page.mouse.click(20, 20);
    await viewer.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: bob.name }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
