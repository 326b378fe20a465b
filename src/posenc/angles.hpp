// Exact angles: sin and cos of p·ω for integer positions up to 2^31−1 (SPEC §0, pitfall P5).
// A float32 product p·ω is off by ~0.025 at p ≈ 2^20, so the angle is formed in float64 and reduced
// to [−π, π] with a three-part 2π (Cody–Waite); only the reduced angle, where float32 is exact enough,
// goes through the float polynomial of simd::sincos.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

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
// and the same bits for a position whichever range it is computed in.
inline constexpr std::size_t kAnchorStride = 32;
class SincosRows {
 public:
  SincosRows(const double* freq, std::size_t n);  // computes the step table once
  void fill(std::int64_t first, std::size_t rows, float* sin_out, float* cos_out) const;

 private:
  const double* freq_;
  std::size_t n_;
  std::vector<float> step_sin_, step_cos_;  // [kAnchorStride, n]: sin/cos(r·freq[j])
};

}  // namespace posenc
