// Float64 reference for LayerNorm, written from the definition with plain loops (never calls posenc kernels).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

// v: [rows, d]; gamma/beta: (d,) or empty for 1s / 0s. Biased variance, as PyTorch.
template <class V, class G>
std::vector<double> layer_norm(const V& v, std::int64_t rows, std::int64_t d, const G& gamma, const G& beta,
                               double eps) {
  std::vector<double> y(static_cast<std::size_t>(rows * d));
  for (std::int64_t r = 0; r < rows; ++r) {
    double mean = 0;
    for (std::int64_t i = 0; i < d; ++i) mean += static_cast<double>(v[r * d + i]);
    mean /= static_cast<double>(d);
    double var = 0;
    for (std::int64_t i = 0; i < d; ++i) var += (v[r * d + i] - mean) * (v[r * d + i] - mean);
    var /= static_cast<double>(d);
    for (std::int64_t i = 0; i < d; ++i) {
      const double g = gamma.empty() ? 1.0 : static_cast<double>(gamma[i]);
      const double b = beta.empty() ? 0.0 : static_cast<double>(beta[i]);
      y[r * d + i] = (v[r * d + i] - mean) / std::sqrt(var + eps) * g + b;
    }
  }
  return y;
}

}  // namespace ref
