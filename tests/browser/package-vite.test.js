// The packed package in a tiny Vite app: installed from the tarball into an empty folder, built with the
// repository's Vite, served statically and opened in Debian's headless Chromium (playwright-core), whose page
// computes a RoPE and an ALiBi result with posenc and shows them. The screenshot lands in test-output/.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { installPackedPackage, repoRoot } from '../js/pack.js';
import { launchChromium } from './chromium.js';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>posenc in Vite</title></head>
<body><h1>posenc from a Vite build</h1><pre id="out" style="white-space: pre-wrap">computing…</pre><script type="module" src="./main.js"></script></body></html>`;

const MAIN = `import { load } from 'posenc';
const out = document.getElementById('out');
try {
  const pe = await load();
  // RoPE: (1, 0) at position 1 → (cos 1, sin 1); ALiBi: 2 heads, query at position 2 of 3 keys.
  const rope = pe.ropeForward({ data: Float32Array.of(1, 0, 0, 1), shape: [1, 1, 1, 4] }, { offset: 1, layout: 'interleaved' });
  const alibi = pe.alibiBias(2, 1, 3);
  const scalar = await load({ simd: false });
  const result = { features: pe.features, rope: Array.from(rope.data), alibi: Array.from(alibi.data),
    scalar: { features: scalar.features, alibi: Array.from(scalar.alibiBias(2, 1, 3).data) } };
  out.textContent = JSON.stringify(result);
} catch (e) {
  out.textContent = 'ERROR ' + e.code + ': ' + e.message;
}
out.dataset.done = '1';
`;

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

function serve(root) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = path.join(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
    try {
      if (!file.startsWith(root) || !statSync(file).isFile()) throw new Error('not found');
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Vite's dev server on a free port; resolves once it listens.
function startDevServer(dir) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), '--port', String(port), '--strictPort',
    '--host', '127.0.0.1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => /Local/.test(String(d)) && resolve({ child, url: `http://127.0.0.1:${port}/` }));
    child.on('exit', (code) => reject(new Error(`vite dev server exited with ${code}`)));
  });
}

describe('packed package in a Vite app, headless Chromium', () => {
  let app, server, browser, ctx, dev;

  // Opens the page, waits for its result and returns it parsed (after a screenshot).
  async function runPage(url, shot) {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    await page.waitForSelector('#out[data-done="1"]', { timeout: 30000 });
    const text = await page.textContent('#out');
    mkdirSync(path.join(repoRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: path.join(repoRoot, 'test-output', shot) });
    await page.close();
    assert.ok(!text.startsWith('ERROR'), text);
    assert.deepEqual(errors, []);
    return JSON.parse(text);
  }

  function checkResult(result) {
    assert.equal(result.features.simd, true);
    const rope = [Math.cos(1), Math.sin(1), -Math.sin(0.01), Math.cos(0.01)];
    result.rope.forEach((v, i) => assert.ok(Math.abs(v - rope[i]) < 1e-6, `rope ${result.rope}`));
    const alibi = [-2 / 16, -1 / 16, 0, -2 / 256, -1 / 256, 0];
    result.alibi.forEach((v, i) => assert.ok(Math.abs(v - alibi[i]) < 1e-7, `alibi ${result.alibi}`));
    assert.equal(result.scalar.features.arch, 'scalar');
    result.scalar.alibi.forEach((v, i) => assert.ok(Math.abs(v - alibi[i]) < 1e-7, `scalar alibi ${result.scalar.alibi}`));
  }

  before(async () => {
    app = installPackedPackage('posenc-vite-');
    writeFileSync(path.join(app.dir, 'index.html'), PAGE);
    writeFileSync(path.join(app.dir, 'main.js'), MAIN);
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', '--outDir', 'dist'],
      { cwd: app.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    server = await serve(path.join(app.dir, 'dist'));
    browser = await launchChromium();
    ctx = browser.ctx;
  });
  after(async () => {
    dev?.child.kill();
    await browser?.close();
    server?.close();
    if (app) rmSync(app.dir, { recursive: true, force: true });
  });

  test('vite build emits both .wasm builds as assets', () => {
    const assets = execFileSync('ls', [path.join(app.dir, 'dist/assets')], { encoding: 'utf8' });
    assert.match(assets, /posenc_simd-.*\.wasm/);
    assert.match(assets, /posenc_scalar-.*\.wasm/);
  });

  test('the built page computes RoPE and ALiBi with the SIMD build and shows them', async () => {
    checkResult(await runPage(`http://127.0.0.1:${server.address().port}/`, 'package-vite.png'));
  });

  test('the Vite dev server serves the same page', async () => {
    dev = await startDevServer(app.dir);
    checkResult(await runPage(dev.url, 'package-vite-dev.png'));
  });
});
