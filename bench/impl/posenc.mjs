// posenc through its npm package, imported as a user does (`import { load } from 'posenc'`), in three
// ways per build (baselines/posenc_calls.mjs): the call writing into a caller's `out` array, the call returning a
// fresh result (copy), and the zero-copy path (heap tensors allocated once, kernels run in place).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { variant } from '../../baselines/posenc_calls.mjs';

// Peak heap of a workload: a fresh instance (load with wasmBinary is never cached), its footprint
// peak (memoryStats().peakBytes, malloc's max footprint) after one setup + run, minus where it began.
async function peakHeap(load, simd, wasmBinary, make) {
  const pe = await load({ simd, wasmBinary });
  const before = pe.memoryStats();
  const v = variant(pe, 'peak', make.mode);
  const r = v[make.op](make.cfg);
  r.run();
  const after = pe.memoryStats();
  r.free?.();
  const peak = after.peakBytes ?? after.heapBytes;
  return peak - (before.peakBytes ?? before.heapBytes);
}

export async function loadPosenc() {
  let mod;
  try {
    mod = await import('posenc');
  } catch (e) {
    return { impls: [], reason: `package not importable (${e.message.split('\n')[0]}); build it with scripts/build.sh` };
  }
  const require = createRequire(import.meta.url);
  const impls = [];
  const reasons = [];
  let version;
  for (const [simd, label] of [[true, 'wasm-simd'], [false, 'wasm-scalar']]) {
    let pe;
    try {
      pe = await mod.load({ simd });
    } catch (e) {
      reasons.push(`${label}: ${e.message}`);
      continue;
    }
    version = pe.features.version;
    const wasmFile = require.resolve(`posenc/posenc_${simd ? 'simd' : 'scalar'}.wasm`);
    const wasmBinary = readFileSync(wasmFile);
    const modes = simd ? [['out', ''], ['copy', ' copy'], ['heap', ' in-place']] : [['out', ''], ['heap', ' in-place']];
    for (const [mode, suffix] of modes) {
      const v = variant(pe, `posenc ${label}${suffix}`, mode);
      // Each runner also reports its workload's peak heap, measured on a fresh instance.
      for (const op of ['table', 'rope', 'sdpa', 'decodeRope']) {
        const make = v[op];
        v[op] = (cfg) => {
          const r = make(cfg);
          r.heapBytesAsync = () => peakHeap(mod.load, simd, wasmBinary, { mode, op, cfg });
          return r;
        };
      }
      impls.push(v);
    }
  }
  return { impls, version, reason: reasons.join('; ') || 'no build loaded' };
}
