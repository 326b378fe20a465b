// LayerNorm over the last axis: biased variance as in PyTorch.
#pragma once
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

// x, out: [rows, d] (out may be x). gamma, beta: (d,) or empty for 1s / 0s. eps > 0.
void layer_norm(Span<const float> x, std::int64_t rows, std::int64_t d, Span<const float> gamma,
                Span<const float> beta, double eps, Span<float> out);

}  // namespace posenc
