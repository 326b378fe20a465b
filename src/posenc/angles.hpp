// Exact angles: sin and cos of p·ω for integer positions up to 2^31−1 (SPEC §0, pitfall P5).
// A float32 product p·ω is off by ~0.025 at p ≈ 2^20, so the angle is formed in float64 and reduced
// to [−π, π] with a three-part 2π (Cody–Waite); only the reduced angle, where float32 is exact enough,
// goes through the float polynomial of simd::sincos.
#pragma once
#include <cstddef>
#include <cstdint>

namespace posenc {

// Angle p·freq[j] reduced to [−π, π]; |error| < 1e-12 for |p·freq| ≤ 2^32.
double reduce_angle(double angle);

// sin_out[j] = sin(position · freq[j]), cos_out[j] = cos(position · freq[j]) for j < n, in float32.
// freq is float64 so that scaled RoPE frequencies keep their exact value.
void sincos_at(double position, const double* freq, std::size_t n, float* sin_out, float* cos_out);

}  // namespace posenc
