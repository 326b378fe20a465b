// What the Train panel measured in this page, shared with the panels that show it elsewhere: the tiny
// attention draws the trained models' maps, the comparison table prints the measured rows. Panels mount
// when scrolled near, so a late one reads the current state and then listens for changes.

const changes = new EventTarget();
/** maps: scheme → the attention maps of its first seed's trained model; run: the last finished run. */
export const measured = { maps: new Map(), run: null };

export function onMeasured(fn) { changes.addEventListener('change', fn); }
const changed = () => changes.dispatchEvent(new Event('change'));

export function publishMaps(scheme, maps) { measured.maps.set(scheme, maps); changed(); }
export function clearMaps() { measured.maps.clear(); changed(); }
/** summary: summarize(...)[task] of experiments/grid.js; grid: the run's settings. */
export function publishRun(summary, grid) { measured.run = { summary, grid }; changed(); }

const pct = (v) => `${(100 * v).toFixed(0)}%`;

// The seed table's measured rows: one sentence per row for one scheme's summary. The farthest length is the
// longest one that was evaluated (a text shorter than 8L stops earlier).
export const measuredRows = {
  Extrapolation: (s, grid) => {
    const L = grid.trainLength, far = Math.max(...Object.keys(s.byLength).map(Number));
    const spread = s.seeds > 1 ? ` (seeds ${pct(s.byLength[far].min)}–${pct(s.byLength[far].max)})` : '';
    return `accuracy ${pct(s.byLength[L].mean)} at L → ${pct(s.byLength[far].mean)} at ${far / L}L${spread}`;
  },
  'Train/Test Length': (s) => `accuracy by test length ${Object.entries(s.byLength).map(([x, a]) => `${x}: ${pct(a.mean)}`).join(', ')}`,
  'Training Speed': (s) => `${s.stepsPerSecond.toFixed(1)} steps/s`,
  'Gradient Flow': (s) => `grad-norm mean ${s.gradNorm.mean.toFixed(2)}, p95 ${s.gradNorm.p95.toFixed(2)}, max ${s.gradNorm.max.toFixed(2)}, CV ${s.gradNorm.cv.toFixed(2)}`,
};

/** One line naming the run: task, lengths, seeds, steps. */
export const runLabel = (grid) => `${grid.tasks[0]}, trained at L = ${grid.trainLength}, tested to ${grid.testLengths.at(-1)}, `
  + `${grid.seeds.length} seed${grid.seeds.length > 1 ? 's' : ''}, ${grid.steps} steps`;
