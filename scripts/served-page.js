// served-page.js: the page of web/ served on a free port (built where
// missing) and open in a fresh headless Chromium profile, ready to train:
// how time-to-accuracy.js starts.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { serve, staticHandler, buildMissing, WEB } from './serve.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

/** { page, context, close() } once the page's Train button is enabled; close() undoes it all. */
export async function openServedPage() {
  buildMissing();
  const { server, url } = await serve({ port: 0, handler: staticHandler(WEB) });
  const dir = mkdtempSync(path.join(tmpdir(), 'mnist-wasm-page-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const close = async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
    server.close();
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await page.waitForFunction(() => !document.getElementById('train').disabled, null, { timeout: 30_000 });
    return { page, context, close };
  } catch (e) {
    await close();
    throw e;
  }
}
