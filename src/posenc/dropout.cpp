#include "posenc/dropout.hpp"

#include <cmath>

#include "posenc/error.hpp"

namespace posenc {

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
  // splitmix64 of (seed, index): a stateless stream, identical natively and in wasm.
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);  // [0, 1)
  return u >= p;
}

void dropout_in_place(Span<float> y, const DropoutOptions& options, std::size_t first) {
  if (!dropout_active(options)) return;
  if (options.p >= 1) {
    for (float& v : y) v = 0.0f;
    return;
  }
  const float scale = static_cast<float>(1.0 / (1.0 - options.p));
  if (!options.keep_mask.empty()) {
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = options.keep_mask[first + i] ? y[i] * scale : 0.0f;
  } else {
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = dropout_keep(options.seed, first + i, options.p) ? y[i] * scale : 0.0f;
  }
}

void dropout(Span<const float> x, Span<float> out, const DropoutOptions& options) {
  validate_dropout(options, x.size());
  require_length("out", out.size(), x.size());
  if (out.data() != x.data()) {
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i];
  }
  dropout_in_place(out, options);
}

}  // namespace posenc
