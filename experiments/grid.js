// "Train short, test long": trains a TinyTransformer per (task, positional scheme, seed) at content length
// L and evaluates it at L, 2L, 4L, 8L. Plain ES module over a loaded posenc API, shared by the Node runner
// (experiments/run.mjs) and the page's Worker (web/train-worker.js): no Node or DOM imports here.

export const SCHEMES = ['none', 'sinusoidal', 'learned', 'rope', 'xpos', 'alibi', 't5', 'randomized'];
export const TASKS = ['copy', 'reverse', 'recall', 'text'];

/**
 * One training run → its loss curve, gradient norms, speed and accuracy at each test length. onStep(i, r)
 * returning false stops it (→ null). onTrained(model, task), if given, sees the trained model after
 * evaluation and before it is deleted (the page reads its attention maps there); what it returns is the
 * result's `trained`.
 */
export function runOne(pe, job, onStep = () => {}, onTrained = null) {
  const run = new Run(pe, job);
  try {
    while (!run.done) {
      const i = run.next;
      if (onStep(i, run.step()) === false) return null; // stopped
    }
    return run.evaluate(onTrained);
  } finally {
    run.delete();
  }
}

/**
 * runOne taken apart so a caller can pause between steps (the page's Worker): the model and task live until
 * delete(), so stepping it in pieces gives the same bits as one loop.
 */
export class Run {
  constructor(pe, job) {
    const { task: kind, positional, seed, trainLength, testLengths, steps, model, learningRate, symbols, text } = job;
    this.job = job;
    // The language model reads the job's text (absent or empty: the built-in paragraph); the others their symbols.
    this.task = pe.makeTask(kind === 'text' ? { kind, text: text || undefined } : { kind, symbols });
    try {
      const longest = Math.max(...testLengths.map((L) => this.task.sequenceLength(Math.min(L, this.task.maxLength))));
      this.model = new pe.TinyTransformer({
        ...model, vocabSize: this.task.vocabSize, positional, maxLen: longest, seed,
        maxRandomPosition: Math.max(longest, 4 * this.task.sequenceLength(trainLength)),
        optimizer: { learningRate, warmupSteps: Math.ceil(steps / 10), totalSteps: steps },
      });
    } catch (e) {
      this.task.delete();
      throw e;
    }
    this.next = 0; // the step to train next
    this.losses = [];
    this.gradNorms = [];
    this.trainMs = 0;
  }

  get done() { return this.next >= this.job.steps; }

  /** Trains step `next` → { loss, gradNorm }. */
  step() {
    const { seed, batch, trainLength } = this.job, i = this.next;
    const b = this.task.sample(batch, trainLength, seed * 1_000_003 + i);
    const t0 = performance.now();
    const r = this.model.trainStep(b);
    this.trainMs += performance.now() - t0;
    this.losses.push(r.loss);
    this.gradNorms.push(r.gradNorm);
    this.next = i + 1;
    return r;
  }

  /** Evaluates the trained model at each test length → runOne's result. */
  evaluate(onTrained = null) {
    const { task: kind, positional, seed, testLengths, steps, evalBatch } = this.job;
    const { model: m, task } = this;
    const accuracy = {}, loss = {};
    for (const L of testLengths) {
      if (L > task.maxLength) continue;
      const e = m.evaluate(task.sample(evalBatch, L, 987_654_321 + L));
      accuracy[L] = e.accuracy;
      loss[L] = e.loss;
    }
    const result = { task: kind, positional, seed, losses: this.losses, gradNorm: stats(this.gradNorms), stepsPerSecond: steps / (this.trainMs / 1000), accuracy, loss };
    if (onTrained) result.trained = onTrained(m, task);
    return result;
  }

  delete() {
    this.model?.delete();
    this.task?.delete();
    this.model = this.task = null;
  }
}

/** mean, median, p95, max and the coefficient of variation (std/mean) of a list. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { mean, median: at(0.5), p95: at(0.95), max: s[s.length - 1], cv: mean > 0 ? std / mean : 0 };
}

/**
 * The settings of one task: the grid's own, with grid.perTask[task] (optional) over them, e.g. a task that needs
 * more steps, a shorter training length or its own test lengths; a per-task model merges into the grid's.
 */
export function taskSettings(grid, task) {
  const { tasks, schemes, seeds, perTask, ...rest } = grid;
  const own = perTask?.[task] ?? {};
  return { ...rest, ...own, model: { ...rest.model, ...own.model } };
}

/** Every job of a grid, in a fixed order. */
export function jobsOf(grid) {
  const jobs = [];
  for (const task of grid.tasks) {
    const settings = taskSettings(grid, task);
    for (const positional of grid.schemes) {
      for (const seed of grid.seeds) jobs.push({ ...settings, task, positional, seed });
    }
  }
  return jobs;
}

/** Results grouped by task then scheme: accuracy mean/min/max per length, steps/s, gradient-norm means over seeds. */
export function summarize(results, testLengths) {
  const out = {};
  for (const r of results) {
    ((out[r.task] ??= {})[r.positional] ??= []).push(r);
  }
  for (const task of Object.keys(out)) {
    for (const scheme of Object.keys(out[task])) {
      const runs = out[task][scheme];
      const byLength = {};
      for (const L of testLengths) {
        const accs = runs.map((r) => r.accuracy[L]).filter((a) => a !== undefined);
        if (accs.length) byLength[L] = { mean: avg(accs), min: Math.min(...accs), max: Math.max(...accs) };
      }
      out[task][scheme] = {
        byLength, seeds: runs.length, stepsPerSecond: avg(runs.map((r) => r.stepsPerSecond)),
        gradNorm: Object.fromEntries(['mean', 'median', 'p95', 'max', 'cv'].map((k) => [k, avg(runs.map((r) => r.gradNorm[k]))])),
        finalLoss: avg(runs.map((r) => avg(r.losses.slice(-Math.max(1, Math.floor(r.losses.length / 10)))))),
      };
    }
  }
  return out;
}
const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
