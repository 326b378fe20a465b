// Float64 reference for learned_forward (before dropout), written from the definition with plain loops.
#pragma once
#include <cstdint>
#include <vector>

#include "layer_norm.hpp"

namespace ref {

struct Learned {
  double scale = 1.0;
  bool use_ln = false;
  std::vector<float> gamma, beta;
  double eps = 1e-5;
};

// pos[b*seq + s] is the table row of x[b, s, :]. x: [batch, seq, d]; table: [max_len, d].
inline std::vector<double> learned_forward(const std::vector<float>& x, std::int64_t batch, std::int64_t seq,
                                           std::int64_t d, const std::vector<float>& table,
                                           const std::vector<std::int64_t>& pos, const Learned& o) {
  std::vector<double> v(static_cast<std::size_t>(batch * seq * d));
  for (std::int64_t r = 0; r < batch * seq; ++r) {
    for (std::int64_t i = 0; i < d; ++i) {
      v[r * d + i] = static_cast<double>(x[r * d + i]) + o.scale * static_cast<double>(table[pos[r] * d + i]);
    }
  }
  return o.use_ln ? layer_norm(v, batch * seq, d, o.gamma, o.beta, o.eps) : v;
}

}  // namespace ref
