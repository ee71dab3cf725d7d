import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { isCi } from '../support/infra';

// Browser tests drive Debian's Chromium (package `chromium`; .ci/run installs it when missing).
// Off CI without it they are skipped with a notice; under CI=true they fail.

export const CHROMIUM_PATH = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
export const SCREENSHOT_DIR = join(__dirname, 'screenshots');

export function describeChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH)) return describe(name, fn);
  if (isCi()) {
    return describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`CI=true but ${CHROMIUM_PATH} is missing: apt-get update && apt-get install -y chromium`);
      });
    });
  }
  process.stdout.write(`\n[skip] ${CHROMIUM_PATH} missing (apt-get install -y chromium): browser tests are skipped\n`);
  describe.skip(name, fn);
}

/** Headless, offline-quiet Chromium; Playwright gives each launch a fresh profile directory. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30_000,
  });
}

/**
 * Builds what `npm start` runs, as it builds it (`npm run build:quick`: the web client into
 * dist/web, the suite into dist/apps/suite/main.js), from the current sources.
 */
export function buildForStart(): void {
  const r = spawnSync('npm', ['run', '--silent', 'build:quick'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`npm run build:quick failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  for (const file of ['dist/web/index.html', 'dist/apps/suite/main.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`npm run build:quick wrote no ${file}`);
  }
}

/** A screenshot of the step, under test/web/screenshots/ (ignored by git). */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}
