// RoPE: rope_forward plans a call (checks, frequencies, scale), then rotates every (batch, head) slice with
// tables made block by block (rope_kernel.hpp); RotaryPositionalEmbedding keeps a table per position.
#include "posenc/rope.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/pair_reflection.hpp"
#include "posenc/shapes.hpp"

namespace posenc {

RopeLayout parse_rope_layout(const std::string& name) {
  if (name == "half") return RopeLayout::Half;
  if (name == "interleaved") return RopeLayout::Interleaved;
  fail(ErrorCode::OutOfRange, "layout must be 'half' or 'interleaved', got '" + name + "'");
}

const char* rope_layout_name(RopeLayout layout) { return layout == RopeLayout::Half ? "half" : "interleaved"; }

// ---- RopeCache ------------------------------------------------------------------------------------------

std::shared_ptr<const RopeParams> RopeCache::default_params(std::int64_t d, double base) {
  if (!default_ || d_ != d || !(base_ == base)) {
    default_ = std::make_shared<const RopeParams>(RopeParams{inverse_frequencies(d, base), 1.0});
    d_ = d;
    base_ = base;
  }
  return default_;
}

std::optional<RopeCache::Tables> RopeCache::consecutive_tables(const std::vector<double>& inv_freq, float scale,
                                                                bool inverse, std::int64_t offset, std::size_t seq,
                                                                const RopeTableFill& fill) {
  const std::size_t half = inv_freq.size(), n = seq * half;
  if (n == 0 || n > kMaxTableFloats) return std::nullopt;
  const bool kept = table_seq_ == seq && table_offset_ == offset && table_inverse_ == inverse &&
                    table_scale_ == scale && same_frequencies(table_freq_, inv_freq.data(), half);
  if (!kept) {
    table_seq_ = 0;  // not valid until filled
    resize_or_fail(table_cos_, "the rotary table", n);
    resize_or_fail(table_sin_, "the rotary table", n);
    fill_rope_rows(fill, 0, 0, seq, half, inverse, table_cos_.data(), table_sin_.data());
    table_freq_ = inv_freq;
    table_scale_ = scale;
    table_inverse_ = inverse;
    table_offset_ = offset;
    table_seq_ = seq;
  }
  return Tables{table_cos_.data(), table_sin_.data()};
}

void RopeCache::trim() {
  steps_.release_if_over(kMaxFloats);
}

// ---- rope_forward ---------------------------------------------------------------------------------------

namespace {

// Explicit frequencies: d_rot/2 of them (SHAPE_MISMATCH), finite (NON_FINITE), none negative (OUT_OF_RANGE).
void check_explicit_frequencies(Span<const double> inv_freq, std::int64_t d_rot) {
  for (std::size_t j = 0; j < inv_freq.size(); ++j) {
    require_finite(("inv_freq[" + std::to_string(j) + "]").c_str(), inv_freq[j]);
  }
  require_length("inv_freq", inv_freq.size(), static_cast<std::size_t>(d_rot / 2));
  for (std::size_t j = 0; j < inv_freq.size(); ++j) {
    require_range(inv_freq[j] >= 0, ("inv_freq[" + std::to_string(j) + "]").c_str(), inv_freq[j], "be >= 0");
  }
}

// plan_rope with the positions' check returning the largest position. A template, not a std::function: a
// capture of more than three references no longer fits its inline buffer, and a small call then paid a malloc.
template <class CheckPositions>
RopePlan plan_rope_to(const Bhsd& shape, const RopeForwardOptions& options, const CheckPositions& check_positions) {
  const RopeScaling& sc = options.scaling;
  RopeContext cx{options.d_rot.value_or(shape.head_dim), options.base, options.max_position_embeddings,
                 options.seq_len};
  check_scaling_finite(options.base, sc);
  require_sizes(shape);
  check_scaling_sizes(sc, cx);
  if (!options.d_rot && shape.head_dim % 2 != 0) {
    fail(ErrorCode::OddDim, "head_dim must be even when d_rot is not given (d_rot defaults to head_dim), got " +
                                std::to_string(shape.head_dim));
  }
  require_even("d_rot", cx.d_rot);
  if (cx.d_rot > shape.head_dim) {
    fail(ErrorCode::RotDim, "d_rot must be at most head_dim = " + std::to_string(shape.head_dim) + ", got " +
                                std::to_string(cx.d_rot));
  }
  const bool explicit_freq = !options.inv_freq.empty();
  if (explicit_freq) {
    check_explicit_frequencies(options.inv_freq, cx.d_rot);
  } else {
    check_scaling_ranges(sc, cx);
    check_scaling_shapes(sc, cx);
  }
  if (options.mrope) check_mrope_section(*options.mrope, cx.d_rot / 2);
  const std::int64_t max_position = check_positions();

  RopePlan plan;
  plan.d_rot = static_cast<std::size_t>(cx.d_rot);
  if (explicit_freq) {
    plan.params = std::make_shared<const RopeParams>(
        RopeParams{std::vector<double>(options.inv_freq.begin(), options.inv_freq.end()), 1.0});
  } else if (options.cache && sc.type == RopeType::Default) {
    // Unscaled: apply_rope_scaling would leave these as they are (base > 1 keeps every frequency <= 1).
    plan.params = options.cache->default_params(cx.d_rot, options.base);
  } else {
    // Length-dependent variants see the longest position of this call, as HF's update decorators do.
    if (!cx.seq_len && (sc.type == RopeType::Dynamic || sc.type == RopeType::LongRope)) cx.seq_len = max_position + 1;
    RopeParams params{options.cache ? options.cache->default_params(cx.d_rot, options.base)->inv_freq
                                    : inverse_frequencies(cx.d_rot, options.base),
                      1.0};
    params.attention_factor = apply_rope_scaling(sc, cx, params.inv_freq);
    plan.params = std::make_shared<const RopeParams>(std::move(params));
  }
  const double a = plan.params->attention_factor;
  if (options.inverse) {
    require_range(a >= 1 / kMaxMultiplier, "the attention factor", a,
                  ("be at least " + format_number(1 / kMaxMultiplier) + " with inverse (1/factor scales the result)").c_str());
  }
  plan.scale = static_cast<float>(options.inverse ? 1.0 / a : a);
  return plan;
}

// M-RoPE with explicit streams: each frequency at its stream's position, tables per position row.
void rope_forward_mrope(Span<const float> x, const Bhsd& shape, Span<float> out, const RopeForwardOptions& options) {
  std::optional<MropePositions> pos;
  const RopePlan plan = plan_rope_to(shape, options, [&] {
    pos.emplace(options.positions, shape.batch, shape.seq);
    const std::size_t n = element_count(shape);
    require_length("x", x.size(), n);
    require_length("out", out.size(), n);
    pos->require_values();
    return pos->max();
  });
  const MropeAngles angles(plan.params->inv_freq, *options.mrope);
  const std::size_t half = plan.d_rot / 2;
  rope_rotate_blocked(x, shape, out, plan.d_rot, options.layout, pos->per_batch(), options.inverse,
                      [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
                        angles.fill(*pos, row, s0, count, c, s);
                        scale_rope_tables(count * half, plan.scale, c, s);
                      });
}

}  // namespace

RopePlan plan_rope(const Bhsd& shape, const RopeForwardOptions& options,
                   const std::function<PositionRows()>& check_positions) {
  return plan_rope_to(shape, options, [&] { return check_positions().max(); });
}

RopeTables::RopeTables(const RopePlan& plan, const PositionRows& positions, std::int64_t seq, RopeCache& cache)
    : plan_(plan), positions_(positions) {
  if (positions.consecutive()) {
    consecutive_.emplace(plan.params->inv_freq.data(), plan.d_rot / 2, positions.offset(), static_cast<std::size_t>(seq),
                         cache.steps());
  }
}

void RopeTables::operator()(std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) const {
  const std::size_t half = plan_.d_rot / 2;
  if (consecutive_) {
    consecutive_->fill(positions_.offset() + static_cast<std::int64_t>(s0), count, s, c);
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const auto p = positions_.at(static_cast<std::int64_t>(row), static_cast<std::int64_t>(s0 + i));
      sincos_at(static_cast<double>(p), plan_.params->inv_freq.data(), half, s + i * half, c + i * half);
    }
  }
  scale_rope_tables(count * half, plan_.scale, c, s);
}

namespace {
// RopeTables made on first use: a call whose table is kept never fills one (setting up the angle steps was
// ~3% of a small call).
struct LazyRopeTables {
  const RopePlan& plan;
  const PositionRows& positions;
  std::int64_t seq;
  RopeCache& cache;
  std::optional<RopeTables> tables;
  void operator()(std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
    if (!tables) tables.emplace(plan, positions, seq, cache);
    (*tables)(row, s0, count, c, s);
  }
};
}  // namespace

void rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const RopeForwardOptions& options) {
  if (options.mrope && !options.positions.empty()) {
    rope_forward_mrope(x, shape, out, options);
    return;
  }
  const RopePlan plan = plan_rope_to(shape, options, [&] {
    return validate_bhsd_positions(x, out, shape, options.positions, options.offset).max();
  });
  const PositionRows pos(options.positions, options.offset, shape.batch, shape.seq);
  RopeCache local;
  RopeCache& cache = options.cache ? *options.cache : local;
  if (options.cache && pos.consecutive()) {
    LazyRopeTables tables{plan, pos, shape.seq, cache, std::nullopt};
    const auto kept = cache.consecutive_tables(plan.params->inv_freq, plan.scale, options.inverse, options.offset,
                                               static_cast<std::size_t>(shape.seq), std::ref(tables));
    if (kept) {
      rope_rotate_heads(x, shape, out, plan.d_rot, options.layout, kept->cos, kept->sin);
      cache.trim();
      return;
    }
  }
  const RopeTables tables(plan, pos, shape.seq, cache);
  rope_rotate_blocked(x, shape, out, plan.d_rot, options.layout, pos.distinct_rows() > 1, options.inverse, std::cref(tables));
  cache.trim();
}

// ---- RotaryPositionalEmbedding --------------------------------------------------------------------------

namespace {
// A cache beyond this many floats per table (64 MiB) is not kept: rows past it are computed per call.
constexpr std::int64_t kMaxCacheFloats = std::int64_t{1} << 24;

void require_head_dim(const char* name, const Bhsd& shape, std::int64_t dim) {
  if (shape.head_dim != dim) {
    fail(ErrorCode::ShapeMismatch, std::string(name) + " head_dim must equal the module's dim = " +
                                       std::to_string(dim) + ", got " + std::to_string(shape.head_dim));
  }
}
}  // namespace

RotaryPositionalEmbedding::RotaryPositionalEmbedding(std::int64_t dim, std::int64_t max_len, double base,
                                                     RopeLayout layout, const RopeScaling& scaling,
                                                     std::optional<std::int64_t> max_position_embeddings,
                                                     std::optional<MropeSection> mrope)
    : dim_(dim), max_len_(max_len), layout_(layout), mrope_(mrope) {
  const RopeContext cx{dim, base, max_position_embeddings, std::nullopt};
  check_scaling_finite(base, scaling);
  require_size("dim", dim);
  require_size("max_len", max_len);
  check_scaling_sizes(scaling, cx);
  require_even("dim", dim);
  check_scaling_ranges(scaling, cx);
  check_scaling_shapes(scaling, cx);
  if (mrope_) {
    check_mrope_section(*mrope_, dim / 2);
    mrope_axes_ = mrope_axes(*mrope_, static_cast<std::size_t>(dim / 2));
  }
  params_ = rope_params(dim, base, scaling, max_position_embeddings);
  ensure_cached(std::min(max_len, kMaxCacheFloats / (dim / 2)));
}

void RotaryPositionalEmbedding::ensure_cached(std::int64_t end) {
  if (end <= cached_len_) return;
  const auto half = static_cast<std::size_t>(dim_ / 2);
  // At least double, so that a decode loop costs amortised O(1) rows per step.
  const std::int64_t grown = std::min(std::max(end, 2 * cached_len_), kMaxCacheFloats / (dim_ / 2));
  const std::int64_t len = std::max(grown, end);
  resize_or_fail(cos_, "the rotary cos cache", static_cast<std::size_t>(len) * half);
  resize_or_fail(sin_, "the rotary sin cache", static_cast<std::size_t>(len) * half);
  const std::size_t at = static_cast<std::size_t>(cached_len_) * half;
  const auto rows = static_cast<std::size_t>(len - cached_len_);
  SincosSteps steps;
  SincosRows(params_.inv_freq.data(), half, cached_len_, rows, steps)
      .fill(cached_len_, rows, sin_.data() + at, cos_.data() + at);
  scale_rope_tables(rows * half, static_cast<float>(params_.attention_factor), cos_.data() + at, sin_.data() + at);
  cache_builds_ += rows;
  cached_len_ = len;
}

void RotaryPositionalEmbedding::forward(Span<const float> q, const Bhsd& q_shape, Span<float> q_out,
                                        Span<const float> k, const Bhsd& k_shape, Span<float> k_out,
                                        std::int64_t offset, Span<const std::int32_t> positions) {
  require_sizes(q_shape, "q");
  require_sizes(k_shape, "k");
  require_head_dim("q", q_shape, dim_);
  require_head_dim("k", k_shape, dim_);
  if (!positions.empty() && (q_shape.seq != k_shape.seq || q_shape.batch != k_shape.batch)) {
    fail(ErrorCode::ShapeMismatch, "with explicit positions q and k must have the same batch and seq, got q " +
                                       std::to_string(q_shape.batch) + "x" + std::to_string(q_shape.seq) + " and k " +
                                       std::to_string(k_shape.batch) + "x" + std::to_string(k_shape.seq));
  }
  const std::size_t qn = element_count(q_shape), kn = element_count(k_shape);
  if (mrope_ && !positions.empty()) {
    const MropePositions pos(positions, k_shape.batch, k_shape.seq);
    require_length("q", q.size(), qn);
    require_length("q_out", q_out.size(), qn);
    require_length("k", k.size(), kn);
    require_length("k_out", k_out.size(), kn);
    pos.require_values();
    const std::int64_t end = pos.max() + 1;
    if (end <= kMaxCacheFloats / (dim_ / 2)) ensure_cached(end);
    rotate_mrope(q, q_shape, q_out, pos);
    rotate_mrope(k, k_shape, k_out, pos);
    return;
  }
  const PositionRows k_pos(positions, offset, k_shape.batch, k_shape.seq);
  k_pos.require_shape();
  require_length("q", q.size(), qn);
  require_length("q_out", q_out.size(), qn);
  require_length("k", k.size(), kn);
  require_length("k_out", k_out.size(), kn);
  // Keys sit at offset + j; queries take the last q.seq of those positions (bottom-right alignment).
  // An offset outside int32 fails here, before offset + k.seq could overflow.
  if (offset > kMaxPosition || offset < -kMaxPosition) require_position("offset", offset);
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

void RotaryPositionalEmbedding::row_at(std::int64_t p, float* c, float* s) const {
  const auto half = static_cast<std::size_t>(dim_ / 2);
  if (p < cached_len_) {
    std::copy_n(cos_.data() + static_cast<std::size_t>(p) * half, half, c);
    std::copy_n(sin_.data() + static_cast<std::size_t>(p) * half, half, s);
  } else {
    sincos_at(static_cast<double>(p), params_.inv_freq.data(), half, s, c);
    scale_rope_tables(half, static_cast<float>(params_.attention_factor), c, s);
  }
}

// Frequency j of each position takes column j of its stream's row (t, h or w).
void RotaryPositionalEmbedding::rotate_mrope(Span<const float> x, const Bhsd& shape, Span<float> out,
                                             const MropePositions& pos) const {
  const auto half = static_cast<std::size_t>(dim_ / 2);
  std::vector<float> rows(6 * half);
  rope_rotate_blocked(x, shape, out, 2 * half, layout_, pos.per_batch(), false,
                      [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
                        for (std::size_t i = 0; i < count; ++i) {
                          for (int a = 0; a < 3; ++a) {
                            const auto p = pos.at(static_cast<std::int64_t>(row), a, static_cast<std::int64_t>(s0 + i));
                            row_at(p, rows.data() + 2 * a * half, rows.data() + (2 * a + 1) * half);
                          }
                          for (std::size_t j = 0; j < half; ++j) {
                            const std::size_t a = mrope_axes_[j];
                            c[i * half + j] = rows[2 * a * half + j];
                            s[i * half + j] = rows[(2 * a + 1) * half + j];
                          }
                        }
                      });
}

void RotaryPositionalEmbedding::rotate(Span<const float> x, const Bhsd& shape, Span<float> out, std::int64_t offset,
                                       Span<const std::int32_t> positions) const {
  const PositionRows pos(positions, offset, shape.batch, shape.seq);
  const auto half = static_cast<std::size_t>(dim_ / 2);
  if (positions.empty() && pos.max() + 1 <= cached_len_) {  // rows offset … offset+seq−1 of the cache, no copy
    const std::size_t at = static_cast<std::size_t>(offset) * half;
    rope_rotate_heads(x, shape, out, 2 * half, layout_, cos_.data() + at, sin_.data() + at);
    return;
  }
  // Explicit positions gather their cache rows; positions past the cache limit are computed here.
  rope_rotate_blocked(x, shape, out, 2 * half, layout_, pos.distinct_rows() > 1, false,
                      [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
                        for (std::size_t i = 0; i < count; ++i) {
                          row_at(pos.at(static_cast<std::int64_t>(row), static_cast<std::int64_t>(s0 + i)), c + i * half,
                                 s + i * half);
                        }
                      });
}

void rope_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const RopeForwardOptions& options) {
  const auto d_rot = static_cast<std::size_t>(std::max<std::int64_t>(0, options.d_rot.value_or(shape.head_dim)));
  add_transposed_rotation(dy, shape, dx, d_rot, options.layout, [&](Span<float> g) { rope_forward(g, shape, g, options); });
}

}  // namespace posenc
