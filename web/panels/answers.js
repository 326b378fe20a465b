// Answers panel: the seed questions with links to the panels, and the corrected comparison table whose
// evidence cells are measured live with the package, and whose learning rows show the Train panel's numbers.
import { measured, measuredRows, onMeasured, runLabel } from '../measured.js';
import { fmt } from '../plots/scale.js';
import { el, random } from '../ui.js';
import { answers } from './answers-text.js';
import { comparison, encodings, trainedSchemes } from './comparison.js';

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function measure(pe) {
  const ev = {};
  const attempt = (key, fn) => { try { ev[key] = fn(); } catch (e) { ev[key] = `measurement failed: ${e.code ?? ''} ${e.message}`; } };
  attempt('alibiSlopes', () => `Live: alibiSlopes(8) = [${Array.from(pe.alibiSlopes(8), (m) => `2^${Math.log2(m)}`).join(', ')}] — computed from the head count alone.`);
  attempt('ropeFormula', () => {
    const { invFreq } = pe.ropeParams(64, { base: 10000 });
    const err = Array.from(invFreq).reduce((m, f, j) => Math.max(m, Math.abs(f - 10000 ** (-2 * j / 64)) / 10000 ** (-2 * j / 64)), 0);
    return `Live: ropeParams(64).invFreq equals base^(−2j/64) for all 32 pairs (max relative difference ${fmt(err)}).`;
  });
  attempt('sinFar', () => {
    const row = pe.sinusoidalTable(1000001, 8, { start: 1000000, count: 1 }).data;
    return `Live: sinusoidalTable row for p = 1 000 000: [${Array.from(row, (v) => v.toFixed(3)).join(', ')}].`;
  });
  attempt('learnedFar', () => {
    const table = { data: new Float32Array(16 * 4), shape: [16, 4] };
    try {
      pe.learnedForward({ data: new Float32Array(17 * 4), shape: [1, 17, 4] }, table);
      return 'Live: a 17-token input against a 16-row table was accepted (unexpected).';
    } catch (e) { return `API behaviour, not model evidence: posenc refuses 17 tokens against a 16-row table (${e.code}: ${e.message}); a learned table simply has no row 16.`; }
  });
  attempt('sinRelative', () => {
    const t = pe.sinusoidalTable(1010, 64, { start: 0, count: 1010 }).data;
    const dot = (a, b) => { let s = 0; for (let c = 0; c < 64; c++) s += t[a * 64 + c] * t[b * 64 + c]; return s; };
    return `Live (d = 64): PE[3]·PE[1] = ${fmt(dot(3, 1))}, PE[1003]·PE[1001] = ${fmt(dot(1003, 1001))}.`;
  });
  attempt('ropeRelative', () => {
    const r = random(4), D = 64, q = r.normals(D), k = r.normals(D);
    const score = (m, n) => {
      const x = { data: new Float32Array([...q, ...k]), shape: [1, 1, 2, D] };
      const y = pe.ropeForward(x, { positions: Int32Array.of(m, n) }).data;
      let s = 0; for (let c = 0; c < D; c++) s += y[c] * y[D + c];
      return s;
    };
    return `Live: q·k at positions (10, 3) = ${fmt(score(10, 3))}, at (5010, 5003) = ${fmt(score(5010, 5003))} — same distance, same score.`;
  });
  attempt('alibiAdditive', () => {
    // The causal form −m·(i−j) is positive for future keys (j > i); the causal mask removes those, so
    // they are shown as the mask leaves them.
    const b = pe.alibiBias(1, 3, 3, { mode: 'causal' }).data;
    const row = (i) => `[${[0, 1, 2].map((j) => (j > i ? 'masked' : fmt(b[3 * i + j]))).join(', ')}]`;
    return `Live: alibiBias(1 head, 3×3) rows = ${[0, 1, 2].map(row).join(' ')} — added to the scores. Future keys are masked by the causal mask; the bias alone would give them +m·(j−i).`;
  });
  ev.memSin = `Tutorial buffer 5000 × 512 float32 = ${mb(5000 * 512 * 4)}.`;
  ev.memLearned = `512 × 768 table (BERT) = ${mb(512 * 768 * 4)}, plus as much again for gradients and twice for Adam.`;
  ev.memAlibi = `Slopes for 16 heads: 64 B; a 16 × 8192 × 8192 float32 bias cache: ${mb(16 * 8192 * 8192 * 4)}.`;
  return ev;
}

// The Train panel's numbers for one cell, as measured (whatever they show), or a pointer to the panel.
function measuredHtml(row, scheme) {
  const run = measured.run;
  const train = '<a href="#train">Train panel</a>';
  if (!run) return `Not measured yet: run the ${train} to measure this row in your browser.`;
  const s = run.summary[scheme];
  if (!s) return `Not measured: ${scheme} was not in the ${train}'s last run.`;
  const text = measuredRows[row](s, run.grid).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
  return `<b>Measured in your browser</b> (${train}, ${scheme}): ${text}.`;
}

export function mountAnswers(root, pe) {
  const list = el('div', { class: 'answers' });
  for (const group of answers) {
    list.append(el('h3', {}, el('a', { href: `#${group.panel}`, text: `${group.topic} →` })));
    const dl = el('dl');
    for (const [q, a] of group.items) dl.append(el('dt', { text: q }), el('dd', { html: a }));
    list.append(dl);
  }
  root.append(list);

  root.append(el('h3', { text: 'The comparison table, checked' }));
  root.append(el('p', { class: 'note', html: 'Green: kept. Yellow: kept with a qualification. Red: wrong in the notes, struck out and corrected. Evidence marked "Live" is computed by the package as this page loads; evidence marked "API behaviour" only shows what posenc\'s own argument checks do, not how a model behaves. '
    + 'The Extrapolation, Train/Test Length, Training Speed and Gradient Flow rows also print what tiny models trained in the <a href="#train">Train panel</a> measured, once a run has finished, whatever it shows.' }));
  const ev = measure(pe);
  const fill = (html) => html.replace(/\{\{(\w+)\}\}/g, (_, k) => ev[k] ?? '');
  const head = el('tr', {}, el('th', { text: 'Property' }), ...encodings.map((e) => el('th', { text: e })));
  const rows = comparison.map(([prop, cells]) => el('tr', {}, el('th', { text: prop }), ...cells.map(([seed, status, fix, evidence], col) => {
    const td = el('td', { class: status });
    if (status === 'wrong') td.append(el('s', { text: seed }));
    else td.append(el('span', { text: seed }));
    if (fix) td.append(el('span', { class: 'fix', text: fix }));
    if (evidence) td.append(el('span', { class: 'evidence', html: fill(evidence) }));
    if (measuredRows[prop]) td.append(el('span', { class: 'evidence measured', 'data-row': prop, 'data-scheme': trainedSchemes[col] }));
    return td;
  })));
  const runNote = el('p', { class: 'note', id: 'comparison-run' });
  root.append(runNote);
  root.append(el('div', { class: 'table-wrap' }, el('table', { id: 'comparison' }, el('thead', {}, head), el('tbody', {}, ...rows))));
  root.dataset.wrongCells = String(root.querySelectorAll('td.wrong').length);
  const showMeasured = () => {
    for (const span of root.querySelectorAll('.evidence.measured')) span.innerHTML = measuredHtml(span.dataset.row, span.dataset.scheme);
    runNote.innerHTML = measured.run ? `"Measured in your browser": the <a href="#train">Train panel</a>'s last run (${runLabel(measured.run.grid)}).`
      : 'The rows marked "Not measured yet" get numbers when a run of the <a href="#train">Train panel</a> has finished.';
    root.dataset.measured = measured.run ? '1' : '0';
  };
  onMeasured(showMeasured);
  showMeasured();
}
