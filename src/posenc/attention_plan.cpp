// Validation and option resolution of sdpa (attention_plan.hpp).
#include "posenc/attention_plan.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/shapes.hpp"

namespace posenc {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

std::string shape_text(const std::array<std::int64_t, 4>& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + ", " +
         std::to_string(s[3]) + "]";
}

void require_finite_option(const char* name, const std::optional<double>& value) {
  if (value) require_finite(name, *value);
}

}  // namespace

KeyRange KeyVisibility::keys(std::int64_t b, std::int64_t pos) const {
  std::int64_t lo = 0, hi = k_len;
  if (causal || window) hi = std::min(hi, pos + 1);
  if (window) lo = std::max(lo, pos - window + 1);
  if (chunk) {
    const std::int64_t origin = chunk_origin[static_cast<std::size_t>(b)];
    const std::int64_t first = origin + floor_div(pos - origin, chunk) * chunk;
    lo = std::max(lo, first);
    hi = std::min(hi, first + chunk);
  }
  if (lo >= hi) return {0, 0};
  return {lo, hi};
}

float attention_scale(const std::optional<double>& scale, std::int64_t head_dim) {
  return static_cast<float>(scale ? *scale : 1.0 / std::sqrt(static_cast<double>(head_dim)));
}

AttentionProblem plan_attention(Span<const float> q, Span<const float> k, Span<const float> v,
                                const AttentionShape& shape, Span<float> out, Span<float> probs,
                                const SdpaOptions& options) {
  // NON_FINITE
  require_finite_option("scale", options.scale);
  require_finite_entries("alibi_slopes", options.alibi_slopes);
  require_finite_entries("sinks", options.sinks);
  require_finite_option("softcap", options.softcap);
  if (options.query_temperature) {
    require_finite("query_temperature.floor_scale", options.query_temperature->floor_scale);
    require_finite("query_temperature.attn_scale", options.query_temperature->attn_scale);
  }
  // BAD_HEADS: GQA needs a whole number of query heads per kv head.
  const std::int64_t kv_heads = shape.kv_heads.value_or(shape.heads);
  if (shape.kv_heads) {
    require_heads("kv_heads", kv_heads);
    if (shape.heads >= 1 && shape.heads % kv_heads != 0) {
      fail(ErrorCode::BadHeads, "heads must be a multiple of kv_heads (" + std::to_string(kv_heads) + "), got " +
                                    std::to_string(shape.heads));
    }
  }
  // BAD_SIZE
  require_size("batch", shape.batch);
  require_size("heads", shape.heads);
  require_size("q_len", shape.q_len);
  require_size("k_len", shape.k_len);
  require_size("head_dim", shape.head_dim);
  require_size("v_dim", shape.v_dim);
  if (shape.key_stride) require_size("key_stride", *shape.key_stride);
  if (options.window) require_size("window", *options.window);
  if (options.chunk_size) require_size("chunk_size", *options.chunk_size);
  // OUT_OF_RANGE
  if (options.scale) {
    require_range(*options.scale > 0, "scale", *options.scale, "be > 0");
    require_range(*options.scale <= kMaxMultiplier, "scale", *options.scale,
                  "be at most 1e6 (scale * q.k must stay a finite float32 logit)");
  }
  if (options.softcap) {
    require_range(*options.softcap > 0, "softcap", *options.softcap, "be > 0");
    // cap·tanh(s/cap) runs in float32: a cap that rounds to 0 or to infinity there makes 0/0 or 0·inf.
    require_range(*options.softcap >= 1.0 / kMaxMultiplier && *options.softcap <= kMaxMultiplier, "softcap",
                  *options.softcap, "be in [1e-6, 1e6] (cap and s/cap must stay finite float32 values)");
  }
  if (options.query_temperature) {
    const double fs = options.query_temperature->floor_scale;
    require_range(fs > 0, "query_temperature.floor_scale", fs, "be > 0");
  }
  const std::int64_t stride = shape.key_stride.value_or(shape.k_len);
  if (stride < shape.k_len) {
    fail(ErrorCode::OutOfRange, "key_stride must be >= k_len (" + std::to_string(shape.k_len) + "), got " +
                                    std::to_string(stride));
  }
  // SHAPE_MISMATCH
  const AttentionShape& s = shape;
  require_length("q", q.size(), element_count({s.batch, s.heads, s.q_len, s.head_dim}));
  require_length("k", k.size(), element_count({s.batch, kv_heads, stride, s.head_dim}));
  require_length("v", v.size(), element_count({s.batch, kv_heads, stride, s.v_dim}));
  require_length("out", out.size(), element_count({s.batch, s.heads, s.q_len, s.v_dim}));
  const std::size_t scores = element_count({s.batch, s.heads, s.q_len, s.k_len});
  if (!probs.empty()) require_length("probs", probs.size(), scores);
  if (!options.bias.empty()) {
    require_length(options.bias_has_batch ? "bias [batch, heads, q_len, k_len]" : "bias [heads, q_len, k_len]",
                   options.bias.size(), options.bias_has_batch ? scores : element_count({s.heads, s.q_len, s.k_len}));
  }
  const bool alibi = options.alibi.has_value() || !options.alibi_slopes.empty();
  if (!options.alibi_slopes.empty()) require_length("alibi_slopes", options.alibi_slopes.size(), static_cast<std::size_t>(s.heads));
  if (!options.sinks.empty()) require_length("sinks [heads]", options.sinks.size(), static_cast<std::size_t>(s.heads));
  if (!options.key_padding.empty()) {
    require_length("key_padding [batch, k_len]", options.key_padding.size(), element_count({s.batch, s.k_len}));
  }
  const AttentionMask& mask = options.mask;
  std::array<std::int64_t, 4> mask_stride = {0, 0, 0, 0};
  if (!mask.empty()) {
    if (!mask.additive.empty() && !mask.keep.empty()) {
      fail(ErrorCode::ShapeMismatch, "mask must hold additive (float) or keep (uint8) values, got both");
    }
    const std::array<std::int64_t, 4> full = {s.batch, s.heads, s.q_len, s.k_len};
    for (std::size_t d = 0; d < 4; ++d) {
      if (mask.shape[d] != 1 && mask.shape[d] != full[d]) {
        fail(ErrorCode::ShapeMismatch, "mask shape " + shape_text(mask.shape) +
                                           " must broadcast to [batch, heads, q_len, k_len] = " + shape_text(full) +
                                           ": dim " + std::to_string(d) + " must be 1 or " + std::to_string(full[d]));
      }
    }
    const std::size_t count = element_count({mask.shape[0], mask.shape[1], mask.shape[2], mask.shape[3]});
    require_length("mask", mask.additive.empty() ? mask.keep.size() : mask.additive.size(), count);
    std::int64_t step = 1;
    for (std::size_t d = 4; d-- > 0;) {
      mask_stride[d] = mask.shape[d] == 1 ? 0 : step;
      step *= mask.shape[d];
    }
  }

  AttentionProblem p;
  p.shape = shape;
  p.shape.kv_heads = kv_heads;
  p.shape.key_stride = stride;
  p.kv_heads = kv_heads;
  p.group = s.heads / kv_heads;
  p.key_stride = stride;
  p.scale = attention_scale(options.scale, s.head_dim);
  p.visibility.k_len = s.k_len;
  p.visibility.causal = options.causal;
  // Validated even when neither the mask nor ALiBi reads it: a negative q_offset, including the default
  // k_len − q_len, is BAD_POSITION for every call (pass q_offset = 0 for cross-attention with q_len > k_len).
  p.q_offset = resolve_q_offset(options.q_offset, s.q_len, s.k_len);
  p.bias = options.bias.empty() ? nullptr : options.bias.data();
  p.bias_has_batch = options.bias_has_batch;
  p.alibi = alibi;
  p.alibi_mode = options.alibi.value_or(AlibiMode::Causal);
  if (alibi) {
    if (options.alibi_slopes.empty()) {
      for (double m : alibi_slopes(s.heads)) p.slopes.push_back(static_cast<float>(m));
    } else {
      p.slopes.assign(options.alibi_slopes.begin(), options.alibi_slopes.end());
    }
  }
  p.key_padding = options.key_padding.empty() ? nullptr : options.key_padding.data();
  p.mask_additive = mask.additive.empty() ? nullptr : mask.additive.data();
  p.mask_keep = mask.keep.empty() ? nullptr : mask.keep.data();
  p.mask_stride = mask_stride;
  KeyVisibility& seen = p.visibility;
  seen.window = options.window.value_or(0);
  seen.chunk = options.chunk_size.value_or(0);
  if (seen.chunk) {
    seen.chunk_origin.assign(static_cast<std::size_t>(s.batch), 0);
    for (std::int64_t b = 0; p.key_padding && b < s.batch; ++b) {
      const std::uint8_t* row = p.key_padding + b * s.k_len;
      const std::int64_t first = std::find_if(row, row + s.k_len, [](std::uint8_t x) { return x != 0; }) - row;
      seen.chunk_origin[static_cast<std::size_t>(b)] = first == s.k_len ? 0 : first;
    }
  }
  p.sinks = options.sinks.empty() ? nullptr : options.sinks.data();
  p.temperature = options.query_temperature;
  if (p.temperature) {  // the factor grows with the position: the last query row has the largest
    const double last = static_cast<double>(p.q_offset + s.q_len);
    const double factor = std::log1p(std::floor(last / p.temperature->floor_scale)) * p.temperature->attn_scale + 1.0;
    require_range(std::fabs(p.scale * factor) <= kMaxMultiplier, "query_temperature.attn_scale",
                  p.temperature->attn_scale, "keep scale times the temperature factor at most 1e6 in magnitude");
  }
  p.softcap = options.softcap.has_value();
  p.cap = static_cast<float>(options.softcap.value_or(1.0));
  return p;
}

}  // namespace posenc
