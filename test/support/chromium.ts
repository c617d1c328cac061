import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser), for the tests that
 * open a page of the gateway. Every request for another origin is aborted and recorded, so a
 * page must work with no network but the gateway, even on a machine with internet.
 */

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests for any origin but `origin`, aborted, and WebSockets opened to any other host. */
  elsewhere: string[];
  /** The URL of every WebSocket the page opened. */
  websockets: string[];
  close(): Promise<void>;
}

/** One page in a fresh profile that can reach `origin` only; each wait of it times out after `timeoutMs`. */
export async function openChromium(origin: string, { timeoutMs, viewport }: { timeoutMs: number; viewport?: { width: number; height: number } }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests drive Debian's Chromium. Install it (apt-get install chromium) and run the tests again.`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'mdc-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: timeoutMs,
      ...(viewport && { viewport }),
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(timeoutMs);
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    elsewhere.push(url);
    return route.abort('internetdisconnected');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // `route` does not see WebSockets: they are recorded as they open (not aborted).
  const websockets: string[] = [];
  page.on('websocket', (socket) => {
    websockets.push(socket.url());
    if (new URL(socket.url()).host !== new URL(origin).host) elsewhere.push(socket.url());
  });
  return {
    context,
    page,
    elsewhere,
    websockets,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
