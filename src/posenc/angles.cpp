#include "posenc/angles.hpp"

#include <cmath>

#include "posenc/error.hpp"

namespace posenc {

namespace {
// 2π split so that k·kTwoPi1 and k·kTwoPi2 are exact for |k| < 2^29 (24-bit parts).
constexpr double kTwoPi1 = 6.2831854820251465;
constexpr double kTwoPi2 = -1.7484555314695172e-07;
constexpr double kTwoPi3 = -6.8604979977715316e-15;
constexpr double kInvTwoPi = 0.15915494309189535;
constexpr std::size_t kChunk = 256;

// One formula for a double and for a batch of them (simd::Doubles), so every lane reduces alike.
template <class T>
T reduce(const T& angle) {
  const T k = simd::round_nearest(angle * kInvTwoPi);
  return ((angle - k * kTwoPi1) - k * kTwoPi2) - k * kTwoPi3;
}
}  // namespace

std::vector<double> inverse_frequencies(std::int64_t d, double base) {
  std::vector<double> freq = allocate<double>("the frequency table", static_cast<std::size_t>(d / 2));
  for (std::size_t j = 0; j < freq.size(); ++j) {
    freq[j] = 1.0 / std::pow(base, 2.0 * static_cast<double>(j) / static_cast<double>(d));
  }
  return freq;
}

double reduce_angle(double angle) { return reduce(angle); }

void sincos_at(double position, const double* freq, std::size_t n, float* sin_out, float* cos_out) {
  // Chunks keep the reduced angles in a small stack buffer: one float64 pass, then one SIMD pass.
  alignas(64) float reduced[kChunk];
  const simd::Doubles p = simd::splat_double(position);
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = n - base < kChunk ? n - base : kChunk;
    std::size_t k = 0;
    for (; k + simd::kDoubleWidth <= m; k += simd::kDoubleWidth) {
      simd::store_as_floats(reduced + k, reduce(p * simd::load_doubles(freq + base + k)));
    }
    for (; k < m; ++k) reduced[k] = static_cast<float>(reduce_angle(position * freq[base + k]));
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

void SincosSteps::prepare(const double* freq, std::size_t n, std::size_t rows) {
  if (!same_frequencies(freq_, freq, n)) {  // the table is a function of the exact frequencies
    freq_.assign(freq, freq + n);
    rows_ = 0;
  }
  if (rows <= rows_) return;
  resize_or_fail(sin_, "the angle step table", rows * n);
  resize_or_fail(cos_, "the angle step table", rows * n);
  for (std::size_t r = rows_; r < rows; ++r) {
    sincos_at(static_cast<double>(r), freq, n, sin_.data() + r * n, cos_.data() + r * n);
  }
  rows_ = rows;
}

void SincosSteps::release_if_over(std::size_t max_floats) {
  if (floats() > max_floats) *this = SincosSteps();
}

std::size_t steps_needed(std::int64_t first, std::size_t count) {
  if (count == 0) return 0;
  const auto stride = static_cast<std::int64_t>(kAnchorStride);
  const std::int64_t last = first + static_cast<std::int64_t>(count) - 1;
  if (first / stride != last / stride) return kAnchorStride;
  return static_cast<std::size_t>(last % stride) + 1;
}

SincosRows::SincosRows(const double* freq, std::size_t n, std::int64_t first, std::size_t count, SincosSteps& steps)
    : freq_(freq), n_(n), steps_(steps) {
  steps.prepare(freq, n, steps_needed(first, count));
}

void SincosRows::fill(std::int64_t first, std::size_t rows, float* sin_out, float* cos_out) const {
  const std::size_t n = n_;
  for_each(
      first, rows,
      [&](std::size_t row, std::size_t j, const simd::Floats& s, const simd::Floats& c) {
        simd::store(sin_out + row * n + j, s);
        simd::store(cos_out + row * n + j, c);
      },
      [&](std::size_t row, std::size_t j, float s, float c) {
        sin_out[row * n + j] = s;
        cos_out[row * n + j] = c;
      });
}

}  // namespace posenc
