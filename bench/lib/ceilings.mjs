// What the machine allows, measured in the same run: copying the same bytes with
// TypedArray.prototype.set and with memcpy inside WebAssembly memory (memory.copy), and the SIMD128
// multiply-add peak of bench/ceiling.cpp (built by scripts/bench.sh into build/bench/ceiling.wasm).
import { readFileSync } from 'node:fs';

import { cpuNow } from './timing.mjs';

export async function loadCeilings(wasmPath) {
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
    env: { emscripten_notify_memory_growth() {} },
  });
  const w = instance.exports;
  w._initialize();

  return {
    // dst.set(src) of `bytes` bytes between two preallocated, already touched arrays.
    typedArraySet(bytes) {
      const src = new Float32Array(bytes / 4).fill(1), dst = new Float32Array(bytes / 4).fill(0);
      return { run: () => dst.set(src) };
    },

    // memcpy of `bytes` bytes between two touched buffers inside wasm memory.
    wasmMemcpy(bytes) {
      const src = w.ceiling_alloc(bytes), dst = w.ceiling_alloc(bytes);
      if (!src || !dst) throw new Error(`ceiling.wasm could not allocate 2 x ${bytes} bytes`);
      new Uint8Array(w.memory.buffer, src, bytes).fill(1);
      new Uint8Array(w.memory.buffer, dst, bytes).fill(0);
      return { run: () => w.ceiling_memcpy(dst, src, bytes), free: () => (w.ceiling_free(src), w.ceiling_free(dst)) };
    },

    // The multiply-add kernel running `flops` flops: how long a row's executed flops take at the SIMD peak,
    // timed in the row's own rounds (a peak measured minutes apart compares two states of a shared machine).
    simdPeakFor(flops) {
      const iterations = Math.max(1, Math.round(flops / w.ceiling_madd_flops_per_iteration()));
      let seed = 1;
      return { run: () => w.ceiling_madd(iterations, (seed = (seed % 7) + 1)) };
    },

    // GFLOP/s of 12 independent f32x4 multiply-add chains, { wall, cpu }: medians of `samples` runs of ~20 ms.
    simdPeakGflops(samples = 9) {
      const flopsPer = w.ceiling_madd_flops_per_iteration();
      let iterations = 1 << 16;
      for (;;) {  // calibrate to ≥ 20 ms so the timers' resolution does not matter
        const t0 = performance.now();
        w.ceiling_madd(iterations, 1);
        if (performance.now() - t0 > 20) break;
        iterations *= 2;
      }
      const wall = [], cpu = [];
      for (let s = 0; s < samples; s++) {
        const c0 = cpuNow(), t0 = performance.now();
        w.ceiling_madd(iterations, 1 + s);
        const t = performance.now() - t0, c = cpuNow() - c0;
        wall.push((iterations * flopsPer) / (t * 1e6));
        cpu.push((iterations * flopsPer) / (c * 1e6));
      }
      const mid = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
      return { wall: mid(wall), cpu: mid(cpu) };
    },
  };
}
