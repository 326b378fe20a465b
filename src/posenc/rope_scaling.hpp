// RoPE's long-context scalings, after Hugging Face transformers' modeling_rope_utils.py: a `rope_scaling`
// config turns the default frequencies base^(−2j/d) into scaled ones and an attention factor. Each
// rope_type is one entry of a table in rope_scaling.cpp (its defaults, its checks, its formula); a new
// type is a new entry.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace posenc {

enum class RopeType { Default, Linear, Dynamic, Yarn, Llama3, LongRope, Proportional };
// "default" | "linear" | "dynamic" | "yarn" | "llama3" | "longrope" | "proportional"; anything else is
// OUT_OF_RANGE.
RopeType parse_rope_type(const std::string& name);
const char* rope_type_name(RopeType type);

// A Hugging Face `rope_scaling` object; absent fields take each type's defaults.
struct RopeScaling {
  RopeType type = RopeType::Default;
  std::optional<double> factor;
  std::optional<std::int64_t> original_max_position_embeddings;
  std::optional<double> attention_factor;
  std::optional<double> beta_fast;       // yarn, default 32
  std::optional<double> beta_slow;       // yarn, default 1
  std::optional<double> mscale;          // yarn (DeepSeek)
  std::optional<double> mscale_all_dim;  // yarn (DeepSeek)
  bool truncate = true;                  // yarn
  std::optional<double> low_freq_factor;   // llama3, default 1
  std::optional<double> high_freq_factor;  // llama3, default 4
  std::optional<double> partial_rotary_factor;  // proportional, default 1
  std::vector<double> short_factor;      // longrope, d_rot/2 entries
  std::vector<double> long_factor;       // longrope, d_rot/2 entries
};

// What a scaling is applied to: the rotated width, the base, the config's top-level
// max_position_embeddings, and the sequence length (dynamic and longrope only).
struct RopeContext {
  std::int64_t d_rot = 0;
  double base = 10000.0;
  std::optional<std::int64_t> max_position_embeddings;
  std::optional<std::int64_t> seq_len;
};

struct RopeParams {
  std::vector<double> inv_freq;  // d_rot/2 entries, float64
  double attention_factor = 1.0;
};

// The scaling's checks, one call per error kind so that a caller interleaves its own checks in the
// reporting order: NON_FINITE, BAD_SIZE, OUT_OF_RANGE, SHAPE_MISMATCH.
void check_scaling_finite(double base, const RopeScaling& scaling);
void check_scaling_sizes(const RopeScaling& scaling, const RopeContext& context);  // d_rot and the lengths
void check_scaling_ranges(const RopeScaling& scaling, const RopeContext& context);  // base and the fields
void check_scaling_shapes(const RopeScaling& scaling, const RopeContext& context);

// Scales default frequencies (validated context and scaling) in place; returns the attention factor.
double apply_rope_scaling(const RopeScaling& scaling, const RopeContext& context, std::vector<double>& inv_freq);
// apply_rope_scaling's limits (OUT_OF_RANGE): every scaled inverse frequency at most this (so that
// position · ω < 2^52 for every int32 position), the attention factor at most kMaxMultiplier.
inline constexpr double kMaxInverseFrequency = 1e6;

// Every check, the default frequencies, the scaling. seq_len: dynamic and longrope only.
RopeParams rope_params(std::int64_t d_rot, double base = 10000.0, const RopeScaling& scaling = {},
                       std::optional<std::int64_t> max_position_embeddings = std::nullopt,
                       std::optional<std::int64_t> seq_len = std::nullopt);

// YaRN's correction range (Peng et al. 2023): the dims between lo and hi blend extrapolation and
// interpolation.
struct YarnRange {
  double lo, hi;
};
YarnRange yarn_correction_range(std::int64_t d, double base, double l0, double beta_fast, double beta_slow, bool truncate);

}  // namespace posenc
