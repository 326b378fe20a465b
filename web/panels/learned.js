// Learned panel: a table (random GPT-2-style initialisation or loaded from a file), the learned forward
// with scale and LayerNorm, the cosine similarity of its rows, and the clipped relative bias per head.
import { Heatmap } from '../plots/heatmap.js';
import { listTables } from '../table-files.js';
import { checkbox, clearError, controlsRow, el, errorBox, grid, note, num, numberInput, onChange, random, redrawer, selectInput, showError } from '../ui.js';

export function mountLearned(root, pe) {
  const c = controlsRow(root);
  const source = selectInput(c, 'table', [['random', 'random init N(0, 0.02²)'], ['file', 'loaded from a file']], { id: 'learned-source' });
  const maxLen = numberInput(c, 'maxLen', { value: 64, min: 1, id: 'learned-maxlen' });
  const d = numberInput(c, 'd', { value: 32, min: 1, id: 'learned-d' });
  const seed = numberInput(c, 'seed', { value: 3, min: 0, id: 'learned-seed' });
  const file = el('input', { type: 'file', accept: '.safetensors,.npy,.json', id: 'learned-file' });
  c.append(el('label', { class: 'control' }, el('span', { text: 'load .safetensors / .npy / .json' }), file));
  const tensorPick = selectInput(c, 'tensor in file', [], { id: 'learned-tensor' });
  tensorPick.parentElement.hidden = true;
  note(root, 'For GPT-2\'s table pick its <code>model.safetensors</code> (tensor <code>wpe.weight</code>, 1024 × 768): only that tensor\'s bytes are read. A <code>.npy</code> from <code>np.save</code> or a JSON array of rows works too.');
  const fileInfo = note(root, '', 'note stats');
  const fileErrors = errorBox(root);

  const fc = controlsRow(root);
  const scale = numberInput(fc, 'scale', { value: 1, step: 0.5, id: 'learned-scale' });
  const useLn = checkbox(fc, 'LayerNorm after adding', { id: 'learned-ln' });
  const seq = numberInput(fc, 'sequence length', { value: 16, min: 1, id: 'learned-seq' });
  const errors = errorBox(root);
  const g = grid(root);
  const tableMap = new Heatmap(g, { title: 'The table: one learned row per position (colours clipped at the 99.5th percentile)', xLabel: 'dim', yLabel: 'position', height: 260, valueLabel: 'weight', robust: true });
  const cosine = new Heatmap(g, { title: 'Cosine similarity between positions\' rows', xLabel: 'position', yLabel: 'position', height: 260, min: -1, max: 1, valueLabel: 'cosine' });
  const forward = new Heatmap(g, { title: 'learnedForward(x, table): x + scale·table[p] (→ LayerNorm)', xLabel: 'dim', yLabel: 'token position', height: 240 });

  root.append(el('h3', { text: 'Clipped relative bias (T5-style: one learned scalar per head and clipped distance; Shaw et al. learn a vector per distance)' }));
  const rc = controlsRow(root);
  const heads = numberInput(rc, 'heads', { value: 4, min: 1, id: 'learned-heads' });
  const K = numberInput(rc, 'max distance K', { value: 3, min: 0, id: 'learned-k' });
  const qLen = numberInput(rc, 'length', { value: 12, min: 1, id: 'learned-qlen' });
  const relErrors = errorBox(root);
  const relGrid = grid(root, 'grid small');
  note(root, 'Entry (i, j) is <code>table[clip(j − i, −K, K) + K][h]</code>: every diagonal is constant, and beyond distance K all keys share one value.');

  let loaded = null;  // { data, shape: [rows, cols], name }
  let relMaps = [];

  const table = () => {
    if (source.value === 'file') {
      if (!loaded) throw Object.assign(new Error('no file loaded yet: pick a .safetensors, .npy or .json file'), { code: 'NO_FILE' });
      return loaded;
    }
    const L = num(maxLen), D = num(d);
    if (!(Number.isInteger(L) && L > 0 && L <= 8192)) throw Object.assign(new Error(`maxLen must be an integer in 1…8192, got ${maxLen.value}`), { code: 'BAD_SIZE' });
    if (!(Number.isInteger(D) && D > 0 && D <= 2048)) throw Object.assign(new Error(`d must be an integer in 1…2048, got ${d.value}`), { code: 'BAD_SIZE' });
    return { data: random(num(seed)).normals(L * D, 0.02), shape: [L, D], name: 'random' };
  };

  const draw = redrawer(errors, () => {
    const t = table(), [L, D] = t.shape;
    tableMap.draw({ data: t.data, rows: L, cols: D });
    const m = Math.min(L, 128), step = L / m, idx = [...Array(m).keys()].map((i) => Math.floor(i * step));
    const norms = idx.map((p) => Math.hypot(...t.data.subarray(p * D, p * D + D)) || 1);
    const C = new Float32Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
      let acc = 0;
      const ra = idx[a] * D, rb = idx[b] * D;
      for (let k = 0; k < D; k++) acc += t.data[ra + k] * t.data[rb + k];
      C[a * m + b] = acc / (norms[a] * norms[b]);
    }
    cosine.draw({ data: C, rows: m, cols: m, xTick: (i) => idx[i], yTick: (i) => idx[i] });
    const S = num(seq);
    const x = { data: random(11).normals(S * D, 0.05), shape: [1, S, D] };
    const y = pe.learnedForward(x, { data: t.data, shape: t.shape }, { scale: num(scale), useLn: useLn.checked });
    forward.draw({ data: y.data, rows: S, cols: D });
  });

  const drawRelative = redrawer(relErrors, () => {
    const H = num(heads), k = num(K), n = num(qLen);
    const rows = Number.isInteger(k) && k >= 0 ? 2 * k + 1 : 1;
    const rel = { data: random(num(seed) + 100).normals(rows * Math.max(1, H | 0), 1), shape: [rows, H] };
    const bias = pe.clippedRelativeBias(rel, { numHeads: H, maxDistance: k, qLen: n, kLen: n });
    if (relMaps.length !== Math.min(H, 16)) {
      relGrid.replaceChildren();
      relMaps = Array.from({ length: Math.min(H, 16) }, (_, h) => new Heatmap(relGrid, { title: `head ${h}`, xLabel: 'key j', yLabel: 'query i', height: 200, valueLabel: 'bias' }));
    }
    relMaps.forEach((map, h) => map.draw({ data: bias.data.subarray(h * n * n, (h + 1) * n * n), rows: n, cols: n }));
  });

  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    fileInfo.textContent = `reading ${f.name}…`;
    try {
      const tables = await listTables(f);
      tensorPick.replaceChildren(...tables.map((t, i) => el('option', { value: i, text: `${t.name} [${t.shape.join(' × ')}] ${t.dtype}` })));
      tensorPick.parentElement.hidden = tables.length < 2;
      const pick = async () => {
        const t = tables[Number(tensorPick.value) || 0];
        loaded = { data: await t.read(), shape: t.shape, name: t.name };
        fileInfo.textContent = `Loaded ${t.name} from ${f.name}: ${t.shape[0]} positions × ${t.shape[1]} dims (${t.dtype}).`;
        root.dataset.loaded = `${t.shape[0]}x${t.shape[1]}`;
        if (num(seq) > t.shape[0]) seq.value = t.shape[0];  // a short table covers fewer tokens
        source.value = 'file';
        clearError(fileErrors);
        draw.schedule();
      };
      tensorPick.onchange = () => pick().catch((e) => showError(fileErrors, e));
      await pick();
    } catch (e) {
      fileInfo.textContent = '';
      showError(fileErrors, e);
    }
  });

  onChange([source, maxLen, d, seed, scale, useLn, seq], draw.schedule);
  onChange([heads, K, qLen, seed], drawRelative.schedule);
  draw();
  drawRelative();
}
