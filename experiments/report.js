// The experiment's report: SVG plots written as strings (no plotting library) and the markdown tables.
// Browser-safe: the page's "Train short, test long" panel draws with the same functions.

export const COLORS = { none: '#777777', sinusoidal: '#1f77b4', learned: '#ff7f0e', rope: '#2ca02c', xpos: '#17becf',
  alibi: '#d62728', t5: '#9467bd', randomized: '#8c564b' };
const W = 560, H = 320, PAD = { l: 48, r: 120, t: 28, b: 40 };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const f = (v) => Math.round(v * 10) / 10;

function frame(title, xTicks, yTicks, xLabel, yLabel) {
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`, `<text x="${PAD.l}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const [x, label] of xTicks) parts.push(`<line x1="${f(x)}" y1="${H - PAD.b}" x2="${f(x)}" y2="${PAD.t}" stroke="#eeeeee"/>`,
    `<text x="${f(x)}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(label)}</text>`);
  for (const [y, label] of yTicks) parts.push(`<line x1="${PAD.l}" y1="${f(y)}" x2="${W - PAD.r}" y2="${f(y)}" stroke="#eeeeee"/>`,
    `<text x="${PAD.l - 6}" y="${f(y) + 4}" text-anchor="end">${esc(label)}</text>`);
  parts.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="none" stroke="#999999"/>`,
    `<text x="${(PAD.l + W - PAD.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(12 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return parts;
}

function legend(parts, names) {
  names.forEach((name, i) => {
    const y = PAD.t + 8 + i * 16, x = W - PAD.r + 10;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${COLORS[name] ?? '#000000'}" stroke-width="2.5"/>`,
      `<text x="${x + 24}" y="${y + 4}">${esc(name)}</text>`);
  });
}

/** Accuracy against test length (log₂ axis) per scheme: the mean over seeds, a band from min to max. */
export function accuracySvg(bySchemes, testLengths, title) {
  const names = Object.keys(bySchemes);
  const lo = Math.log2(Math.min(...testLengths)), hi = Math.log2(Math.max(...testLengths));
  const x = (L) => PAD.l + ((Math.log2(L) - lo) / Math.max(1e-9, hi - lo)) * (W - PAD.l - PAD.r);
  const y = (a) => H - PAD.b - a * (H - PAD.t - PAD.b);
  const parts = frame(title, testLengths.map((L) => [x(L), L]), [0, 0.25, 0.5, 0.75, 1].map((a) => [y(a), a]), 'test length (content tokens)', 'accuracy');
  for (const name of names) {
    const pts = testLengths.filter((L) => bySchemes[name].byLength[L]).map((L) => [L, bySchemes[name].byLength[L]]);
    if (!pts.length) continue;
    const c = COLORS[name] ?? '#000000';
    const band = [...pts.map(([L, s]) => `${f(x(L))},${f(y(s.max))}`), ...pts.reverse().map(([L, s]) => `${f(x(L))},${f(y(s.min))}`)];
    pts.reverse();
    parts.push(`<polygon points="${band.join(' ')}" fill="${c}" fill-opacity="0.12" stroke="none"/>`,
      `<polyline points="${pts.map(([L, s]) => `${f(x(L))},${f(y(s.mean))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`,
      ...pts.map(([L, s]) => `<circle cx="${f(x(L))}" cy="${f(y(s.mean))}" r="2.5" fill="${c}"/>`));
  }
  legend(parts, names);
  return parts.join('\n') + '\n</svg>\n';
}

/** Training loss per step per scheme (each a list of curves, one per seed, averaged point-wise). */
export function lossSvg(curves, title) {
  const names = Object.keys(curves);
  const mean = Object.fromEntries(names.map((n) => {
    const runs = curves[n].filter((c) => c.length);
    const len = Math.max(0, ...runs.map((c) => c.length));
    return [n, Array.from({ length: len }, (_, i) => {
      const vs = runs.filter((c) => i < c.length).map((c) => c[i]);
      return vs.reduce((a, b) => a + b, 0) / vs.length;
    })];
  }));
  const steps = Math.max(1, ...names.map((n) => mean[n].length));
  const top = Math.max(0.1, ...names.flatMap((n) => mean[n].slice(0, 1)), ...names.flatMap((n) => mean[n]).filter(Number.isFinite).map((v) => Math.min(v, 10)));
  const x = (i) => PAD.l + (i / Math.max(1, steps - 1)) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (Math.min(v, top) / top) * (H - PAD.t - PAD.b);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((q) => [y(q * top), (q * top).toFixed(2)]);
  // Whole steps, each once (a short run would otherwise label two ticks with the same rounded step).
  const xTicks = [...new Set([0, 0.25, 0.5, 0.75, 1].map((q) => Math.round(q * (steps - 1))))].map((v) => [x(v), v]);
  const parts = frame(title, xTicks, yTicks, 'step', 'training loss');
  for (const n of names) {
    const c = mean[n];
    const every = Math.max(1, Math.floor(c.length / 200)); // at most ~200 points a curve
    const pts = c.map((v, i) => [i, v]).filter(([i]) => i % every === 0 || i === c.length - 1);
    if (pts.length) parts.push(`<polyline points="${pts.map(([i, v]) => `${f(x(i))},${f(y(v))}`).join(' ')}" fill="none" stroke="${COLORS[n] ?? '#000000'}" stroke-width="1.5"/>`);
  }
  legend(parts, names);
  return parts.join('\n') + '\n</svg>\n';
}

const pct = (v) => `${(100 * v).toFixed(1)}`;
/** Markdown: accuracy (%) by test length, mean [min–max] over seeds, per scheme; steps/s; gradient norms. */
export function markdownTable(bySchemes, testLengths, trainLength) {
  const head = ['encoding', ...testLengths.map((L) => `L=${L}${L === trainLength ? ' (train)' : ` (${L / trainLength}×)`}`), 'final loss', 'steps/s',
    'grad-norm mean', 'median', 'p95', 'max', 'CV'];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [name, s] of Object.entries(bySchemes)) {
    const acc = testLengths.map((L) => (s.byLength[L] ? `${pct(s.byLength[L].mean)} [${pct(s.byLength[L].min)}–${pct(s.byLength[L].max)}]` : '—'));
    const g = s.gradNorm;
    rows.push(`| ${name} | ${acc.join(' | ')} | ${s.finalLoss.toFixed(3)} | ${s.stepsPerSecond.toFixed(1)} | ${g.mean.toFixed(3)} | ${g.median.toFixed(3)} | ` +
      `${g.p95.toFixed(3)} | ${g.max.toFixed(3)} | ${g.cv.toFixed(2)} |`);
  }
  return rows.join('\n');
}
