#include "posenc/rope_backward.hpp"

#include <vector>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/pair_reflection.hpp"

namespace posenc {

void rope_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const RopeForwardOptions& options) {
  std::vector<float> g(dy.begin(), dy.end());
  // rope_forward validates everything (sizes, d_rot, positions, lengths) before it writes; reflecting
  // first is safe because a failed call leaves only this scratch changed. d_rot is read after that check.
  const auto rows = static_cast<std::size_t>(shape.batch > 0 && shape.heads > 0 && shape.seq > 0
                                                 ? shape.batch * shape.heads * shape.seq
                                                 : 0);
  const auto head_dim = static_cast<std::size_t>(shape.head_dim > 0 ? shape.head_dim : 0);
  const auto d_rot = static_cast<std::size_t>(options.d_rot.value_or(shape.head_dim));
  const bool reflectable = g.size() == rows * head_dim && d_rot <= head_dim;
  if (reflectable) reflect_pairs(g.data(), rows, head_dim, d_rot & ~std::size_t{1}, options.layout);
  rope_forward(g, shape, g, options);
  require_length("dx", dx.size(), g.size());
  reflect_pairs(g.data(), rows, head_dim, d_rot, options.layout);
  for (std::size_t i = 0; i < g.size(); ++i) dx[i] += g[i];
}

}  // namespace posenc
