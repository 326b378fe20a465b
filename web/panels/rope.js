// RoPE panel: both layouts, one pair's rotation, q·k versus distance (relativity) for both layouts and
// partial rotary, a mismatched layout/cos-sin cache live, scaled frequencies from a pasted rope_scaling JSON,
// and float32 versus exact angles at large positions.
import { Heatmap } from '../plots/heatmap.js';
import { LinePlot } from '../plots/line-plot.js';
import { Surface, axisLabel } from '../plots/surface.js';
import { fmt } from '../plots/scale.js';
import { controlsRow, el, errorBox, grid, note, num, numberInput, onChange, random, rangeInput, redrawer, selectInput } from '../ui.js';
import { ropeScalingPresets } from './rope-scaling-presets.js';

const range = (n, start = 0) => Int32Array.from({ length: n }, (_, i) => start + i);

// The same head vector at every position: a [1, 1, positions, headDim] tensor.
function repeated(x, count) {
  const data = new Float32Array(count * x.length);
  for (let r = 0; r < count; r++) data.set(x, r * x.length);
  return { data, shape: [1, 1, count, x.length] };
}

const dot = (a, ai, b, bi, n) => { let s = 0; for (let c = 0; c < n; c++) s += a[ai + c] * b[bi + c]; return s; };

// q·k for q at positions m0 … m0+n−1 and k at m0, i.e. versus distance 0 … n−1, with `rotate(tensor, positions)`.
function scoresByDistance(q, k, n, m0, rotate) {
  const D = q.length;
  const rq = rotate(repeated(q, n), range(n, m0)).data, rk = rotate(repeated(k, 1), range(1, m0)).data;
  return Array.from({ length: n }, (_, t) => dot(rq, t * D, rk, 0, D));
}

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// A common mistake, written wrong on purpose: pairs (2j, 2j+1) read cos/sin from a cat(freqs, freqs) cache
// indexed by dimension, so a pair's two members turn by different angles.
function mismatchedRope(x, positions, base) {
  const [, , S, D] = x.shape, half = D / 2, out = new Float32Array(x.data.length);
  for (let s = 0; s < S; s++) for (let j = 0; j < half; j++) {
    const a = 2 * j, b = 2 * j + 1, row = s * D;
    const ta = positions[s] * base ** (-2 * (a % half) / D), tb = positions[s] * base ** (-2 * (b % half) / D);
    const u = x.data[row + a], v = x.data[row + b];
    out[row + a] = u * Math.cos(ta) - v * Math.sin(ta);
    out[row + b] = u * Math.sin(tb) + v * Math.cos(tb);
  }
  return { data: out, shape: x.shape };
}

export function mountRope(root, pe) {
  const c = controlsRow(root);
  const headDim = numberInput(c, 'head dim', { value: 64, min: 2, step: 2, id: 'rope-headdim' });
  const base = numberInput(c, 'base (rope_theta)', { value: 10000, min: 2, step: 1000, id: 'rope-base' });
  const kind = selectInput(c, 'q, k vectors', [['random', 'random (seeded)'], ['ones', 'all ones']], { id: 'rope-kind' });
  const seed = numberInput(c, 'seed', { value: 5, min: 0, id: 'rope-seed' });
  const errors = errorBox(root);
  const vec = (s) => (kind.value === 'ones' ? new Float32Array(num(headDim)).fill(1) : random(s).normals(num(headDim)));

  root.append(el('h3', { text: 'Both layouts side by side' }));
  const lg = grid(root);
  const halfMap = new Heatmap(lg, { title: 'half: pairs (x[j], x[j+d/2]) — GPT-NeoX, HF', xLabel: 'position', yLabel: 'dim', height: 240, valueLabel: 'rotated x' });
  const interMap = new Heatmap(lg, { title: 'interleaved: pairs (x[2j], x[2j+1]) — RoFormer, Meta LLaMA', xLabel: 'position', yLabel: 'dim', height: 240, valueLabel: 'rotated x' });
  note(root, 'The all-ones vector rotated at positions 0…63. In <b>half</b> the fast-turning pairs sit in the first rows of each half; in <b>interleaved</b> they are the first adjacent rows. Both are the same rotation with the dimensions permuted (<code>half(Px) = P·interleaved(x)</code>), which is why Hugging Face\'s LLaMA converter permutes the rows of W_q and W_k.');

  root.append(el('h3', { text: 'One pair\'s rotation as the position moves' }));
  const pc = controlsRow(root);
  const pair = numberInput(pc, 'pair j', { value: 2, min: 0, id: 'rope-pair' });
  const pos = rangeInput(pc, 'position', { value: 12, min: 0, max: 100, id: 'rope-pos' });
  const posText = el('span', { class: 'measure' });
  pc.append(posText);
  const pairSurface = new Surface(root, { height: 300, title: 'pair j of x = e_j rotated by θ = p·ω_j (trail: positions 0 … p)' });

  root.append(el('h3', { text: 'q·k versus distance: relativity in both layouts and with partial rotary' }));
  const rc = controlsRow(root);
  const m0 = numberInput(rc, 'second start position m₀', { value: 1000, min: 0, step: 100, id: 'rope-m0' });
  const dRotPartial = numberInput(rc, 'partial rotary dRot', { value: 32, min: 2, step: 2, id: 'rope-drot' });
  const rg = grid(root);
  const relPlot = new LinePlot(rg, { title: '⟨R(m+Δ)q, R(m)k⟩ at m = 0 (solid) and m = m₀ (dashed)', xLabel: 'distance Δ', yLabel: 'q·k', height: 280 });
  const bugPlot = new LinePlot(rg, { title: 'Mistake: adjacent pairs with a cat(freqs, freqs) cache', xLabel: 'distance Δ', yLabel: 'q·k', height: 280 });
  const relText = note(root, '', 'note stats');

  root.append(el('h3', { text: 'Frequencies before and after a scaling variant (paste a model\'s rope_scaling)' }));
  const presets = el('div', { class: 'presets' });
  root.append(presets);
  const sc = controlsRow(root);
  const sBase = numberInput(sc, 'rope_theta', { value: 500000, min: 2, id: 'rope-s-base' });
  const sMpe = numberInput(sc, 'max_position_embeddings', { value: 131072, min: 1, id: 'rope-s-mpe' });
  const sDrot = numberInput(sc, 'rotary dims', { value: 128, min: 2, step: 2, id: 'rope-s-drot' });
  const sSeq = numberInput(sc, 'seq_len (dynamic, longrope)', { value: 131072, min: 1, id: 'rope-s-seq' });
  const json = el('textarea', { id: 'rope-scaling-json', spellcheck: 'false', 'aria-label': 'rope_scaling JSON' });
  root.append(el('label', { class: 'control', for: 'rope-scaling-json' }, el('span', { text: 'rope_scaling (JSON from config.json; empty or null = default RoPE)' })), json);
  const scaleErrors = errorBox(root);
  const sg = grid(root);
  const freqPlot = new LinePlot(sg, { title: 'Wavelength 2π/inv_freq per pair', xLabel: 'pair j', yLabel: 'positions per turn (log)', yLog: true, height: 280, xInteger: true });
  const ratioPlot = new LinePlot(sg, { title: 'inv_freq scaled ÷ inv_freq default (1 = extrapolate, 1/factor = interpolate)', xLabel: 'pair j', yLabel: 'ratio', height: 280, xInteger: true });
  const scaleText = note(root, '', 'note stats');
  const allPlot = new LinePlot(root, { title: 'Every variant at once, factor 4 from the same model (rope_theta, rotary dims and max_position_embeddings above)', xLabel: 'pair j', yLabel: 'inv_freq scaled ÷ default', height: 280, xInteger: true });
  note(root, 'Linear interpolates every pair alike; dynamic NTK (at seq_len = 4 × max_position_embeddings) changes the base, so fast pairs stay and slow ones shrink smoothly; YaRN and Llama 3 keep the fast pairs exactly, interpolate the slow ones fully and ramp in between — they differ in where the ramp sits.');

  root.append(el('h3', { text: 'Pitfall: float32 angles at large positions' }));
  const fc = controlsRow(root);
  const bigPos = numberInput(fc, 'position p', { value: 1048576, min: 0, max: 2147483647, id: 'rope-bigpos', width: '9em' });
  const farErrors = errorBox(root);
  const farPlot = new LinePlot(root, { title: 'Error of cos/sin(p·ω_j) against float64, d = 64', xLabel: 'pair j', yLabel: 'absolute error (log)', yLog: true, height: 260, markers: true, xInteger: true });
  const farText = note(root, '', 'note stats');

  const rotate = (opts) => (x, positions) => pe.ropeForward(x, { base: num(base), positions, ...opts });

  const drawLayouts = redrawer(errors, () => {
    const D = num(headDim), x = new Float32Array(D).fill(1), P = 64;  // all ones: the pairing shows as stripes
    const opts = { base: num(base), positions: range(P) };
    const h = pe.ropeForward(repeated(x, P), { ...opts, layout: 'half' }), it = pe.ropeForward(repeated(x, P), { ...opts, layout: 'interleaved' });
    const T = (t) => { const o = new Float32Array(D * P); for (let p = 0; p < P; p++) for (let k = 0; k < D; k++) o[k * P + p] = t.data[p * D + k]; return o; };
    halfMap.draw({ data: T(h), rows: D, cols: P });
    interMap.draw({ data: T(it), rows: D, cols: P });
  });

  const drawPair = redrawer(errors, () => {
    const D = num(headDim), j = num(pair), P = num(pos);
    if (!(Number.isInteger(j) && j >= 0 && j < D / 2)) throw Object.assign(new Error(`pair j must be an integer in 0…${D / 2 - 1} (head dim ${D} has ${D / 2} pairs), got ${pair.value}`), { code: 'OUT_OF_RANGE' });
    const x = new Float32Array(D);
    x[j] = 1;  // half layout: pair j is (x[j], x[j + D/2])
    const r = pe.ropeForward(repeated(x, P + 1), { base: num(base), layout: 'half', positions: range(P + 1) });
    const pts = Array.from({ length: P + 1 }, (_, p) => [r.data[p * D + j], r.data[p * D + j + D / 2]]);
    const omega = num(base) ** (-2 * j / D);
    posText.textContent = `p = ${P}, ω_${j} = ${fmt(omega)} rad/position, θ = ${fmt(P * omega)} rad, one turn every ${fmt(2 * Math.PI / omega)} positions`;
    pairSurface.paint((ctx, w, h) => {
      const R = Math.min(w, h) / 2 - 26, cx = w / 2, cy = h / 2;
      ctx.strokeStyle = '#ccc'; ctx.beginPath(); ctx.arc(cx, cy, R, 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(cx - R - 8, cy); ctx.lineTo(cx + R + 8, cy); ctx.moveTo(cx, cy - R - 8); ctx.lineTo(cx, cy + R + 8); ctx.stroke();
      axisLabel(ctx, `x[${j}] (first of the pair)`, cx + R - 30, cy + 12);
      axisLabel(ctx, `x[${j + D / 2}]`, cx + 26, cy - R - 4);
      pts.forEach(([u, v], p) => {
        ctx.fillStyle = `rgba(27,108,168,${0.25 + 0.75 * (p + 1) / pts.length})`;
        ctx.beginPath(); ctx.arc(cx + u * R, cy - v * R, 4.5, 0, 2 * Math.PI); ctx.fill();
      });
      const [u, v] = pts[P];
      ctx.strokeStyle = '#d1495b'; ctx.lineWidth = 3.5;
      ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(cx + u * R, cy - v * R); ctx.stroke();
      ctx.lineWidth = 1; ctx.fillStyle = '#222'; ctx.textAlign = 'left';
      ctx.fillText(`p = ${P}: (${u.toFixed(3)}, ${v.toFixed(3)})`, 8, 14);
    });
    pairSurface.onHover = () => `position ${P}: (${pts[P][0].toFixed(4)}, ${pts[P][1].toFixed(4)})`;
  });

  const drawRelativity = redrawer(errors, () => {
    const q = vec(num(seed)), k = vec(num(seed) + 1), n = 128, M = num(m0), dp = num(dRotPartial);
    const xs = [...Array(n).keys()];
    const variants = [['half', { layout: 'half' }, '#1b6ca8'], ['interleaved', { layout: 'interleaved' }, '#d1495b'], [`half, partial dRot=${dp}`, { layout: 'half', dRot: dp }, '#2a9d55']];
    const series = [], diffs = [];
    for (const [name, opts, colour] of variants) {
      const a = scoresByDistance(q, k, n, 0, rotate(opts)), b = scoresByDistance(q, k, n, M, rotate(opts));
      series.push({ name: `${name}, m = 0`, x: xs, y: a, colour }, { name: `m = ${M}`, x: xs, y: b, colour, dash: [5, 4], width: 3 });
      diffs.push(`${name}: ${fmt(maxDiff(a, b))}`);
    }
    relPlot.draw(series);
    const bug = (x, positions) => mismatchedRope(x, positions, num(base));
    const ba = scoresByDistance(q, k, n, 0, bug), bb = scoresByDistance(q, k, n, M, bug);
    bugPlot.draw([{ name: 'mismatched, m = 0', x: xs, y: ba, colour: '#e8a33d' }, { name: `mismatched, m = ${M}`, x: xs, y: bb, colour: '#7b4fa0', dash: [5, 4] }]);
    relText.innerHTML = `Largest |q·k(m=0) − q·k(m=${M})| over all distances — correct RoPE: ${diffs.join(' · ')} (float32 rounding only: the score depends on Δ alone). ` +
      `<b>Mismatched cache: ${fmt(maxDiff(ba, bb))}</b> — the same distance gives a different score at a different place, and nothing raised an error.`;
    root.dataset.p1Gap = String(maxDiff(ba, bb));
  });

  const drawScaling = redrawer(scaleErrors, () => {
    const text = json.value.trim();
    let scaling = null;
    if (text !== '' && text !== 'null') {
      try { scaling = JSON.parse(text); } catch (e) { throw Object.assign(new Error(`rope_scaling is not valid JSON: ${e.message}`), { code: 'BAD_JSON' }); }
      if (typeof scaling !== 'object' || Array.isArray(scaling)) throw Object.assign(new Error('rope_scaling must be a JSON object such as {"rope_type": "linear", "factor": 4}'), { code: 'BAD_JSON' });
    }
    const opts = { base: num(sBase), maxPositionEmbeddings: num(sMpe), seqLen: num(sSeq) };
    const dr = num(sDrot);
    const plain = pe.ropeParams(dr, { base: opts.base });
    const scaled = pe.ropeParams(dr, { ...opts, scaling });
    const js = [...Array(plain.invFreq.length).keys()];
    const wave = (inv) => Array.from(inv, (f) => 2 * Math.PI / f);
    const type = scaling ? scaling.rope_type ?? scaling.type ?? 'default' : 'default';
    const L0 = scaling?.original_max_position_embeddings ?? opts.maxPositionEmbeddings;
    freqPlot.draw([
      { name: 'default RoPE', x: js, y: wave(plain.invFreq), colour: '#4a4a4a' },
      { name: `${type} (scaled)`, x: js, y: wave(scaled.invFreq), colour: '#d1495b' },
      { name: `original context ${L0}`, x: [0, js.length - 1], y: [L0, L0], colour: '#2a9d55', dash: [4, 4], width: 1.5 },
    ]);
    ratioPlot.draw([{ name: `${type}: scaled ÷ default`, x: js, y: js.map((j) => scaled.invFreq[j] / plain.invFreq[j]), colour: '#1b6ca8' }], { markers: true });
    const how = {
      default: 'Unscaled RoPE.',
      linear: 'Linear (position interpolation) divides every frequency by the factor: positions are squeezed uniformly.',
      dynamic: 'Dynamic NTK raises the base once seq_len exceeds max_position_embeddings: fast pairs barely change, slow pairs are interpolated most.',
      yarn: 'YaRN keeps the pairs that turn many times within the original context (extrapolate), divides the slow ones by the factor (interpolate), and ramps in between.',
      llama3: 'Llama 3 keeps pairs with wavelength below L0/high_freq_factor, divides those above L0/low_freq_factor by the factor, and blends in between.',
      longrope: 'LongRoPE divides each pair by its own searched factor (long_factor once seq_len exceeds the original context, else short_factor).',
    }[type] ?? '';
    scaleText.textContent = `${how} Attention factor a = ${fmt(scaled.attentionFactor)} (q and k are both multiplied by a, so logits scale by a² = ${fmt(scaled.attentionFactor ** 2)}).`;
    root.dataset.scalingType = type;

    const mpe = opts.maxPositionEmbeddings, factor = 4;
    const variants = [
      ['linear', { rope_type: 'linear', factor }, {}],
      ['dynamic', { rope_type: 'dynamic', factor }, { seqLen: factor * mpe }],
      ['yarn', { rope_type: 'yarn', factor, original_max_position_embeddings: mpe }, { maxPositionEmbeddings: factor * mpe }],
      ['llama3', { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: mpe }, {}],
    ];
    allPlot.draw(variants.map(([name, sc, extra]) => {
      const r = pe.ropeParams(dr, { base: opts.base, maxPositionEmbeddings: mpe, scaling: sc, ...extra });
      return { name, x: js, y: js.map((j) => r.invFreq[j] / plain.invFreq[j]) };
    }));
  });

  const drawFarAngles = redrawer(farErrors, () => {
    const p = num(bigPos), D = 64, b = 10000, half = D / 2;
    const x = new Float32Array(D);
    for (let j = 0; j < half; j++) x[2 * j] = 1;  // interleaved: pair j comes back as (cos θ, sin θ)
    const r = pe.ropeForward({ data: x, shape: [1, 1, 1, D] }, { base: b, layout: 'interleaved', positions: Int32Array.of(p) });
    const f32 = [], lib = [], js = [...Array(half).keys()];
    for (let j = 0; j < half; j++) {
      const inv = 1 / b ** (2 * j / D), exact = p * inv;
      const a32 = Math.fround(Math.fround(p) * Math.fround(inv));  // HF: float32 inv_freq times float32 position
      f32.push(Math.max(Math.abs(Math.cos(a32) - Math.cos(exact)), Math.abs(Math.sin(a32) - Math.sin(exact))));
      lib.push(Math.max(Math.abs(r.data[2 * j] - Math.cos(exact)), Math.abs(r.data[2 * j + 1] - Math.sin(exact))));
    }
    const floor = (a) => a.map((v) => Math.max(v, 1e-12));
    farPlot.draw([{ name: 'float32 angle p·ω (as HF computes it)', x: js, y: floor(f32), colour: '#d1495b' }, { name: 'posenc (angle in float64, exact reduction)', x: js, y: floor(lib), colour: '#2a9d55' }]);
    const m32 = Math.max(...f32), mlib = Math.max(...lib);
    farText.textContent = `At p = ${p}: worst error with a float32 angle ${fmt(m32)}, with posenc ${fmt(mlib)} (float32 output rounding is ~6e-8). Errors at or below 1e-12 are drawn at 1e-12.`;
    root.dataset.farAngles = `${m32},${mlib}`;
  });

  for (const preset of ropeScalingPresets) {
    presets.append(el('button', {
      type: 'button', text: preset.label, onclick: () => {
        sBase.value = preset.base; sMpe.value = preset.mpe; sDrot.value = preset.dRot; sSeq.value = preset.seqLen;
        json.value = preset.scaling ? JSON.stringify(preset.scaling, null, 1) : '';
        drawScaling.schedule();
      },
    }));
  }
  const llama = ropeScalingPresets.find((p) => p.scaling?.rope_type === 'llama3');
  json.value = JSON.stringify(llama.scaling, null, 1);

  onChange([headDim, base, kind, seed], () => { drawLayouts.schedule(); drawPair.schedule(); drawRelativity.schedule(); });
  onChange([pair, pos], drawPair.schedule);
  onChange([m0, dRotPartial], drawRelativity.schedule);
  onChange([json, sBase, sMpe, sDrot, sSeq], drawScaling.schedule);
  onChange([bigPos], drawFarAngles.schedule);
  for (const f of [drawLayouts, drawPair, drawRelativity, drawScaling, drawFarAngles]) f();
}
