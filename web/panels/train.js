// "Train short, test long": trains a tiny transformer per positional encoding and seed in a Web Worker at
// length L, evaluates at L…4L, draws live loss curves and the accuracy-against-length plot with the spread
// over seeds, and puts the measured numbers into the seed table's rows beside what the papers report. Stop
// pauses the model where it is in the Worker; Resume continues from the next step, to the same bits as a
// run never paused. The first seed's trained models send their attention maps to the tiny attention panel;
// the finished run's numbers go to the comparison table too.
import { jobsOf, SCHEMES, summarize } from '../../experiments/grid.js';
import { accuracySvg, lossSvg } from '../../experiments/report.js';
import { clearMaps, measuredRows, publishMaps, publishRun } from '../measured.js';
import { checkbox, controlsRow, el, errorBox, note, numberInput, selectInput, showError, clearError } from '../ui.js';

// What the papers report, in our words (no numbers copied from their figures).
const PAPERS = {
  Extrapolation: 'Press et al. 2022 (ALiBi, Fig. 1): sinusoidal and rotary perplexity degrades quickly past the training length, T5 bias less, ALiBi stays flat. '
    + 'Kazemnejad et al. 2023: on small algorithmic tasks no positional encoding (NoPE) generalises to longer lengths at least as well as the explicit schemes. '
    + 'Ruoss et al. 2023: randomised positions markedly improve length generalisation on algorithmic tasks.',
  'Train/Test Length': 'All three papers train short and test long: the claim "must match" is about a learned table having no rows past its length, not about the formulas.',
  'Training Speed': 'Press et al. 2022 report ALiBi and sinusoidal about equally fast, rotary slower, the T5 bias markedly slower, in their implementation.',
  'Gradient Flow': 'None of the three papers reports gradient instability tied to the encoding.',
};

export function mountTrain(body) {
  const row = controlsRow(body);
  const task = selectInput(row, 'task', ['copy', 'reverse', 'recall', 'text'], { value: 'copy', id: 'train-task' });
  const trainLength = numberInput(row, 'train L', { value: 16, min: 2, max: 64, id: 'train-length', width: '4em' });
  const factor = selectInput(row, 'test up to', [['2', '2L'], ['4', '4L'], ['8', '8L']], { value: '4', id: 'train-factor' });
  const steps = numberInput(row, 'steps', { value: 200, min: 1, max: 5000, id: 'train-steps', width: '5em' });
  const seeds = numberInput(row, 'seeds', { value: 2, min: 1, max: 5, id: 'train-seeds', width: '3em' });
  const textBox = el('label', { class: 'train-text', hidden: true }, 'text for the language model (paste any text; empty: the built-in paragraph)',
    el('textarea', { id: 'train-text', rows: 3, spellcheck: 'false', placeholder: 'Paste a text here…' }));
  body.append(textBox);
  const text = textBox.querySelector('textarea');
  task.addEventListener('change', () => { textBox.hidden = task.value !== 'text'; });
  const row2 = controlsRow(body);
  const pick = Object.fromEntries(SCHEMES.map((s) => [s, checkbox(row2, s, { checked: true, id: `train-${s}` })]));
  const row3 = controlsRow(body);
  const start = el('button', { type: 'button', id: 'train-start', text: 'Start' });
  const stop = el('button', { type: 'button', id: 'train-stop', text: 'Stop', disabled: true });
  const resume = el('button', { type: 'button', id: 'train-resume', text: 'Resume', disabled: true });
  const bar = el('progress', { id: 'train-progress', max: 1, value: 0, style: 'width: 16em' });
  const status = el('span', { id: 'train-status', class: 'note', text: 'Not started.' });
  row3.append(start, stop, resume, bar, status);
  const err = errorBox(body);
  const plots = el('div', { class: 'grid' });
  const lossBox = el('div', { id: 'train-loss' }), accBox = el('div', { id: 'train-accuracy' });
  plots.append(lossBox, accBox);
  body.append(plots);
  const table = el('div', { id: 'train-table' });
  body.append(table);
  note(body, 'The first seed\'s trained models show their attention maps in the <a href="#attention">tiny attention panel</a> (pick "trained" there), '
    + 'and the finished run\'s numbers appear in the <a href="#answers">comparison table</a>.');
  note(body, 'Each model: 2 layers, d_model 64, 4 heads, AdamW with warm-up and cosine decay, batches of 8 at length L; evaluated on the same 32 fresh '
    + 'sequences at every test length. The full grid (every task, 3 seeds, 8L) is <code>npm run experiment</code>, written to docs/extrapolation.md.');

  // state: idle → running ⇄ (pausing →) paused → … → done. A paused run keeps its model in the Worker.
  let worker = null, gen = 0, grid = null, results = [], curves = {}, stepsDone = 0, totalSteps = 1, state = 'idle';

  const setState = (s) => {
    state = s;
    start.disabled = s === 'running' || s === 'pausing';
    stop.disabled = s !== 'running';
    resume.disabled = s !== 'paused';
    body.dataset.state = s;
  };

  function drawLoss() {
    lossBox.innerHTML = lossSvg(Object.fromEntries(grid.schemes.map((s) => [s, Object.values(curves[s] ?? {})])), `${grid.tasks[0]}: training loss (mean over seeds)`);
  }

  function finish() {
    const summary = summarize(results, grid.testLengths)[grid.tasks[0]];
    accBox.innerHTML = accuracySvg(summary, grid.testLengths, `accuracy against test length (trained at L = ${grid.trainLength})`);
    accBox.dataset.done = '1';
    table.replaceChildren(measuredTable(summary, grid));
    publishRun(summary, grid);
  }

  const where = (m) => `${grid.byId[m.id].positional}, seed ${grid.byId[m.id].seed}`;

  function onMessage({ data: m }) {
    if (m.gen !== gen) return; // from a grid that a new Start discarded
    if (m.type === 'losses') {
      const job = grid.byId[m.id];
      const curve = (curves[job.positional] ??= {})[job.seed] ??= [];
      curve.push(...m.losses);
      stepsDone += m.losses.length;
      bar.value = stepsDone / totalSteps;
      if (state === 'running') status.textContent = `${where(m)}: step ${m.step + 1}/${job.steps}, loss ${m.losses.at(-1).toFixed(3)}`;
      drawLoss();
    } else if (m.type === 'paused') {
      status.textContent = `Paused after step ${m.step}/${grid.byId[m.id].steps} of ${where(m)} (${results.length} of ${Object.keys(grid.byId).length} runs done). `
        + 'Resume continues from here; Start begins anew.';
      setState('paused');
    } else if (m.type === 'resumed') {
      setState('running');
    } else if (m.type === 'result') {
      const { trained, ...result } = m.result;
      results.push(result);
      if (trained) publishMaps(result.positional, { ...trained, scheme: result.positional, task: result.task, seed: result.seed, accuracy: result.accuracy });
    } else if (m.type === 'done') {
      endWorker();
      status.textContent = `Done: ${results.length} runs.`;
      setState('done');
      finish();
    } else if (m.type === 'error') {
      fail(Object.assign(new Error(m.message), { code: m.code }));
    }
    // what the page received, for the browser tests
    if (window.posencDemo) window.posencDemo.train = { state, curves, results };
  }

  function endWorker() {
    worker?.terminate();
    worker = null;
  }

  function fail(e) {
    showError(err, e);
    endWorker();
    status.textContent = `Failed: ${results.length} runs done.`;
    setState('idle');
  }

  function launch(jobs) {
    if (!worker) {
      worker = new Worker(new URL('../train-worker.js', import.meta.url), { type: 'module' });
      worker.onmessage = onMessage;
      worker.onerror = (e) => fail(new Error(e.message ?? 'the training Worker failed'));
    }
    worker.postMessage({ type: 'start', jobs, gen: ++gen }); // a paused grid in the Worker is discarded
    status.textContent = 'Starting…';
    setState('running');
  }

  function pauseRun() {
    worker?.postMessage({ type: 'pause' });
    status.textContent = 'Pausing…';
    setState('pausing');
  }

  start.addEventListener('click', () => {
    clearError(err);
    const L = Number(trainLength.value), f = Number(factor.value);
    const schemes = SCHEMES.filter((s) => pick[s].checked);
    const n = Math.max(1, Math.min(5, Math.floor(Number(seeds.value)) || 1));
    const st = Math.max(1, Math.floor(Number(steps.value)) || 1);
    if (!(L >= 2 && L <= 64 && Number.isInteger(L))) return showError(err, Object.assign(new Error(`train L must be an integer in [2, 64], got ${trainLength.value}`), { code: 'BAD_SIZE' }));
    if (!schemes.length) return showError(err, Object.assign(new Error('pick at least one encoding'), { code: 'OUT_OF_RANGE' }));
    const testLengths = [];
    for (let t = L; t <= L * f; t *= 2) testLengths.push(t);
    grid = { tasks: [task.value], schemes, seeds: Array.from({ length: n }, (_, i) => i + 1), trainLength: L, testLengths, steps: st,
      batch: 8, evalBatch: 32, learningRate: 3e-3, symbols: 8, model: { layers: 2, dModel: 64, heads: 4 } };
    if (task.value === 'text' && text.value) grid.text = text.value;
    const jobs = jobsOf(grid).map((j, id) => ({ ...j, id, capture: j.seed === grid.seeds[0] }));
    grid.byId = Object.fromEntries(jobs.map((j) => [j.id, j]));
    results = [];
    curves = {};
    stepsDone = 0;
    totalSteps = jobs.length * st;
    accBox.replaceChildren();
    delete accBox.dataset.done;
    table.replaceChildren();
    lossBox.replaceChildren();
    clearMaps();
    launch(jobs);
  });
  stop.addEventListener('click', pauseRun);
  resume.addEventListener('click', () => {
    worker.postMessage({ type: 'resume' });
    status.textContent = 'Resuming…';
    setState('running');
  });
  setState('idle');
}

// The seed table's rows filled with this run's numbers, beside the papers.
function measuredTable(summary, grid) {
  const t = el('table', { class: 'measured' });
  const names = Object.keys(summary);
  t.append(el('tr', {}, el('th', { text: 'row' }), ...names.map((n) => el('th', { text: n })), el('th', { text: 'the papers' })));
  for (const [row, cell] of Object.entries(measuredRows)) {
    t.append(el('tr', { 'data-row': row }, el('th', { text: row }), ...names.map((n) => el('td', { text: cell(summary[n], grid) })), el('td', { text: PAPERS[row] })));
  }
  return t;
}
