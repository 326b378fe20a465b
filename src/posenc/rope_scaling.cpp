// The rope_scaling variants, one table entry per rope_type, each after Hugging Face transformers'
// modeling_rope_utils.py (_compute_*_parameters): linear (Chen et al. 2023, position interpolation),
// dynamic NTK, YaRN (Peng et al. 2023), Llama 3 (Meta's llama-models), LongRoPE (Ding et al. 2024, Phi-3),
// proportional (Gemma 4).
#include "posenc/rope_scaling.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"

namespace posenc {

namespace {

constexpr double kPi = 3.14159265358979323846;

void require_factor_at_least_one(const RopeScaling& sc) {
  if (sc.factor) require_range(*sc.factor >= 1, "scaling.factor", *sc.factor, "be >= 1");
}

void require_factor_given(const RopeScaling& sc) {
  if (!sc.factor) {
    fail(ErrorCode::OutOfRange, std::string("scaling.factor is required for rope_type ") + rope_type_name(sc.type) +
                                    ", got none");
  }
}

void require_mpe(const RopeScaling& sc, const RopeContext& cx, const char* why) {
  if (!cx.max_position_embeddings) {
    fail(ErrorCode::BadSize, std::string("max_position_embeddings is required for rope_type ") +
                                 rope_type_name(sc.type) + " (" + why + "), got none");
  }
}

// yarn and longrope derive original_max_position_embeddings and factor from max_position_embeddings.
void require_mpe_when_derived(const RopeScaling& sc, const RopeContext& cx) {
  if (!sc.original_max_position_embeddings || !sc.factor) {
    require_mpe(sc, cx, "the default of original_max_position_embeddings and of factor");
  }
}

void require_non_negative(const char* name, const std::optional<double>& v) {
  if (v) require_range(*v >= 0, name, *v, "be >= 0");
}

void require_positive_entries(const char* name, const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0)) {
      fail_range((std::string(name) + "[" + std::to_string(i) + "]").c_str(), values[i], "be > 0");
    }
  }
}

// The attention factor an explicit scaling.attention_factor overrides.
double attention_factor_or(const RopeScaling& sc, double computed) {
  return sc.attention_factor ? *sc.attention_factor : computed;
}

// ---- default: base^(−2j/d) unchanged ----

double apply_default(const RopeScaling&, const RopeContext&, std::vector<double>&) { return 1.0; }

// ---- linear: every frequency divided by factor ----

void ranges_linear(const RopeScaling& sc, const RopeContext&) {
  require_factor_given(sc);
  require_factor_at_least_one(sc);
}

double apply_linear(const RopeScaling& sc, const RopeContext&, std::vector<double>& inv_freq) {
  for (auto& f : inv_freq) f /= *sc.factor;
  return 1.0;
}

// ---- dynamic NTK: a larger base once the sequence outgrows the trained length ----

void sizes_dynamic(const RopeScaling& sc, const RopeContext& cx) { require_mpe(sc, cx, "the trained length L in the NTK base"); }

void ranges_dynamic(const RopeScaling& sc, const RopeContext& cx) {
  require_factor_given(sc);
  require_factor_at_least_one(sc);
  require_range(cx.d_rot >= 4, "d_rot", static_cast<double>(cx.d_rot), "be >= 4 for rope_type dynamic");
}

double apply_dynamic(const RopeScaling& sc, const RopeContext& cx, std::vector<double>& inv_freq) {
  const double factor = *sc.factor, m = static_cast<double>(*cx.max_position_embeddings);
  const double len = std::max(static_cast<double>(cx.seq_len.value_or(*cx.max_position_embeddings)), m);
  const double d = static_cast<double>(cx.d_rot);
  // factor·(len/m − 1) + 1, not factor·len/m − (factor − 1): the same in exact arithmetic, but the latter
  // cancels to 0 for a huge factor at len = m (base 0, infinite frequencies).
  const double scaled_base = cx.base * std::pow(factor * (len / m - 1) + 1, d / (d - 2));
  inv_freq = inverse_frequencies(cx.d_rot, scaled_base);
  return 1.0;
}

// ---- yarn: interpolate low frequencies, keep high ones, blend between; scale attention ----

// YaRN's g(s, m): 0.1·m·ln s + 1 for s > 1.
double yarn_mscale(double s, double m) { return s <= 1 ? 1.0 : 0.1 * m * std::log(s) + 1.0; }

void ranges_yarn(const RopeScaling& sc, const RopeContext&) {
  require_factor_at_least_one(sc);
  const double fast = sc.beta_fast.value_or(32.0), slow = sc.beta_slow.value_or(1.0);
  require_range(fast > 0, "scaling.beta_fast", fast, "be > 0");
  require_range(slow > 0, "scaling.beta_slow", slow, "be > 0");
  require_range(fast >= slow, "scaling.beta_fast", fast, ("be >= scaling.beta_slow = " + format_number(slow)).c_str());
  require_non_negative("scaling.attention_factor", sc.attention_factor);
  require_non_negative("scaling.mscale", sc.mscale);
  require_non_negative("scaling.mscale_all_dim", sc.mscale_all_dim);
}

double apply_yarn(const RopeScaling& sc, const RopeContext& cx, std::vector<double>& inv_freq) {
  const auto mpe = cx.max_position_embeddings;
  const double l0 = static_cast<double>(sc.original_max_position_embeddings.value_or(mpe.value_or(0)));
  const double s = sc.factor ? *sc.factor : static_cast<double>(*mpe) / l0;
  const YarnRange range =
      yarn_correction_range(cx.d_rot, cx.base, l0, sc.beta_fast.value_or(32.0), sc.beta_slow.value_or(1.0), sc.truncate);
  for (std::size_t j = 0; j < inv_freq.size(); ++j) {
    const double ramp = std::clamp((static_cast<double>(j) - range.lo) / (range.hi - range.lo), 0.0, 1.0);
    inv_freq[j] *= (1 - ramp) + ramp / s;
  }
  const double ms = sc.mscale.value_or(0), ms_all = sc.mscale_all_dim.value_or(0);
  // DeepSeek's configs give both mscales; their ratio replaces g(s, 1).
  const double computed = ms != 0 && ms_all != 0 ? yarn_mscale(s, ms) / yarn_mscale(s, ms_all) : yarn_mscale(s, 1.0);
  return attention_factor_or(sc, computed);
}

// ---- llama3: wavelengths past l0/low divided by factor, below l0/high kept, smooth between ----

void ranges_llama3(const RopeScaling& sc, const RopeContext&) {
  require_factor_at_least_one(sc);
  const double low = sc.low_freq_factor.value_or(1.0), high = sc.high_freq_factor.value_or(4.0);
  require_range(low > 0, "scaling.low_freq_factor", low, "be > 0");
  // high == low (Llama 4 Scout) leaves the smooth band empty: every wavelength is either kept or divided.
  require_range(high >= low, "scaling.high_freq_factor", high,
                ("be >= scaling.low_freq_factor = " + format_number(low)).c_str());
}

double apply_llama3(const RopeScaling& sc, const RopeContext&, std::vector<double>& inv_freq) {
  const double factor = sc.factor.value_or(8.0), low = sc.low_freq_factor.value_or(1.0);
  const double high = sc.high_freq_factor.value_or(4.0);
  const double l0 = static_cast<double>(sc.original_max_position_embeddings.value_or(8192));
  for (auto& f : inv_freq) {
    const double wavelen = 2 * kPi / f;
    if (wavelen < l0 / high) continue;
    if (wavelen > l0 / low) {
      f /= factor;
    } else if (high > low) {
      const double smooth = (l0 / wavelen - low) / (high - low);
      f *= (1 - smooth) / factor + smooth;
    }
  }
  return 1.0;
}

// ---- longrope: per-frequency factors, short or long by the sequence length ----

void ranges_longrope(const RopeScaling& sc, const RopeContext&) {
  require_positive_entries("scaling.short_factor", sc.short_factor);
  require_positive_entries("scaling.long_factor", sc.long_factor);
  require_non_negative("scaling.attention_factor", sc.attention_factor);
}

void shapes_longrope(const RopeScaling& sc, const RopeContext& cx) {
  const auto half = static_cast<std::size_t>(cx.d_rot / 2);
  for (const auto& [name, v] : {std::pair{"scaling.short_factor", &sc.short_factor},
                                std::pair{"scaling.long_factor", &sc.long_factor}}) {
    if (v->size() != half) {
      fail(ErrorCode::ShapeMismatch, std::string(name) + " must have d_rot/2 = " + std::to_string(half) +
                                         " entries, got " + std::to_string(v->size()));
    }
  }
}

double apply_longrope(const RopeScaling& sc, const RopeContext& cx, std::vector<double>& inv_freq) {
  const auto mpe = cx.max_position_embeddings;
  const auto l0 = sc.original_max_position_embeddings.value_or(mpe.value_or(0));
  const double s = sc.factor ? *sc.factor : static_cast<double>(*mpe) / static_cast<double>(l0);
  const bool long_context = cx.seq_len && *cx.seq_len > l0;
  const std::vector<double>& ext = long_context ? sc.long_factor : sc.short_factor;
  for (std::size_t j = 0; j < inv_freq.size(); ++j) inv_freq[j] /= ext[j];
  return attention_factor_or(sc, s <= 1 ? 1.0 : std::sqrt(1 + std::log(s) / std::log(static_cast<double>(l0))));
}

// ---- proportional: the first int(prf·d // 2) pairs turn at base^(−2j/d) / factor, the others not ----
// d is the whole head (d_rot = head_dim): the unrotated pairs keep frequency 0 rather than being cut off.

void ranges_proportional(const RopeScaling& sc, const RopeContext&) {
  if (sc.factor) require_range(*sc.factor > 0, "scaling.factor", *sc.factor, "be > 0");
  if (sc.partial_rotary_factor) {
    const double prf = *sc.partial_rotary_factor;
    require_range(prf > 0 && prf <= 1, "scaling.partial_rotary_factor", prf, "be in (0, 1]");
  }
}

double apply_proportional(const RopeScaling& sc, const RopeContext& cx, std::vector<double>& inv_freq) {
  const double factor = sc.factor.value_or(1.0);
  const auto rotated = static_cast<std::size_t>(
      std::floor(sc.partial_rotary_factor.value_or(1.0) * static_cast<double>(cx.d_rot) / 2));
  for (std::size_t j = 0; j < inv_freq.size(); ++j) inv_freq[j] = j < rotated ? inv_freq[j] / factor : 0.0;
  return 1.0;
}

// ---- the table ----

using Check = void (*)(const RopeScaling&, const RopeContext&);
using Apply = double (*)(const RopeScaling&, const RopeContext&, std::vector<double>&);

struct Variant {
  RopeType type;
  const char* name;
  Check sizes;   // BAD_SIZE, or null
  Check ranges;  // OUT_OF_RANGE, or null
  Check shapes;  // SHAPE_MISMATCH, or null
  Apply apply;
};

constexpr Variant kVariants[] = {
    {RopeType::Default, "default", nullptr, nullptr, nullptr, apply_default},
    {RopeType::Linear, "linear", nullptr, ranges_linear, nullptr, apply_linear},
    {RopeType::Dynamic, "dynamic", sizes_dynamic, ranges_dynamic, nullptr, apply_dynamic},
    {RopeType::Yarn, "yarn", require_mpe_when_derived, ranges_yarn, nullptr, apply_yarn},
    {RopeType::Llama3, "llama3", nullptr, ranges_llama3, nullptr, apply_llama3},
    {RopeType::LongRope, "longrope", require_mpe_when_derived, ranges_longrope, shapes_longrope, apply_longrope},
    {RopeType::Proportional, "proportional", nullptr, ranges_proportional, nullptr, apply_proportional},
};

const Variant& variant(RopeType type) {
  for (const auto& v : kVariants) {
    if (v.type == type) return v;
  }
  fail(ErrorCode::OutOfRange, "rope_type must be one of the known types, got index " +
                                  std::to_string(static_cast<int>(type)));
}

std::string type_list() {
  std::string list;
  for (const auto& v : kVariants) list += (list.empty() ? "" : ", ") + std::string(v.name);
  return list;
}

}  // namespace

RopeType parse_rope_type(const std::string& name) {
  for (const auto& v : kVariants) {
    if (name == v.name) return v.type;
  }
  fail(ErrorCode::OutOfRange, "rope_type must be one of " + type_list() + ", got '" + name + "'");
}

const char* rope_type_name(RopeType type) {
  for (const auto& v : kVariants) {
    if (type == v.type) return v.name;
  }
  return "unknown";
}

void check_scaling_finite(double base, const RopeScaling& sc) {
  require_finite("base", base);
  // Field by field: a list of (name, value) pairs copied every optional on every call.
  const auto finite = [](const char* name, const std::optional<double>& v) {
    if (v) require_finite(name, *v);
  };
  finite("scaling.factor", sc.factor);
  finite("scaling.attention_factor", sc.attention_factor);
  finite("scaling.beta_fast", sc.beta_fast);
  finite("scaling.beta_slow", sc.beta_slow);
  finite("scaling.mscale", sc.mscale);
  finite("scaling.mscale_all_dim", sc.mscale_all_dim);
  finite("scaling.low_freq_factor", sc.low_freq_factor);
  finite("scaling.high_freq_factor", sc.high_freq_factor);
  finite("scaling.partial_rotary_factor", sc.partial_rotary_factor);
  require_finite_entries("scaling.short_factor", sc.short_factor);
  require_finite_entries("scaling.long_factor", sc.long_factor);
}

void check_scaling_sizes(const RopeScaling& sc, const RopeContext& cx) {
  require_size("d_rot", cx.d_rot);
  if (cx.max_position_embeddings) require_size("max_position_embeddings", *cx.max_position_embeddings);
  if (sc.original_max_position_embeddings) {
    require_size("scaling.original_max_position_embeddings", *sc.original_max_position_embeddings);
  }
  if (cx.seq_len) require_size("seq_len", *cx.seq_len);
  if (const Check sizes = variant(sc.type).sizes) sizes(sc, cx);
}

void check_scaling_ranges(const RopeScaling& sc, const RopeContext& cx) {
  require_range(cx.base > 1, "base", cx.base, "be greater than 1");
  if (const Check ranges = variant(sc.type).ranges) ranges(sc, cx);
}

void check_scaling_shapes(const RopeScaling& sc, const RopeContext& cx) {
  if (const Check shapes = variant(sc.type).shapes) shapes(sc, cx);
}

double apply_rope_scaling(const RopeScaling& sc, const RopeContext& cx, std::vector<double>& inv_freq) {
  const double factor = variant(sc.type).apply(sc, cx, inv_freq);
  // Finite parameters can still scale past what the kernel computes exactly: position · ω must stay a
  // float64 angle that reduces to [−π, π] precisely, and the factor a float32 multiplier.
  for (std::size_t j = 0; j < inv_freq.size(); ++j) {
    if (!(inv_freq[j] <= kMaxInverseFrequency)) {
      fail(ErrorCode::OutOfRange, "the scaled inverse frequency " + std::to_string(j) + " must be at most " +
                                      format_number(kMaxInverseFrequency) + " (position * frequency must stay an " +
                                      "exact float64 angle), got " + format_number(inv_freq[j]) + " from the " +
                                      rope_type_name(sc.type) + " scaling");
    }
  }
  if (!(factor <= kMaxMultiplier)) {  // the message is built only on failure: this runs on every call
    fail_range("the attention factor", factor,
               ("be at most " + format_number(kMaxMultiplier) + " (scaling.attention_factor or the one " +
                rope_type_name(sc.type) + " derives)").c_str());
  }
  return factor;
}

RopeParams rope_params(std::int64_t d_rot, double base, const RopeScaling& scaling,
                       std::optional<std::int64_t> max_position_embeddings, std::optional<std::int64_t> seq_len) {
  const RopeContext cx{d_rot, base, max_position_embeddings, seq_len};
  check_scaling_finite(base, scaling);
  check_scaling_sizes(scaling, cx);
  require_even("d_rot", d_rot);
  check_scaling_ranges(scaling, cx);
  check_scaling_shapes(scaling, cx);
  RopeParams p;
  p.inv_freq = inverse_frequencies(d_rot, base);
  p.attention_factor = apply_rope_scaling(scaling, cx, p.inv_freq);
  return p;
}

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

}  // namespace posenc
