// LearnedPositionalEmbedding (the seed's PyTorch module; SPEC §2): owns the (max_len, dim) table, initialised
// N(0, 0.02²) like GPT-2's wpe from a portable seeded generator, optional LayerNorm γ = 1, β = 0, and an
// optional clipped relative bias table (2K+1, num_heads), also N(0, 0.02²). forward is learned_forward on
// the owned state, with dropout only in train mode and a fresh mask per call drawn from (seed, call counter).
#include <string>

#include "posenc/dropout.hpp"
#include "posenc/error.hpp"
#include "posenc/learned.hpp"
#include "posenc/modules.hpp"
#include "posenc/random_normal.hpp"
#include "posenc/relative.hpp"

namespace posenc {

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
  require_range(c.scale > 0, "scale", c.scale, "be greater than 0");
  return c;
}

}  // namespace

LearnedPositionalEmbedding::LearnedPositionalEmbedding(const Config& config) : config_(validated(config)) {
  table_.resize(element_count({config_.max_len, config_.dim}));
  fill_random_normal(table_, kInitStd, config_.seed, kTableStream);
  if (config_.layer_norm) {
    gamma_.assign(static_cast<std::size_t>(config_.dim), 1.0f);
    beta_.assign(static_cast<std::size_t>(config_.dim), 0.0f);
  }
  if (config_.relative) {
    relative_.resize(element_count({2 * config_.max_distance + 1, config_.num_heads}));
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

}  // namespace posenc
