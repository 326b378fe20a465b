// Tiny attention: text → tokens → seeded embeddings and projections → multi-head attention with the chosen
// positional encoding, each head's weights drawn live. The computed weights are published on
// window.posencDemo.attention for the browser tests.
import { Heatmap } from '../plots/heatmap.js';
import { checkbox, controlsRow, el, errorBox, grid, hashString, note, num, numberInput, onChange, random, redrawer, selectInput } from '../ui.js';

const ENCODINGS = [
  ['none', 'none (no position information)'], ['sinusoidal', 'sinusoidal (added)'], ['learned', 'learned table (added)'],
  ['rope-half', 'RoPE, half layout'], ['rope-interleaved', 'RoPE, interleaved layout'], ['alibi', 'ALiBi'], ['t5', 'T5 buckets'], ['xpos', 'xPos'],
];

function tokenize(text, mode) {
  return mode === 'chars' ? [...text].filter((ch) => ch !== '\n') : text.split(/\s+/).filter(Boolean);
}

// y = x·W for x [n, d] and W [d, d] (row-major), then split into heads: [1, heads, n, d/heads].
function projectHeads(x, W, n, d, heads) {
  const hd = d / heads, out = new Float32Array(n * d);
  for (let t = 0; t < n; t++) for (let o = 0; o < d; o++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[t * d + i] * W[i * d + o];
    out[(Math.floor(o / hd) * n + t) * hd + (o % hd)] = s;
  }
  return { data: out, shape: [1, heads, n, hd] };
}

export function mountAttention(root, pe) {
  const text = el('input', { type: 'text', id: 'attn-text', value: 'the cat sat on the mat because the mat was warm', 'aria-label': 'text' });
  text.style.width = '100%';
  root.append(el('label', { class: 'control' }, el('span', { text: 'text (edit it: the maps update as you type)' }), text));
  const c = controlsRow(root);
  const split = selectInput(c, 'tokens', [['words', 'words'], ['chars', 'characters']], { id: 'attn-split' });
  const encoding = selectInput(c, 'positional encoding', ENCODINGS, { value: 'rope-half', id: 'attn-encoding' });
  const causal = checkbox(c, 'causal', { checked: true, id: 'attn-causal' });
  const heads = selectInput(c, 'heads', ['1', '2', '4', '8'], { value: '4', id: 'attn-heads' });
  const dModel = selectInput(c, 'model width', ['16', '32', '64'], { value: '32', id: 'attn-dmodel' });
  const tableLen = numberInput(c, 'learned table length', { value: 16, min: 1, id: 'attn-tablelen' });
  const seed = numberInput(c, 'seed', { value: 1, min: 0, id: 'attn-seed' });
  const errors = errorBox(root);
  const info = note(root, '', 'note stats');
  const maps = grid(root, 'grid');
  note(root, 'Try: <b>none</b> with causal off makes repeated words attend identically wherever they are (attention without positions is permutation-equivariant); <b>ALiBi</b> pulls weight onto nearby keys; the <b>learned</b> table only covers its length, so a longer text is refused with BAD_POSITION instead of silently reading garbage; RoPE\'s two layouts give different maps for the same weights (checkpoints are tied to one layout).');
  let plots = [];

  const draw = redrawer(errors, () => {
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
    let q = projectHeads(x.data, r.normals(d * d, w), n, d, H);
    let k = projectHeads(x.data, r.normals(d * d, w), n, d, H);
    const v = projectHeads(x.data, r.normals(d * d, w), n, d, H);
    const opts = { causal: causal.checked, returnProbs: true };
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

    if (plots.length !== H) {
      maps.replaceChildren();
      plots = Array.from({ length: H }, (_, h) => new Heatmap(maps, { title: `head ${h}`, xLabel: 'key', yLabel: 'query', colour: 'sequential', height: 300, min: 0, max: 1, valueLabel: 'attention weight' }));
    }
    const labels = tokens.map((tok, i) => `${i}:${tok}`);
    plots.forEach((p, h) => p.draw({ data: probs.subarray(h * n * n, (h + 1) * n * n), rows: n, cols: n, xLabels: labels, yLabels: labels }));
    info.textContent = `${n} tokens, ${H} heads of ${hd} dims, ${causal.checked ? 'causal (each query sees itself and earlier keys)' : 'bidirectional'}, encoding: ${ENCODINGS.find(([k2]) => k2 === enc)[1]}.`;
    window.posencDemo.attention = { tokens, heads: H, n, causal: causal.checked, encoding: enc, probs: Array.from(probs) };
    root.dataset.version = String(Number(root.dataset.version ?? 0) + 1);
  });

  onChange([text, split, encoding, causal, heads, dModel, tableLen, seed], draw.schedule);
  draw();
}
