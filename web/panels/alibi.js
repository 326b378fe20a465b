// ALiBi panel: slopes for any head count, the bias per head in the three modes on one shared colour scale
// (so heads with different slopes look different), the e^(−m·d) decay each slope puts on the weights, and
// a live check that the key-only form gives the same attention as the causal form.
import { Heatmap } from '../plots/heatmap.js';
import { LinePlot } from '../plots/line-plot.js';
import { fmt } from '../plots/scale.js';
import { controlsRow, el, errorBox, grid, note, num, numberInput, onChange, random, redrawer, selectInput } from '../ui.js';

const log2 = (v) => Math.log2(v);

export function mountAlibi(root, pe) {
  const c = controlsRow(root);
  const heads = numberInput(c, 'heads (any count)', { value: 12, min: 1, id: 'alibi-heads' });
  const qLen = numberInput(c, 'query length', { value: 10, min: 1, id: 'alibi-qlen' });
  const kLen = numberInput(c, 'key length', { value: 10, min: 1, id: 'alibi-klen' });
  const mode = selectInput(c, 'mode', [['causal', 'causal: −m·(i−j)'], ['symmetric', 'symmetric: −m·|i−j|'], ['key_only', 'key_only: +m·j (BLOOM)']], { id: 'alibi-mode' });
  const errors = errorBox(root);
  const slopesPlot = new LinePlot(root, { title: 'Slope m_h per head (log scale)', xLabel: 'head h', yLabel: 'slope m_h', yLog: true, height: 220, markers: true, xInteger: true });
  const slopesText = note(root, '', 'note stats');
  const decayPlot = new LinePlot(root, { title: 'e^(−m_h·d) per head: the factor the bias puts on a key d positions back (before the softmax renormalises the row)', xLabel: 'distance d', yLabel: 'e^(−m_h·d)', height: 240, yMin: 0, yMax: 1 });
  const biasGrid = grid(root, 'grid small');
  const biasText = note(root, '', 'note stats');
  note(root, 'Each map is one head\'s bias added to the scaled scores (not divided by √d); all maps share one colour scale, so a steep head is dark blue a few keys back while a shallow head stays pale. Steep heads look only at nearby keys; shallow heads see far. With key length > query length the queries sit at the last positions (KV-cache decoding). In causal mode the bias −m·(i−j) would be <i>positive</i> for future keys (j > i); the causal mask removes them, so they are drawn grey.');

  root.append(el('h3', { text: 'Why key_only gives the same attention' }));
  const kc = controlsRow(root);
  const head = numberInput(kc, 'head', { value: 0, min: 0, id: 'alibi-head' });
  const kErrors = errorBox(root);
  const kg = grid(root);
  const deltaMap = new Heatmap(kg, { title: 'key_only bias − causal bias = m_h·i (same along each row)', xLabel: 'key j', yLabel: 'query i', height: 220, colour: 'sequential', valueLabel: 'difference' });
  const causalMap = new Heatmap(kg, { title: 'attention with the causal bias (+ causal mask)', xLabel: 'key j', yLabel: 'query i', height: 220, colour: 'sequential', min: 0, max: 1, valueLabel: 'weight' });
  const keyMap = new Heatmap(kg, { title: 'attention with the key_only bias (+ causal mask)', xLabel: 'key j', yLabel: 'query i', height: 220, colour: 'sequential', min: 0, max: 1, valueLabel: 'weight' });
  const kText = note(root, '', 'note stats');
  let maps = [];

  const draw = redrawer(errors, () => {
    const n = num(heads), Q = num(qLen), K = num(kLen);
    const slopes = pe.alibiSlopes(n);
    const hs = [...slopes.keys()];
    slopesPlot.draw([{ name: `${n} heads`, x: hs, y: Array.from(slopes) }]);
    const c0 = 2 ** Math.floor(Math.log2(n));
    slopesText.innerHTML = `m = [${Array.from(slopes.slice(0, 24), (m) => `2^${fmt(log2(m))}`).join(', ')}${n > 24 ? ', …' : ''}]` +
      (c0 === n ? ` — a power of two: m_h = 2^(−8(h+1)/${n}).` : ` — ${n} is not a power of two: the first ${c0} slopes are the ${c0}-head list, the other ${n - c0} are every other slope of the ${2 * c0}-head list, so the list is deliberately not monotonic — sorting it breaks parity with trained checkpoints.`);
    const bias = pe.alibiBias(n, Q, K, { mode: mode.value });
    const shownBias = Float32Array.from(bias.data);
    if (mode.value === 'causal') {  // future keys are removed by the causal mask: draw them grey
      for (let h = 0; h < n; h++) for (let i = 0; i < Q; i++) for (let j = K - Q + i + 1; j < K; j++) shownBias[(h * Q + i) * K + j] = -Infinity;
    }
    const shown = Math.min(n, 16);
    if (maps.length !== shown) {
      biasGrid.replaceChildren();
      maps = Array.from({ length: shown }, () => new Heatmap(biasGrid, { xLabel: 'key j', yLabel: 'query i', height: 190, valueLabel: 'bias' }));
    }
    // One colour scale for every head, symmetric about 0 over the values the maps show.
    let extent = 0;
    for (let t = 0; t < shown * Q * K; t++) if (Number.isFinite(shownBias[t])) extent = Math.max(extent, Math.abs(shownBias[t]));
    extent ||= 1;
    maps.forEach((m, h) => {
      m.surface.wrap.querySelector('figcaption')?.remove();
      m.surface.wrap.prepend(el('figcaption', { text: `head ${h}: m = ${fmt(slopes[h])}` }));
      m.draw({ data: shownBias.subarray(h * Q * K, (h + 1) * Q * K), rows: Q, cols: K, min: -extent, max: extent });
    });
    biasText.textContent = `All ${shown} maps share the colour scale −${fmt(extent)} … +${fmt(extent)}${n > shown ? ` (the first ${shown} of ${n} heads are drawn)` : ''}.`;
    const far = Math.max(Q, K), ds = Array.from({ length: far }, (_, d) => d);
    decayPlot.draw(Array.from({ length: shown }, (_, h) => ({ name: `head ${h}`, x: ds, y: ds.map((d) => Math.exp(-slopes[h] * d)), dash: h >= 8 ? [6, 3] : undefined })));
    root.dataset.biasScale = String(extent);
    root.dataset.heads = String(n);
  });

  const drawKeyOnly = redrawer(kErrors, () => {
    const n = num(heads), h = num(head), L = num(qLen), D = 16;
    if (!(Number.isInteger(h) && h >= 0 && h < n)) throw Object.assign(new Error(`head must be an integer in 0…${n - 1}, got ${head.value}`), { code: 'OUT_OF_RANGE' });
    const r = random(21), shape = [1, n, L, D];
    const q = { data: r.normals(n * L * D), shape }, k = { data: r.normals(n * L * D), shape }, v = { data: r.normals(n * L * D), shape };
    const run = (alibi, causal) => pe.sdpa(q, k, v, { alibi, causal, returnProbs: true }).probs.data;
    const pc = run('causal', true), pk = run('key_only', true), ps = run('symmetric', false), pn = run('key_only', false);
    const sub = (a) => a.subarray(h * L * L, (h + 1) * L * L);
    const bc = pe.alibiBias(n, L, L, { mode: 'causal' }).data, bk = pe.alibiBias(n, L, L, { mode: 'key_only' }).data;
    const delta = new Float32Array(L * L);
    for (let t = 0; t < L * L; t++) delta[t] = bk[h * L * L + t] - bc[h * L * L + t];
    deltaMap.draw({ data: delta, rows: L, cols: L });
    causalMap.draw({ data: sub(pc), rows: L, cols: L });
    keyMap.draw({ data: sub(pk), rows: L, cols: L });
    const diff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    kText.innerHTML = `Measured over all ${n} heads: max |p(causal) − p(key_only)| with the causal mask = <b>${fmt(diff(pc, pk))}</b> (rounding only). ` +
      `Softmax ignores a constant added to a whole row, and key_only − causal = m_h·i is constant along row i. Without the mask, key_only is <i>not</i> the symmetric encoder form: max |p(symmetric) − p(key_only)| = <b>${fmt(diff(ps, pn))}</b>. ` +
      'Key-only is only valid where the bias goes straight into a softmax.';
    root.dataset.keyOnlyGap = String(diff(pc, pk));
  });

  onChange([heads, qLen, kLen, mode], () => { draw.schedule(); drawKeyOnly.schedule(); });
  onChange([head], drawKeyOnly.schedule);
  draw();
  drawKeyOnly();
}
