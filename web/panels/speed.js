// Speed panel: times the main kernels in this browser — SIMD wasm, scalar wasm (load({ simd: false }))
// and plain JavaScript — in small chunks between animation frames so the page stays responsive.
import { alibiBiasJs, ropeForwardJs, sdpaJs, sinusoidalTableJs } from '../baselines.js';
import { BarChart } from '../plots/bar-chart.js';
import { fmt } from '../plots/scale.js';
import { controlsRow, el, errorBox, nextFrame, note, random, showError, clearError } from '../ui.js';

// Each case: the posenc call and the plain-JS call on the same data, writing into preallocated output.
function makeCases() {
  const r = random(99);
  const rope = { heads: 8, seq: 512, d: 128 };
  const ropeX = { data: r.normals(rope.heads * rope.seq * rope.d), shape: [1, rope.heads, rope.seq, rope.d] };
  const att = { heads: 4, n: 256, d: 64 };
  const shape = [1, att.heads, att.n, att.d];
  const [q, k, v] = [0, 1, 2].map(() => ({ data: r.normals(att.heads * att.n * att.d), shape }));
  const buf = (n) => new Float32Array(n);
  return [
    { name: 'sinusoidalTable 2048×256', size: 2048 * 256, wasm: (pe, out) => pe.sinusoidalTable(2048, 256, { out }), js: (out) => sinusoidalTableJs(out, 2048, 256), out: buf(2048 * 256) },
    { name: 'ropeForward 8×512×128', size: ropeX.data.length, wasm: (pe, out) => pe.ropeForward(ropeX, { out }), js: (out) => ropeForwardJs(out, ropeX.data, rope.heads, rope.seq, rope.d), out: buf(ropeX.data.length) },
    { name: 'alibiBias 16×512×512', size: 16 * 512 * 512, wasm: (pe, out) => pe.alibiBias(16, 512, 512, { out }), js: (out, slopes) => alibiBiasJs(out, slopes, 512, 512), out: buf(16 * 512 * 512) },
    { name: 'sdpa causal 4×256×64', size: q.data.length, wasm: (pe, out) => pe.sdpa(q, k, v, { causal: true, out }), js: (out) => sdpaJs(out, q.data, k.data, v.data, att.heads, att.n, att.d), out: buf(q.data.length) },
  ];
}

// Median milliseconds per call; each sample repeats the call until it spans ≥ 15 ms.
async function time(fn, samples, onSample) {
  fn(); fn();
  let reps = 1;
  for (;;) { const t0 = performance.now(); for (let i = 0; i < reps; i++) fn(); if (performance.now() - t0 >= 15 || reps >= 256) break; reps *= 2; }
  const ms = [];
  for (let s = 0; s < samples; s++) {
    await nextFrame();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    ms.push((performance.now() - t0) / reps);
    onSample();
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

export function mountSpeed(root, pe, load) {
  const c = controlsRow(root);
  const run = el('button', { type: 'button', class: 'primary', id: 'speed-run', text: 'Run the benchmark' });
  const progress = el('progress', { class: 'progress', max: 1, value: 0, id: 'speed-progress' });
  const state = el('span', { class: 'note', text: 'not run yet (takes about 10 s)' });
  c.append(run, progress, state);
  const errors = errorBox(root);
  const chart = new BarChart(root, { title: 'Milliseconds per call (median of 7 samples)', xLabel: 'ms per call, lower is better', height: 280, unit: 'ms' });
  const tableWrap = el('div', { class: 'table-wrap' });
  root.append(tableWrap);
  note(root, 'SIMD and scalar builds are the same C++ compiled twice; the plain-JS versions are what you would write by hand. Numbers vary with the device and the browser; the ratios are the point. sin/cos-heavy kernels gain most from SIMD; memory-bound ones (ALiBi writes 4M floats) gain least.');
  chart.draw(['(press Run)'], [{ name: 'SIMD wasm', values: [null] }, { name: 'scalar wasm', values: [null] }, { name: 'plain JS', values: [null] }]);

  run.addEventListener('click', async () => {
    run.disabled = true;
    clearError(errors);
    try {
      const builds = [];
      for (const [label, simd] of [['SIMD wasm', true], ['scalar wasm', false]]) {
        try { builds.push([label, await load({ simd })]); } catch (e) { builds.push([label, null]); showError(errors, e); }
      }
      const cases = makeCases(), samples = 7, total = cases.length * (builds.length + 1) * samples;
      let done = 0;
      const tick = () => { progress.value = ++done / total; state.textContent = `running… ${Math.round(100 * done / total)} %`; };
      const results = builds.map(([name]) => ({ name, values: [] })).concat([{ name: 'plain JS', values: [] }]);
      const slopes = pe.alibiSlopes(16);
      for (const kc of cases) {
        builds.forEach(([, b], i) => { results[i].pending = b ? () => kc.wasm(b, kc.out) : null; });
        for (const res of results.slice(0, builds.length)) res.values.push(res.pending ? await time(res.pending, samples, tick) : null);
        results[builds.length].values.push(await time(() => kc.js(kc.out, slopes), samples, tick));
      }
      chart.draw(cases.map((k) => k.name), results);
      const rows = cases.map((kc, i) => {
        const [s, sc, js] = results.map((r) => r.values[i]);
        return el('tr', {}, el('td', { text: kc.name }), ...[s, sc, js].map((v) => el('td', { text: v ? `${fmt(v)} ms` : '–' })),
          el('td', { text: s && sc ? `${(sc / s).toFixed(2)}×` : '–' }), el('td', { text: s && js ? `${(js / s).toFixed(2)}×` : '–' }));
      });
      tableWrap.replaceChildren(el('table', {}, el('thead', {}, el('tr', {}, ...['kernel', 'SIMD wasm', 'scalar wasm', 'plain JS', 'SIMD speed-up over scalar', 'SIMD speed-up over JS'].map((t) => el('th', { text: t })))), el('tbody', {}, ...rows)));
      state.textContent = `done (${builds.map(([n, b]) => `${n}: ${b ? (b.features.simd ? 'SIMD build' : 'scalar build') : 'unavailable'}`).join(', ')})`;
      root.dataset.done = '1';
      window.posencDemo.speed = results.map((r) => ({ name: r.name, values: r.values }));
    } catch (e) {
      showError(errors, e);
      state.textContent = 'failed';
    } finally {
      run.disabled = false;
    }
  });
}
