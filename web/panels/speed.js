// Speed panel: the baselines the benchmark also runs (baselines/) timed in this browser on the
// benchmark's deterministic inputs (baselines/inputs.mjs), at shapes a page runs in seconds. posenc's SIMD and scalar builds go
// through the bench's `out` call (writing into a caller's array); plain and tuned JavaScript are the
// bench's runners. Each is warmed up by time (V8 starts wasm and JS on baseline code and tiers up only
// after a while), then timed in samples between animation frames so the page stays responsive.
import { plainJs, tunedJs } from '../../baselines/javascript.mjs';
import { variant } from '../../baselines/posenc_calls.mjs';
import { withInputs } from '../../baselines/inputs.mjs';
import { BarChart } from '../plots/bar-chart.js';
import { fmt } from '../plots/scale.js';
import { controlsRow, el, errorBox, nextFrame, note, showError, clearError } from '../ui.js';

// The benchmark's workloads W1–W4 (docs/performance.md), smaller than `npm run bench` runs them (W1 4096×1024, W2 [1,32,2048,128],
// W3 8 heads × 1024 tokens) so that plain JavaScript finishes quickly too.
const CASES = [
  { name: 'W1 table 1024×512', op: 'table', cfg: { start: 0, count: 1024, d: 512 } },
  { name: 'W2 RoPE half [1,8,512,128]', op: 'rope', cfg: { heads: 8, seq: 512, dim: 128, layout: 'half', offset: 0 } },
  { name: 'W2 RoPE interleaved', op: 'rope', cfg: { heads: 8, seq: 512, dim: 128, layout: 'interleaved', offset: 0 } },
  { name: 'W3 ALiBi sdpa 4×256×64', op: 'sdpa', cfg: { heads: 4, qLen: 256, kLen: 256, dim: 64 } },
  { name: 'W4 decode 32×128 @100000', op: 'decodeRope', cfg: { heads: 32, dim: 128, maxLen: 2048, position: 100000 } },
];
const BUILDS = [['SIMD wasm', true], ['scalar wasm', false]];
const NAMES = [...BUILDS.map(([name]) => name), plainJs.name, tunedJs.name];

const WARMUP_MS = 300;  // per implementation and case, before any sample
const CHUNK_MS = 50;    // longest stretch without yielding to the page (one call may take longer)
const SAMPLE_MS = 15;   // each sample repeats the call until it spans about this long
const SAMPLES = 7;
const WARM_UNITS = 3;   // the warm-up's share of the progress bar, in samples

// Runs the call until it has run for WARMUP_MS, in chunks between frames; returns ms per call.
async function warmUp(run, onProgress) {
  let spent = 0, calls = 0;
  while (spent < WARMUP_MS) {
    await nextFrame();
    const t0 = performance.now();
    let t;
    do { run(); calls++; t = performance.now() - t0; } while (t < CHUNK_MS);
    spent += t;
    onProgress(Math.min(1, spent / WARMUP_MS));
  }
  return spent / calls;
}

async function sample(run, reps) {
  await nextFrame();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// Median ms per call of each runner (null = none): all warmed up first, then samples in rounds whose
// order rotates, as bench/lib/timing.mjs does, so that drift hits every implementation alike.
async function timeRunners(runners, tick) {
  const reps = [];
  for (const [i, r] of runners.entries()) {
    if (!r) { tick(WARM_UNITS + SAMPLES); continue; }
    let shown = 0;
    const perCall = await warmUp(r.run, (f) => { tick(f * WARM_UNITS - shown); shown = f * WARM_UNITS; });
    reps[i] = Math.max(1, Math.min(1 << 16, Math.ceil(SAMPLE_MS / perCall)));
  }
  const ms = runners.map(() => []);
  for (let s = 0; s < SAMPLES; s++) {
    for (let j = 0; j < runners.length; j++) {
      const i = (j + s) % runners.length;
      if (!runners[i]) continue;
      ms[i].push(await sample(runners[i].run, reps[i]));
      tick(1);
    }
  }
  return ms.map((m, i) => (runners[i] ? median(m) : null));
}

// One unit a row: µs when every time in it is under a millisecond.
const showMs = (v, micro) => (v == null ? '–' : micro ? `${fmt(v * 1000)} µs` : `${fmt(v)} ms`);
const ratio = (slow, fast) => (slow && fast ? `${(slow / fast).toFixed(2)}×` : '–');

export function mountSpeed(root, pe, load) {
  const c = controlsRow(root);
  const run = el('button', { type: 'button', class: 'primary', id: 'speed-run', text: 'Run the benchmark' });
  const progress = el('progress', { class: 'progress', max: 1, value: 0, id: 'speed-progress' });
  const state = el('span', { class: 'note', text: 'not run yet (takes about 15 s)' });
  c.append(run, progress, state);
  const errors = errorBox(root);
  const chart = new BarChart(root, { title: `Speed-up over plain JS (its median time per call ÷ each one's; median of ${SAMPLES} samples)`,
    xLabel: 'times faster than plain JS, higher is better (plain JS = 1)', height: 430, unit: '×' });
  const tableWrap = el('div', { class: 'table-wrap' });
  root.append(tableWrap);
  note(root, 'These are the implementations the benchmark runs (<code>baselines/</code>) on its deterministic inputs, at smaller shapes: '
    + 'posenc\'s SIMD and scalar builds (the same C++ compiled twice) through the call that writes into a caller\'s <code>out</code> array; '
    + '<b>plain JS</b> as one ports the usual PyTorch code (float32 frequencies, a fresh result per call, the full masked score matrix); '
    + '<b>tuned JS</b> hand-optimised (float64 frequencies hoisted, cached cos/sin tables, preallocated outputs, causal rows that stop at the diagonal). '
    + 'Each is warmed up for 0.3 s first, so the optimised code is timed, not V8\'s baseline compiler. '
    + '<code>npm run bench</code> runs the full set at the full sizes in Node, with tfjs, native posenc and memory-copy ceilings. '
    + 'Numbers vary with the device and the browser; the ratios are the point.');
  chart.draw(['(press Run)'], NAMES.map((name) => ({ name, values: [null] })));

  run.addEventListener('click', async () => {
    run.disabled = true;
    clearError(errors);
    try {
      const impls = [];
      for (const [label, simd] of BUILDS) {
        try { impls.push(variant(await load({ simd }), label, 'out')); } catch (e) { impls.push(null); showError(errors, e); }
      }
      impls.push(plainJs, tunedJs);
      const total = CASES.length * impls.length * (WARM_UNITS + SAMPLES);
      let done = 0;
      const tick = (units) => {
        done += units;
        progress.value = Math.min(1, done / total);
        state.textContent = `running… ${Math.round(100 * progress.value)} %`;
      };
      const results = NAMES.map((name) => ({ name, values: [] }));
      for (const kc of CASES) {
        await nextFrame();
        const cfg = withInputs(kc.op, kc.cfg);
        const runners = impls.map((impl) => {
          try { return impl ? impl[kc.op](cfg) : null; } catch (e) { showError(errors, e); return null; }
        });
        const ms = await timeRunners(runners, tick);
        runners.forEach((r) => r?.free?.());
        ms.forEach((v, i) => results[i].values.push(v));
      }
      const plain = results[2].values;
      chart.draw(CASES.map((k) => k.name), results.map((r) => ({ name: r.name, values: r.values.map((v, i) => (v && plain[i] ? plain[i] / v : null)) })));
      const head = ['workload', ...NAMES, 'SIMD over scalar', 'SIMD over plain JS', 'SIMD over tuned JS'];
      const rows = CASES.map((kc, i) => {
        const [simd, scalar, pjs, tjs] = results.map((r) => r.values[i]);
        const micro = Math.max(...[simd, scalar, pjs, tjs].map((v) => v ?? 0)) < 1;
        return el('tr', {}, el('td', { text: kc.name }), ...[simd, scalar, pjs, tjs].map((v) => el('td', { class: 'num', text: showMs(v, micro) })),
          ...[scalar, pjs, tjs].map((v) => el('td', { class: 'num', text: ratio(v, simd) })));
      });
      tableWrap.replaceChildren(el('table', { id: 'speed-table' },
        el('caption', { text: 'Median time per call in this browser and speed-ups of the SIMD build (other time ÷ SIMD time)' }),
        el('thead', {}, el('tr', {}, ...head.map((t) => el('th', { text: t })))), el('tbody', {}, ...rows)));
      state.textContent = `done (${BUILDS.map(([label], i) => `${label}: ${impls[i] ? (impls[i].pe.features.simd ? 'SIMD build' : 'scalar build') : 'unavailable'}`).join(', ')})`;
      root.dataset.done = '1';
      window.posencDemo.speed = results;
    } catch (e) {
      showError(errors, e);
      state.textContent = 'failed';
    } finally {
      run.disabled = false;
    }
  });
}
