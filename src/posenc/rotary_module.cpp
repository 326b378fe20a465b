// RotaryPositionalEmbedding: the seed's RoPE module. It owns a cos/sin cache (cached_len, dim/2), attention
// factor applied, shared by every head; q and k are rotated by rope_rotate reading cache rows directly.
//
// Length-dependent variants (dynamic, longrope): the frequencies are fixed once, at construction, as HF
// initialises them (no seq_len): dynamic NTK then equals default RoPE and longrope uses its short
// factors. A cache cannot follow frequencies that change with the sequence length (that statefulness is
// HF's pitfall P6); a caller who wants them per length uses the stateless rope_forward with seq_len.
#include <algorithm>
#include <string>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"
#include "posenc/modules.hpp"
#include "posenc/position_rows.hpp"
#include "posenc/rope_detail.hpp"

namespace posenc {

namespace {
// A cache beyond this many floats per table (64 MiB) is not kept: rows past it are computed per call.
constexpr std::int64_t kMaxCacheFloats = std::int64_t{1} << 24;

void require_head_dim(const char* name, const Bhsd& shape, std::int64_t dim) {
  if (shape.head_dim != dim) {
    fail(ErrorCode::ShapeMismatch, std::string(name) + " head_dim must equal the module's dim = " +
                                       std::to_string(dim) + ", got " + std::to_string(shape.head_dim));
  }
}

void require_shape_sizes(const char* name, const Bhsd& shape) {
  const std::string n(name);
  require_size((n + ".batch").c_str(), shape.batch);
  require_size((n + ".heads").c_str(), shape.heads);
  require_size((n + ".seq").c_str(), shape.seq);
  require_size((n + ".head_dim").c_str(), shape.head_dim);
}
}  // namespace

RotaryPositionalEmbedding::RotaryPositionalEmbedding(std::int64_t dim, std::int64_t max_len, double base,
                                                     RopeLayout layout, const RopeScaling& scaling,
                                                     std::optional<std::int64_t> max_position_embeddings)
    : dim_(dim), max_len_(max_len), layout_(layout) {
  rope_check_finite(base, scaling);
  require_size("dim", dim);
  require_size("max_len", max_len);
  rope_check_sizes(dim, scaling, max_position_embeddings, std::nullopt);
  require_even("dim", dim);
  rope_check_ranges(dim, base, scaling);
  rope_check_shapes(dim, scaling);
  params_ = rope_params(dim, base, scaling, max_position_embeddings);
  ensure_cached(std::min(max_len, kMaxCacheFloats / (dim / 2)));
}

void RotaryPositionalEmbedding::ensure_cached(std::int64_t end) {
  if (end <= cached_len_) return;
  const auto half = static_cast<std::size_t>(dim_ / 2);
  // At least double, so that a decode loop costs amortised O(1) rows per step.
  const std::int64_t grown = std::min(std::max(end, 2 * cached_len_), kMaxCacheFloats / (dim_ / 2));
  const std::int64_t len = std::max(grown, end);
  cos_.resize(static_cast<std::size_t>(len) * half);
  sin_.resize(static_cast<std::size_t>(len) * half);
  const auto a = static_cast<float>(params_.attention_factor);
  for (std::int64_t p = cached_len_; p < len; ++p) {
    const std::size_t at = static_cast<std::size_t>(p) * half;
    sincos_at(static_cast<double>(p), params_.inv_freq.data(), half, sin_.data() + at, cos_.data() + at);
    if (a != 1.0f) {
      for (std::size_t j = 0; j < half; ++j) {
        cos_[at + j] *= a;
        sin_[at + j] *= a;
      }
    }
  }
  cache_builds_ += static_cast<std::uint64_t>(len - cached_len_);
  cached_len_ = len;
}

void RotaryPositionalEmbedding::forward(Span<const float> q, const Bhsd& q_shape, Span<float> q_out,
                                        Span<const float> k, const Bhsd& k_shape, Span<float> k_out,
                                        std::int64_t offset, Span<const std::int32_t> positions) {
  require_shape_sizes("q", q_shape);
  require_shape_sizes("k", k_shape);
  require_head_dim("q", q_shape, dim_);
  require_head_dim("k", k_shape, dim_);
  if (!positions.empty() && (q_shape.seq != k_shape.seq || q_shape.batch != k_shape.batch)) {
    fail(ErrorCode::ShapeMismatch, "with explicit positions q and k must have the same batch and seq, got q " +
                                       std::to_string(q_shape.batch) + "x" + std::to_string(q_shape.seq) + " and k " +
                                       std::to_string(k_shape.batch) + "x" + std::to_string(k_shape.seq));
  }
  const PositionRows k_pos(positions, offset, k_shape.batch, k_shape.seq);
  k_pos.require_shape();
  const std::size_t qn = element_count({q_shape.batch, q_shape.heads, q_shape.seq, q_shape.head_dim});
  const std::size_t kn = element_count({k_shape.batch, k_shape.heads, k_shape.seq, k_shape.head_dim});
  require_length("q", q.size(), qn);
  require_length("q_out", q_out.size(), qn);
  require_length("k", k.size(), kn);
  require_length("k_out", k_out.size(), kn);
  // Keys sit at offset + j; queries take the last q.seq of those positions (SPEC §0 query alignment).
  const std::int64_t q_offset = positions.empty() ? offset + k_shape.seq - q_shape.seq : offset;
  if (positions.empty() && q_offset < 0) {
    fail(ErrorCode::BadPosition, "queries sit at offset + k.seq - q.seq, which must be >= 0, got " +
                                     std::to_string(offset) + " + " + std::to_string(k_shape.seq) + " - " +
                                     std::to_string(q_shape.seq));
  }
  k_pos.require_values();
  const std::int64_t end = k_pos.max() + 1;  // queries never reach past the keys' last position
  if (end <= kMaxCacheFloats / (dim_ / 2)) ensure_cached(end);
  rotate(q, q_shape, q_out, q_offset, positions);
  rotate(k, k_shape, k_out, offset, positions);
}

void RotaryPositionalEmbedding::rotate(Span<const float> x, const Bhsd& shape, Span<float> out, std::int64_t offset,
                                       Span<const std::int32_t> positions) const {
  const PositionRows pos(positions, offset, shape.batch, shape.seq);
  const auto half = static_cast<std::size_t>(dim_ / 2);
  const std::int64_t end = pos.max() + 1;
  if (positions.empty() && end <= cached_len_) {  // rows offset … offset+seq−1 of the cache, no copy
    const std::size_t at = static_cast<std::size_t>(offset) * half;
    rope_rotate_heads(x, shape, out, 2 * half, layout_, cos_.data() + at, sin_.data() + at, false, false);
    return;
  }
  // Explicit positions gather their cache rows; positions past the cache limit are computed here.
  const auto a = static_cast<float>(params_.attention_factor);
  rope_rotate_blocked(x, shape, out, 2 * half, layout_, pos.distinct_rows() > 1, false,
                      [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
                        for (std::size_t i = 0; i < count; ++i) {
                          const std::int64_t p = pos.at(static_cast<std::int64_t>(row), static_cast<std::int64_t>(s0 + i));
                          float* ci = c + i * half;
                          float* si = s + i * half;
                          if (p < cached_len_) {
                            std::copy_n(cos_.data() + static_cast<std::size_t>(p) * half, half, ci);
                            std::copy_n(sin_.data() + static_cast<std::size_t>(p) * half, half, si);
                            continue;
                          }
                          sincos_at(static_cast<double>(p), params_.inv_freq.data(), half, si, ci);
                          for (std::size_t j = 0; j < half; ++j) {
                            ci[j] *= a;
                            si[j] *= a;
                          }
                        }
                      });
}

}  // namespace posenc
