// LayerNorm over the last axis (Ba et al. 2016): x, out [rows, d], gamma/beta (d,) or empty.
// μ = mean(v), σ² = mean((v − μ)²) (biased, as PyTorch), y = (v − μ)/√(σ² + eps) · γ + β.
// Not E[v²] − μ², which cancels catastrophically when |μ| ≫ σ: a rough mean first, then the residuals
// sums correct both the mean and the variance, and the mean is subtracted as a float pair (hi, lo) so a
// large common offset (|μ| ≫ σ) costs no accuracy. Sums run over SIMD lanes with a scalar tail.
#include "posenc/layer_norm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/simd.hpp"
#include <vector>

namespace posenc {

namespace {

float row_sum(const float* v, std::size_t d) {
  const std::size_t end = simd::vector_end(d);
  simd::Floats acc = simd::splat(0.0f);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) acc += simd::load(v + i);
  float sum = simd::reduce_add(acc);
  for (; i < d; ++i) sum += v[i];
  return sum;
}

// Σc and Σc² over c = v − shift, for the corrected two-pass formulas below.
void row_centred_sums(const float* v, std::size_t d, float shift, float& sum, float& square_sum) {
  const std::size_t end = simd::vector_end(d);
  const simd::Floats m = simd::splat(shift);
  simd::Floats acc = simd::splat(0.0f), acc2 = simd::splat(0.0f);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) {
    const simd::Floats c = simd::load(v + i) - m;
    acc += c;
    acc2 = simd::fma(c, c, acc2);
  }
  sum = simd::reduce_add(acc);
  square_sum = simd::reduce_add(acc2);
  for (; i < d; ++i) {
    const float c = v[i] - shift;
    sum += c;
    square_sum += c * c;
  }
}

// out = ((v − mean_hi) − mean_lo) · inv_std · γ + β; γ, β may be null (1s, 0s).
void normalize_row(const float* v, std::size_t d, float mean_hi, float mean_lo, float inv_std, const float* gamma,
                   const float* beta, float* out) {
  const std::size_t end = simd::vector_end(d);
  const simd::Floats hi = simd::splat(mean_hi), lo = simd::splat(mean_lo), r = simd::splat(inv_std);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) {
    simd::Floats y = ((simd::load(v + i) - hi) - lo) * r;
    if (gamma) y *= simd::load(gamma + i);
    if (beta) y += simd::load(beta + i);
    simd::store(out + i, y);
  }
  for (; i < d; ++i) {
    float y = ((v[i] - mean_hi) - mean_lo) * inv_std;
    if (gamma) y *= gamma[i];
    if (beta) y += beta[i];
    out[i] = y;
  }
}

}  // namespace

void require_layer_norm_eps(const char* name, double eps) {
  require_range(eps > 0, name, eps, "be greater than 0");
  require_range(eps >= kMinLayerNormEps, name, eps, "be at least 1e-30 (1/sqrt(eps) must fit float32)");
}

void layer_norm(Span<const float> x, std::int64_t rows, std::int64_t d, Span<const float> gamma,
                Span<const float> beta, double eps, Span<float> out) {
  require_finite("eps", eps);
  require_finite_entries("gamma", gamma);
  require_finite_entries("beta", beta);
  require_size("rows", rows);
  require_size("d", d);
  require_layer_norm_eps("eps", eps);
  if (!gamma.empty()) require_length("gamma", gamma.size(), static_cast<std::size_t>(d));
  if (!beta.empty()) require_length("beta", beta.size(), static_cast<std::size_t>(d));
  const std::size_t n = element_count({rows, d});
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);

  const std::size_t width = static_cast<std::size_t>(d);
  const float* g = gamma.empty() ? nullptr : gamma.data();
  const float* b = beta.empty() ? nullptr : beta.data();
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    const float* v = x.data() + r * width;
    // A rough float mean, then sums of the small residuals c = v − mean_hi: mean = mean_hi + Σc/d and
    // σ² = Σc²/d − (Σc/d)², both exact in exact arithmetic, accurate here because |c| is about σ.
    const float mean_hi = row_sum(v, width) / static_cast<float>(width);
    float sum = 0, square_sum = 0;
    row_centred_sums(v, width, mean_hi, sum, square_sum);
    const double delta = static_cast<double>(sum) / static_cast<double>(width);
    const double variance = std::max(0.0, static_cast<double>(square_sum) / static_cast<double>(width) - delta * delta);
    const float inv_std = static_cast<float>(1.0 / std::sqrt(variance + eps));
    normalize_row(v, width, mean_hi, static_cast<float>(delta), inv_std, g, b, out.data() + r * width);
  }
}

// Backward of layer_norm. Forward: x̂ = (x − μ)·r with r = 1/√(σ² + eps), y = x̂·γ + β. With g = dy·γ:
//   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ += Σ_rows dy·x̂,  dβ += Σ_rows dy.
// μ and r are recomputed here in float64 (two passes), so the forward need not keep them.
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
