// RoPE (Su et al., RoFormer, arXiv:2104.09864; SPEC §3) and its scalings (SPEC §4, after HF
// modeling_rope_utils.py). rope_params turns a rope_scaling config into float64 inverse frequencies and an
// attention factor; rope_forward builds one cos/sin table per distinct position row and hands each
// (batch, head) slice to rope_rotate, the single rotation kernel.
#include "posenc/rope.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"
#include "posenc/position_rows.hpp"
#include "posenc/rope_detail.hpp"
#include "posenc/simd.hpp"

namespace posenc {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct NamedType {
  RopeType type;
  const char* name;
};
constexpr NamedType kTypes[] = {{RopeType::Default, "default"}, {RopeType::Linear, "linear"},
                                {RopeType::Dynamic, "dynamic"}, {RopeType::Yarn, "yarn"},
                                {RopeType::Llama3, "llama3"},   {RopeType::LongRope, "longrope"}};

void require_finite_opt(const char* name, const std::optional<double>& v) {
  if (v) require_finite(name, *v);
}

void require_finite_list(const char* name, const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) require_finite((std::string(name) + "[" + std::to_string(i) + "]").c_str(), values[i]);
  }
}

void require_positive_list(const char* name, const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0)) {
      require_range(false, (std::string(name) + "[" + std::to_string(i) + "]").c_str(), values[i], "be > 0");
    }
  }
}

void require_mpe(const char* type, const std::optional<std::int64_t>& mpe, const char* why) {
  if (!mpe) {
    fail(ErrorCode::BadSize, std::string("max_position_embeddings is required for rope_type ") + type + " (" + why +
                                 "), got none");
  }
}

double default_inv_freq(std::int64_t j, std::int64_t d, double base) {
  return 1.0 / std::pow(base, 2.0 * static_cast<double>(j) / static_cast<double>(d));
}

// YaRN's g(s, m): 0.1·m·ln s + 1 for s > 1.
double yarn_mscale(double s, double m) { return s <= 1 ? 1.0 : 0.1 * m * std::log(s) + 1.0; }

RopeParams compute_params(std::int64_t d, double base, const RopeScaling& sc, std::optional<std::int64_t> mpe,
                          std::optional<std::int64_t> seq_len) {
  const std::size_t half = static_cast<std::size_t>(d / 2);
  RopeParams p;
  // The default frequencies of the last (d, base), kept per thread: d/2 pow calls were a fixed cost of
  // every small call (a tenth of a 4-head x 64-position RoPE natively, more in wasm's libm).
  struct DefaultFreq {
    std::int64_t d = 0;
    double base = 0;
    std::vector<double> inv_freq;
  };
  thread_local DefaultFreq last;
  if (last.d != d || !(last.base == base) || last.inv_freq.size() != half) {
    last.inv_freq.resize(half);
    for (std::size_t j = 0; j < half; ++j) last.inv_freq[j] = default_inv_freq(static_cast<std::int64_t>(j), d, base);
    last.d = d;
    last.base = base;
  }
  p.inv_freq = last.inv_freq;
  switch (sc.type) {
    case RopeType::Default:
      break;
    case RopeType::Linear:
      for (auto& f : p.inv_freq) f /= *sc.factor;
      break;
    case RopeType::Dynamic: {
      const double factor = *sc.factor, m = static_cast<double>(*mpe);
      const double len = std::max(static_cast<double>(seq_len.value_or(*mpe)), m);
      const double dd = static_cast<double>(d);
      const double scaled_base = base * std::pow(factor * len / m - (factor - 1), dd / (dd - 2));
      for (std::size_t j = 0; j < half; ++j) p.inv_freq[j] = default_inv_freq(static_cast<std::int64_t>(j), d, scaled_base);
      break;
    }
    case RopeType::Yarn: {
      const double l0 = static_cast<double>(sc.original_max_position_embeddings.value_or(mpe.value_or(0)));
      const double s = sc.factor ? *sc.factor : static_cast<double>(*mpe) / l0;
      const YarnRange range = yarn_correction_range(d, base, l0, sc.beta_fast.value_or(32.0),
                                                    sc.beta_slow.value_or(1.0), sc.truncate);
      for (std::size_t j = 0; j < half; ++j) {
        const double ramp = std::clamp((static_cast<double>(j) - range.lo) / (range.hi - range.lo), 0.0, 1.0);
        p.inv_freq[j] *= (1 - ramp) + ramp / s;
      }
      const double ms = sc.mscale.value_or(0), ms_all = sc.mscale_all_dim.value_or(0);
      if (sc.attention_factor) {
        p.attention_factor = *sc.attention_factor;
      } else if (ms != 0 && ms_all != 0) {
        p.attention_factor = yarn_mscale(s, ms) / yarn_mscale(s, ms_all);
      } else {
        p.attention_factor = yarn_mscale(s, 1.0);
      }
      break;
    }
    case RopeType::Llama3: {
      const double factor = sc.factor.value_or(8.0), low = sc.low_freq_factor.value_or(1.0);
      const double high = sc.high_freq_factor.value_or(4.0);
      const double l0 = static_cast<double>(sc.original_max_position_embeddings.value_or(8192));
      for (auto& f : p.inv_freq) {
        const double wavelen = 2 * kPi / f;
        if (wavelen < l0 / high) continue;
        if (wavelen > l0 / low) {
          f /= factor;
        } else {
          const double smooth = (l0 / wavelen - low) / (high - low);
          f *= (1 - smooth) / factor + smooth;
        }
      }
      break;
    }
    case RopeType::LongRope: {
      const auto l0 = sc.original_max_position_embeddings.value_or(mpe.value_or(0));
      const double s = sc.factor ? *sc.factor : static_cast<double>(*mpe) / static_cast<double>(l0);
      const bool long_context = seq_len && *seq_len > l0;
      const std::vector<double>& ext = long_context ? sc.long_factor : sc.short_factor;
      for (std::size_t j = 0; j < half; ++j) p.inv_freq[j] /= ext[j];
      if (sc.attention_factor) {
        p.attention_factor = *sc.attention_factor;
      } else {
        p.attention_factor = s <= 1 ? 1.0 : std::sqrt(1 + std::log(s) / std::log(static_cast<double>(l0)));
      }
      break;
    }
  }
  return p;
}

}  // namespace

RopeType parse_rope_type(const std::string& name) {
  for (const auto& t : kTypes) {
    if (name == t.name) return t.type;
  }
  fail(ErrorCode::OutOfRange, "rope_type must be one of default, linear, dynamic, yarn, llama3, longrope, got '" +
                                  name + "'");
}

const char* rope_type_name(RopeType type) {
  for (const auto& t : kTypes) {
    if (type == t.type) return t.name;
  }
  return "unknown";
}

RopeLayout parse_rope_layout(const std::string& name) {
  if (name == "half") return RopeLayout::Half;
  if (name == "interleaved") return RopeLayout::Interleaved;
  fail(ErrorCode::OutOfRange, "layout must be 'half' or 'interleaved', got '" + name + "'");
}

const char* rope_layout_name(RopeLayout layout) { return layout == RopeLayout::Half ? "half" : "interleaved"; }

YarnRange yarn_correction_range(std::int64_t d, double base, double l0, double beta_fast, double beta_slow,
                                bool truncate) {
  const double dd = static_cast<double>(d);
  auto dim = [&](double r) { return dd * std::log(l0 / (2 * kPi * r)) / (2 * std::log(base)); };
  YarnRange r{dim(beta_fast), dim(beta_slow)};
  if (truncate) {
    r.lo = std::floor(r.lo);
    r.hi = std::ceil(r.hi);
  }
  r.lo = std::max(r.lo, 0.0);
  r.hi = std::min(r.hi, dd - 1);
  if (r.lo == r.hi) r.hi += 0.001;
  return r;
}

void rope_check_finite(double base, const RopeScaling& sc) {
  require_finite("base", base);
  require_finite_opt("scaling.factor", sc.factor);
  require_finite_opt("scaling.attention_factor", sc.attention_factor);
  require_finite_opt("scaling.beta_fast", sc.beta_fast);
  require_finite_opt("scaling.beta_slow", sc.beta_slow);
  require_finite_opt("scaling.mscale", sc.mscale);
  require_finite_opt("scaling.mscale_all_dim", sc.mscale_all_dim);
  require_finite_opt("scaling.low_freq_factor", sc.low_freq_factor);
  require_finite_opt("scaling.high_freq_factor", sc.high_freq_factor);
  require_finite_list("scaling.short_factor", sc.short_factor);
  require_finite_list("scaling.long_factor", sc.long_factor);
}

void rope_check_sizes(std::int64_t d_rot, const RopeScaling& sc, std::optional<std::int64_t> mpe,
                      std::optional<std::int64_t> seq_len) {
  require_size("d_rot", d_rot);
  if (mpe) require_size("max_position_embeddings", *mpe);
  if (sc.original_max_position_embeddings) {
    require_size("scaling.original_max_position_embeddings", *sc.original_max_position_embeddings);
  }
  if (seq_len) require_size("seq_len", *seq_len);
  const bool derived = !sc.original_max_position_embeddings || !sc.factor;
  if (sc.type == RopeType::Dynamic) require_mpe("dynamic", mpe, "the trained length L in the NTK base");
  if (sc.type == RopeType::Yarn && derived) {
    require_mpe("yarn", mpe, "the default of original_max_position_embeddings and of factor");
  }
  if (sc.type == RopeType::LongRope && derived) {
    require_mpe("longrope", mpe, "the default of original_max_position_embeddings and of factor");
  }
}

void rope_check_ranges(std::int64_t d_rot, double base, const RopeScaling& sc) {
  require_range(base > 1, "base", base, "be greater than 1");
  const char* type = rope_type_name(sc.type);
  const bool needs_factor = sc.type == RopeType::Linear || sc.type == RopeType::Dynamic;
  if (needs_factor && !sc.factor) {
    fail(ErrorCode::OutOfRange, std::string("scaling.factor is required for rope_type ") + type + ", got none");
  }
  const bool factor_at_least_one = needs_factor || sc.type == RopeType::Yarn || sc.type == RopeType::Llama3;
  if (factor_at_least_one && sc.factor) require_range(*sc.factor >= 1, "scaling.factor", *sc.factor, "be >= 1");
  if (sc.type == RopeType::Dynamic) {
    require_range(d_rot >= 4, "d_rot", static_cast<double>(d_rot), "be >= 4 for rope_type dynamic");
  }
  if (sc.type == RopeType::Yarn) {
    const double fast = sc.beta_fast.value_or(32.0), slow = sc.beta_slow.value_or(1.0);
    require_range(fast > 0, "scaling.beta_fast", fast, "be > 0");
    require_range(slow > 0, "scaling.beta_slow", slow, "be > 0");
    require_range(fast >= slow, "scaling.beta_fast", fast,
                  ("be >= scaling.beta_slow = " + format_number(slow)).c_str());
    for (const auto& [name, v] : {std::pair{"scaling.attention_factor", sc.attention_factor},
                                  std::pair{"scaling.mscale", sc.mscale},
                                  std::pair{"scaling.mscale_all_dim", sc.mscale_all_dim}}) {
      if (v) require_range(*v >= 0, name, *v, "be >= 0");
    }
  }
  if (sc.type == RopeType::Llama3) {
    const double low = sc.low_freq_factor.value_or(1.0), high = sc.high_freq_factor.value_or(4.0);
    require_range(low > 0, "scaling.low_freq_factor", low, "be > 0");
    require_range(high > low, "scaling.high_freq_factor", high,
                  ("be > scaling.low_freq_factor = " + format_number(low)).c_str());
  }
  if (sc.type == RopeType::LongRope) {
    require_positive_list("scaling.short_factor", sc.short_factor);
    require_positive_list("scaling.long_factor", sc.long_factor);
    if (sc.attention_factor) {
      require_range(*sc.attention_factor >= 0, "scaling.attention_factor", *sc.attention_factor, "be >= 0");
    }
  }
}

void rope_check_shapes(std::int64_t d_rot, const RopeScaling& sc) {
  if (sc.type != RopeType::LongRope) return;
  const auto half = static_cast<std::size_t>(d_rot / 2);
  for (const auto& [name, v] : {std::pair{"scaling.short_factor", &sc.short_factor},
                                std::pair{"scaling.long_factor", &sc.long_factor}}) {
    if (v->size() != half) {
      fail(ErrorCode::ShapeMismatch, std::string(name) + " must have d_rot/2 = " + std::to_string(half) +
                                         " entries, got " + std::to_string(v->size()));
    }
  }
}

RopeParams rope_params(std::int64_t d_rot, double base, const RopeScaling& scaling,
                       std::optional<std::int64_t> max_position_embeddings, std::optional<std::int64_t> seq_len) {
  rope_check_finite(base, scaling);
  rope_check_sizes(d_rot, scaling, max_position_embeddings, seq_len);
  require_even("d_rot", d_rot);
  rope_check_ranges(d_rot, base, scaling);
  rope_check_shapes(d_rot, scaling);
  return compute_params(d_rot, base, scaling, max_position_embeddings, seq_len);
}

namespace {
// rope_rotate over `slices` slices x + i·stride (i < slices) that share one table.
void rotate_slices(const float* x, float* out, std::size_t stride, std::size_t slices, std::size_t rows,
                   std::size_t head_dim, std::size_t d_rot, RopeLayout layout, const float* cos_table,
                   const float* sin_table, bool inverse);

// What rope_forward and rope_forward_through share: SPEC §10's checks (the positions by the caller's
// check_positions, at their place in that order) and what the rotation needs from them.
struct RopePlan {
  std::size_t d_rot;
  RopeParams params;
  float scale;  // the attention factor (its inverse for the inverse rotation), folded into the tables
};

template <class CheckPositions>
std::pair<RopePlan, PositionRows> plan_rope(const Bhsd& shape, const RopeForwardOptions& options,
                                            CheckPositions&& check_positions) {
  const RopeScaling& sc = options.scaling;
  rope_check_finite(options.base, sc);
  require_size("batch", shape.batch);
  require_size("heads", shape.heads);
  require_size("seq", shape.seq);
  require_size("head_dim", shape.head_dim);
  const std::int64_t d_rot = options.d_rot.value_or(shape.head_dim);
  rope_check_sizes(d_rot, sc, options.max_position_embeddings, options.seq_len);
  if (!options.d_rot && shape.head_dim % 2 != 0) {
    fail(ErrorCode::OddDim, "head_dim must be even when d_rot is not given (d_rot defaults to head_dim), got " +
                                std::to_string(shape.head_dim));
  }
  require_even("d_rot", d_rot);
  if (d_rot > shape.head_dim) {
    fail(ErrorCode::RotDim, "d_rot must be at most head_dim = " + std::to_string(shape.head_dim) + ", got " +
                                std::to_string(d_rot));
  }
  rope_check_ranges(d_rot, options.base, sc);
  rope_check_shapes(d_rot, sc);
  const PositionRows pos = check_positions();

  // Length-dependent variants see the longest position of this call, as HF's update decorators do.
  std::optional<std::int64_t> seq_len = options.seq_len;
  if (!seq_len && (sc.type == RopeType::Dynamic || sc.type == RopeType::LongRope)) seq_len = pos.max() + 1;
  RopeParams params = compute_params(d_rot, options.base, sc, options.max_position_embeddings, seq_len);
  const auto scale = static_cast<float>(options.inverse ? 1.0 / params.attention_factor : params.attention_factor);
  return {RopePlan{static_cast<std::size_t>(d_rot), std::move(params), scale}, pos};
}

void scale_tables(std::size_t n, float scale, float* c, float* s) {
  if (scale == 1.0f) return;
  for (std::size_t i = 0; i < n; ++i) {
    c[i] *= scale;
    s[i] *= scale;
  }
}

// The block loop of rope_rotate_blocked and rope_forward_through (kRopeBlock, rope_detail.hpp): for each
// block and position row (< rows), fill(row, s0, count, c, s) writes cos/sin of positions s0 … s0+count−1
// and rotate(row, s0, count, c, s) uses them while they are in cache. For the inverse the block's sin is
// negated once here, not in every head's kernel.
template <class Fill, class Rotate>
void for_each_table_block(std::size_t seq, std::size_t half, std::size_t rows, bool inverse, const Fill& fill,
                          const Rotate& rotate) {
  const std::size_t block = std::min(seq, kRopeBlock);
  // Not value-initialised: every entry is written by fill before it is read.
  const std::unique_ptr<float[]> c_table(new float[block * half]), s_table(new float[block * half]);
  float* const c = c_table.get();
  float* const s = s_table.get();
  for (std::size_t s0 = 0; s0 < seq; s0 += block) {
    const std::size_t count = std::min(block, seq - s0);
    for (std::size_t row = 0; row < rows; ++row) {
      fill(row, s0, count, c, s);
      if (inverse) {
        for (std::size_t i = 0; i < count * half; ++i) s[i] = -s[i];
      }
      rotate(row, s0, count, c, s);
    }
  }
}

// The fill of for_each_table_block for a plan: consecutive positions (offset + s) by anchors and exact
// steps, explicit ones by sincos_at each, then the attention factor folded in. rope_forward and
// rope_forward_through both use it, so their tables are the same bits by construction.
auto table_fill(const RopePlan& plan, const RopeForwardOptions& options, const PositionRows& pos,
                const SincosRows& steps) {
  return [&plan, &options, &pos, &steps](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
    const std::size_t half = plan.d_rot / 2;
    if (options.positions.empty()) {
      steps.fill(options.offset + static_cast<std::int64_t>(s0), count, s, c);
    } else {
      for (std::size_t i = 0; i < count; ++i) {
        const auto p = pos.at(static_cast<std::int64_t>(row), static_cast<std::int64_t>(s0 + i));
        sincos_at(static_cast<double>(p), plan.params.inv_freq.data(), half, s + i * half, c + i * half);
      }
    }
    scale_tables(count * half, plan.scale, c, s);
  };
}
}  // namespace

void rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const RopeForwardOptions& options) {
  const auto planned = plan_rope(shape, options, [&] {
    return validate_bhsd_positions(x, out, shape, options.positions, options.offset);
  });
  const RopePlan& plan = planned.first;
  const PositionRows& pos = planned.second;
  // Tables per distinct position row, shared by every head; the attention factor is folded in.
  const std::size_t half = plan.d_rot / 2;
  const bool consecutive = options.positions.empty();  // offset + s: anchors plus exact-step rotations
  const SincosRows steps(plan.params.inv_freq.data(), consecutive ? half : 0);
  rope_rotate_blocked(x, shape, out, plan.d_rot, options.layout, pos.distinct_rows() > 1, options.inverse,
                      table_fill(plan, options, pos, steps));
}

void rope_forward_through(const Bhsd& shape, Span<float> scratch, const RopeSliceIo& load, const RopeSliceIo& store,
                          const RopeForwardOptions& options) {
  if (!options.positions.empty()) {
    fail(ErrorCode::ShapeMismatch, "rope_forward_through takes offset positions only, got " +
                                       std::to_string(options.positions.size()) + " explicit positions");
  }
  const auto planned = plan_rope(shape, options, [&] {
    PositionRows pos(options.positions, options.offset, shape.batch, shape.seq);
    pos.require_values();
    return pos;
  });
  const RopePlan& plan = planned.first;
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto slices = static_cast<std::size_t>(shape.batch * shape.heads);
  const std::size_t half = plan.d_rot / 2, block = std::min(seq, kRopeBlock);
  const std::size_t group = scratch.size() / (block * head_dim);
  if (group == 0) {
    fail(ErrorCode::ShapeMismatch, "scratch must hold at least " + std::to_string(block * head_dim) +
                                       " values (" + std::to_string(block) + " positions of one head), got " +
                                       std::to_string(scratch.size()));
  }
  const SincosRows steps(plan.params.inv_freq.data(), half);
  const auto through_scratch = [&](std::size_t, std::size_t s0, std::size_t count, const float* c, const float* s) {
    for (std::size_t first = 0; first < slices; first += group) {
      const std::size_t n = std::min(group, slices - first);
      const auto at = [](std::size_t v) { return static_cast<std::int64_t>(v); };
      load(at(first), at(n), at(s0), at(count));
      rotate_slices(scratch.data(), scratch.data(), count * head_dim, n, count, head_dim, plan.d_rot, options.layout,
                    c, s, false);
      store(at(first), at(n), at(s0), at(count));
    }
  };
  for_each_table_block(seq, half, 1, options.inverse, table_fill(plan, options, planned.second, steps),
                       through_scratch);
}

void rope_rotate_blocked(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                         bool per_batch, bool inverse, const RopeTableFill& fill) {
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto batch = static_cast<std::size_t>(shape.batch), heads = static_cast<std::size_t>(shape.heads);
  for_each_table_block(seq, d_rot / 2, per_batch ? batch : 1, inverse, fill,
                       [&](std::size_t row, std::size_t s0, std::size_t count, const float* c, const float* s) {
                         // The (batch, head) slices this table serves are consecutive, seq·head_dim apart.
                         const std::size_t first = per_batch ? row * heads : 0;
                         const std::size_t slices = per_batch ? heads : batch * heads;
                         const std::size_t at = (first * seq + s0) * head_dim;
                         rotate_slices(x.data() + at, out.data() + at, seq * head_dim, slices, count, head_dim, d_rot,
                                       layout, c, s, false);
                       });
}

void rope_rotate_heads(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                       const float* cos_t, const float* sin_t, bool per_batch, bool inverse) {
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const std::size_t slice = seq * head_dim, table_size = seq * (d_rot / 2);
  const auto batch = static_cast<std::size_t>(shape.batch), heads = static_cast<std::size_t>(shape.heads);
  for (std::size_t b = 0; b < (per_batch ? batch : 1); ++b) {
    const std::size_t table = b * table_size, first = b * heads, slices = per_batch ? heads : batch * heads;
    rotate_slices(x.data() + first * slice, out.data() + first * slice, slice, slices, seq, head_dim, d_rot, layout,
                  cos_t + table, sin_t + table, inverse);
  }
}

// Rotation kernel (SPEC §3). x, out: [rows, head_dim]; cos, sin: [rows, d_rot/2]. Pair j is
// (x[j·step], x[j·step + partner]): half has step 1, partner d_rot/2; interleaved has step 2, partner 1.
// Vector body: half loads W pairs' first and second members as two contiguous vectors; interleaved loads
// 2W adjacent floats, unzips them into the same two vectors and zips the results back (4 shuffles per
// 2W floats; pairing each vector with its lane-swapped copy took 7).
// Remainder: the scalar loop below, written once for both layouts through (step, partner); it does all
// the work in the one-lane build. inverse rotates by −θ (sin negated); partial rotary copies the rest.
// rotate<…, N> does N slices x + k·stride side by side (kRopeSlicesPerPass), each table load serving all N.
// FixedHalf > 0 compiles the kernel for that d_rot/2: in wasm the partner's offset then folds into the
// load and store instructions instead of costing an address addition each (d_rot 128 and 64, the common
// head sizes: 6-10% faster calls in both wasm builds).
namespace {
template <bool Inverse>
simd::Floats signed_sin(const float* s, const simd::Floats& vsign) {
  if constexpr (Inverse) return simd::load(s) * vsign;
  return simd::load(s);
}

template <bool Inverse, std::size_t N, std::size_t FixedHalf = 0>
void rotate(const float* x, float* out, std::size_t stride, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
            RopeLayout layout, const float* cos_table, const float* sin_table) {
  const std::size_t half = FixedHalf ? FixedHalf : d_rot / 2;
  const bool interleaved = layout == RopeLayout::Interleaved;
  const std::size_t step = interleaved ? 2 : 1, partner = interleaved ? 1 : half;
  constexpr float sign = Inverse ? -1.0f : 1.0f;
  const simd::Floats vsign = simd::splat(sign);
  constexpr std::size_t W = simd::kWidth;
  const bool vector_pairs = !interleaved || simd::kHasPairs;
  const std::size_t vend = vector_pairs ? simd::vector_end(half) : 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* c = cos_table + r * half;
    const float* s = sin_table + r * half;
    std::size_t j = 0;
    if (interleaved) {  // 2W adjacent floats unzipped into W first and W second members, rotated, zipped back
      for (; j < vend; j += W) {
        const simd::Floats cv = simd::load(c + j), sv = signed_sin<Inverse>(s + j, vsign);
        for (std::size_t k = 0; k < N; ++k) {
          const float* xr = x + k * stride + r * head_dim;
          float* o = out + k * stride + r * head_dim;
          const simd::Floats x0 = simd::load(xr + 2 * j), x1 = simd::load(xr + 2 * j + W);
          const simd::Floats u = simd::unzip_even(x0, x1), v = simd::unzip_odd(x0, x1);
          const simd::Floats ru = simd::fms(u, cv, v * sv), rv = simd::fma(u, sv, v * cv);
          simd::store(o + 2 * j, simd::zip_lo(ru, rv));
          simd::store(o + 2 * j + W, simd::zip_hi(ru, rv));
        }
      }
    } else {
      for (; j < vend; j += W) {
        const simd::Floats cv = simd::load(c + j), sv = signed_sin<Inverse>(s + j, vsign);
        for (std::size_t k = 0; k < N; ++k) {
          const float* xr = x + k * stride + r * head_dim;
          float* o = out + k * stride + r * head_dim;
          const simd::Floats u = simd::load(xr + j), v = simd::load(xr + j + half);
          simd::store(o + j, simd::fms(u, cv, v * sv));
          simd::store(o + j + half, simd::fma(u, sv, v * cv));
        }
      }
    }
    for (std::size_t k = 0; k < N; ++k) {
      const float* xr = x + k * stride + r * head_dim;
      float* o = out + k * stride + r * head_dim;
      for (std::size_t t = j; t < half; ++t) {
        const std::size_t a = t * step, b = a + partner;
        const float u = xr[a], v = xr[b], ct = c[t], st = s[t] * sign;
        o[a] = u * ct - v * st;
        o[b] = u * st + v * ct;
      }
      if (o != xr) std::copy(xr + d_rot, xr + head_dim, o + d_rot);
    }
  }
}

template <bool Inverse>
void rotate_slices(const float* x, float* out, std::size_t stride, std::size_t slices, std::size_t rows,
                   std::size_t head_dim, std::size_t d_rot, RopeLayout layout, const float* cos_table,
                   const float* sin_table) {
  std::size_t i = 0;
  for (; i + kRopeSlicesPerPass <= slices; i += kRopeSlicesPerPass) {
    const float* xi = x + i * stride;
    float* oi = out + i * stride;
    if (d_rot == 128) {
      rotate<Inverse, kRopeSlicesPerPass, 64>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    } else if (d_rot == 64) {
      rotate<Inverse, kRopeSlicesPerPass, 32>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    } else {
      rotate<Inverse, kRopeSlicesPerPass>(xi, oi, stride, rows, head_dim, d_rot, layout, cos_table, sin_table);
    }
  }
  for (; i < slices; ++i) {
    rotate<Inverse, 1>(x + i * stride, out + i * stride, 0, rows, head_dim, d_rot, layout, cos_table, sin_table);
  }
}

void rotate_slices(const float* x, float* out, std::size_t stride, std::size_t slices, std::size_t rows,
                   std::size_t head_dim, std::size_t d_rot, RopeLayout layout, const float* cos_table,
                   const float* sin_table, bool inverse) {
  if (inverse) {
    rotate_slices<true>(x, out, stride, slices, rows, head_dim, d_rot, layout, cos_table, sin_table);
  } else {
    rotate_slices<false>(x, out, stride, slices, rows, head_dim, d_rot, layout, cos_table, sin_table);
  }
}
}  // namespace

void rope_rotate(const float* x, float* out, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
                 RopeLayout layout, const float* cos_table, const float* sin_table, bool inverse) {
  rotate_slices(x, out, 0, 1, rows, head_dim, d_rot, layout, cos_table, sin_table, inverse);
}

}  // namespace posenc
