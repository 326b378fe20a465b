// The reflection N that negates the second member of every rotary pair (rope.hpp's layouts) in the first d_rot
// dims of each head_dim row. For a map F = c·R(θ) (RoPE with its attention factor, its inverse, xPos's scaled
// rotation), N·F·N = c·R(−θ) = Fᵀ: the backward pass runs the forward kernel between two reflections, so it
// shares the forward's tables, checks and errors, and never divides by the scale as the inverse would.
#pragma once
#include <cstddef>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/rope_kernel.hpp"
#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

// v: [rows, head_dim], in place.
inline void reflect_pairs(float* v, std::size_t rows, std::size_t head_dim, std::size_t d_rot, RopeLayout layout) {
  const std::size_t half = d_rot / 2;
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = v + r * head_dim;
    if (layout == RopeLayout::Half) {
      for (std::size_t j = half; j < d_rot; ++j) row[j] = -row[j];
    } else {
      for (std::size_t j = 1; j < d_rot; j += 2) row[j] = -row[j];
    }
  }
}

// dx += Fᵀ·dy for F = forward (which rotates a [batch, heads, seq, head_dim] tensor in place and checks its
// arguments before it writes): N·forward·N on a scratch copy of dy. d_rot may be out of range here: forward
// rejects it, and a failed call leaves only the scratch changed.
template <class Forward>
void add_transposed_rotation(Span<const float> dy, const Bhsd& shape, Span<float> dx, std::size_t d_rot, RopeLayout layout,
                             Forward&& forward) {
  std::vector<float> g(dy.begin(), dy.end());
  const auto rows = static_cast<std::size_t>(shape.batch > 0 && shape.heads > 0 && shape.seq > 0
                                                 ? shape.batch * shape.heads * shape.seq
                                                 : 0);
  const auto head_dim = static_cast<std::size_t>(shape.head_dim > 0 ? shape.head_dim : 0);
  const bool reflectable = g.size() == rows * head_dim && d_rot <= head_dim;
  if (reflectable) reflect_pairs(g.data(), rows, head_dim, d_rot & ~std::size_t{1}, layout);
  forward(Span<float>(g.data(), g.size()));
  require_length("dx", dx.size(), g.size());
  reflect_pairs(g.data(), rows, head_dim, d_rot, layout);
  for (std::size_t i = 0; i < g.size(); ++i) dx[i] += g[i];
}

}  // namespace posenc
