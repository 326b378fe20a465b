// The "Train short, test long" panel in headless Chromium: a tiny run in the module Worker shows progress,
// live loss curves, survives stop and resume, and ends with the accuracy plot and the measured table rows.
// Screenshot: test-output/screenshots/train.png.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { serve } from './static-server.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const shots = path.join(repo, 'test-output', 'screenshots');
let outDir, server, ctx, profile, page;
const consoleErrors = [];

before(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'posenc-train-'));
  await build({ configFile: path.join(repo, 'web/vite.config.js'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await serve(outDir);
  profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = ctx.pages()[0] ?? await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  mkdirSync(shots, { recursive: true });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  await page.locator('#train').scrollIntoViewIfNeeded();
  await page.waitForSelector('#train .body[data-mounted="1"]');
});

after(async () => {
  await ctx?.close();
  await server?.close();
  for (const d of [profile, outDir]) if (d) rmSync(d, { recursive: true, force: true });
});

test('a tiny run in the Worker: progress, stop and resume, then the accuracy plot and the measured rows', async () => {
  await page.fill('#train-length', '4');
  await page.fill('#train-steps', '40');
  await page.fill('#train-seeds', '2');
  for (const s of ['sinusoidal', 'learned', 'xpos', 't5', 'randomized']) await page.uncheck(`#train-${s}`);
  await page.click('#train-start');
  await page.waitForFunction(() => Number(document.querySelector('#train-progress').value) > 0, null, { timeout: 30000 });
  assert.ok(await page.locator('#train-loss svg polyline').count() >= 1, 'a live loss curve');
  await page.click('#train-stop');
  assert.equal(await page.getAttribute('#train .body', 'data-state'), 'stopped');
  await page.click('#train-resume');
  await page.waitForSelector('#train-accuracy[data-done="1"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('#train .body', 'data-state'), 'done');
  assert.equal(await page.evaluate(() => Number(document.querySelector('#train-progress').value)), 1);
  assert.equal(await page.locator('#train-accuracy svg polyline').count(), 3, 'one accuracy line per encoding (none, rope, alibi)');
  assert.equal(await page.locator('#train-table tr[data-row]').count(), 4);
  assert.match(await page.textContent('#train-table'), /steps\/s/);
  await page.locator('#train').screenshot({ path: path.join(shots, 'train.png') });
  assert.deepEqual(consoleErrors, []);
});
