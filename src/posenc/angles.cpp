#include "posenc/angles.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

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

SincosRows::SincosRows(const double* freq, std::size_t n)
    : freq_(freq), n_(n), step_sin_(kAnchorStride * n), step_cos_(kAnchorStride * n) {
  for (std::size_t r = 0; r < kAnchorStride; ++r) {
    sincos_at(static_cast<double>(r), freq, n, &step_sin_[r * n], &step_cos_[r * n]);
  }
}

void SincosRows::fill(std::int64_t first, std::size_t rows, float* sin_out, float* cos_out) const {
  // Anchors sit at absolute positions that are multiples of kAnchorStride, so row p is the same
  // function of p whichever call computes it (a module's cache and a one-off call agree bit for bit).
  const std::size_t n = n_, vend = simd::vector_end(n);
  std::vector<float> anchor_sin(n), anchor_cos(n);
  const float* as = anchor_sin.data();
  const float* ac = anchor_cos.data();
  const auto stride = static_cast<std::int64_t>(kAnchorStride);
  const std::int64_t end = first + static_cast<std::int64_t>(rows);
  for (std::int64_t anchor = first - first % stride; anchor < end; anchor += stride) {
    sincos_at(static_cast<double>(anchor), freq_, n, anchor_sin.data(), anchor_cos.data());
    for (std::int64_t p = std::max(anchor, first); p < std::min(anchor + stride, end); ++p) {
      // sin(a + b) = sin a cos b + cos a sin b, cos(a + b) = cos a cos b − sin a sin b.
      const auto r = static_cast<std::size_t>(p - anchor);
      const float* ss = &step_sin_[r * n];
      const float* sc = &step_cos_[r * n];
      float* os = sin_out + static_cast<std::size_t>(p - first) * n;
      float* oc = cos_out + static_cast<std::size_t>(p - first) * n;
      std::size_t j = 0;
      for (; j < vend; j += simd::kWidth) {
        const simd::Floats sa = simd::load(as + j), ca = simd::load(ac + j), sb = simd::load(ss + j), cb = simd::load(sc + j);
        simd::store(os + j, simd::fma(sa, cb, ca * sb));
        simd::store(oc + j, simd::fms(ca, cb, sa * sb));
      }
      for (; j < n; ++j) {  // scalar tail
        os[j] = as[j] * sc[j] + ac[j] * ss[j];
        oc[j] = ac[j] * sc[j] - as[j] * ss[j];
      }
    }
  }
}

}  // namespace posenc
