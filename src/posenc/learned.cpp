// Learned absolute position embedding (GPT-2 wpe, BERT position_embeddings).
// x, out: [batch, seq, d]; table: [max_len, d]; positions: (seq,) shared by every batch row, (batch, seq),
// or none (offset + s). v = x + scale · table[pos] row by row (SIMD fma, scalar tail), then LayerNorm over
// d if use_ln (layer_norm.cpp), then dropout (dropout.cpp). All checks run before out is written.
#include "posenc/learned.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "posenc/dropout.hpp"
#include "posenc/error.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/positions.hpp"
#include "posenc/random.hpp"
#include "posenc/relative.hpp"
#include "posenc/row_add.hpp"
#include "posenc/shapes.hpp"

namespace posenc {

namespace {
// scale multiplies the table in float32: (0, kMaxMultiplier].
void require_scale(double scale) {
  require_range(scale > 0, "scale", scale, "be greater than 0");
  require_range(scale <= kMaxMultiplier, "scale", scale, "be at most 1e6");
}
}  // namespace

void learned_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                     Span<const float> table, std::int64_t max_len, std::int64_t table_width, Span<float> out,
                     const LearnedForwardOptions& options) {
  require_finite("scale", options.scale);
  require_finite("eps", options.eps);
  require_finite("p", options.dropout.p);
  require_finite_entries("table", table);
  require_finite_entries("gamma", options.gamma);
  require_finite_entries("beta", options.beta);
  require_size("batch", batch);
  require_size("seq", seq);
  require_size("d", d);
  require_size("max_len", max_len);
  require_size("table_width", table_width);
  require_scale(options.scale);
  require_layer_norm_eps("eps", options.eps);
  const std::size_t n = element_count({batch, seq, d});
  validate_dropout(options.dropout, n);
  if (table_width != d) {
    fail(ErrorCode::ShapeMismatch, "table_width must equal d = " + std::to_string(d) + ", got " +
                                       std::to_string(table_width));
  }
  require_length("table", table.size(), element_count({max_len, table_width}));
  if (!options.gamma.empty()) require_length("gamma", options.gamma.size(), static_cast<std::size_t>(d));
  if (!options.beta.empty()) require_length("beta", options.beta.size(), static_cast<std::size_t>(d));
  const std::size_t rows = static_cast<std::size_t>(batch) * static_cast<std::size_t>(seq);
  const PositionRows positions(options.positions, options.offset, batch, seq);
  positions.require_shape();
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  if (options.positions.empty()) {
    require_window(options.offset, seq, max_len);
  } else {
    for (std::size_t i = 0; i < options.positions.size(); ++i) {
      const std::int32_t p = options.positions[i];
      if (p < 0 || p >= max_len) {
        fail(ErrorCode::BadPosition, "positions[" + std::to_string(i) + "] must be in [0, max_len) = [0, " +
                                         std::to_string(max_len) + "), got " + std::to_string(p));
      }
    }
  }

  const std::size_t width = static_cast<std::size_t>(d), length = static_cast<std::size_t>(seq);
  const float scale = static_cast<float>(options.scale);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t pos = positions.at(static_cast<std::int64_t>(r / length), static_cast<std::int64_t>(r % length));
    add_scaled_row(x.data() + r * width, table.data() + static_cast<std::size_t>(pos) * width, scale,
                   out.data() + r * width, width);
  }
  if (options.use_ln) {
    layer_norm(out, static_cast<std::int64_t>(rows), d, options.gamma, options.beta, options.eps, out);
  }
  dropout_in_place(out, options.dropout);
}

// ---- LearnedPositionalEmbedding ------------------------------------------------------------------------

namespace {

constexpr double kInitStd = 0.02;
constexpr double kLayerNormEps = 1e-5;  // PyTorch nn.LayerNorm's default
enum Stream : std::uint64_t { kTableStream = 0, kRelativeStream = 1 };

const LearnedPositionalEmbedding::Config& validated(const LearnedPositionalEmbedding::Config& c) {
  require_finite("dropout", c.dropout);
  require_finite("scale", c.scale);
  if (c.relative) require_heads("num_heads", c.num_heads);
  require_size("dim", c.dim);
  require_size("max_len", c.max_len);
  if (c.relative && (c.max_distance < 0 || c.max_distance > kMaxPosition)) {
    fail(ErrorCode::BadSize, "max_distance must be an integer in [0, 2147483647], got " + std::to_string(c.max_distance));
  }
  require_range(c.dropout >= 0 && c.dropout <= 1, "dropout", c.dropout, "be in [0, 1]");
  require_scale(c.scale);
  return c;
}

}  // namespace

LearnedPositionalEmbedding::LearnedPositionalEmbedding(const Config& config) : config_(validated(config)) {
  table_ = allocate<float>("the position table", element_count({config_.max_len, config_.dim}));
  fill_random_normal(table_, kInitStd, config_.seed, kTableStream);
  if (config_.layer_norm) {
    gamma_.assign(static_cast<std::size_t>(config_.dim), 1.0f);
    beta_.assign(static_cast<std::size_t>(config_.dim), 0.0f);
  }
  if (config_.relative) {
    relative_ = allocate<float>("the relative bias table", element_count({2 * config_.max_distance + 1, config_.num_heads}));
    fill_random_normal(relative_, kInitStd, config_.seed, kRelativeStream);
  }
}

void LearnedPositionalEmbedding::forward(Span<const float> x, std::int64_t batch, std::int64_t seq, Span<float> out,
                                         std::int64_t offset, Span<const std::int32_t> positions) {
  LearnedForwardOptions options;
  options.offset = offset;
  options.positions = positions;
  options.scale = config_.scale;
  options.use_ln = config_.layer_norm;
  options.gamma = gamma_;
  options.beta = beta_;
  options.eps = kLayerNormEps;
  options.dropout = {config_.dropout, training_, {}, dropout_call_seed(config_.seed, calls_)};
  learned_forward(x, batch, seq, config_.dim, table_, config_.max_len, config_.dim, out, options);
  if (dropout_active(options.dropout)) ++calls_;
}

void LearnedPositionalEmbedding::relative_bias(std::int64_t q_len, std::int64_t k_len,
                                               std::optional<std::int64_t> q_offset, Span<float> out) const {
  if (!config_.relative) {
    fail(ErrorCode::ShapeMismatch, "relative_bias needs a module built with relative = true, got relative = false");
  }
  clipped_relative_bias(relative_, 2 * config_.max_distance + 1,
                        config_.num_heads, config_.num_heads, config_.max_distance, q_len, k_len, q_offset, out);
}

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
  const PositionRows positions(options.positions, options.offset, batch, seq);
  const auto scale = static_cast<float>(options.scale);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t pos = positions.at(static_cast<std::int64_t>(r / length), static_cast<std::int64_t>(r % length));
    float* row = grads.d_table.data() + static_cast<std::size_t>(pos) * width;
    const float* gr = g.data() + r * width;
    for (std::size_t i = 0; i < width; ++i) row[i] += scale * gr[i];
  }
}

}  // namespace posenc
