#include "posenc/angles.hpp"

#include <cmath>

#include "posenc/simd.hpp"

namespace posenc {

namespace {
// 2π split so that k·kTwoPi1 and k·kTwoPi2 are exact for |k| < 2^29 (24-bit parts).
constexpr double kTwoPi1 = 6.2831854820251465;
constexpr double kTwoPi2 = -1.7484555314695172e-07;
constexpr double kTwoPi3 = -6.8604979977715316e-15;
constexpr double kInvTwoPi = 0.15915494309189535;
constexpr std::size_t kChunk = 256;
}  // namespace

double reduce_angle(double angle) {
  const double k = std::nearbyint(angle * kInvTwoPi);
  return ((angle - k * kTwoPi1) - k * kTwoPi2) - k * kTwoPi3;
}

void sincos_at(double position, const double* freq, std::size_t n, float* sin_out, float* cos_out) {
  // Chunks keep the reduced angles in a small stack buffer: one float64 pass, then one SIMD pass.
  alignas(64) float reduced[kChunk];
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = n - base < kChunk ? n - base : kChunk;
    for (std::size_t j = 0; j < m; ++j) reduced[j] = static_cast<float>(reduce_angle(position * freq[base + j]));
    const std::size_t vend = simd::vector_end(m);
    std::size_t j = 0;
    for (; j < vend; j += simd::kWidth) {
      simd::Floats s, c;
      simd::sincos(simd::load(reduced + j), s, c);
      simd::store(sin_out + base + j, s);
      simd::store(cos_out + base + j, c);
    }
    for (; j < m; ++j) {  // scalar tail
      sin_out[base + j] = std::sin(reduced[j]);
      cos_out[base + j] = std::cos(reduced[j]);
    }
  }
}

}  // namespace posenc
