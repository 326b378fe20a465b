// Inverted dropout (Srivastava et al. 2014, scaled at train time as PyTorch does). y = x · keep / (1 − p), where keep comes from the caller's 0/1 mask or from a
// counter-based hash of (seed, element index). Keep factors (0 or 1/(1−p)) are formed a chunk at a time in
// scalar code, then multiplied in with SIMD over the chunk and a scalar tail. Multiplying (rather than
// writing 0) lets NaN activations propagate, as x · mask does in PyTorch.
#include "posenc/dropout.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/error.hpp"
#include "posenc/random.hpp"
#include "posenc/simd.hpp"
#include <vector>

namespace posenc {

namespace {

// y[i] *= factor[i] for i < n.
void multiply_in_place(float* y, const float* factor, std::size_t n) {
  const std::size_t end = simd::vector_end(n);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) simd::store(y + i, simd::load(y + i) * simd::load(factor + i));
  for (; i < n; ++i) y[i] *= factor[i];
}

}  // namespace

void validate_dropout(const DropoutOptions& options, std::size_t n) {
  require_finite("p", options.p);
  require_range(options.p >= 0 && options.p <= 1, "p", options.p, "be in [0, 1]");
  if (!options.keep_mask.empty()) {
    require_length("keep_mask", options.keep_mask.size(), n);
    for (std::uint8_t k : options.keep_mask) {
      if (k > 1) fail(ErrorCode::OutOfRange, "keep_mask entries must be 0 or 1, got " + std::to_string(k));
    }
  }
}

bool dropout_active(const DropoutOptions& options) { return options.train && options.p > 0; }

bool dropout_keep(std::uint64_t seed, std::uint64_t index, double p) {
  // A stateless stream, identical natively and in wasm, and independent of how the work is chunked.
  return unit_interval(mix64(seed * SplitMix64::kGolden + index + 0x632BE59BD9B4E019ull)) >= p;
}

std::uint64_t dropout_call_seed(std::uint64_t seed, std::uint64_t call) {
  return mix64(mix64(seed ^ 0xD1B54A32D192ED03ull) + call);
}

void dropout_in_place(Span<float> y, const DropoutOptions& options, std::size_t first) {
  if (!dropout_active(options)) return;
  if (options.p >= 1) {
    std::fill(y.begin(), y.end(), 0.0f);
    return;
  }
  const float scale = static_cast<float>(1.0 / (1.0 - options.p));
  constexpr std::size_t kChunk = 256;
  float factor[kChunk];
  for (std::size_t start = 0; start < y.size(); start += kChunk) {
    const std::size_t m = std::min(kChunk, y.size() - start);
    const std::size_t at = first + start;
    if (!options.keep_mask.empty()) {
      for (std::size_t i = 0; i < m; ++i) factor[i] = options.keep_mask[at + i] ? scale : 0.0f;
    } else {
      for (std::size_t i = 0; i < m; ++i) factor[i] = dropout_keep(options.seed, at + i, options.p) ? scale : 0.0f;
    }
    multiply_in_place(y.data() + start, factor, m);
  }
}

void dropout(Span<const float> x, Span<float> out, const DropoutOptions& options) {
  validate_dropout(options, x.size());
  require_length("out", out.size(), x.size());
  if (out.data() != x.data()) std::copy(x.begin(), x.end(), out.begin());
  dropout_in_place(out, options);
}

void dropout_backward(Span<const float> dy, Span<float> dx, const DropoutOptions& options) {
  validate_dropout(options, dy.size());
  require_length("dx", dx.size(), dy.size());
  // dropout_in_place applies exactly the forward's factors, so the gradient is the forward of dy.
  std::vector<float> scaled(dy.begin(), dy.end());
  dropout_in_place(scaled, options);
  const std::size_t n = dy.size(), end = simd::vector_end(n);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) simd::store(dx.data() + i, simd::load(dx.data() + i) + simd::load(scaled.data() + i));
  for (; i < n; ++i) dx[i] += scaled[i];
}

}  // namespace posenc
