// Interleaved medians: every round runs each implementation once (the order rotating from round to
// round) so that drift of a noisy shared machine hits all of them alike; ratios are taken between
// medians of the same run. Each sample records wall time and the process's CPU time (user + system of
// every thread; scripts/bench.sh runs Node with --single-threaded-gc so that no GC helper adds to it): on
// a machine shared by many jobs the CPU time leaves out the time the benchmark was not running. Node must
// NOT run --single-threaded: V8 then optimises JS on the main thread only and left the JS side of small
// calls 3–4x slower than users see. (Linux's /proc/thread-self/schedstat, a per-thread clock, was tried:
// it advances only at scheduler ticks.)

const now = () => performance.now();

export function cpuNow() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// A timed sample starts with untimed calls when calls take less than this: while the other
// implementations ran (seconds), this one's arrays went cold, and on these VMs memory left idle that
// long came back several times slower (the 64 MiB W2 rows, TypedArray.set included, swung 3-9x
// between runs). Slower calls (tfjs-cpu, plain JS attention) are not doubled.
const PRIME_BELOW_MS = 200;
// The untimed calls last at least this long. A full GC (ours before a sample, or one that external
// memory triggers) deoptimises the JS glue it ran through ("weak objects" in --trace-deopt), and V8
// re-optimises it on its compiler threads during the next calls: a W2 hot sample right after a GC took
// 13-14 us of wall time and 20-25 us of CPU time instead of 12 and 12. Calls until those threads are
// done, then a wait for them to go idle, time the code a running app runs.
const PRIME_MS = 10;

// A sample of calls shorter than this starts without a forced full GC: such calls leave little garbage,
// and the minor GCs that do fall inside their samples are part of their cost.
const COLLECT_ABOVE_MS = 1;
const collectsFor = (callMs) => !(callMs < COLLECT_ABOVE_MS);  // a call not yet timed: collect

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Waits (at most maxMs) until the process's other threads use under a tenth of a core.
async function quiesce(maxMs = 100) {
  const t0 = now();
  while (now() - t0 < maxMs) {
    const c0 = cpuNow(), w0 = now();
    await sleep(2);
    if (cpuNow() - c0 < 0.1 * (now() - w0)) return;
  }
}

// One timed sample of a runner, { wall, cpu } in ms per call: its own clocks (native) or the JS ones.
async function sample(runner, { prime = false, collect = true } = {}) {
  await runner.prepare?.();
  // Garbage of the previous runner is not collected inside the timing.
  if (collect) globalThis.gc?.();
  if (prime) {
    // Chunks of PRIME_MS until one runs on the calling thread alone (CPU time within 10% of wall time),
    // at most 20: V8 tiers JS up again only after enough calls, and a slow call makes fewer per chunk.
    for (let chunk = 0; chunk < 20; chunk++) {
      const c0 = cpuNow(), t0 = now();
      do await (runner.prime ? runner.prime() : runner.run()); while (now() - t0 < PRIME_MS);
      if (cpuNow() - c0 <= 1.1 * (now() - t0)) break;
    }
    await quiesce();
  }
  if (runner.time) return runner.time();
  const reps = runner.reps ?? 1;
  const c0 = cpuNow(), t0 = now();
  for (let i = 0; i < reps; i++) runner.run();
  const wall = now() - t0, cpu = cpuNow() - c0;
  return { wall: wall / reps, cpu: cpu / reps };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// runners: Map name → runner. Each gets at least `warmup` untimed samples and keeps warming up until it has
// run for warmupMs, then up to `rounds` samples; one that has spent more than budgetMs stops after
// minSamples (slow baselines would otherwise dominate the run). The warm-up time matters: V8 first runs
// WebAssembly (and JS) from a quick baseline compiler and only tiers hot functions up to optimised code
// after they have run for a while, so a few calls of a 50 µs kernel still time the baseline code.
export async function measure(runners, { warmup, warmupMs = 0, rounds, minSamples = 3, budgetMs = 4000 }) {
  const names = [...runners.keys()];
  const samples = new Map(names.map((n) => [n, []]));
  const spent = new Map(names.map((n) => [n, 0]));
  const callMs = new Map();
  for (const n of names) {
    const r = runners.get(n);
    // Calls repeated per sample only as often as it takes to reach ~20 ms (slow peers need no repeats):
    // the first warm-up sample is a single call that sets the count.
    const maxReps = r.reps;
    if (maxReps > 1) r.reps = 1;
    let warm = 0;
    for (let w = 0; w < warmup || warm < warmupMs; w++) {
      const t = await sample(r, { collect: collectsFor(callMs.get(n)) });
      warm += t.wall * (r.reps ?? 1);
      if (maxReps > 1) r.reps = Math.max(1, Math.min(maxReps, Math.ceil(20 / Math.max(t.wall, 1e-6))));
      callMs.set(n, t.wall);
    }
    spent.set(n, warm);
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length];
      const s = samples.get(n);
      if (s.length >= minSamples && spent.get(n) > budgetMs) continue;
      const ms = callMs.get(n);
      const t = await sample(runners.get(n), { prime: ms < PRIME_BELOW_MS, collect: collectsFor(ms) });
      s.push(t);
      spent.set(n, spent.get(n) + t.wall * (runners.get(n).reps ?? 1));
    }
  }
  return new Map(names.map((n) => {
    const s = samples.get(n);
    return [n, { medianMs: median(s.map((x) => x.wall)), cpuMedianMs: median(s.map((x) => x.cpu)), samples: s.length }];
  }));
}
