// Tiny attention: text → tokens → seeded embeddings and projections → multi-head attention with the chosen
// positional encoding and the options of current models (kv heads, sliding window, chunks, sinks, left
// padding), each head's weights drawn live with the keys an option hides in grey. Or, once the Train panel has
// trained models, their own maps ("trained" weights). The computed weights are published on
// window.posencDemo.attention for the browser tests.
import { measured, onMeasured } from '../measured.js';
import { Heatmap } from '../plots/heatmap.js';
import { checkbox, controlsRow, el, errorBox, grid, hashString, note, num, numberInput, onChange, random, redrawer, selectInput } from '../ui.js';
import { trainedControls } from './trained-maps.js';

const ENCODINGS = [
  ['none', 'none (no position information)'], ['sinusoidal', 'sinusoidal (added)'], ['learned', 'learned table (added)'],
  ['rope-half', 'RoPE, half layout'], ['rope-interleaved', 'RoPE, interleaved layout'], ['alibi', 'ALiBi'], ['t5', 'T5 buckets'], ['xpos', 'xPos'],
];

function tokenize(text, mode) {
  return mode === 'chars' ? [...text].filter((ch) => ch !== '\n') : text.split(/\s+/).filter(Boolean);
}

// y = x·W for x [n, d] and W [d, heads·hd] (row-major), then split into heads: [1, heads, n, hd].
function projectHeads(x, W, n, d, heads, hd = d / heads) {
  const width = heads * hd, out = new Float32Array(n * width);
  for (let t = 0; t < n; t++) for (let o = 0; o < width; o++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[t * d + i] * W[i * width + o];
    out[(Math.floor(o / hd) * n + t) * hd + (o % hd)] = s;
  }
  return { data: out, shape: [1, heads, n, hd] };
}

export function mountAttention(root, pe) {
  const w = controlsRow(root);
  const weights = selectInput(w, 'weights', [['random', 'random (seeded)']], { id: 'attn-weights' });
  const trainedStatus = el('span', { class: 'note', id: 'attn-trained-status' });
  w.append(trainedStatus);
  const trained = trainedControls(root);
  const randomBox = el('div');
  root.append(randomBox);
  const text = el('input', { type: 'text', id: 'attn-text', value: 'the cat sat on the mat because the mat was warm', 'aria-label': 'text' });
  text.style.width = '100%';
  randomBox.append(el('label', { class: 'control' }, el('span', { text: 'text (edit it: the maps update as you type)' }), text));
  const c = controlsRow(randomBox);
  const split = selectInput(c, 'tokens', [['words', 'words'], ['chars', 'characters']], { id: 'attn-split' });
  const encoding = selectInput(c, 'positional encoding', ENCODINGS, { value: 'rope-half', id: 'attn-encoding' });
  const causal = checkbox(c, 'causal', { checked: true, id: 'attn-causal' });
  const heads = selectInput(c, 'heads', ['1', '2', '4', '8'], { value: '4', id: 'attn-heads' });
  const dModel = selectInput(c, 'model width', ['16', '32', '64'], { value: '32', id: 'attn-dmodel' });
  const tableLen = numberInput(c, 'learned table length', { value: 16, min: 1, id: 'attn-tablelen' });
  const seed = numberInput(c, 'seed', { value: 1, min: 0, id: 'attn-seed' });
  const m = controlsRow(randomBox);
  const kvHeads = selectInput(m, 'kv heads (GQA)', [['same', '= heads'], '1', '2', '4'], { value: 'same', id: 'attn-kvheads' });
  const windowSize = numberInput(m, 'sliding window (0: off)', { value: 0, min: 0, id: 'attn-window' });
  const chunkSize = numberInput(m, 'chunk size (0: off)', { value: 0, min: 0, id: 'attn-chunk' });
  const sinks = checkbox(m, 'sink logit per head', { checked: false, id: 'attn-sinks' });
  const padding = numberInput(m, 'left padding tokens', { value: 0, min: 0, id: 'attn-padding' });
  const errors = errorBox(root);
  const info = note(root, '', 'note stats');
  const maps = grid(root, 'grid');
  const randomNotes = el('div'), trainedNotes = el('div');
  root.append(randomNotes, trainedNotes);
  note(trainedNotes, 'A trained model\'s weights on one sample of its task (rows: queries, columns: keys; grey: later keys, which the causal model cannot see). '
    + 'On the copy task the token to predict after query position t (in the copy) is the one at t − ℓ for a sample of length ℓ, so a model that has learned the task usually has a head '
    + 'whose weight sits on a stripe ℓ columns left of the diagonal, starting at the separator "|" (the induction or copy pattern). At the longer length, see whether '
    + 'that stripe moves to ℓ columns from the diagonal, stays at the training length\'s offset (the model learned "look L back" rather than "copy"), '
    + 'or falls apart past the dashed line, encoding by encoding.');
  note(randomNotes, 'Grey cells are keys the options hide from a query: the causal mask, a <b>sliding window</b> (Mistral, Gemma 2: each query sees the last W positions), <b>chunks</b> (Llama 4: only keys of the query\'s own chunk, counted from the first real token), <b>left padding</b> (the first tokens are padding: no query sees them, and a padding query that sees nothing gets a zero row). A <b>sink</b> (GPT-OSS) takes part of every row\'s weight without showing a key, so rows sum to less than 1. With fewer <b>kv heads</b> (Llama 3, Mistral) neighbouring heads share keys and values, so their maps look alike.');
  note(randomNotes, 'Try: <b>none</b> with causal off makes repeated words attend identically wherever they are (attention without positions is permutation-equivariant); <b>ALiBi</b> pulls weight onto nearby keys; the <b>learned</b> table only covers its length, so a longer text is refused with BAD_POSITION instead of silently reading garbage; RoPE\'s two layouts give different maps for the same weights (checkpoints are tied to one layout).');
  let plots = [], plotsKey = '';
  // The heat maps, made again only when their titles change.
  const heatmaps = (titles) => {
    if (titles.join('|') !== plotsKey) {
      maps.replaceChildren();
      plots = titles.map((title) => new Heatmap(maps, { title, xLabel: 'key', yLabel: 'query', colour: 'sequential', height: 300, min: 0, max: 1, valueLabel: 'attention weight' }));
      plotsKey = titles.join('|');
    }
    return plots;
  };

  function drawTrained(scheme) {
    const t = measured.maps.get(scheme);
    const v = trained.view(t);
    heatmaps(v.heads.map((h) => `layer ${v.layer}, head ${h}`)).forEach((p, i) => p.draw({ data: v.matrices[i], rows: v.n, cols: v.n, ...v.axes, guides: v.guides }));
    info.textContent = v.info;
    window.posencDemo.attention = { mode: 'trained', scheme, length: v.length, layer: v.layer, heads: v.heads.length, n: v.n, causal: true,
      probs: v.matrices.flatMap((a) => Array.from(a, (p) => (Number.isNaN(p) ? 0 : p))) };
    root.dataset.version = String(Number(root.dataset.version ?? 0) + 1);
  }

  const draw = redrawer(errors, () => {
    const mode = weights.value;
    randomBox.hidden = randomNotes.hidden = mode !== 'random';
    trained.row.hidden = trainedNotes.hidden = mode === 'random';
    if (mode !== 'random') return drawTrained(mode.slice('trained:'.length));
    const tokens = tokenize(text.value, split.value);
    const n = tokens.length, d = Number(dModel.value), H = Number(heads.value), hd = d / H, s = num(seed);
    if (n === 0) throw Object.assign(new Error('type at least one token'), { code: 'BAD_SIZE' });
    if (n > 256) throw Object.assign(new Error(`at most 256 tokens in this demo, got ${n}`), { code: 'BAD_SIZE' });
    const emb = new Float32Array(n * d);
    tokens.forEach((tok, t) => emb.set(random(hashString(tok) ^ s).normals(d), t * d));
    let x = { data: emb, shape: [1, n, d] };
    const enc = encoding.value;
    if (enc === 'sinusoidal') x = pe.sinusoidalForward(x, { p: 0 });
    if (enc === 'learned') {
      const L = num(tableLen);
      x = pe.learnedForward(x, { data: random(s + 77).normals(Math.max(1, L | 0) * d), shape: [L, d] });
    }
    const r = random(s * 7919 + 13), w = 1.6 / Math.sqrt(d);
    const Hkv = kvHeads.value === 'same' ? H : Number(kvHeads.value);
    let q = projectHeads(x.data, r.normals(d * d, w), n, d, H);
    let k = projectHeads(x.data, r.normals(d * Hkv * hd, w), n, d, Hkv, hd);
    const v = projectHeads(x.data, r.normals(d * Hkv * hd, w), n, d, Hkv, hd);
    const opts = { causal: causal.checked, returnProbs: true };
    const masks = {};
    if (num(windowSize) > 0) masks.window = num(windowSize);
    if (num(chunkSize) > 0) masks.chunkSize = num(chunkSize);
    const padded = Math.min(Math.max(0, num(padding) | 0), n);
    if (padded > 0) masks.keyPadding = Uint8Array.from({ length: n }, (_, j) => (j < padded ? 0 : 1));
    Object.assign(opts, masks);
    if (sinks.checked) opts.sinks = new Float32Array(H).fill(1);
    if (enc === 'rope-half' || enc === 'rope-interleaved') {
      const layout = enc === 'rope-half' ? 'half' : 'interleaved';
      q = pe.ropeForward(q, { layout }); k = pe.ropeForward(k, { layout });
    } else if (enc === 'xpos') {
      q = pe.xposApply(q, { role: 'q' }); k = pe.xposApply(k, { role: 'k' });
    } else if (enc === 'alibi') {
      opts.alibi = causal.checked ? 'causal' : 'symmetric';
    } else if (enc === 't5') {
      const table = { data: r.normals(32 * H, 1.5), shape: [32, H] };
      opts.bias = pe.t5Bias(table, { numHeads: H, qLen: n, kLen: n, bidirectional: !causal.checked });
    }
    const probs = pe.sdpa(q, k, v, opts).probs.data;
    // Which keys each query may see: equal scores (zero q and k) under the same masks give a positive
    // weight exactly where a key is visible.
    const zq = { data: new Float32Array(q.data.length), shape: q.shape }, zk = { data: new Float32Array(k.data.length), shape: k.shape };
    const visible = pe.sdpa(zq, zk, zk, { ...masks, causal: causal.checked, returnProbs: true }).probs.data;
    const shown = probs.map((p, i) => (visible[i] > 0 ? p : NaN));

    heatmaps(Array.from({ length: H }, (_, h) => `head ${h}`));
    const labels = tokens.map((tok, i) => `${i}:${tok}`);
    plots.forEach((p, h) => p.draw({ data: shown.subarray(h * n * n, (h + 1) * n * n), rows: n, cols: n, xLabels: labels, yLabels: labels }));
    const extras = [Hkv !== H && `${Hkv} kv heads`, masks.window && `window ${masks.window}`, masks.chunkSize && `chunks of ${masks.chunkSize}`,
      padded && `${padded} padding tokens`, sinks.checked && 'a sink per head'].filter(Boolean);
    info.textContent = `${n} tokens, ${H} heads of ${hd} dims, ${causal.checked || masks.window ? 'causal (each query sees itself and earlier keys)' : 'bidirectional'}, encoding: ${ENCODINGS.find(([k2]) => k2 === enc)[1]}${extras.length ? `; ${extras.join(', ')}` : ''}.`;
    window.posencDemo.attention = { mode: 'random', tokens, heads: H, kvHeads: Hkv, n, causal: causal.checked, encoding: enc, ...masks, keyPadding: undefined, padded,
      sinks: sinks.checked, probs: Array.from(probs) };
    root.dataset.version = String(Number(root.dataset.version ?? 0) + 1);
  });

  // Trained models arrive from the Train panel one by one; a new run clears them.
  const syncTrained = () => {
    const keep = weights.value, schemes = [...measured.maps.keys()];
    weights.replaceChildren(...[['random', 'random (seeded)'], ...schemes.map((s) => [`trained:${s}`, `trained: ${s}`])].map(([value, t]) => el('option', { value, text: t })));
    weights.value = [...weights.options].some((o) => o.value === keep) ? keep : 'random';
    if (weights.value !== 'random') trained.sync(measured.maps.get(weights.value.slice('trained:'.length)));
    trainedStatus.innerHTML = schemes.length ? `${schemes.length} trained model${schemes.length > 1 ? 's' : ''} from the <a href="#train">Train panel</a>`
      : 'Train models in the <a href="#train">Train panel</a> to see their own maps here.';
    weights.dataset.trained = String(schemes.length);
  };
  onMeasured(() => { syncTrained(); draw.schedule(); });
  weights.addEventListener('change', () => { syncTrained(); draw.schedule(); });
  onChange([text, split, encoding, causal, heads, dModel, tableLen, seed, kvHeads, windowSize, chunkSize, sinks, padding, ...trained.controls], draw.schedule);
  syncTrained();
  draw();
}
