// Sinusoidal panel: the table over any position range, the per-pair frequencies, the position
// similarity matrix, and dropout in train vs eval mode on a toy embedding.
import { Heatmap } from '../plots/heatmap.js';
import { LinePlot } from '../plots/line-plot.js';
import { checkbox, controlsRow, el, errorBox, grid, note, num, numberInput, onChange, random, redrawer } from '../ui.js';

const MAX_SHOWN = 16384;

export function mountSinusoidal(root, pe) {
  const c = controlsRow(root);
  const d = numberInput(c, 'd (even)', { value: 64, min: 2, max: 1024, step: 2, id: 'sin-d' });
  const base = numberInput(c, 'base', { value: 10000, min: 2, step: 1000, id: 'sin-base' });
  const start = numberInput(c, 'first position', { value: 0, min: 0, step: 100, id: 'sin-start' });
  const count = numberInput(c, 'positions shown (zoom)', { value: 128, min: 2, max: MAX_SHOWN, id: 'sin-count' });
  const zoomOut = el('button', { type: 'button', text: 'zoom out ×4', id: 'sin-zoomout' });
  c.append(zoomOut);
  const errors = errorBox(root);
  const g = grid(root);
  const table = new Heatmap(g, { title: 'PE[position, dim]: even dims sin, odd dims cos', xLabel: 'position', yLabel: 'dim', height: 260, valueLabel: 'PE' });
  const freqs = new LinePlot(g, { title: 'Per-pair frequency ω_i = base^(−2i/d) and wavelength 2π/ω_i', xLabel: 'pair i', yLabel: 'log scale', yLog: true, height: 260, markers: true, xInteger: true });
  const similarity = new Heatmap(g, { title: 'Similarity PE[p]·PE[q] (depends only on p − q)', xLabel: 'position q', yLabel: 'position p', height: 280, colour: 'sequential', valueLabel: 'dot product' });
  const simLine = new LinePlot(g, { title: 'PE[p]·PE[p+k] versus distance k (same for every p)', xLabel: 'distance k', yLabel: 'dot product', height: 280 });
  note(root, 'Drag across the table to zoom into a range of positions; double-click or “zoom out” to widen. Hover any plot to read values. Zoom the table out to thousands of positions: the first pairs oscillate fast, the last ones barely move, so every position gets a distinct pattern, and the formula covers any position (try a first position of 1 000 000).');

  const dc = controlsRow(root);
  const p = numberInput(dc, 'dropout p', { value: 0.1, min: 0, max: 1, step: 0.05, id: 'sin-p' });
  const seed = numberInput(dc, 'seed', { value: 1, min: 0, step: 1, id: 'sin-seed' });
  const train = checkbox(dc, 'train mode', { checked: true, id: 'sin-train' });
  const dg = grid(root);
  const evalMap = new Heatmap(dg, { title: 'x + PE, eval mode: dropout is the identity', xLabel: 'dim', yLabel: 'token', height: 220 });
  const trainMap = new Heatmap(dg, { title: 'x + PE, train mode: zeros, survivors × 1/(1−p)', xLabel: 'dim', yLabel: 'token', height: 220 });
  const stats = note(root, '', 'note stats');
  const dropoutErrors = errorBox(root);

  const draw = redrawer(errors, () => {
    const D = num(d), n = num(count), s0 = num(start), b = num(base);
    if (!(Number.isInteger(n) && n >= 2 && n <= MAX_SHOWN)) throw Object.assign(new Error(`positions shown must be an integer in 2…${MAX_SHOWN}, got ${count.value}`), { code: 'BAD_SIZE' });
    const t = pe.sinusoidalTable(s0 + n, D, { base: b, start: s0, count: n });
    const T = new Float32Array(D * n);  // dims as rows, positions as columns
    for (let r = 0; r < n; r++) for (let k = 0; k < D; k++) T[k * n + r] = t.data[r * D + k];
    table.draw({ data: T, rows: D, cols: n, xTick: (i) => s0 + i, min: -1, max: 1 });

    const pairs = [...Array(D / 2).keys()];
    const omega = pairs.map((i) => b ** (-2 * i / D));
    freqs.draw([{ name: 'ω_i (radians per position)', x: pairs, y: omega }, { name: 'wavelength 2π/ω_i (positions)', x: pairs, y: omega.map((w) => 2 * Math.PI / w) }]);

    const m = Math.min(n, 96), S = new Float32Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let k = 0; k < D; k++) acc += t.data[i * D + k] * t.data[j * D + k];
      S[i * m + j] = acc;
    }
    similarity.draw({ data: S, rows: m, cols: m, xTick: (i) => s0 + i, yTick: (i) => s0 + i });
    const ks = [...Array(m).keys()];
    simLine.draw([{ name: `p = ${s0}`, x: ks, y: ks.map((k) => S[k]) }]);
  });

  const drawDropout = redrawer(dropoutErrors, () => {
    const D = num(d), seq = 12, rand = random(7);
    const x = { data: rand.normals(seq * D, 0.3), shape: [1, seq, D] };
    const opts = { maxLen: 5000, p: num(p), seed: num(seed) };
    const ev = pe.sinusoidalForward(x, { ...opts, train: false });
    const tr = pe.sinusoidalForward(x, { ...opts, train: train.checked });
    let r = 0;
    for (const a of [ev.data, tr.data]) for (const v of a) r = Math.max(r, Math.abs(v));
    evalMap.draw({ data: ev.data, rows: seq, cols: D, min: -r, max: r });
    trainMap.draw({ data: tr.data, rows: seq, cols: D, min: -r, max: r });
    let zeros = 0;
    for (const v of tr.data) if (v === 0) zeros++;
    const kept = tr.data.findIndex((v) => v !== 0);
    const ratio = kept >= 0 ? tr.data[kept] / ev.data[kept] : NaN;
    stats.textContent = train.checked
      ? `Train mode: ${zeros} of ${tr.data.length} values dropped (${(100 * zeros / tr.data.length).toFixed(1)} %, p = ${num(p)}); survivors scaled by ${ratio.toFixed(4)} = 1/(1−p), so the expected value is unchanged.`
      : 'Eval mode: the output equals x + PE exactly; dropout only acts while training.';
  });

  // Drag-to-zoom on the table: the dragged columns become the shown positions.
  const band = el('div', { class: 'zoom-band', hidden: true });
  table.surface.wrap.append(band);
  let drag = null;
  const colAt = (e) => {
    const r = table.canvas.getBoundingClientRect(), b = table.box;
    return Math.min(1, Math.max(0, (e.clientX - r.left - b.left) / b.pw));
  };
  table.canvas.addEventListener('pointerdown', (e) => {
    if (!table.box || e.button !== 0) return;
    drag = { from: colAt(e), x: e.clientX };
    table.canvas.setPointerCapture(e.pointerId);
  });
  table.canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const r = table.canvas.getBoundingClientRect(), w = table.surface.wrap.getBoundingClientRect();
    Object.assign(band.style, { left: `${Math.min(drag.x, e.clientX) - w.left}px`, width: `${Math.abs(e.clientX - drag.x)}px`, top: `${r.top - w.top + table.box.top}px`, height: `${table.box.ph}px` });
    band.hidden = false;
  });
  table.canvas.addEventListener('pointerup', (e) => {
    if (!drag) return;
    const a = Math.min(drag.from, colAt(e)), b = Math.max(drag.from, colAt(e));
    drag = null;
    band.hidden = true;
    const n = num(count), s0 = num(start);
    if ((b - a) * n < 2 || Math.abs(b - a) < 0.01) return;  // a click, not a drag
    start.value = Math.round(s0 + a * n);
    count.value = Math.max(2, Math.round((b - a) * n));
    draw.schedule();
  });
  const widen = () => {
    const n = num(count), s0 = num(start), n2 = Math.min(MAX_SHOWN, n * 4);
    start.value = Math.max(0, Math.round(s0 + n / 2 - n2 / 2));
    count.value = n2;
    draw.schedule();
  };
  table.canvas.addEventListener('dblclick', widen);
  zoomOut.addEventListener('click', widen);

  onChange([d, base, start, count], () => { draw.schedule(); drawDropout.schedule(); });
  onChange([p, seed, train], drawDropout.schedule);
  draw();
  drawDropout();
}
