// out[i] = x[i] + scale · row[i]: the add shared by the additive encodings (sinusoidal, learned).
// SIMD over the row with a scalar tail; out may alias x.
#pragma once
#include <cstddef>

#include "posenc/simd.hpp"

namespace posenc {

inline void add_scaled_row(const float* x, const float* row, float scale, float* out, std::size_t n) {
  const simd::Floats s = simd::splat(scale);
  const std::size_t end = simd::vector_end(n);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) simd::store(out + i, simd::fma(s, simd::load(row + i), simd::load(x + i)));
  for (; i < n; ++i) out[i] = x[i] + scale * row[i];
}

// out[b, :] = x[b, :] + rows for every b < batch; rows holds n floats, x and out batch·n.
inline void add_rows_to_batch(const float* x, std::size_t batch, const float* rows, std::size_t n, float* out) {
  for (std::size_t b = 0; b < batch; ++b) add_scaled_row(x + b * n, rows, 1.0f, out + b * n, n);
}

}  // namespace posenc
