// Backward of layer_norm. Forward: x̂ = (x − μ)·r with r = 1/√(σ² + eps), y = x̂·γ + β. With g = dy·γ:
//   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ += Σ_rows dy·x̂,  dβ += Σ_rows dy.
// μ and r are recomputed here in float64 (two passes), so the forward need not keep them.
#include "posenc/layer_norm_backward.hpp"

#include <cmath>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"

namespace posenc {

void layer_norm_backward(Span<const float> dy, Span<const float> x, std::int64_t rows, std::int64_t d,
                         Span<const float> gamma, double eps, Span<float> dx, Span<float> d_gamma, Span<float> d_beta) {
  require_finite("eps", eps);
  require_finite_entries("gamma", gamma);
  require_size("rows", rows);
  require_size("d", d);
  require_range(eps > 0, "eps", eps, "be greater than 0");
  const auto width = static_cast<std::size_t>(d);
  if (!gamma.empty()) require_length("gamma", gamma.size(), width);
  if (!d_gamma.empty()) require_length("d_gamma", d_gamma.size(), width);
  if (!d_beta.empty()) require_length("d_beta", d_beta.size(), width);
  const std::size_t n = element_count({rows, d});
  require_length("dy", dy.size(), n);
  require_length("x", x.size(), n);
  require_length("dx", dx.size(), n);

  std::vector<float> xhat(width), g(width);
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    const float* xr = x.data() + r * width;
    const float* dyr = dy.data() + r * width;
    double mean = 0;
    for (std::size_t i = 0; i < width; ++i) mean += xr[i];
    mean /= static_cast<double>(width);
    double var = 0;
    for (std::size_t i = 0; i < width; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    var /= static_cast<double>(width);
    const double rstd = 1.0 / std::sqrt(var + eps);
    double mean_g = 0, mean_gx = 0;
    for (std::size_t i = 0; i < width; ++i) {
      xhat[i] = static_cast<float>((xr[i] - mean) * rstd);
      g[i] = gamma.empty() ? dyr[i] : dyr[i] * gamma[i];
      mean_g += g[i];
      mean_gx += static_cast<double>(g[i]) * xhat[i];
    }
    mean_g /= static_cast<double>(width);
    mean_gx /= static_cast<double>(width);
    float* dxr = dx.data() + r * width;
    const auto fr = static_cast<float>(rstd), fm = static_cast<float>(mean_g), fmx = static_cast<float>(mean_gx);
    for (std::size_t i = 0; i < width; ++i) dxr[i] += fr * (g[i] - fm - xhat[i] * fmx);
    if (!d_gamma.empty())
      for (std::size_t i = 0; i < width; ++i) d_gamma[i] += dyr[i] * xhat[i];
    if (!d_beta.empty())
      for (std::size_t i = 0; i < width; ++i) d_beta[i] += dyr[i];
  }
}

}  // namespace posenc
