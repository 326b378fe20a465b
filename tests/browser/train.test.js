// The "Train short, test long" panel in headless Chromium: a tiny run in the module Worker shows progress,
// live loss curves, pauses mid-job and resumes to the same bits as a run never paused, and ends with the
// accuracy plot and the measured table rows; then the tiny attention panel draws the trained models' maps and the comparison table prints the numbers.
// Screenshots: test-output/screenshots/train-paused.png, train.png, attention-trained.png, answers-measured.png,
// train-text.png. The language-model task trains on a text pasted into the panel.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDemo, shots } from './chromium.js';
import { canvasStats } from './page-probes.js';

let demo, page, consoleErrors;

before(async () => {
  demo = await openDemo('posenc-train-');
  ({ page, consoleErrors } = demo);
  await page.goto(demo.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  // The comparison table is mounted before the run (it must update when the run ends); the tiny attention
  // only after it (it must find the trained maps already there).
  await page.addStyleTag({ content: 'nav { position: static !important; }' });  // keep the sticky bar out of panel screenshots
  await page.locator('#answers').scrollIntoViewIfNeeded();
  await page.waitForSelector('#answers .body[data-mounted="1"]');
  await page.locator('#train').scrollIntoViewIfNeeded();
  await page.waitForSelector('#train .body[data-mounted="1"]');
});

after(async () => {
  await demo?.close();
});

const MEASURED = ['Extrapolation', 'Train/Test Length', 'Training Speed', 'Gradient Flow'];
const measuredText = (row, scheme) => page.textContent(`#comparison .evidence.measured[data-row="${row}"][data-scheme="${scheme}"]`);

test('before any run the comparison table points to the Train panel in its measured rows', async () => {
  assert.equal(await page.locator('#comparison .evidence.measured').count(), MEASURED.length * 4);
  for (const row of MEASURED) assert.match(await measuredText(row, 'rope'), /Not measured yet: run the Train panel/);
  assert.match(await page.textContent('#comparison-run'), /get numbers when a run of the Train panel has finished/);
  assert.equal(await page.locator('#comparison .evidence.measured a[href="#train"]').count(), MEASURED.length * 4);
});

// What the page received from the Worker: every loss and every result but its speed (a measured time).
const received = () => page.evaluate(() => {
  const { curves, results } = window.posencDemo.train;
  return { curves, results: results.map(({ stepsPerSecond, ...r }) => r) };
});
// Clicks Start, then Stop from inside the page as the first loss chunk arrives (the Worker is then mid-job,
// at most one time slice further), and waits for the Worker to confirm it paused.
const startAndStopAtFirstLosses = async () => {
  await page.evaluate(() => new Promise((resolve) => {
    const status = document.querySelector('#train-status');
    document.querySelector('#train-start').click();
    new MutationObserver((_, obs) => {
      if (!/step \d+\//.test(status.textContent)) return;
      obs.disconnect();
      document.querySelector('#train-stop').click();
      resolve();
    }).observe(status, { childList: true, characterData: true, subtree: true });
  }));
  await page.waitForSelector('#train .body[data-state="paused"]', { timeout: 30000 });
};

test('a tiny run in the Worker: progress, a pause kept mid-job, a new Start over a paused grid, resume to the same bits', async () => {
  await page.fill('#train-length', '4');
  await page.fill('#train-steps', '40');
  await page.fill('#train-seeds', '2');
  for (const s of ['sinusoidal', 'learned', 'xpos', 't5', 'randomized']) await page.uncheck(`#train-${s}`);
  // The same grid never paused, for reference.
  await page.click('#train-start');
  await page.waitForSelector('#train-accuracy[data-done="1"]', { timeout: 60000 });
  const uninterrupted = await received();
  assert.equal(uninterrupted.results.length, 6);
  assert.ok(Object.values(uninterrupted.curves).every((bySeed) => Object.values(bySeed).every((c) => c.length === 40)));

  await startAndStopAtFirstLosses();
  // A paused grid is discarded by a new Start: the new one starts from step 0 in the same Worker.
  assert.equal(await page.isEnabled('#train-start'), true);
  await startAndStopAtFirstLosses();
  assert.match(await page.textContent('#train-status'), /^Paused after step \d+\/40 of \w+, seed \d \(\d of 6 runs done\)\. Resume continues from here; Start begins anew\.$/);
  assert.deepEqual(await Promise.all(['#train-start', '#train-stop', '#train-resume'].map((b) => page.isEnabled(b))), [true, false, true]);
  const progress = await page.evaluate(() => Number(document.querySelector('#train-progress').value));
  assert.ok(progress > 0 && progress < 1, `progress ${progress}`);
  assert.ok(await page.locator('#train-loss svg polyline').count() >= 1, 'the partial loss curve stays drawn');
  await page.locator('#train').screenshot({ path: path.join(shots, 'train-paused.png') });
  const partial = await received();
  const lossesSoFar = Object.values(partial.curves).flatMap((bySeed) => Object.values(bySeed)).reduce((n, c) => n + c.length, 0);
  assert.ok(lossesSoFar > 0 && lossesSoFar < 240);
  for (const [scheme, bySeed] of Object.entries(partial.curves)) {
    for (const [seed, curve] of Object.entries(bySeed)) {
      assert.deepEqual(curve, uninterrupted.curves[scheme][seed].slice(0, curve.length), `${scheme} seed ${seed}: the partial curve`);
    }
  }
  await page.click('#train-resume');
  await page.waitForSelector('#train-accuracy[data-done="1"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('#train .body', 'data-state'), 'done');
  assert.deepEqual(await received(), uninterrupted, 'paused and resumed: every loss and result bit as in the run never paused');
  assert.equal(await page.evaluate(() => Number(document.querySelector('#train-progress').value)), 1);
  assert.equal(await page.locator('#train-accuracy svg polyline').count(), 3, 'one accuracy line per encoding (none, rope, alibi)');
  assert.equal(await page.locator('#train-table tr[data-row]').count(), 4);
  assert.match(await page.textContent('#train-table'), /steps\/s/);
  await page.locator('#train').screenshot({ path: path.join(shots, 'train.png') });
  assert.deepEqual(consoleErrors, []);
});

test('the tiny attention offers the trained models and draws their maps at L and beyond', async () => {
  await page.locator('#attention').scrollIntoViewIfNeeded();
  await page.waitForSelector('#attention .body[data-mounted="1"]');
  const offered = await page.$$eval('#attn-weights option', (os) => os.map((o) => o.value));
  assert.deepEqual(offered, ['random', 'trained:none', 'trained:rope', 'trained:alibi']);
  assert.equal(await page.isVisible('#attn-trained-length'), false, 'the trained maps\' selectors are hidden with random weights');
  const drawn = async (change) => {
    const v0 = await page.getAttribute('#attention .body', 'data-version');
    await change();
    await page.waitForFunction((v) => document.querySelector('#attention .body').dataset.version !== v, v0);
    // a heat map made anew paints on the next frame
    await page.waitForFunction(() => [...document.querySelectorAll('#attention canvas')].every((c) => Number(c.dataset.version) > 0));
    return page.evaluate(() => window.posencDemo.attention);
  };
  let a = await drawn(() => page.selectOption('#attn-weights', 'trained:rope'));
  assert.equal(a.mode, 'trained');
  assert.equal(a.scheme, 'rope');
  assert.equal(await page.isVisible('#attn-text'), false, 'the random-weights controls are hidden');
  assert.equal(await page.isVisible('#attn-trained-layer'), true);
  const lengths = await page.$$eval('#attn-trained-length option', (os) => os.map((o) => o.value));
  assert.deepEqual(lengths, ['4', '16'], 'the training length and the longest test length');
  assert.equal(a.length, 4);
  assert.equal(a.n, 8, 'copy at L = 4: 4 symbols, the separator, 3 copied (the 4th is only a target)');
  assert.equal(a.heads, 4);
  const rowsSumToOne = (x) => {
    for (let h = 0; h < x.heads; h++) for (let i = 0; i < x.n; i++) {
      let sum = 0;
      for (let j = 0; j < x.n; j++) {
        const p = x.probs[(h * x.n + i) * x.n + j];
        if (j > i) assert.equal(p, 0, 'a causal model gives no weight to later keys');
        sum += p;
      }
      assert.ok(Math.abs(sum - 1) < 1e-4, `head ${h} row ${i} sums to ${sum}`);
    }
  };
  rowsSumToOne(a);
  let stats = await page.evaluate(canvasStats, '#attention');
  assert.equal(stats.length, 4);
  assert.ok(stats.every((s) => s.ink > 0.01), 'every head map is drawn');
  a = await drawn(() => page.selectOption('#attn-trained-length', '16'));
  assert.equal(a.n, 32);
  rowsSumToOne(a);
  assert.match(await page.textContent('#attention .note.stats'), /longer than any it was trained on/);
  a = await drawn(() => page.selectOption('#attn-trained-layer', '1'));
  assert.equal(a.layer, 1);
  a = await drawn(() => page.selectOption('#attn-trained-head', '2'));
  assert.equal(a.heads, 1);
  stats = await page.evaluate(canvasStats, '#attention');
  assert.equal(stats.length, 1);
  assert.ok(stats[0].ink > 0.01);
  await page.selectOption('#attn-trained-head', 'all');
  await drawn(() => page.selectOption('#attn-weights', 'trained:alibi'));
  await page.locator('#attention').screenshot({ path: path.join(shots, 'attention-trained.png') });
  a = await drawn(() => page.selectOption('#attn-weights', 'random'));
  assert.equal(a.mode, 'random');
  assert.equal(await page.isVisible('#attn-text'), true);
  assert.equal(await page.isVisible('#attn-trained-layer'), false);
  assert.deepEqual(consoleErrors, []);
});

test('the comparison table prints the measured numbers in its learning rows', async () => {
  await page.waitForSelector('#answers .body[data-measured="1"]');
  for (const scheme of ['rope', 'alibi']) {
    assert.match(await measuredText('Extrapolation', scheme), new RegExp(`Measured in your browser \\(Train panel, ${scheme}\\): accuracy \\d+% at L → \\d+% at 4L`));
    assert.match(await measuredText('Train/Test Length', scheme), /4: \d+%, 8: \d+%, 16: \d+%/);
    assert.match(await measuredText('Training Speed', scheme), /[\d.]+ steps\/s/);
    assert.match(await page.textContent('#comparison-run'), /the Train panel's last run \(copy, trained at L = 4, tested to 16, 2 seeds, 40 steps\)/);
    assert.match(await measuredText('Gradient Flow', scheme), /grad-norm mean [\d.]+, p95 [\d.]+, max [\d.]+, CV [\d.]+/);
  }
  for (const scheme of ['sinusoidal', 'learned']) assert.match(await measuredText('Training Speed', scheme), /was not in the Train panel's last run/);
  await page.locator('#comparison').screenshot({ path: path.join(shots, 'answers-measured.png') });
  assert.deepEqual(consoleErrors, []);
});

test('the language-model task trains on a pasted text: the box shows for it, a one-character text is refused, a real one runs', async () => {
  await page.locator('#train').scrollIntoViewIfNeeded();
  assert.equal(await page.isVisible('#train-text'), false);
  await page.selectOption('#train-task', 'text');
  assert.equal(await page.isVisible('#train-text'), true);
  for (const s of ['none', 'sinusoidal', 'learned', 'xpos', 'alibi', 't5', 'randomized']) await page.setChecked(`#train-${s}`, false);
  await page.setChecked('#train-rope', true);
  await page.fill('#train-seeds', '1');
  await page.fill('#train-steps', '4');
  await page.fill('#train-text', 'a');
  await page.click('#train-start');
  await page.waitForSelector('#train [data-code="BAD_SIZE"]', { timeout: 30000 });
  assert.match(await page.textContent('#train [data-code="BAD_SIZE"]'), /text must have at least 2 characters/);
  await page.fill('#train-text', 'the cat sat on the mat; the mat sat on the cat. ');
  await page.click('#train-start');
  await page.waitForSelector('#train .body[data-state="done"]', { timeout: 60000 });
  const { results } = await received();
  assert.deepEqual(results.map((r) => [r.task, r.positional]), [['text', 'rope']]);
  await page.locator('#train').screenshot({ path: path.join(shots, 'train-text.png') });
  await page.selectOption('#train-task', 'copy');
  assert.equal(await page.isVisible('#train-text'), false);
  assert.deepEqual(consoleErrors.filter((e) => !/BAD_SIZE|text must have/.test(e)), []);
});
