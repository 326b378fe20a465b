// The tiny attention panel's "trained" weights: the maps of the models the Train panel trained (captured in
// its Worker), on one sample at the training length and at a longer one, by layer and head. Positions at
// and past the training sequence's end never occurred in training: a dashed line marks where they start.
import { controlsRow, el, selectInput } from '../ui.js';

const VISIBLE = { '\n': '⏎', ' ': '␣', '\t': '⇥' };

// What a token id stands for: copy/reverse symbols and their separator "|", recall keys kᵢ, values vᵢ and
// the query marker "?", text characters.
function tokenName(maps, id) {
  if (maps.kind === 'text') { const ch = maps.alphabet[id] ?? '?'; return VISIBLE[ch] ?? ch; }
  if (maps.kind === 'recall') {
    const symbols = (maps.vocabSize - 1) / 2;
    return id === 2 * symbols ? '?' : id < symbols ? `k${id}` : `v${id - symbols}`;
  }
  return id === maps.vocabSize - 1 ? '|' : String(id);
}

function setOptions(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => el('option', { value, text })));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

export function trainedControls(parent) {
  const row = controlsRow(parent);
  const length = selectInput(row, 'sample length', [], { id: 'attn-trained-length' });
  const layer = selectInput(row, 'layer', [], { id: 'attn-trained-layer' });
  const head = selectInput(row, 'heads', [], { id: 'attn-trained-head' });
  return {
    row, controls: [length, layer, head],
    /** Offers the lengths, layers and heads of one model's maps, keeping the choices that still exist. */
    sync(maps) {
      setOptions(length, maps.views.map((v) => [String(v.length), v.length === maps.trainLength
        ? `L = ${v.length} (training length)` : `${v.length} = ${v.length / maps.trainLength}L (longer than training)`]));
      setOptions(layer, maps.views[0].layers.map((_, i) => [String(i), String(i)]));
      setOptions(head, [['all', 'all'], ...Array.from({ length: maps.heads }, (_, h) => [String(h), String(h)])]);
    },
    /** The chosen maps: one [seq, seq] matrix per shown head, keys after the query hidden (the model is causal). */
    view(maps) {
      const v = maps.views.find((x) => String(x.length) === length.value) ?? maps.views[0];
      const l = Number(layer.value) || 0, n = v.seq;
      const heads = head.value === 'all' ? [...Array(maps.heads).keys()] : [Number(head.value)];
      const probs = v.layers[l];
      const matrices = heads.map((h) => probs.subarray(h * n * n, (h + 1) * n * n).map((p, i) => (i % n > Math.floor(i / n) ? NaN : p)));
      const labels = Array.from(v.tokens, (id, i) => `${i}:${tokenName(maps, id)}`);
      // Every token labelled while they fit; past that, ticks at a few positions (with their tokens).
      const axes = n <= 20 ? { xLabels: labels, yLabels: labels } : { xTick: (i) => labels[i], yTick: (i) => labels[i] };
      const accuracy = maps.accuracy[v.length];
      const past = n > maps.trainSeq;
      const info = `Trained ${maps.scheme} model (${maps.task}, seed ${maps.seed}, trained on sequences of ${maps.trainSeq} tokens, L = ${maps.trainLength}), `
        + `layer ${l}, one sample at length ${v.length} (${n} tokens)`
        + (accuracy === undefined ? '' : `; this model's accuracy at this length: ${(100 * accuracy).toFixed(0)}%`)
        + (past ? `. From the dashed line on (position ≥ ${maps.trainSeq}) the sequence is longer than any it was trained on.` : '.');
      return { length: v.length, layer: l, heads, matrices, n, axes, guides: past ? [maps.trainSeq] : [], info };
    },
  };
}
