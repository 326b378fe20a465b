// The printed report: medians per implementation and workload, speed-ups of posenc computed from the
// same run, accuracy against float64, peak heap, and the speed targets (docs/performance.md) checked against the run.

const fmtMs = (ms) => (ms === undefined ? '' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(3));
const fmtErr = (a) => (a ? `${a.maxAbs.toExponential(1)} ${a.withinSpec ? 'ok' : 'NO'}` : '');
const fmtX = (x) => (x === undefined || !Number.isFinite(x) ? '' : x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(x >= 10 ? 1 : 2)}x`);

// Columns before `textColumns` are left-aligned text, the rest right-aligned numbers.
function table(header, rows, textColumns = 1) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) => cells.map((s, c) => (c < textColumns ? String(s ?? '').padEnd(widths[c]) : String(s ?? '').padStart(widths[c]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// Which median: 'cpuMedianMs' (process CPU time, robust to a busy machine) or 'medianMs' (wall).
let clock = 'cpuMedianMs';
const ms = (row, name) => row?.impls[name]?.[clock];

// The posenc variant each comparison uses: the call writing into a caller's `out` (a normal call).
export const POSENC = 'posenc wasm-simd';

const INPLACE = `${POSENC} in-place`;
// The SIMD multiply-add kernel running W3's executed flops, timed in W3's own rounds.
export const PEAK = 'peak: SIMD madd of its flops';
const isCeiling = (name) => name.startsWith('copy:') || name === PEAK;

// The speed targets as checks over this run's medians; missing numbers are reported, not passed.
// Plain and tuned JS take and return JS arrays, so they are compared with the `out` call; tfjs is timed
// on tensors already resident in its backend, so the like-for-like posenc is the zero-copy path (the
// `out` call's ratio is listed beside it, marked info).
export function targets(results, peaks, which = 'cpuMedianMs') {
  clock = which;
  const peakGflops = peaks?.[which === 'cpuMedianMs' ? 'cpu' : 'wall'];
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  const out = [];
  const push = (id, what, value, op, limit) => {
    const ok = value === undefined || !Number.isFinite(value) ? undefined
      : op === 'info' ? 'info' : op === '>=' ? value >= limit : value <= limit;
    out.push({ id, what, value: Number.isFinite(value) ? value : undefined, op, limit, ok });
  };
  const ratio = (id, num, den, op, limit, what) => {
    if (!byId[id]) return;
    push(id, what ?? `${num} / ${den}`, ms(byId[id], num) / ms(byId[id], den), op, limit);
  };
  ratio('W1', 'plain JS', POSENC, '>=', 25);
  // The zero-copy call also hands the user a Float32Array of the table (the heap tensor's .data view).
  ratio('W1', 'plain JS', INPLACE, '>=', 25);
  ratio('W1', 'tuned JS', POSENC, '>=', 5);
  ratio('W1', 'tfjs-wasm', INPLACE, '>=', 40);
  ratio('W1', 'tfjs-wasm', POSENC, 'info', 40);
  for (const id of ['W2 half', 'W2 interleaved']) {
    const row = byId[id];
    if (!row) continue;
    const copy = Math.min(ms(row, 'copy: TypedArray.set') ?? Infinity, ms(row, 'copy: wasm memcpy') ?? Infinity);
    push(id, `${INPLACE} / fastest copy of the same bytes`, ms(row, INPLACE) / copy, '<=', 1.5);
    push(id, `${POSENC} / fastest copy of the same bytes`, ms(row, POSENC) / copy, '<=', 3);
    // WebAssembly cannot read or write a JS ArrayBuffer other than its memory, so JS arrays cross in and out.
    // Done one after another at full size, the copy in, the rotation in place and the copy out cost this;
    // the call does them slice by slice in cache, so it can beat the sum (an upper bound, not a floor).
    const steps = 2 * ms(row, 'copy: TypedArray.set') + ms(row, INPLACE);
    push(id, `${POSENC} / (2 TypedArray.set + ${INPLACE}): against its steps done one after another`,
      ms(row, POSENC) / steps, 'info', 1);
    ratio(id, 'plain JS', POSENC, '>=', 6);
    ratio(id, 'tfjs-wasm', INPLACE, '>=', 50);
    ratio(id, 'tfjs-wasm', POSENC, 'info', 50);
  }
  ratio('W2 hot', 'posenc wasm-scalar in-place', INPLACE, '>=', 2.5, 'wasm-scalar / wasm-simd, in place, in cache');
  ratio('W3', 'tfjs-wasm', INPLACE, '>=', 2.5);
  ratio('W3', 'tfjs-wasm', POSENC, 'info', 2.5);
  ratio('W3', 'plain JS', POSENC, '>=', 15);
  const w3 = byId.W3;
  if (w3) {
    push('W3', `share of the SIMD peak: ${PEAK} / ${POSENC}`, ms(w3, PEAK) / ms(w3, POSENC), '>=', 0.5);
    const g = w3.flops / (ms(w3, POSENC) * 1e6);
    push('W3', `${POSENC} GFLOP/s / SIMD madd peak measured after the rows (${peakGflops?.toFixed(1)} GFLOP/s)`,
      g / peakGflops, 'info', 0.5);
    const heap = w3.impls[POSENC]?.peakHeapBytes;
    push('W3', `${POSENC} peak heap / (inputs + outputs)`, heap === undefined ? undefined : heap / w3.bytes, '<=', 1.25);
  }
  // W5: GQA costs what the same call over K/V repeated to every head costs, and beats tfjs-wasm.
  if (byId['W5 gqa'] && byId['W5 repeated']) {
    push('W5', `${POSENC} GQA / the same with K/V repeated to every head`, ms(byId['W5 gqa'], POSENC) / ms(byId['W5 repeated'], POSENC), '<=', 1.1);
    push('W5', 'posenc native GQA / repeated K/V', ms(byId['W5 gqa'], 'posenc native') / ms(byId['W5 repeated'], 'posenc native'), 'info', 1.1);
  }
  ratio('W5 gqa', 'tfjs-wasm', INPLACE, '>=', 2);
  ratio('W5 gqa', 'tfjs-wasm', POSENC, 'info', 2);
  // W6: with a window, a decode step costs the same against a short and a long cache; a full GQA step
  // reads K and V at half the copy ceiling or better (copy time / step time: the share of copy bandwidth).
  const w6 = results.filter((r) => r.id.startsWith('W6 window@'));
  if (w6.length === 2) {
    for (const name of [INPLACE, 'posenc native']) {
      const v = ms(w6[1], name) / ms(w6[0], name);
      push('W6', `${name} step at ${w6[1].config.kLen} / at ${w6[0].config.kLen} keys`, Math.max(v, 1 / v), name === INPLACE ? '<=' : 'info', 1.2);
    }
  }
  const gqaStep = byId['W6 gqa decode'];
  if (gqaStep) {
    const copy = Math.min(ms(gqaStep, 'copy: TypedArray.set') ?? Infinity, ms(gqaStep, 'copy: wasm memcpy') ?? Infinity);
    push('W6', `share of the copy bandwidth: fastest wasm/JS copy of K+V / ${INPLACE} step`, copy / ms(gqaStep, INPLACE), '>=', 0.5);
    push('W6', 'share of the copy bandwidth: native memcpy of K+V / posenc native step',
      ms(gqaStep, 'copy: native memcpy') / ms(gqaStep, 'posenc native'), 'info', 0.5);
  }
  const w4 = results.filter((r) => r.op === 'decodeRope');
  if (w4.length === 2) {
    const [near, far] = w4;
    const v = ms(far, POSENC) / ms(near, POSENC);
    push('W4', `${POSENC} RoPE step ${far.config.position} / ${near.config.position}`, v, '<=', 1.5);
    if (out.at(-1).ok === true && v < 1 / 1.5) out.at(-1).ok = false;
  }
  return out;
}

export function report(run, machineLine) {
  const { results, simdPeakGflops: peak } = run;
  const names = [...new Set(results.flatMap((r) => Object.keys(r.impls)))];
  const ids = results.map((r) => r.id);
  const parts = [`posenc benchmark${run.quick ? ' (--quick: tiny shapes, proves it runs; numbers mean nothing)' : ''}`, machineLine, ''];
  for (const r of results) parts.push(`${r.id.padEnd(14)} ${r.title}`);
  for (const [key, label] of [['cpuMedianMs', 'CPU time (all threads of the process)'], ['medianMs', 'wall time']]) {
    clock = key;
    parts.push('', `median ms per call, ${label} (lower is better)`);
    parts.push(table(['implementation', ...ids], names.map((n) => [n, ...results.map((r) => fmtMs(ms(r, n)))])));
    parts.push('', `speed-up of ${POSENC} (the call writing into a caller's out array), ${label}: other median / its median`);
    parts.push(table(['implementation', ...ids], names.filter((n) => n !== POSENC)
      .map((n) => [n, ...results.map((r) => fmtX(ms(r, n) / ms(r, POSENC)))])));
  }
  clock = 'cpuMedianMs';
  parts.push('', 'accuracy: max |error| vs float64 on each row\'s check case (W1/W2 at position 1e6); ok = within the float32 tolerance (2e-6 + 2e-6|x|)');
  parts.push(table(['implementation', ...ids], names.filter((n) => !isCeiling(n))
    .map((n) => [n, ...results.map((r) => fmtErr(r.impls[n]?.accuracy))])));
  const heapRows = names.filter((n) => results.some((r) => r.impls[n]?.peakHeapBytes !== undefined));
  if (heapRows.length) {
    parts.push('', 'peak wasm heap growth during the workload, MiB (inputs + outputs in the last line)');
    parts.push(table(['implementation', ...ids], [
      ...heapRows.map((n) => [n, ...results.map((r) => (r.impls[n]?.peakHeapBytes === undefined ? '' : (r.impls[n].peakHeapBytes / 2 ** 20).toFixed(1)))]),
      ['inputs + outputs', ...results.map((r) => (r.bytes / 2 ** 20).toFixed(1))],
    ]));
  }
  const w3 = results.find((r) => r.id === 'W3');
  if (peak !== undefined) {
    parts.push('', `ceiling: wasm SIMD128 multiply-add peak ${peak.cpu.toFixed(1)} GFLOP/s on CPU time, ` +
      `${peak.wall.toFixed(1)} on wall time (bench/ceiling.cpp, same run)`);
  }
  if (w3) {
    const g = (n) => (w3.flops / (ms(w3, n) * 1e6)).toFixed(2);
    parts.push(`W3 executed flops ${(w3.flops / 1e9).toFixed(3)} GFLOP (causal half skipped), GFLOP/s on CPU time: ` +
      names.filter((n) => ms(w3, n) !== undefined && !n.startsWith('copy')).map((n) => `${n} ${g(n)}`).join(', '));
  }
  const builds = results.filter((r) => r.op === 'decodeRope')
    .flatMap((r) => Object.entries(r.impls).filter(([, v]) => v.cacheBuildsWhileTimed !== undefined)
      .map(([n, v]) => `${r.id} ${n}: ${v.cacheBuildsWhileTimed}`));
  if (builds.length) parts.push(`W4 RoPE cache rebuilds during the timed steps: ${builds.join(', ')}`);
  const tc = targets(results, peak, 'cpuMedianMs'), tw = targets(results, peak, 'medianMs');
  clock = 'cpuMedianMs';
  if (tc.length) {
    const verdict = (x) => (x.ok === undefined ? 'n/a' : x.ok === 'info' ? '' : x.ok ? 'met' : 'MISSED');
    const value = (x) => (x.value === undefined ? 'n/a' : x.value.toFixed(2));
    parts.push('', `targets, evaluated on CPU-time medians and on wall-time medians${run.quick ? ' (--quick: not meaningful)' : ''}`);
    parts.push(table(['row', 'measure', 'target', 'CPU', '', 'wall', ''], tc.map((x, i) => [x.id, x.what,
      x.op === 'info' ? 'info' : `${x.op} ${x.limit}`, value(x), verdict(x), value(tw[i]), verdict(tw[i])]), 2));
  }
  if (run.notes.length) parts.push('', 'notes:', ...run.notes.map((n) => `  - ${n}`));
  return parts.join('\n');
}
