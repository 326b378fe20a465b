// "Your model" panel: a Hugging Face config.json pasted, dropped or picked from the test fixtures, read by
// the package (describeLayers, ropeFromConfig, mropePositions): the layers grouped in runs, the frequencies
// of each RoPE layer type, M-RoPE's t/h/w split of the head dims, and what the reader noted.
import { LinePlot } from '../plots/line-plot.js';
import { fmt } from '../plots/scale.js';
import { controlsRow, el, errorBox, note, onChange, redrawer, selectInput } from '../ui.js';

// The fixtures of the test suite, bundled as text (so the textarea shows them verbatim).
const FIXTURES = Object.fromEntries(Object.entries(
  import.meta.glob('../../tests/fixtures/configs/*.json', { eager: true, query: '?raw', import: 'default' }),
).map(([file, text]) => [file.split('/').pop().replace(/\.json$/, ''), text]).sort(([a], [b]) => a.localeCompare(b)));
const FIRST = 'gemma-3-4b';
const AXIS_COLOUR = { t: '#c0504d', h: '#4f81bd', w: '#9bbb59' };

const range = (a, b) => (a === b ? `layer ${a}` : `layers ${a}–${b}`);

// How one layer reads in the list: "sliding 1024, RoPE default θ 10000".
function scheme(e) {
  const parts = [];
  if (e.attention) parts.push(e.attention + (e.window ? ` ${e.window}` : '') + (e.chunkSize ? ` (chunks of ${e.chunkSize})` : ''));
  else parts.push('attention span unknown');
  if (e.bidirectional) parts.push('bidirectional');
  if (e.sinks) parts.push('sinks');
  if (e.rope) {
    const r = e.rope;
    const scaling = r.scaling && r.ropeType !== 'default' ? ` ${r.ropeType}${r.scaling.factor ? ` ×${r.scaling.factor}` : ''}` : ' default';
    parts.push(`RoPE${scaling} θ ${fmt(r.base)}, ${r.dRot}/${r.headDim} dims${r.layout === 'interleaved' ? ' interleaved' : ''}${r.mropeSection ? `, M-RoPE [${r.mropeSection.join(', ')}]` : ''}`);
  } else if (e.position === 'nope') parts.push('no positional encoding (NoPE)' + (e.queryTemperature ? ', query temperature' : ''));
  else if (e.position === 't5') parts.push(`${e.stack} T5 buckets ${e.t5.numBuckets}/${e.t5.maxDistance}`);
  else parts.push(e.position + (e.maxPositions ? ` (${e.maxPositions} positions)` : '') + (e.alibiBiasMax ? ` (bias max ${e.alibiBiasMax})` : ''));
  return parts.join(', ');
}

// Consecutive layers with the same scheme as one run: [{ first, last, text }].
function runs(layers) {
  const out = [];
  for (const e of layers) {
    const text = scheme(e);
    const last = out[out.length - 1];
    if (last && last.text === text && last.last === e.layer - 1) last.last = e.layer;
    else out.push({ first: e.layer, last: e.layer, text });
  }
  return out;
}

export function mountYourModel(root, pe) {
  const c = controlsRow(root);
  const pick = selectInput(c, 'fixture', [['', '— paste your own —'], ...Object.keys(FIXTURES)], { value: FIRST, id: 'model-fixture' });
  const seqLen = el('input', { type: 'number', min: 1, step: 1024, placeholder: 'default', id: 'model-seqlen', style: 'width: 8em' });
  c.append(el('label', { class: 'control', title: 'selects the regime of dynamic NTK and LongRoPE, as HF does' }, el('span', { text: 'seqLen' }), seqLen));
  const text = el('textarea', { id: 'model-config', rows: 10, spellcheck: 'false', class: 'config-text',
    placeholder: 'Paste a config.json here, or drop the file on this box' });
  text.value = FIXTURES[FIRST];
  root.append(text);
  const errors = errorBox(root);
  const summary = el('div', { class: 'model-text', id: 'model-layers' });
  root.append(summary);
  const freqPlot = new LinePlot(root, { title: 'Inverse frequencies of each RoPE layer type (what ropeFromConfig gives the kernel)',
    xLabel: 'pair j', yLabel: 'inv_freq (rad / token)', yLog: true, height: 260 });
  const mrope = el('div', { class: 'model-text', id: 'model-mrope' });
  root.append(mrope);
  note(root, 'Everything here comes from the package: <code>pe.describeLayers(config)</code>, <code>pe.ropeFromConfig(config, { layerType, seqLen })</code> and <code>pe.mropePositions(segments)</code>. Pairs that do not turn (Gemma 4\'s proportional RoPE) have frequency 0 and are left off the log axis.');

  const draw = () => {
    let config;
    try {
      config = JSON.parse(text.value);
    } catch (e) {
      throw Object.assign(new Error(`config is not valid JSON: ${e.message}`), { code: 'SHAPE_MISMATCH' });
    }
    const layers = pe.describeLayers(config);
    const n = seqLen.value.trim() === '' ? undefined : Number(seqLen.value);
    const ropeTypes = [...new Set(layers.filter((e) => e.rope).map((e) => e.layerType))];
    const ropes = ropeTypes.map((lt) => [lt, pe.ropeFromConfig(config, { ...(ropeTypes.length > 1 ? { layerType: lt } : {}), seqLen: n })]);

    // Everything computed: only now replace the page's content.
    const counts = new Map();
    for (const e of layers) counts.set(scheme(e), (counts.get(scheme(e)) ?? 0) + 1);
    const notes = [...new Set([...layers.flatMap((e) => e.notes ?? []), ...ropes.flatMap(([, r]) => r.notes)])];
    const unknown = [...new Set(layers.flatMap((e) => e.unknown ?? []))];
    summary.replaceChildren(
      el('h3', { text: `${layers.length} layers` }),
      el('ul', { class: 'scheme-counts' }, ...[...counts].map(([s, k]) => el('li', { text: `${k} × ${s}` }))),
      el('details', { open: runs(layers).length <= 12 },
        el('summary', { text: 'Layer by layer' }),
        el('ul', { class: 'layer-runs' }, ...runs(layers).map((r) => el('li', { text: `${range(r.first, r.last)}: ${r.text}` })))),
      ...(notes.length ? [el('h4', { text: 'Read from unusual places, or HF defaults relied on' }), el('ul', { class: 'model-notes' }, ...notes.map((t) => el('li', { text: t })))] : []),
      ...(unknown.length ? [el('h4', { text: 'Could not tell' }), el('ul', { class: 'model-unknown' }, ...unknown.map((t) => el('li', { text: t })))] : []),
    );
    freqPlot.draw(ropes.map(([lt, r]) => ({
      name: `${lt}: ${r.ropeType} θ ${fmt(r.base)}${r.attentionFactor !== 1 ? ` (attention ×${r.attentionFactor.toFixed(4)})` : ''}`,
      x: Array.from(r.invFreq, (_, j) => j), y: Array.from(r.invFreq),
    })));
    drawMrope(ropes.map(([, r]) => r).find((r) => r.mropeSection));
  };

  // Which head dims turn with t, h, w, and the position ids of text + a 4×6-patch image + text.
  function drawMrope(r) {
    if (!r) {
      mrope.replaceChildren(el('p', { class: 'note', text: 'No M-RoPE in this config (pick qwen2.5-vl-7b or qwen3-vl-8b to see it).' }));
      return;
    }
    const half = r.dRot / 2;
    const axes = pe.mropeFrequencyAxes(r);
    const strip = el('div', { class: 'mrope-strip', role: 'img', 'aria-label': 'stream of each head dim' });
    for (let d = 0; d < r.dRot; d++) {
      const a = axes[r.layout === 'interleaved' ? d >> 1 : d % half];
      strip.append(el('span', { class: `axis-${a}`, title: `dim ${d}: ${a}`, style: `background: ${AXIS_COLOUR[a]}` }));
    }
    const segments = [{ type: 'text', length: 2 }, { type: 'image', grid: [1, 4, 6] }, { type: 'text', length: 3 }];
    const ids = pe.mropePositions(segments, { spatialMergeSize: 2 });
    const seq = ids.shape[1];
    const kind = (s) => (s < 2 || s >= 8 ? 'text' : 'image');
    const table = el('table', { class: 'mrope-ids' },
      el('caption', { text: 'mropePositions([text 2, image grid [1, 4, 6] (2 × 3 tokens after 2 × 2 merging), text 3]): rows t, h, w' }),
      el('tr', {}, el('th', { text: 'token' }), ...Array.from({ length: seq }, (_, s) => el('th', { class: kind(s), text: `${s} ${kind(s)}` }))),
      ...['t', 'h', 'w'].map((a, row) => el('tr', {}, el('th', { text: a, style: `color: ${AXIS_COLOUR[a]}` }),
        ...Array.from({ length: seq }, (_, s) => el('td', { class: kind(s), text: String(ids.data[row * seq + s]) })))));
    const count = (a) => axes.filter((x) => x === a).length;
    mrope.replaceChildren(
      el('h3', { text: `M-RoPE: which head dims turn with t, h, w (${r.mropeInterleaved ? 'interleaved, Qwen3-VL' : 'contiguous sections, Qwen2/2.5-VL'})` }),
      el('p', { class: 'note', html: `mropeSection [${r.mropeSection.join(', ')}]: <b style="color:${AXIS_COLOUR.t}">t</b> ${count('t')}, <b style="color:${AXIS_COLOUR.h}">h</b> ${count('h')}, <b style="color:${AXIS_COLOUR.w}">w</b> ${count('w')} of ${half} frequencies; each colours dims j and j + ${half} of the ${r.dRot}-dim head.` }),
      strip, table,
      el('p', { class: 'note', html: 'Pass these ids as <code>positions</code> ({data, shape: [3, seq]}) to <code>pe.ropeForward(x, { config })</code> or to a <code>RotaryPositionalEmbedding({ config })</code>\'s forward: each pair turns with its stream\'s position, in one kernel call. Text tokens have t = h = w, where M-RoPE is plain RoPE.' }),
    );
  }

  const body = [summary, mrope];
  const run = redrawer(errors, () => {
    try {
      draw();
      for (const b of body) b.classList.remove('stale');
    } catch (e) {
      for (const b of body) b.classList.add('stale');
      throw e;
    }
  });
  pick.addEventListener('change', () => {
    if (pick.value) text.value = FIXTURES[pick.value];
    run.schedule();
  });
  text.addEventListener('input', () => { pick.value = ''; run.schedule(); });
  onChange([seqLen], run.schedule);
  text.addEventListener('dragover', (e) => e.preventDefault());
  text.addEventListener('drop', async (e) => {
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    text.value = await file.text();
    pick.value = '';
    run.schedule();
  });
  run();
}
