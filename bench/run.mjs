// posenc benchmark: W1–W6 for every implementation in one run, interleaved, medians after
// warm-up, ratios between medians of this run, accuracy against float64, ceilings measured alongside.
//   node --expose-gc --single-threaded-gc --no-wasm-dynamic-tiering bench/run.mjs [--quick] [--only <id,…>] [--impls <name,…>] [--json <path|->]
//   node bench/run.mjs --report bench/results.json    (prints the table of a saved run again)
// Normally started by `npm run bench` (scripts/bench.sh builds everything first). --quick runs tiny
// shapes with two samples each: it only proves that every implementation runs (CI).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { plainJs, tunedJs } from '../baselines/javascript.mjs';
import { withInputs } from '../baselines/inputs.mjs';
import { loadPosenc } from './impl/posenc.mjs';
import { loadCeilings } from './lib/ceilings.mjs';
import { machine, machineLine } from './lib/machine.mjs';
import { NativeBench } from './lib/native.mjs';
import { PEAK, report } from './lib/report.mjs';
import { measure } from './lib/timing.mjs';
import { compare } from '../tests/js/reference.js';
import { expected, traffic, workloads } from './workloads.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    impls: { type: 'string' },
    json: { type: 'string' },
    'no-child': { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});
if (args.report) {
  const saved = JSON.parse(readFileSync(args.report, 'utf8'));
  console.log(report(saved, machineLine(saved.machine)));
  process.exit(0);
}
args.json ??= path.join(root, args.quick ? 'bench/results-quick.json' : 'bench/results.json');
const log = args.json === '-' ? (...a) => console.error(...a) : (...a) => console.log(...a);
const timing = args.quick ? { warmup: 1, rounds: 1, minSamples: 1, budgetMs: 200 } : { warmup: 2, warmupMs: 500, rounds: 9, minSamples: 3, budgetMs: 5000 };

// ---- implementations -------------------------------------------------------------------------
const impls = [];
const notes = [];
const posenc = await loadPosenc();
if (posenc.impls.length) impls.push(...posenc.impls);
else notes.push(`posenc wasm: ${posenc.reason}`);

const nativePath = path.join(root, 'build/native/bench/posenc_native_bench');
let native, nativeInfo = {};
if (NativeBench.exists(nativePath)) {
  native = new NativeBench(nativePath);
  nativeInfo = await native.info();
  const scratch = path.join(root, 'build/bench/native-output.f32');
  const spec = {
    table: (c) => `table ${c.start} ${c.count} ${c.d}`,
    rope: (c) => `rope ${c.heads} ${c.seq} ${c.dim} ${c.layout} ${c.offset}`,
    sdpa: (c) => `sdpa ${c.heads} ${c.qLen} ${c.kLen} ${c.dim}`,
    decodeRope: (c) => `decode_rope ${c.heads} ${c.dim} ${c.maxLen} ${c.position}`,
    sdpaGqa: (c) => `sdpa_gqa ${c.heads} ${c.kvHeads} ${c.len} ${c.dim} ${c.repeat ? 1 : 0}`,
    sdpaDecode: (c) => `sdpa_decode ${c.heads} ${c.kvHeads} ${c.kLen} ${c.dim} ${c.window}`,
  };
  const outputs = {
    table: (c) => c.count * c.d, rope: (c) => c.heads * c.seq * c.dim,
    sdpa: (c) => c.heads * c.qLen * c.dim, decodeRope: (c) => c.heads * c.dim,
    sdpaGqa: (c) => c.heads * c.len * c.dim, sdpaDecode: (c) => c.heads * c.dim,
  };
  const nativeImpl = { name: 'posenc native' };
  for (const op of Object.keys(spec)) {
    nativeImpl[op] = (c, reps) => native.runner(spec[op](c), { reps, outputs: outputs[op](c), scratch });
  }
  impls.push(nativeImpl);
  // The native copy ceiling of a decode step: memcpy of the K and V bytes the step reads.
  impls.push({ name: 'copy: native memcpy', ceiling: true,
    sdpaDecode: (c, reps) => native.runner(`copy ${traffic('sdpaDecode', c).bytes / 4}`, { reps, outputs: 1, scratch }) });
} else {
  notes.push(`posenc native: ${path.relative(root, nativePath)} not built (scripts/bench.sh builds it)`);
}

impls.push(plainJs, tunedJs);

let tfjsVersion;
for (const backend of ['wasm', 'cpu']) {
  try {
    const { create } = await import('./impl/tfjs.mjs');
    const t = await create(backend);
    tfjsVersion = t.version;
    impls.push(t);
  } catch (e) {
    notes.push(`tfjs-${backend}: ${e.message}`);
  }
}

const ceilings = await loadCeilings(path.join(root, 'build/bench/ceiling.wasm'));
const copyImpl = (name, make) => {
  const impl = { name, ceiling: true };
  for (const op of ['table', 'rope', 'sdpa', 'decodeRope', 'sdpaDecode']) impl[op] = (c) => make(traffic(op, c).bytes);
  return impl;
};
impls.push(copyImpl('copy: TypedArray.set', ceilings.typedArraySet), copyImpl('copy: wasm memcpy', ceilings.wasmMemcpy));
impls.push({ name: PEAK, ceiling: true, sdpa: (c) => ceilings.simdPeakFor(traffic('sdpa', c).flops) });

const selected = args.impls ? impls.filter((i) => args.impls.split(',').includes(i.name)) : impls;

// ---- workloads --------------------------------------------------------------------------------
const results = [];
const peakHeaps = [];
const chosen = workloads(args.quick).filter((w) => !args.only || args.only.split(',').includes(w.id));
// Rows that share a `group` (W4's two positions) are measured in one interleaved set of rounds, so the
// comparison between them is not a comparison between two moments of a noisy machine.
const groups = [];
for (const w of chosen) {
  const last = groups.at(-1);
  if (w.group && last?.[0].group === w.group) last.push(w);
  else groups.push([w]);
}
async function measureGroup(group) {
  const all = new Map();
  const rows = [];
  for (const w of group) {
    log(`\n${w.id}: ${w.title}`);
    const cfg = withInputs(w.op, w.cfg);
    const runners = new Map();
    for (const impl of selected) {
      if (!impl[w.op]) continue;
      try {
        // Calls per sample: at most maxReps, lowered by measure() until a sample takes ~20 ms.
        const maxReps = w.reps ?? 1000;
        const r = await impl[w.op](cfg, maxReps);
        if (!r.time) r.reps ??= maxReps;
        runners.set(impl.name, r);
        all.set(`${w.id}: ${impl.name}`, r);
      } catch (e) {
        notes.push(`${w.id} ${impl.name}: ${e.message}`);
      }
    }
    rows.push({ w, cfg, runners });
  }
  const times = await measure(all, timing);
  for (const { w, cfg, runners } of rows) {
    if (rows.length > 1) log(`\n${w.id} (measured together with ${rows.filter((r) => r.w !== w).map((r) => r.w.id).join(', ')})`);
    const row = { id: w.id, title: w.title, op: w.op, config: w.cfg, ...traffic(w.op, cfg), impls: {} };
    for (const [name, r] of runners) {
      const t = times.get(`${w.id}: ${name}`);
      row.impls[name] = { medianMs: t.medianMs, cpuMedianMs: t.cpuMedianMs, samples: t.samples };
      // Peak heap runs on fresh instances, whose compilation continues on V8's background threads: after all
      // timing, so that it cannot overlap anybody's samples.
      if (r.heapBytesAsync && !args.quick) peakHeaps.push(async () => (row.impls[name].peakHeapBytes = await r.heapBytesAsync()));
      if (r.cacheBuilds) row.impls[name].cacheBuildsWhileTimed = await r.cacheBuilds();
      log(`  ${name.padEnd(30)} ${t.medianMs.toPrecision(4).padStart(10)} ms wall ${t.cpuMedianMs.toPrecision(4).padStart(10)} ms CPU  (${t.samples} samples)`);
      await r.free?.();
    }
    runners.clear();
    await checkAccuracy(w, row);
    row.check = w.check;
    results.push(row);
  }
}

if (args['no-child']) {
  for (const group of groups) await measureGroup(group);
} else {
  // Each row (W4's group: its rows) runs in a fresh Node process. In one process, every WebAssembly
  // kernel ran 1.3-1.5x slower after the 64 MiB W2 rows, tfjs's included (W3: posenc 33 -> 45 ms,
  // tfjs-wasm 82 -> 104 ms), while W3 alone measured 33 ms with every implementation present: an
  // after-effect of earlier rows on the process, which no user's attention call carries.
  for (const group of groups) {
    const ids = group.map((w) => w.id).join(',');
    const { run, error } = runInChild(ids, args.impls, { showLog: true });
    if (error) {
      notes.push(`${ids}: the row's process failed (${error})`);
      continue;
    }
    results.push(...run.results);
    notes.push(...run.notes);
  }
}

// Rows `ids` (comma-separated) run by this script in a child Node process with the same flags: its parsed
// JSON output ({ run }), or { error }. showLog passes the child's progress through to this terminal.
function runInChild(ids, impls, { env = process.env, showLog = false } = {}) {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url),
    ...(args.quick ? ['--quick'] : []), '--no-child', '--only', ids, ...(impls ? ['--impls', impls] : []), '--json', '-'],
  { encoding: 'utf8', maxBuffer: 1 << 26, env, stdio: ['ignore', 'pipe', showLog ? 'inherit' : 'pipe'] });
  try {
    return { run: JSON.parse(child.stdout) };
  } catch {
    return { error: `status ${child.status}${child.stderr ? `: ${child.stderr.slice(-400)}` : ''}` };
  }
}

// Accuracy: the same implementations on the check configuration, against float64.
async function checkAccuracy(w, row) {
  const check = withInputs(w.op, w.check);
  const exp = expected(w.op, check);
  for (const impl of selected) {
    if (impl.ceiling || !impl[w.op] || !row.impls[impl.name]) continue;
    try {
      const r = await impl[w.op](check, 1);
      await r.prepare?.();
      if (!r.time) r.run();
      const got = await r.output();
      let worst = { maxAbs: 0, withinSpec: true };
      got.forEach((g, i) => {
        const c = compare(g, exp[i]);
        worst = { maxAbs: Math.max(worst.maxAbs, c.maxAbs), withinSpec: worst.withinSpec && c.withinSpec };
      });
      row.impls[impl.name].accuracy = worst;
      await r.free?.();
    } catch (e) {
      notes.push(`${w.id} ${impl.name} accuracy: ${e.message}`);
    }
  }
}
native?.close();
for (const measurePeak of peakHeaps) await measurePeak();

// The fresh-result call again in a child whose glibc reuses freed memory (a long-running app's view).
if (!args['no-child'] && posenc.impls.some((i) => i.name === 'posenc wasm-simd copy')) {
  const ids = chosen.filter((w) => w.op === 'rope' && w.id !== 'W2 hot').map((w) => w.id);
  if (ids.length) {
    const { run, error } = runInChild(ids.join(','), 'posenc wasm-simd copy,plain JS', {
      env: { ...process.env, MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 40), MALLOC_TOP_PAD_: String(2 ** 28) },
    });
    if (error) {
      notes.push(`glibc-reuse child failed: ${error}`);
    } else {
      for (const r of run.results) {
        const row = results.find((x) => x.id === r.id);
        for (const [name, v] of Object.entries(r.impls)) row.impls[`${name} (glibc reuse)`] = v;
      }
    }
  }
}

const peak = args['no-child'] ? undefined : ceilings.simdPeakGflops(args.quick ? 3 : 9);
const info = machine(root, { nativeArch: nativeInfo.arch, nativeCompiler: nativeInfo.compiler, tfjs: tfjsVersion,
  posenc: posenc.version });
const out = { date: new Date().toISOString(), quick: args.quick, machine: info, simdPeakGflops: peak, results, notes };
if (args.json === '-') {
  process.stdout.write(JSON.stringify(out));
} else {
  log('\n' + report(out, machineLine(info)));
  writeFileSync(args.json, JSON.stringify(out, null, 2) + '\n');
  log(`\nresults written to ${path.relative(process.cwd(), args.json)}`);
}
// A quick run exists to prove that every implementation runs: anything that failed fails it (CI).
process.exit(args.quick && notes.length ? 1 : 0);  // exit explicitly: tfjs keeps handles open
