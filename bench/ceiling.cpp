// Ceilings the benchmark compares posenc against, measured in the same run (wasm only; the wasm-simd
// build's posenc_ceiling target, bench/CMakeLists.txt, makes build/bench/ceiling.wasm without JS glue):
// a memcpy inside wasm memory, and the SIMD128 multiply-add peak (f32x4.mul + f32x4.add; wasm
// SIMD128 has no fused multiply-add) with enough independent chains to hide the latencies.
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

extern "C" {

void* ceiling_alloc(std::size_t bytes) { return std::malloc(bytes); }
void ceiling_free(void* p) { std::free(p); }

void ceiling_memcpy(void* dst, const void* src, std::size_t bytes) { std::memcpy(dst, src, bytes); }

// 12 independent accumulators: acc = acc·m + a, `iterations` times; 12·4·2 flops per iteration.
// Returns a value that depends on every lane so nothing is optimised away.
float ceiling_madd(int iterations, float seed) {
  const v128_t m = wasm_f32x4_splat(0.999999f), a = wasm_f32x4_splat(1e-7f);
  v128_t acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = wasm_f32x4_splat(seed + static_cast<float>(i));
  for (int it = 0; it < iterations; ++it) {
#pragma clang loop unroll(full)
    for (int i = 0; i < 12; ++i) acc[i] = wasm_f32x4_add(wasm_f32x4_mul(acc[i], m), a);
  }
  v128_t s = acc[0];
  for (int i = 1; i < 12; ++i) s = wasm_f32x4_add(s, acc[i]);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
         wasm_f32x4_extract_lane(s, 3);
}

constexpr int kMaddFlopsPerIteration = 12 * 4 * 2;
int ceiling_madd_flops_per_iteration() { return kMaddFlopsPerIteration; }
}
