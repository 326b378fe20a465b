#include "posenc/learned_backward.hpp"

#include <vector>

#include "posenc/dropout_backward.hpp"
#include "posenc/error.hpp"
#include "posenc/layer_norm_backward.hpp"

namespace posenc {

void learned_backward(Span<const float> dy, Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                      Span<const float> table, std::int64_t max_len, std::int64_t table_width,
                      const LearnedGradients& grads, const LearnedForwardOptions& options) {
  // The forward without LayerNorm and dropout recomputes v and runs every check on x, table and positions.
  LearnedForwardOptions plain = options;
  plain.use_ln = false;
  plain.dropout = DropoutOptions{0.0, false, {}, 0};
  std::vector<float> v(x.size());
  learned_forward(x, batch, seq, d, table, max_len, table_width, v, plain);
  const std::size_t n = v.size();
  validate_dropout(options.dropout, n);
  require_length("dy", dy.size(), n);
  require_length("dx", grads.dx.size(), n);
  require_length("d_table", grads.d_table.size(), table.size());
  if (options.use_ln) {
    if (!grads.d_gamma.empty()) require_length("d_gamma", grads.d_gamma.size(), static_cast<std::size_t>(d));
    if (!grads.d_beta.empty()) require_length("d_beta", grads.d_beta.size(), static_cast<std::size_t>(d));
  }

  // g: the gradient at y before dropout, then at v.
  std::vector<float> g(n, 0.0f);
  dropout_backward(dy, g, options.dropout);
  if (options.use_ln) {
    std::vector<float> gv(n, 0.0f);
    layer_norm_backward(g, v, batch * seq, d, options.gamma, options.eps, gv, grads.d_gamma, grads.d_beta);
    g.swap(gv);
  }
  for (std::size_t i = 0; i < n; ++i) grads.dx[i] += g[i];
  const auto width = static_cast<std::size_t>(d), length = static_cast<std::size_t>(seq);
  const std::size_t rows = n / width;
  const bool per_batch = options.positions.size() == rows;
  const auto scale = static_cast<float>(options.scale);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t s = r % length;
    const std::int64_t pos = options.positions.empty() ? options.offset + static_cast<std::int64_t>(s)
                             : per_batch               ? options.positions[r]
                                                       : options.positions[s];
    float* row = grads.d_table.data() + static_cast<std::size_t>(pos) * width;
    const float* gr = g.data() + r * width;
    for (std::size_t i = 0; i < width; ++i) row[i] += scale * gr[i];
  }
}

}  // namespace posenc
