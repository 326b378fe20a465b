// Exact angles: sin and cos of p·ω for integer positions up to 2^31−1 (SPEC §0, pitfall P5).
// A float32 product p·ω is off by ~0.025 at p ≈ 2^20, so the angle is formed in float64 and reduced
// to [−π, π] with a three-part 2π (Cody–Waite); only the reduced angle, where float32 is exact enough,
// goes through the float polynomial of simd::sincos.
#pragma once
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "posenc/simd.hpp"

namespace posenc {

// Angle p·freq[j] reduced to [−π, π]; |error| < 1e-12 for |p·freq| ≤ 2^32.
double reduce_angle(double angle);

// sin_out[j] = sin(position · freq[j]), cos_out[j] = cos(position · freq[j]) for j < n, in float32.
// freq is float64 so that scaled RoPE frequencies keep their exact value.
void sincos_at(double position, const double* freq, std::size_t n, float* sin_out, float* cos_out);

// The same for consecutive positions: rows first … first+rows−1 into sin_out, cos_out ([rows, n]).
// Positions that are multiples of kAnchorStride are exact (sincos_at); position anchor + r is the anchor
// rotated by the exact step r·freq[j] (angle addition, four float products): ~20x cheaper than a
// polynomial per element, within 1e-6 of the float64 value (each factor is within 1e-7 of its own),
// and the same bits for a position whichever range it is computed in. Anchors are still a quarter of a
// table's work at one per 32 positions; one per 64 made W1 (4096 x 1024) 6-9% faster and a 64-position
// RoPE 4-5%, for a step table of 64·n float pairs (256 KiB at d = 1024, 32 KiB at head_dim 128).
inline constexpr std::size_t kAnchorStride = 64;
class SincosRows {
 public:
  SincosRows(const double* freq, std::size_t n);  // the step table: made once per distinct freq (see Steps)
  void fill(std::int64_t first, std::size_t rows, float* sin_out, float* cos_out) const;

  // The walk behind fill(), for kernels that consume the values where they are made instead of reading
  // them back from a table: emit(row, j, sin, cos) gets frequencies j … j+kWidth−1 of row (counted from
  // first) as two vectors, tail(row, j, sin, cos) each frequency past the last whole vector.
  template <class Emit, class Tail>
  void for_each(std::int64_t first, std::size_t rows, Emit&& emit, Tail&& tail) const;

 private:
  // [kAnchorStride, n]: sin/cos(r·freq[j]). The last one made is kept (per thread) and reused while calls
  // pass the same frequencies: building it is 32·n exact sincos, the largest fixed cost of a small call
  // (a RoPE of 4 heads x 64 positions, W2 hot, spent about a third of its time there).
  struct Steps {
    std::vector<double> freq;
    std::vector<float> sin, cos;
  };
  static std::shared_ptr<const Steps> steps_for(const double* freq, std::size_t n);

  const double* freq_;
  std::size_t n_;
  std::shared_ptr<const Steps> steps_;
  const float* step_sin_;
  const float* step_cos_;
};

template <class Emit, class Tail>
void SincosRows::for_each(std::int64_t first, std::size_t rows, Emit&& emit, Tail&& tail) const {
  // Anchors sit at absolute positions that are multiples of kAnchorStride, so row p is the same
  // function of p whichever call computes it (a module's cache and a one-off call agree bit for bit).
  const std::size_t n = n_, vend = simd::vector_end(n);
  std::vector<float> anchor(2 * n);
  const float* as = anchor.data();
  const float* ac = anchor.data() + n;
  const auto stride = static_cast<std::int64_t>(kAnchorStride);
  const std::int64_t end = first + static_cast<std::int64_t>(rows);
  for (std::int64_t at = first - first % stride; at < end; at += stride) {
    sincos_at(static_cast<double>(at), freq_, n, anchor.data(), anchor.data() + n);
    for (std::int64_t p = std::max(at, first); p < std::min(at + stride, end); ++p) {
      // sin(a + b) = sin a cos b + cos a sin b, cos(a + b) = cos a cos b − sin a sin b.
      const auto r = static_cast<std::size_t>(p - at);
      const auto row = static_cast<std::size_t>(p - first);
      const float* ss = &step_sin_[r * n];
      const float* sc = &step_cos_[r * n];
      std::size_t j = 0;
      for (; j < vend; j += simd::kWidth) {
        const simd::Floats sa = simd::load(as + j), ca = simd::load(ac + j), sb = simd::load(ss + j), cb = simd::load(sc + j);
        emit(row, j, simd::fma(sa, cb, ca * sb), simd::fms(ca, cb, sa * sb));
      }
      for (; j < n; ++j) tail(row, j, as[j] * sc[j] + ac[j] * ss[j], ac[j] * sc[j] - as[j] * ss[j]);
    }
  }
}

}  // namespace posenc
