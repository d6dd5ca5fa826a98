import { existsSync } from 'node:fs';
import { TaskgraphError } from '../core/errors.js';

/**
 * The headless Chromium taskgraph drives through `playwright-core` (no bundled browser: the
 * system's `/usr/bin/chromium`): the `screenshot` node kind, the UI tests (test/e2e/ui.test.ts)
 * and the UI render benchmark (bench/ui-render.mjs) launch it the same way. One browser per
 * process is shared by every screenshot and closed when no page has used it for
 * {@link IDLE_CLOSE_MS}, so a run with many screenshots starts Chromium once.
 */

/** Where the browser is; `TASKGRAPH_CHROMIUM` overrides it. */
export function chromiumPath(): string {
  return process.env['TASKGRAPH_CHROMIUM'] ?? '/usr/bin/chromium';
}

/** Launch flags: headless, no sandbox (containers), no GPU, nothing phoning home, no first-run UI. */
export const CHROMIUM_ARGS: readonly string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** ms an unused shared browser stays open before it is closed. */
export const IDLE_CLOSE_MS = 3_000;

type Browser = import('playwright-core').Browser;

let shared: Promise<Browser> | undefined;
let users = 0;
let idle: NodeJS.Timeout | undefined;

/**
 * Runs `use` with the shared browser, launching it when none is open.
 * @throws TaskgraphError SCREENSHOT_FAILED when the browser is missing or does not start
 */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  if (idle) clearTimeout(idle);
  idle = undefined;
  users++;
  try {
    if (!shared) {
      const path = chromiumPath();
      if (!existsSync(path)) {
        throw new TaskgraphError('SCREENSHOT_FAILED', `no Chromium at ${path}`, { hint: 'install it (Debian/Ubuntu: apt-get install -y chromium) or set TASKGRAPH_CHROMIUM to its path' });
      }
      const { chromium } = await import('playwright-core');
      const launched = chromium.launch({ executablePath: path, args: [...CHROMIUM_ARGS] });
      shared = launched;
      // a browser that failed to start or died (crash, OOM kill) is launched again by the next user
      launched.then(
        (b) => b.on('disconnected', () => void (shared === launched && (shared = undefined))),
        () => void (shared === launched && (shared = undefined)),
      );
    }
    let browser: Browser;
    try {
      browser = await shared;
    } catch (error) {
      throw new TaskgraphError('SCREENSHOT_FAILED', `Chromium did not start: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    return await use(browser);
  } finally {
    users--;
    if (users === 0 && shared) {
      const closing = shared;
      idle = setTimeout(() => {
        if (users === 0 && shared === closing) {
          shared = undefined;
          void closing.then((b) => b.close()).catch(() => undefined);
        }
      }, IDLE_CLOSE_MS);
      idle.unref();
    }
  }
}

/** Closes the shared browser now (tests, process shutdown). */
export async function closeBrowser(): Promise<void> {
  if (idle) clearTimeout(idle);
  idle = undefined;
  const open = shared;
  shared = undefined;
  if (open) await open.then((b) => b.close()).catch(() => undefined);
}
