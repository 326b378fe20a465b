// npm run experiment [-- --quick] [--jobs N] [--out DIR]: the "train short, test long" grid from Node, in
// worker threads (one posenc instance each), then docs/extrapolation.md and its SVG plots. --quick runs a
// tiny grid into build/experiment-quick/ (it proves the pipeline runs; its numbers mean nothing).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import { jobsOf, runOne, SCHEMES, summarize, TASKS, taskSettings } from './grid.js';
import { accuracySvg, lossSvg, markdownTable } from './report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Sized for about 16 CPU-minutes: 8 minutes on an idle 2-core machine, 15 on a busy one. Copy and reverse use
// 32 symbols, so that a symbol rarely repeats at L = 16 and a content-matching (induction) head can find its
// source. Recall has one answer per sequence, a sparse signal: it trains on 4 key-value pairs with more, cheaper steps.
const FULL = {
  tasks: TASKS, schemes: SCHEMES, seeds: [1, 2, 3], trainLength: 16, testLengths: [16, 32, 64, 128],
  steps: 400, batch: 32, evalBatch: 32, learningRate: 3e-3, symbols: 32,
  model: { layers: 2, dModel: 64, heads: 4 },
  perTask: {
    recall: { trainLength: 4, testLengths: [4, 8, 16, 32], steps: 1000, batch: 32, evalBatch: 256, symbols: 8 },
    text: { trainLength: 32, testLengths: [32, 64, 128, 256], steps: 300, batch: 16 },
  },
};
const QUICK = {
  tasks: ['copy', 'text'], schemes: ['none', 'rope', 'alibi'], seeds: [1, 2], trainLength: 4, testLengths: [4, 8, 16, 32],
  steps: 6, batch: 4, evalBatch: 4, learningRate: 3e-3, symbols: 4,
  model: { layers: 1, dModel: 16, heads: 2 },
};

if (!isMainThread) {
  const { load } = await import(path.join(root, 'bindings/index.node.js'));
  const pe = await load({ simd: workerData.simd });
  parentPort.on('message', (job) => {
    if (job === null) return parentPort.close();
    parentPort.postMessage({ result: runOne(pe, job), arch: pe.features.arch });
  });
} else {
  await main();
}

function argValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const grid = { ...(quick ? QUICK : FULL) };
  // A smaller grid than the full one, for a slower or busier machine (the report says which grid ran).
  const list = (name, parse) => argValue(args, name, null)?.split(',').map(parse);
  grid.tasks = list('--tasks', String) ?? grid.tasks;
  grid.schemes = list('--schemes', String) ?? grid.schemes;
  grid.seeds = list('--seeds', Number) ?? grid.seeds;
  // --steps and --eval-batch replace every task's own value.
  const steps = argValue(args, '--steps', null), evalBatch = argValue(args, '--eval-batch', null);
  if (steps !== null || evalBatch !== null) {
    grid.perTask = Object.fromEntries(Object.entries(grid.perTask ?? {}).map(([task, own]) => {
      const { steps: s, evalBatch: e, ...rest } = own;
      return [task, { ...rest, ...(steps === null && s !== undefined ? { steps: s } : {}), ...(evalBatch === null && e !== undefined ? { evalBatch: e } : {}) }];
    }));
    if (steps !== null) grid.steps = Number(steps);
    if (evalBatch !== null) grid.evalBatch = Number(evalBatch);
  }
  const reduced = !quick && (['tasks', 'schemes', 'seeds'].some((k) => String(grid[k]) !== String(FULL[k])) || steps !== null || evalBatch !== null);
  const jobsCount = Number(argValue(args, '--jobs', Math.min(2, os.availableParallelism?.() ?? 2)));
  const out = path.resolve(argValue(args, '--out', quick ? path.join(root, 'build/experiment-quick') : path.join(root, 'docs')));
  const jobs = jobsOf(grid);
  console.log(`[experiment] ${jobs.length} runs (${grid.tasks.length} tasks × ${grid.schemes.length} encodings × ${grid.seeds.length} seeds), ` +
    `${grid.tasks.map((t) => `${t} ${taskSettings(grid, t).steps}`).join(', ')} steps, ${jobsCount} worker thread(s)`);
  const started = Date.now();
  const results = [];
  let arch = '';
  await new Promise((resolve, reject) => {
    let next = 0, live = 0;
    for (let w = 0; w < Math.min(jobsCount, jobs.length); ++w) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { simd: true } });
      live++;
      const feed = () => worker.postMessage(next < jobs.length ? jobs[next++] : null);
      worker.on('message', ({ result, arch: a }) => {
        arch = a;
        results.push(result);
        const accs = taskSettings(grid, result.task).testLengths.map((L) => (result.accuracy[L] ?? NaN).toFixed(3)).join(' ');
        console.log(`[${results.length}/${jobs.length}] ${result.task} ${result.positional} seed ${result.seed}: accuracy ${accs}, ` +
          `${result.stepsPerSecond.toFixed(1)} steps/s, final loss ${result.losses.at(-1).toFixed(3)}`);
        feed();
      });
      worker.on('error', reject);
      worker.on('exit', () => --live === 0 && resolve());
      feed();
    }
  });
  const minutes = (Date.now() - started) / 60000;
  // CPU time of every thread: on a shared machine the wall time moves with other jobs' load, this does not.
  const { user, system } = process.cpuUsage();
  const cpuMinutes = (user + system) / 6e7;
  console.log(`[experiment] done in ${minutes.toFixed(1)} min (${cpuMinutes.toFixed(1)} CPU-minutes)`);
  writeReport(out, grid, results, { quick, reduced, minutes, cpuMinutes, arch, threads: jobsCount, command: ['npm run experiment', ...(args.length ? ['--', ...args] : [])].join(' ') });
}

function writeReport(out, grid, results, { quick, reduced, minutes, cpuMinutes, arch, threads, command }) {
  const order = (a, b) => grid.seeds.indexOf(a.seed) - grid.seeds.indexOf(b.seed);
  results.sort((a, b) => grid.tasks.indexOf(a.task) - grid.tasks.indexOf(b.task) || grid.schemes.indexOf(a.positional) - grid.schemes.indexOf(b.positional) || order(a, b));
  const plots = path.join(out, 'extrapolation');
  mkdirSync(plots, { recursive: true });
  const g = taskSettings(grid, grid.tasks[0]), m = g.model;
  const setting = (t) => {
    const s = taskSettings(grid, t);
    const what = { copy: `${s.symbols} symbols`, reverse: `${s.symbols} symbols`, recall: `${s.symbols} keys and ${s.symbols} values`, text: 'the project\'s own short text' }[t] ?? '';
    return `| ${t} | ${what} | ${s.trainLength} | ${s.testLengths.join(', ')} | ${s.steps} | ${s.batch} | ${s.learningRate} | ${s.evalBatch} |`;
  };
  const lines = [
    '# Train short, test long: measured extrapolation of each positional encoding',
    '',
    `Generated by \`${command}\` (experiments/run.mjs) in ${minutes.toFixed(1)} minutes (${cpuMinutes.toFixed(1)} CPU-minutes) on ${threads} worker thread(s), ` +
      `posenc wasm-simd (${arch}). Every number below is what that run printed; re-running on another machine changes the speeds, not the method.`,
    '',
    ...(reduced ? ['**A reduced grid.** This run is smaller than the full grid (`npm run experiment`: tasks ' +
      `${FULL.tasks.join(', ')}; seeds ${FULL.seeds.join(', ')}; each task's own steps and evaluation batch), so it says less. Run the full grid for the whole picture.`, ''] : []),
    `**Setup.** A decoder-only transformer (${m.layers} layers, d_model ${m.dModel}, ${m.heads} heads, pre-LayerNorm, GELU MLP, tied embeddings) ` +
      'per positional encoding and seed, trained with AdamW (10% warm-up, cosine decay, clipping at 1) at content length L, then evaluated on ' +
      'fresh sequences at L, 2L, 4L and 8L (the model\'s sequence is longer: copy and reverse 2L, recall 2L + 2). ' +
      `Seeds ${grid.seeds.join(', ')} change the initial weights and the training batches; the evaluation batches are the same for every run. Per task:`,
    '',
    '| task | content | L (train) | test lengths | steps | batch | learning rate | evaluation batch |',
    '|---|---|---|---|---|---|---|---|',
    ...grid.tasks.map(setting),
    '',
    'Copy and reverse repeat L symbols after a separator; recall is asked for the value that followed the last occurrence of a key among L ' +
      'key-value pairs (one answer per sequence); text is next-character prediction over the project\'s own short text (its accuracy counts every position).',
    '',
    '**Columns.** Accuracy (%) on the positions that carry the loss, mean over seeds with [min–max]; the final loss is the mean of the last ' +
      'tenth of the training steps; steps/s is training throughput (forward, backward, update) measured inside the run (on a machine shared with other jobs it moves with their load, so compare speeds within one row of runs only loosely); gradient-norm ' +
      'statistics are over every step before clipping (mean, median, 95th percentile, max, and the coefficient of variation, std/mean), ' +
      'averaged over seeds. A "randomized" model is RoPE over positions drawn as a sorted random subset of a larger range (Ruoss et al. 2023), ' +
      'in training and, as in the paper, in evaluation.',
    '',
  ];
  for (const task of grid.tasks) {
    const { trainLength: L, testLengths } = taskSettings(grid, task);
    const bySchemes = summarize(results.filter((r) => r.task === task), testLengths)[task];
    if (!bySchemes) continue;
    writeFileSync(path.join(plots, `${task}-accuracy.svg`), accuracySvg(bySchemes, testLengths, `${task}: accuracy against test length (trained at L = ${L})`));
    const curves = Object.fromEntries(grid.schemes.map((s) => [s, results.filter((r) => r.task === task && r.positional === s).map((r) => r.losses)]));
    writeFileSync(path.join(plots, `${task}-loss.svg`), lossSvg(curves, `${task}: training loss (mean over seeds)`));
    lines.push(`## ${task}`, '', markdownTable(bySchemes, testLengths, L), '',
      `![${task} accuracy against test length](extrapolation/${task}-accuracy.svg)`, '',
      `![${task} training loss](extrapolation/${task}-loss.svg)`, '');
  }
  const reading = handWrittenReading(path.join(out, 'extrapolation.md'));
  if (reading) {
    lines.push(reading, '');
    console.log('[experiment] kept the hand-written "## Reading this run": rewrite its numbers from the new tables');
  }
  const factors = [1, 2, 4, 8];
  lines.push('## Per run', '', '| task | encoding | seed | ' + factors.map((f) => `acc ${f === 1 ? '' : f}L`).join(' | ') + ' | steps/s | grad-norm mean |',
    '|' + Array(5 + factors.length).fill('---').join('|') + '|');
  for (const r of results) {
    const { testLengths } = taskSettings(grid, r.task);
    lines.push(`| ${r.task} | ${r.positional} | ${r.seed} | ${testLengths.map((t) => (r.accuracy[t] === undefined ? '—' : (100 * r.accuracy[t]).toFixed(1))).join(' | ')} | ` +
      `${r.stepsPerSecond.toFixed(1)} | ${r.gradNorm.mean.toFixed(3)} |`);
  }
  lines.push('');
  writeFileSync(path.join(out, 'extrapolation.md'), lines.join('\n'));
  writeFileSync(path.join(plots, 'results.json'), JSON.stringify({ grid, results: results.map(({ losses, ...r }) => r) }, null, 1));
  console.log(`[experiment] wrote ${path.relative(process.cwd(), path.join(out, 'extrapolation.md'))} and ${grid.tasks.length * 2} SVG plots`);
}

// The reading of a run is prose written by hand after it, which no run can generate: a re-run carries it over
// verbatim (before "## Per run", where it was) instead of deleting it, so it can be rewritten against the new tables.
function handWrittenReading(file) {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const start = text.search(/^## Reading this run$/m);
  if (start < 0) return '';
  const end = text.slice(start).search(/^## Per run$/m);
  return text.slice(start, end < 0 ? undefined : start + end).trimEnd();
}
