// Exact angles: sin and cos of p·ω for integer positions up to 2^31−1.
// A float32 product p·ω is off by ~0.025 at p ≈ 2^20, so the angle is formed in float64 and reduced
// to [−π, π] with a three-part 2π (Cody–Waite); only the reduced angle, where float32 is exact enough,
// goes through the float polynomial of simd::sincos.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "posenc/simd.hpp"

namespace posenc {

// ω_j = base^(−2j/d) for j < d/2, in float64: the frequencies of the sinusoidal table and of RoPE.
std::vector<double> inverse_frequencies(std::int64_t d, double base);

// Whether kept frequencies are bitwise the n given ones (a table made from them is then the same bits; -0 is not
// 0, its sines differ in sign). A word at a time: wasm's memcmp goes byte by byte.
inline bool same_frequencies(const std::vector<double>& kept, const double* freq, std::size_t n) {
  if (kept.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t x, y;
    std::memcpy(&x, &kept[i], sizeof x);
    std::memcpy(&y, &freq[i], sizeof y);
    if (x != y) return false;
  }
  return true;
}

// Angle reduced to [−π, π]; |error| < 1e-12 for |angle| ≤ 2^32.
double reduce_angle(double angle);

// sin_out[j] = sin(position · freq[j]), cos_out[j] = cos(position · freq[j]) for j < n, in float32.
// freq is float64 so that scaled RoPE frequencies keep their exact value.
void sincos_at(double position, const double* freq, std::size_t n, float* sin_out, float* cos_out);

// Consecutive positions are made from anchors and steps: positions that are multiples of kAnchorStride
// are exact (sincos_at); position anchor + r is the anchor rotated by the exact step r·freq[j] (angle
// addition, four float products): ~20x cheaper than a polynomial per element, within 1e-6 of the float64
// value, and the same bits for a position whichever range it is computed in. One anchor per 64 positions
// (rather than 32) made a 4096 x 1024 table 6-9% faster for a step table of 64·n float pairs.
inline constexpr std::size_t kAnchorStride = 64;

// The step table: sin/cos(r·freq[j]) for r < rows() ≤ kAnchorStride. Made as far as a range of positions
// needs it, so a call's scratch is proportional to its work; an owner that keeps one across calls with the
// same frequencies (RopeCache) skips rebuilding it.
class SincosSteps {
 public:
  // Rows [0, rows) for these frequencies: kept when the frequencies are bitwise the same, extended when
  // more rows are asked for, rebuilt otherwise.
  void prepare(const double* freq, std::size_t n, std::size_t rows);
  std::size_t rows() const { return rows_; }
  // For an owner keeping it across calls: forgets the table when it holds more than max_floats floats.
  void release_if_over(std::size_t max_floats);
  std::size_t floats() const { return sin_.size() + cos_.size() + freq_.size() * 2; }
  const float* sin_row(std::size_t r) const { return sin_.data() + r * freq_.size(); }
  const float* cos_row(std::size_t r) const { return cos_.data() + r * freq_.size(); }

 private:
  std::vector<double> freq_;
  std::size_t rows_ = 0;
  std::vector<float> sin_, cos_;
};

// Step rows that positions [first, first + count) use: all kAnchorStride once the range crosses an anchor.
std::size_t steps_needed(std::int64_t first, std::size_t count);

// Sin and cos of consecutive positions, by anchors and steps. freq and steps must outlive it.
class SincosRows {
 public:
  // Prepares `steps` for positions [first, first + count); later calls may use any sub-range of it.
  SincosRows(const double* freq, std::size_t n, std::int64_t first, std::size_t count, SincosSteps& steps);
  // Rows first … first+rows−1 into sin_out, cos_out ([rows, n]).
  void fill(std::int64_t first, std::size_t rows, float* sin_out, float* cos_out) const;

  // The walk behind fill(), for kernels that consume the values where they are made instead of reading
  // them back from a table: emit(row, j, sin, cos) gets frequencies j … j+kWidth−1 of row (counted from
  // first) as two vectors, tail(row, j, sin, cos) each frequency past the last whole vector.
  template <class Emit, class Tail>
  void for_each(std::int64_t first, std::size_t rows, Emit&& emit, Tail&& tail) const;

 private:
  const double* freq_;
  std::size_t n_;
  const SincosSteps& steps_;
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
      const float* ss = steps_.sin_row(r);
      const float* sc = steps_.cos_row(r);
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
