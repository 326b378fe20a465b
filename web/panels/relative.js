// Relative-bias panel (T5 buckets): the bucket of every relative position in both directions, and the T5
// bias per head for a random table.
import { Heatmap } from '../plots/heatmap.js';
import { LinePlot } from '../plots/line-plot.js';
import { checkbox, controlsRow, errorBox, grid, note, num, numberInput, onChange, random, redrawer } from '../ui.js';

export function mountRelative(root, pe) {
  const c = controlsRow(root);
  const numBuckets = numberInput(c, 'num_buckets', { value: 32, min: 2, id: 't5-buckets' });
  const maxDistance = numberInput(c, 'max_distance', { value: 128, min: 1, id: 't5-maxdist' });
  const span = numberInput(c, 'plot |key − query| up to', { value: 200, min: 1, id: 't5-span' });
  const heads = numberInput(c, 'heads', { value: 4, min: 1, id: 't5-heads' });
  const len = numberInput(c, 'length', { value: 24, min: 1, id: 't5-len' });
  const bidirectional = checkbox(c, 'bidirectional (encoder)', { checked: true, id: 't5-bidir' });
  const errors = errorBox(root);
  const bucketPlot = new LinePlot(root, { title: 'Bucket of each relative position key − query', xLabel: 'key − query', yLabel: 'bucket', height: 240 });
  note(root, 'Up to half of each direction\'s buckets are exact distances; the rest are log-spaced up to max_distance, beyond which everything shares the last bucket. In the decoder (unidirectional) all future keys land in bucket 0.');
  const biasGrid = grid(root, 'grid small');
  let maps = [];

  const drawT5 = redrawer(errors, () => {
    const S = num(span), nb = num(numBuckets), md = num(maxDistance);
    const rel = Int32Array.from({ length: 2 * S + 1 }, (_, i) => i - S);
    const bi = pe.t5Buckets(rel, { bidirectional: true, numBuckets: nb, maxDistance: md });
    const uni = pe.t5Buckets(rel, { bidirectional: false, numBuckets: nb, maxDistance: md });
    bucketPlot.draw([{ name: 'bidirectional (encoder)', x: Array.from(rel), y: Array.from(bi) }, { name: 'unidirectional (decoder)', x: Array.from(rel), y: Array.from(uni), dash: [5, 3] }]);
    const H = num(heads), L = num(len);
    const table = { data: random(31).normals(nb * Math.max(1, H | 0)), shape: [nb, H] };
    const bias = pe.t5Bias(table, { numHeads: H, qLen: L, kLen: L, bidirectional: bidirectional.checked, maxDistance: md });
    const shown = Math.min(H, 8);
    if (maps.length !== shown) {
      biasGrid.replaceChildren();
      maps = Array.from({ length: shown }, (_, h) => new Heatmap(biasGrid, { title: `T5 bias, head ${h} (random table)`, xLabel: 'key j', yLabel: 'query i', height: 200, valueLabel: 'bias' }));
    }
    maps.forEach((m, h) => m.draw({ data: bias.data.subarray(h * L * L, (h + 1) * L * L), rows: L, cols: L }));
  });

  onChange([numBuckets, maxDistance, span, heads, len, bidirectional], drawT5.schedule);
  drawT5();
}
