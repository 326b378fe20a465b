// Gradient of learned_forward (learned.hpp). Shapes: dy, x, dx [batch, seq, d]; table, d_table
// [max_len, table_width] (table_width = d); d_gamma, d_beta (d,) when use_ln (empty: not wanted).
// Forward: v = x + scale·table[pos]; y = LayerNorm(v) if use_ln; then dropout. So, with g the gradient at v:
//   dx += g,  d_table[pos] += scale·g (a scatter-add: rows used by several (b, s) collect every one),
//   d_gamma, d_beta from layer_norm_backward. Dropout's keep mask (given or drawn from its seed) is reapplied.
#pragma once
#include <cstdint>

#include "posenc/learned.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct LearnedGradients {
  Span<float> dx;       // [batch, seq, d]
  Span<float> d_table;  // [max_len, table_width]
  Span<float> d_gamma;  // (d,) or empty
  Span<float> d_beta;   // (d,) or empty
};

void learned_backward(Span<const float> dy, Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                      Span<const float> table, std::int64_t max_len, std::int64_t table_width,
                      const LearnedGradients& grads, const LearnedForwardOptions& options = {});

}  // namespace posenc
