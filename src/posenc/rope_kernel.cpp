// The rotation kernel (Su et al., RoFormer). Pair j is (x[j·step], x[j·step + partner]): half has step 1,
// partner d_rot/2; interleaved has step 2, partner 1.
// Vector body: half loads W pairs' first and second members as two contiguous vectors; interleaved loads
// 2W adjacent floats, unzips them into the same two vectors and zips the results back (4 shuffles per
// 2W floats; pairing each vector with its lane-swapped copy took 7).
// Remainder: the scalar loop, written once for both layouts through (step, partner); it does all the work
// in the one-lane build. Partial rotary copies dims d_rot … head_dim−1.
#include "posenc/rope_kernel.hpp"

#include "posenc/simd.hpp"

namespace posenc {

namespace {

// N slices x + k·stride side by side, each table load serving all N. FixedHalf > 0 compiles the kernel
// for that d_rot/2: in wasm the partner's offset then folds into the load and store instructions instead
// of costing an address addition each (d_rot 128 and 64, the common head sizes: 6-10% faster).
template <std::size_t N, std::size_t FixedHalf = 0>
void rotate(const float* x, float* out, std::size_t stride, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
            RopeLayout layout, const float* cos_table, const float* sin_table) {
  const std::size_t half = FixedHalf ? FixedHalf : d_rot / 2;
  const bool interleaved = layout == RopeLayout::Interleaved;
  const std::size_t step = interleaved ? 2 : 1, partner = interleaved ? 1 : half;
  constexpr std::size_t W = simd::kWidth;
  const bool vector_pairs = !interleaved || simd::kHasPairs;
  const std::size_t vend = vector_pairs ? simd::vector_end(half) : 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* c = cos_table + r * half;
    const float* s = sin_table + r * half;
    std::size_t j = 0;
    if (interleaved) {  // 2W adjacent floats unzipped into W first and W second members, rotated, zipped back
      for (; j < vend; j += W) {
        const simd::Floats cv = simd::load(c + j), sv = simd::load(s + j);
        for (std::size_t k = 0; k < N; ++k) {
          const float* xr = x + k * stride + r * head_dim;
          float* o = out + k * stride + r * head_dim;
          const simd::Floats x0 = simd::load(xr + 2 * j), x1 = simd::load(xr + 2 * j + W);
          const simd::Floats u = simd::unzip_even(x0, x1), v = simd::unzip_odd(x0, x1);
          const simd::Floats ru = simd::fms(u, cv, v * sv), rv = simd::fma(u, sv, v * cv);
          simd::store(o + 2 * j, simd::zip_lo(ru, rv));
          simd::store(o + 2 * j + W, simd::zip_hi(ru, rv));
        }
      }
    } else {
      for (; j < vend; j += W) {
        const simd::Floats cv = simd::load(c + j), sv = simd::load(s + j);
        for (std::size_t k = 0; k < N; ++k) {
          const float* xr = x + k * stride + r * head_dim;
          float* o = out + k * stride + r * head_dim;
          const simd::Floats u = simd::load(xr + j), v = simd::load(xr + j + half);
          simd::store(o + j, simd::fms(u, cv, v * sv));
          simd::store(o + j + half, simd::fma(u, sv, v * cv));
        }
      }
    }
    for (std::size_t k = 0; k < N; ++k) {
      const float* xr = x + k * stride + r * head_dim;
      float* o = out + k * stride + r * head_dim;
      for (std::size_t t = j; t < half; ++t) {
        const std::size_t a = t * step, b = a + partner;
        const float u = xr[a], v = xr[b], ct = c[t], st = s[t];
        o[a] = u * ct - v * st;
        o[b] = u * st + v * ct;
      }
      if (o != xr) std::copy(xr + d_rot, xr + head_dim, o + d_rot);
    }
  }
}

}  // namespace

void rope_rotate_slices(const float* x, float* out, std::size_t stride, std::size_t slices, std::size_t rows,
                        std::size_t head_dim, std::size_t d_rot, RopeLayout layout, const float* cos_table,
                        const float* sin_table) {
  std::size_t i = 0;
  for (; i + kRopeSlicesPerPass <= slices; i += kRopeSlicesPerPass) {
    const float* xi = x + i * stride;
    float* oi = out + i * stride;
    if (d_rot == 128) {
      rotate<kRopeSlicesPerPass, 64>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    } else if (d_rot == 64) {
      rotate<kRopeSlicesPerPass, 32>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    } else {
      rotate<kRopeSlicesPerPass>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    }
  }
  for (; i < slices; ++i) {
    rotate<1>(x + i * stride, out + i * stride, 0, rows, head_dim, d_rot, layout, cos_table, sin_table);
  }
}

void rope_rotate(const float* x, float* out, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
                 RopeLayout layout, const float* cos_table, const float* sin_table) {
  rope_rotate_slices(x, out, 0, 1, rows, head_dim, d_rot, layout, cos_table, sin_table);
}

void rope_rotate_heads(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                       const float* cos_table, const float* sin_table) {
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto slices = static_cast<std::size_t>(shape.batch * shape.heads);
  rope_rotate_slices(x.data(), out.data(), seq * head_dim, slices, seq, head_dim, d_rot, layout, cos_table, sin_table);
}

void scale_rope_tables(std::size_t n, float scale, float* c, float* s) {
  if (scale == 1.0f) return;
  for (std::size_t i = 0; i < n; ++i) {
    c[i] *= scale;
    s[i] *= scale;
  }
}

void rope_rotate_blocked(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                         bool per_batch, bool inverse, const RopeTableFill& fill) {
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto batch = static_cast<std::size_t>(shape.batch), heads = static_cast<std::size_t>(shape.heads);
  for_each_rope_block(seq, d_rot / 2, per_batch ? batch : 1, inverse, fill,
                      [&](std::size_t row, std::size_t s0, std::size_t count, const float* c, const float* s) {
                        // The (batch, head) slices this table serves are consecutive, seq·head_dim apart.
                        const std::size_t first = per_batch ? row * heads : 0;
                        const std::size_t slices = per_batch ? heads : batch * heads;
                        const std::size_t at = (first * seq + s0) * head_dim;
                        rope_rotate_slices(x.data() + at, out.data() + at, seq * head_dim, slices, count, head_dim,
                                           d_rot, layout, c, s);
                      });
}

}  // namespace posenc
