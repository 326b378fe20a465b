// LayerNorm over the last axis: biased variance as in PyTorch.
#pragma once
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

// The smallest eps: 1/√eps = 1e15 stays a float32 multiplier, so a constant row (σ² = 0) normalizes to
// 0 · 1e15 = 0 instead of 0 · ∞ = NaN; any row whose σ² float32 cannot hold is then eps-dominated anyway.
inline constexpr double kMinLayerNormEps = 1e-30;

// OUT_OF_RANGE unless eps >= kMinLayerNormEps; `name` is the argument the caller knows it by.
void require_layer_norm_eps(const char* name, double eps);

// x, out: [rows, d] (out may be x). gamma, beta: (d,) or empty for 1s / 0s. eps >= kMinLayerNormEps.
void layer_norm(Span<const float> x, std::int64_t rows, std::int64_t d, Span<const float> gamma,
                Span<const float> beta, double eps, Span<float> out);

// Gradient of LayerNorm over the last axis (layer_norm.hpp). Shapes: dy, x, dx [rows, d]; gamma (d,) or
// empty for 1s; d_gamma, d_beta (d,) or empty when not wanted. Gradients are added (+=), as in llm.c, so a
// caller zeroes them once and accumulates over several uses of the same parameters.
void layer_norm_backward(Span<const float> dy, Span<const float> x, std::int64_t rows, std::int64_t d,
                         Span<const float> gamma, double eps, Span<float> dx, Span<float> d_gamma, Span<float> d_beta);

}  // namespace posenc
