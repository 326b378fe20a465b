#include "posenc/xpos_backward.hpp"

#include <vector>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/pair_reflection.hpp"

namespace posenc {

void xpos_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const XposOptions& options) {
  std::vector<float> g(dy.begin(), dy.end());
  const auto rows = static_cast<std::size_t>(shape.batch > 0 && shape.heads > 0 && shape.seq > 0
                                                 ? shape.batch * shape.heads * shape.seq
                                                 : 0);
  const auto head_dim = static_cast<std::size_t>(shape.head_dim > 0 ? shape.head_dim : 0);
  const bool reflectable = g.size() == rows * head_dim;
  // xPos rotates every dim; an odd head_dim is rejected by xpos_apply below, so only whole pairs are reflected.
  const std::size_t d_rot = head_dim & ~std::size_t{1};
  if (reflectable) reflect_pairs(g.data(), rows, head_dim, d_rot, options.layout);
  xpos_apply(g, shape, g, options);
  require_length("dx", dx.size(), g.size());
  reflect_pairs(g.data(), rows, head_dim, d_rot, options.layout);
  for (std::size_t i = 0; i < g.size(); ++i) dx[i] += g[i];
}

}  // namespace posenc
