// The reflection N that negates the second member of every rotary pair (rope.hpp's layouts) in the first d_rot
// dims of each head_dim row. For a map F = c·R(θ) (RoPE with its attention factor, its inverse, xPos's scaled
// rotation), N·F·N = c·R(−θ) = Fᵀ: the backward pass runs the forward kernel between two reflections, so it
// shares the forward's tables, checks and errors, and never divides by the scale as the inverse would.
#pragma once
#include <cstddef>

#include "posenc/rope.hpp"

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

}  // namespace posenc
