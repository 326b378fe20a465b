// The demo page in Debian's headless Chromium: builds web/ with Vite, serves the build on a free localhost
// port, and checks every panel draws, reacts to its controls, reports bad input in the page, and that the
// tiny attention's weights are proper distributions. Screenshots go to test-output/screenshots/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDemo, shots } from './chromium.js';
import { canvasStats } from './page-probes.js';

const PANELS = ['sinusoidal', 'learned', 'rope', 'alibi', 'relative', 'xpos', 'yourmodel', 'attention', 'answers', 'speed'];
let demo, page, consoleErrors, loadMs;
const requests = [];

before(async () => {
  demo = await openDemo('posenc-demo-');
  ({ page, consoleErrors } = demo);
  page.on('request', (r) => requests.push(r.url()));
  const t0 = Date.now();
  await page.goto(demo.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  loadMs = Date.now() - t0;
  // Panels mount as they come near the viewport: scroll through the page the way a reader would.
  for (const panel of PANELS) {
    await page.locator(`#${panel}`).scrollIntoViewIfNeeded();
    await page.waitForSelector(`#${panel} .body[data-mounted="1"]`);
    await page.waitForFunction((id) => [...document.querySelectorAll(`#${id} canvas`)].every((c) => Number(c.dataset.version) > 0), panel);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.addStyleTag({ content: 'nav { position: static !important; }' });  // keep the sticky bar out of panel screenshots
});

after(async () => {
  await demo?.close();
});

const stats = (selector) => page.evaluate(canvasStats, selector);
const hashes = async (selector) => (await stats(selector)).map((s) => s.hash).join(',');

// Changes a control, then waits (up to 5 s) until the pixels of some canvas under `watch` differ.
async function changeAndWait(watch, change) {
  const before = await hashes(watch);
  await change();
  for (const t0 = Date.now(); Date.now() - t0 < 5000;) {
    if (await hashes(watch) !== before) return;
    await page.waitForTimeout(50);
  }
  assert.fail(`plots under ${watch} did not change`);
}

// The page updates after a short debounce, so an earlier error may still show for a moment: poll until the
// visible error matches (or 5 s pass), then assert on the last text seen.
async function expectError(panel, pattern) {
  const error = page.locator(`#${panel} .error:not([hidden])`).first();
  let text = '';
  for (const end = Date.now() + 5000; Date.now() < end; await page.waitForTimeout(50)) {
    text = (await error.count()) ? await error.textContent() : '';
    if (pattern.test(text)) return;
  }
  assert.match(text, pattern);
}

test('the page loads with no console errors and shows the package version', async (t) => {
  t.diagnostic(`navigation to first screen ready: ${loadMs} ms (this machine, headless, shared CPU)`);
  const ms = await page.evaluate(() => window.posencDemo.timings);
  t.diagnostic(`in the page (ms): ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  assert.deepEqual(consoleErrors, []);
  assert.match(await page.textContent('#status'), /posenc .* (SIMD128|scalar)/);
  assert.equal(await page.locator('.error:not([hidden])').count(), 0, 'no panel shows an error on load');
  const foreign = requests.filter((u) => !u.startsWith(demo.url) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'works offline: every request goes to the page\'s own server (no CDN, no web fonts)');
  assert.ok(requests.some((u) => u.endsWith('.wasm')), 'the WebAssembly module is fetched as a separate .wasm');
});

test('every plotting panel draws non-blank plots', async () => {
  for (const panel of PANELS.filter((p) => p !== 'answers' && p !== 'speed')) {
    const s = await stats(`#${panel}`);
    assert.ok(s.length > 0, `${panel} has canvases`);
    s.forEach((c, i) => assert.ok(c.ink > 0.002, `${panel} canvas ${i} has data drawn (ink ${c.ink.toFixed(4)})`));
  }
});

test('hovering a plot shows the value under the pointer', async () => {
  const canvas = page.locator('#sinusoidal canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('.tooltip:not([hidden])');
  assert.match(await page.textContent('.tooltip'), /dim \d+, position \d+\nPE: -?[\d.]+/);
  await page.mouse.move(0, 0);
});

test('dragging across the sinusoidal table zooms into that range of positions; zoom out widens it', async () => {
  await page.fill('#sin-start', '0');
  await page.fill('#sin-count', '1000');
  const canvas = page.locator('#sinusoidal canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const y = box.y + box.height / 2;
  await changeAndWait('#sinusoidal', async () => {
    await page.mouse.move(box.x + box.width * 0.4, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
    await page.mouse.up();
  });
  const [start, count] = [await page.inputValue('#sin-start'), await page.inputValue('#sin-count')].map(Number);
  assert.ok(start > 100 && start < 900 && count > 10 && count < 500, `zoomed to ${start} + ${count}`);
  await changeAndWait('#sinusoidal', () => page.click('#sin-zoomout'));
  assert.equal(Number(await page.inputValue('#sin-count')), count * 4);
});

test('changing a control changes the plot, in every panel', async () => {
  await changeAndWait('#sinusoidal', () => page.fill('#sin-d', '32'));
  await changeAndWait('#sinusoidal', () => page.fill('#sin-count', '2048'));
  await changeAndWait('#learned', () => page.fill('#learned-seed', '9'));
  await changeAndWait('#learned', () => page.check('#learned-ln'));
  await changeAndWait('#rope', () => page.fill('#rope-base', '500'));
  await changeAndWait('#rope', () => page.fill('#rope-pos', '60'));
  await changeAndWait('#alibi', () => page.selectOption('#alibi-mode', 'symmetric'));
  await changeAndWait('#alibi', () => page.fill('#alibi-heads', '6'));
  await changeAndWait('#relative', () => page.fill('#t5-buckets', '16'));
  await changeAndWait('#xpos', () => page.fill('#xpos-gamma', '0.8'));
  await changeAndWait('#attention', () => page.selectOption('#attn-encoding', 'alibi'));
  assert.deepEqual(consoleErrors, []);
});

test('pasted rope_scaling JSON (yarn, llama3) updates the frequency plot; malformed JSON shows an error', async () => {
  const freq = '#rope .lineplot';
  const yarn = { rope_type: 'yarn', factor: 4.0, original_max_position_embeddings: 32768, beta_fast: 32, beta_slow: 1 };
  const llama3 = { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192 };
  await changeAndWait(freq, () => page.fill('#rope-scaling-json', JSON.stringify(yarn)));
  assert.equal(await page.getAttribute('#rope .body', 'data-scaling-type'), 'yarn');
  await changeAndWait(freq, () => page.fill('#rope-scaling-json', JSON.stringify(llama3)));
  assert.equal(await page.getAttribute('#rope .body', 'data-scaling-type'), 'llama3');
  await page.fill('#rope-scaling-json', '{"rope_type": "yarn", "factor": }');
  await expectError('rope', /JSON/);
  await page.fill('#rope-scaling-json', '{"rope_type": "yarn", "factor": 0.5}');
  await expectError('rope', /OUT_OF_RANGE/);
  await changeAndWait(freq, () => page.fill('#rope-scaling-json', JSON.stringify(yarn)));
  assert.equal(await page.locator('#rope .error:not([hidden])').count(), 0, 'the error clears once the JSON is valid');
  await page.locator('#rope').screenshot({ path: path.join(shots, 'rope-yarn.png') });
});

test('Your model: a fixture lists its layers in runs, M-RoPE shows its streams, an invalid config shows the coded error and dims the stale output', async () => {
  const layers = '#model-layers';
  await page.locator('#yourmodel').scrollIntoViewIfNeeded();
  await until((sel) => /34 layers/.test(document.querySelector(sel)?.textContent ?? ''), layers, 'Gemma 3 layers');
  const gemma = await page.textContent(layers);
  assert.match(gemma, /29 × sliding 1024, RoPE default θ 10,?000/);
  assert.match(gemma, /5 × full, RoPE linear ×8 θ 1,?000,?000/);
  assert.match(gemma, /layers 0–4: sliding 1024.*layer 5: full/s);
  await changeAndWait('#yourmodel', () => page.selectOption('#model-fixture', 'phi-3-mini-128k'));
  await until((sel) => /original_max_position_embeddings read from original_max_position_embeddings \(4096\)/.test(document.querySelector(sel)?.textContent ?? ''), layers, 'Phi-3 note');
  await changeAndWait('#yourmodel', () => page.selectOption('#model-fixture', 'qwen3-vl-8b'));
  await until(() => document.querySelectorAll('#model-mrope .mrope-strip span').length === 128, null, 'the M-RoPE strip');
  assert.match(await page.textContent('#model-mrope'), /interleaved.*t 24, h 20, w 20 of 64/s);
  await page.locator('#yourmodel').screenshot({ path: path.join(shots, 'your-model.png') });
  const bad = JSON.parse(await page.inputValue('#model-config'));
  bad.text_config.rope_scaling.rope_type = 'ntk';
  await page.fill('#model-config', JSON.stringify(bad, null, 2));
  await expectError('yourmodel', /OUT_OF_RANGE: text_config\.rope_scaling\.rope_type must be one of/);
  await until(() => document.querySelector('#yourmodel figure.plot').classList.contains('stale') &&
    document.querySelector('#model-layers').classList.contains('stale'), null, 'stale output dimmed');
  await page.fill('#model-config', '{"model_type": ');
  await expectError('yourmodel', /not valid JSON/);
  await changeAndWait('#yourmodel', () => page.selectOption('#model-fixture', 'llama-3.1-8b'));
  assert.equal(await page.locator('#yourmodel .error:not([hidden])').count(), 0);
  assert.deepEqual(consoleErrors, []);
});

test('bad input shows the package error in the page and the page keeps working', async () => {
  await page.fill('#sin-d', '7');
  await expectError('sinusoidal', /ODD_DIM/);
  await page.fill('#alibi-heads', '0');
  await expectError('alibi', /BAD_HEADS/);
  await changeAndWait('#sinusoidal', () => page.fill('#sin-d', '64'));
  await changeAndWait('#alibi', () => page.fill('#alibi-heads', '12'));
  assert.equal(await page.locator('#sinusoidal .error:not([hidden]), #alibi .error:not([hidden])').count(), 0);
  assert.deepEqual(consoleErrors, []);
});

// Polls (up to 5 s) until `fn` evaluated in the page returns true.
async function until(fn, arg, what) {
  for (const end = Date.now() + 5000; Date.now() < end; await page.waitForTimeout(50)) if (await page.evaluate(fn, arg)) return;
  assert.fail(`timed out waiting until ${what}`);
}

test('invalid input dims the stale plots; the next valid input redraws and undims them', async () => {
  const staleCount = (id) => document.querySelectorAll(`#${id} figure.plot.stale`).length;
  await page.fill('#sin-d', '7');
  await expectError('sinusoidal', /ODD_DIM/);
  await until((id) => document.querySelectorAll(`#${id} figure.plot.stale`).length > 0, 'sinusoidal', 'sinusoidal plots are dimmed');
  await page.fill('#alibi-heads', '0');
  await expectError('alibi', /BAD_HEADS/);
  await until((id) => document.querySelectorAll(`#${id} figure.plot.stale`).length > 0, 'alibi', 'alibi plots are dimmed');
  await page.locator('#alibi').screenshot({ path: path.join(shots, 'alibi-invalid.png') });
  await page.fill('#sin-d', '64');
  await page.fill('#alibi-heads', '12');
  await until((id) => document.querySelectorAll(`#${id} figure.plot.stale`).length === 0, 'sinusoidal', 'sinusoidal plots are undimmed');
  await until((id) => document.querySelectorAll(`#${id} figure.plot.stale`).length === 0, 'alibi', 'alibi plots are undimmed');
  assert.equal(await page.evaluate(staleCount, 'sinusoidal') + await page.evaluate(staleCount, 'alibi'), 0);
  assert.deepEqual(consoleErrors, []);
});

test('the ALiBi heads share one colour scale, so steep and shallow heads look different', async () => {
  await page.selectOption('#alibi-mode', 'causal');
  await page.fill('#alibi-qlen', '10');
  await page.fill('#alibi-klen', '10');
  await page.fill('#alibi-heads', '8');
  await until(() => document.querySelector('#alibi .body').dataset.heads === '8' && document.querySelectorAll('#alibi .grid.small canvas').length === 8, null, '8 ALiBi maps are drawn');
  await page.waitForTimeout(300);
  // The scale spans the largest |bias| of any head: slope 1/2 (head 0) times the farthest distance, 9.
  assert.equal(Number(await page.getAttribute('#alibi .body', 'data-bias-scale')), 4.5);
  const maps = await stats('#alibi .grid.small');
  assert.equal(maps.length, 8);
  // Head 0 (slope 1/2) is coloured far back; head 7 (slope 1/256) stays near white on the same scale. Only
  // the colour bars (the same in every map) are ink in head 7.
  assert.ok(maps[0].ink > maps[7].ink * 1.5, `head 0 ink ${maps[0].ink.toFixed(4)} vs head 7 ink ${maps[7].ink.toFixed(4)}`);
  await page.fill('#alibi-heads', '12');
  await until(() => document.querySelector('#alibi .body').dataset.heads === '12', null, '12 heads are drawn');
  await page.locator('#alibi').screenshot({ path: path.join(shots, 'alibi-12-heads.png') });
});

test('tiny attention rows sum to 1 and causal maps are lower-triangular', async () => {
  for (const encoding of ['none', 'sinusoidal', 'learned', 'rope-half', 'rope-interleaved', 'alibi', 't5', 'xpos']) {
    for (const causal of [true, false]) {
      const v0 = await page.getAttribute('#attention .body', 'data-version');
      await page.selectOption('#attn-encoding', encoding);
      await page.setChecked('#attn-causal', causal);
      await page.fill('#attn-text', `the cat sat on the mat ${encoding} ${causal}`);
      await page.waitForFunction((v) => document.querySelector('#attention .body').dataset.version !== v, v0);
      const a = await page.evaluate(() => window.posencDemo.attention);
      assert.equal(a.encoding, encoding);
      assert.equal(a.causal, causal);
      let upper = 0;
      for (let h = 0; h < a.heads; h++) for (let i = 0; i < a.n; i++) {
        let sum = 0;
        for (let j = 0; j < a.n; j++) {
          const p = a.probs[(h * a.n + i) * a.n + j];
          assert.ok(p >= 0, 'weights are non-negative');
          sum += p;
          if (j > i) upper = Math.max(upper, p);
        }
        assert.ok(Math.abs(sum - 1) < 1e-5, `${encoding} head ${h} row ${i} sums to ${sum}`);
      }
      if (causal) assert.equal(upper, 0, `${encoding}: causal map has weight above the diagonal`);
      else assert.ok(upper > 0, `${encoding}: bidirectional map has weight above the diagonal`);
    }
  }
});

test('tiny attention with a sliding window: each query weighs only its last W keys; GQA shares keys between heads', async () => {
  await page.selectOption('#attn-encoding', 'rope-half');
  await page.setChecked('#attn-causal', true);
  await page.selectOption('#attn-kvheads', '2');
  const v0 = await page.getAttribute('#attention .body', 'data-version');
  await page.fill('#attn-window', '3');
  await page.fill('#attn-text', 'the cat sat on the mat because the mat was warm');
  await page.waitForFunction((v) => document.querySelector('#attention .body').dataset.version !== v, v0);
  await until(() => window.posencDemo.attention.window === 3, null, 'the window is applied');
  const a = await page.evaluate(() => window.posencDemo.attention);
  assert.equal(a.kvHeads, 2);
  for (let h = 0; h < a.heads; h++) for (let i = 0; i < a.n; i++) {
    let sum = 0;
    for (let j = 0; j < a.n; j++) {
      const p = a.probs[(h * a.n + i) * a.n + j];
      if (j <= i - 3 || j > i) assert.equal(p, 0, `head ${h} query ${i} key ${j} is outside the window`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `head ${h} row ${i} sums to ${sum}`);
  }
  await page.locator('#attention').screenshot({ path: path.join(shots, 'attention-window.png') });
  const v1 = await page.getAttribute('#attention .body', 'data-version');
  await page.fill('#attn-window', '0');
  await page.selectOption('#attn-kvheads', 'same');
  await page.waitForFunction((v) => document.querySelector('#attention .body').dataset.version !== v, v1);
  await until(() => window.posencDemo.attention.window === undefined && window.posencDemo.attention.kvHeads === window.posencDemo.attention.heads, null, 'options reset');
});

test('tiny attention refuses a text longer than the learned table with a readable error', async () => {
  await page.selectOption('#attn-encoding', 'learned');
  await page.fill('#attn-tablelen', '4');
  await page.fill('#attn-text', 'one two three four five six');
  await expectError('attention', /BAD_POSITION/);
  await page.fill('#attn-tablelen', '16');
  await page.waitForFunction(() => document.querySelector('#attention .error').hidden);
});

function npy(rows, cols) {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(`${header}${' '.repeat(pad)}\n`, 'latin1');
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 255, h.length >> 8]);
  const body = Buffer.from(Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i)).buffer);
  return Buffer.concat([pre, h, body]);
}

function safetensors(rows, cols) {
  let header = JSON.stringify({ 'h.0.attn.bias': { dtype: 'F32', shape: [cols], data_offsets: [0, 4 * cols] }, 'wpe.weight': { dtype: 'F32', shape: [rows, cols], data_offsets: [4 * cols, 4 * cols + 4 * rows * cols] } });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const body = Buffer.from(Float32Array.from({ length: cols + rows * cols }, (_, i) => Math.cos(i / 7)).buffer);
  return Buffer.concat([len, Buffer.from(header), body]);
}

test('the learned panel loads a table from .npy, .safetensors and .json files and reports bad files', async () => {
  const files = [
    ['table.npy', npy(20, 8), '20x8'],
    ['model.safetensors', safetensors(24, 6), '24x6'],
    ['table.json', Buffer.from(JSON.stringify({ wpe: Array.from({ length: 10 }, (_, i) => [i, -i, i / 2]) })), '10x3'],
  ];
  for (const [name, buffer, dims] of files) {
    await changeAndWait('#learned', () => page.setInputFiles('#learned-file', { name, mimeType: 'application/octet-stream', buffer }));
    assert.equal(await page.getAttribute('#learned .body', 'data-loaded'), dims, name);
  }
  await page.setInputFiles('#learned-file', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"wpe": [[1, 2], [3') });
  await expectError('learned', /malformed JSON/);
  await page.locator('#learned').screenshot({ path: path.join(shots, 'learned-file.png') });
});

test('the speed panel times the benchmark\'s SIMD wasm, scalar wasm, plain JS and tuned JS and draws the bars', async () => {
  await page.selectOption('#learned-source', 'random');
  const before = await hashes('#speed');
  const t0 = Date.now();
  await page.click('#speed-run');
  await page.waitForSelector('#speed .body[data-done="1"]', { timeout: 150000 });
  assert.notEqual(await hashes('#speed'), before);
  const results = await page.evaluate(() => window.posencDemo.speed);
  console.log(`speed panel: ${((Date.now() - t0) / 1000).toFixed(1)} s, ms per call ${JSON.stringify(results)}`);
  assert.deepEqual(results.map((r) => r.name), ['SIMD wasm', 'scalar wasm', 'plain JS', 'tuned JS']);
  for (const r of results) {
    assert.equal(r.values.length, 5, `${r.name}: one value per workload (W1, W2 half, W2 interleaved, W3, W4)`);
    for (const v of r.values) assert.ok(v > 0, `${r.name} measured (${v})`);
  }
  assert.equal(await page.locator('#speed-table tbody tr').count(), 5);
  const s = await stats('#speed');
  assert.ok(s[0].ink > 0.01, 'bars drawn');
});

test('screenshots of every panel, desktop and phone width', async () => {
  for (const panel of PANELS) await page.locator(`#${panel}`).screenshot({ path: path.join(shots, `${panel}.png`) });
  await page.locator('#comparison').screenshot({ path: path.join(shots, 'answers-table.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
  for (const panel of ['sinusoidal', 'rope', 'attention']) await page.locator(`#${panel}`).screenshot({ path: path.join(shots, `phone-${panel}.png`) });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'phone-top.png') });
  assert.deepEqual(consoleErrors, []);
});
