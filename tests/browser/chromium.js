// Debian's Chromium, headless, through playwright-core: a persistent context on a fresh profile folder
// (removed on close), and the demo page built by Vite and served on a free localhost port.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { serve } from './static-server.js';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const shots = path.join(repo, 'test-output', 'screenshots');

/** A headless Chromium context; close() also removes its profile. */
export async function launchChromium(viewport) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, ...(viewport ? { viewport } : {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const close = async () => {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, close };
}

/**
 * The demo (web/) built into a temporary folder, served, and opened until it reports ready; console errors
 * and page errors are collected in `consoleErrors`. close() stops and removes everything.
 */
export async function openDemo(prefix) {
  const outDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  let server, browser;
  const close = async () => {
    await browser?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  };
  try {
    await build({ configFile: path.join(repo, 'web/vite.config.js'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await serve(outDir);
    browser = await launchChromium({ width: 1280, height: 900 });
    const page = browser.ctx.pages()[0] ?? await browser.ctx.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    mkdirSync(shots, { recursive: true });
    return { page, ctx: browser.ctx, url: server.url, consoleErrors, close };
  } catch (e) {
    await close();
    throw e;
  }
}
