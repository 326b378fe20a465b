// How values cross the JS boundary (bindings/core.js and the encoding files beside it are the other half):
// - Tensors cross as pointers into wasm memory (uintptr_t) plus element counts; JS allocates, copies and
//   frees them, so no `val` conversion sits on a hot path.
// - Every argument is a plain number or bool: no wire temporaries (strings, value_objects) to convert and
//   free on each call. An export never throws into JS (held_error.hpp).
//   Integers arrive as doubles (exact up to 2^53; JS checked they are integers), NaN meaning "absent"
//   for optional ones; enums arrive as their index (JS maps names with the *Name functions).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "posenc/attention.hpp"
#include "posenc/dropout.hpp"
#include "posenc/learned.hpp"
#include "posenc/rope.hpp"
#include "posenc/xpos.hpp"
#include "posenc/span.hpp"

namespace posenc::bindings {

// Saturates instead of trapping, so an out-of-range value still reaches the C++ range checks.
inline std::int64_t to_int(double v) {
  constexpr double kLimit = 9.0e18;
  if (std::isnan(v)) return 0;
  if (v >= kLimit) return std::numeric_limits<std::int64_t>::max();
  if (v <= -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}
inline std::optional<std::int64_t> opt_int(double v) { return std::isnan(v) ? std::nullopt : std::optional(to_int(v)); }
inline std::optional<double> opt_num(double v) { return std::isnan(v) ? std::nullopt : std::optional(v); }

template <class T>
Span<T> span(std::uintptr_t p, double n) {
  return {reinterpret_cast<T*>(p), static_cast<std::size_t>(n)};
}

inline DropoutOptions dropout_options(double p, bool train, std::uintptr_t keep, double keep_len, double seed) {
  return {p, train, span<const std::uint8_t>(keep, keep_len), static_cast<std::uint64_t>(seed)};
}

// A Hugging Face rope_scaling object, flattened by rope.js into float64 slots (NaN = absent), followed by
// short_factor and long_factor. JS reads the slot order from scalingFieldName (embind.cpp).
enum ScalingSlot {
  kType, kFactor, kOriginalMax, kAttentionFactor, kBetaFast, kBetaSlow, kMscale, kMscaleAllDim, kTruncate,
  kLowFreq, kHighFreq, kPartialRotaryFactor, kShortLen, kLongLen, kSlotCount
};

inline RopeScaling read_scaling(std::uintptr_t block) {
  RopeScaling s;
  if (block == 0) return s;
  const double* v = reinterpret_cast<const double*>(block);
  s.type = static_cast<RopeType>(to_int(v[kType]));
  s.factor = opt_num(v[kFactor]);
  s.original_max_position_embeddings = opt_int(v[kOriginalMax]);
  s.attention_factor = opt_num(v[kAttentionFactor]);
  s.beta_fast = opt_num(v[kBetaFast]);
  s.beta_slow = opt_num(v[kBetaSlow]);
  s.mscale = opt_num(v[kMscale]);
  s.mscale_all_dim = opt_num(v[kMscaleAllDim]);
  s.truncate = v[kTruncate] != 0;
  s.low_freq_factor = opt_num(v[kLowFreq]);
  s.high_freq_factor = opt_num(v[kHighFreq]);
  s.partial_rotary_factor = opt_num(v[kPartialRotaryFactor]);
  const auto short_len = static_cast<std::size_t>(v[kShortLen]), long_len = static_cast<std::size_t>(v[kLongLen]);
  s.short_factor.assign(v + kSlotCount, v + kSlotCount + short_len);
  s.long_factor.assign(v + kSlotCount + short_len, v + kSlotCount + short_len + long_len);
  return s;
}

// RoPE's kernel options as the forward and its gradient receive them (positions are set by the caller).
inline RopeForwardOptions rope_options(double d_rot, double base, int layout, double offset, bool inverse,
                                       std::uintptr_t scaling, double max_position_embeddings, double seq_len) {
  RopeForwardOptions o;
  o.d_rot = opt_int(d_rot);
  o.base = base;
  o.layout = static_cast<RopeLayout>(layout);
  o.offset = to_int(offset);
  o.inverse = inverse;
  o.scaling = read_scaling(scaling);
  o.max_position_embeddings = opt_int(max_position_embeddings);
  o.seq_len = opt_int(seq_len);
  return o;
}

// The learned embedding's options as learnedForward and learnedBackward receive them.
inline LearnedForwardOptions learned_options(double offset, std::uintptr_t positions, double positions_len, double scale,
                                             bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta,
                                             double beta_len, double eps, double p, bool train, std::uintptr_t keep,
                                             double keep_len, double seed) {
  LearnedForwardOptions o;
  o.offset = to_int(offset);
  o.positions = span<const std::int32_t>(positions, positions_len);
  o.scale = scale;
  o.use_ln = use_ln;
  o.gamma = span<const float>(gamma, gamma_len);
  o.beta = span<const float>(beta, beta_len);
  o.eps = eps;
  o.dropout = dropout_options(p, train, keep, keep_len, seed);
  return o;
}

// xPos options as xposApply and xposBackward receive them.
inline XposOptions xpos_options(bool key, std::uintptr_t positions, double positions_len, double offset, double base,
                                double gamma, double scale_base, double center, int layout) {
  XposOptions o;
  o.role = key ? XposRole::Key : XposRole::Query;
  o.positions = span<const std::int32_t>(positions, positions_len);
  o.offset = to_int(offset);
  o.base = base;
  o.gamma = gamma;
  o.scale_base = scale_base;
  o.center = center;
  o.layout = static_cast<RopeLayout>(layout);
  return o;
}

// sdpa's scalar options, flattened by attention.js into float64 slots (NaN = absent); the tensors beside
// them (bias, slopes, key padding, mask, sinks) arrive as pointers whose lengths sit in the block. JS reads
// the slot order from sdpaSlotName (embind.cpp).
enum SdpaSlot {
  kScale, kQOffset, kCausal, kAlibiMode, kBiasLen, kBiasHasBatch, kSlopesLen, kPaddingLen, kMaskKind, kMaskLen,
  kMask0, kMask1, kMask2, kMask3, kWindow, kChunkSize, kSinksLen, kFloorScale, kAttnScale, kSoftcap, kSdpaSlotCount
};
enum SdpaMaskKind { kNoMask, kAdditiveMask, kKeepMask };

// The tensors' pointers with the block give the options; kAlibiMode < 0: no ALiBi unless slopes are given.
inline SdpaOptions read_sdpa_options(std::uintptr_t bias, std::uintptr_t slopes, std::uintptr_t key_padding,
                                     std::uintptr_t mask, std::uintptr_t sinks, std::uintptr_t block) {
  const double* v = reinterpret_cast<const double*>(block);
  SdpaOptions o;
  o.scale = opt_num(v[kScale]);
  o.q_offset = opt_int(v[kQOffset]);
  o.causal = v[kCausal] != 0;
  if (v[kAlibiMode] >= 0) o.alibi = static_cast<AlibiMode>(to_int(v[kAlibiMode]));
  o.bias = span<const float>(bias, v[kBiasLen]);
  o.bias_has_batch = v[kBiasHasBatch] != 0;
  o.alibi_slopes = span<const float>(slopes, v[kSlopesLen]);
  o.key_padding = span<const std::uint8_t>(key_padding, v[kPaddingLen]);
  const auto kind = static_cast<SdpaMaskKind>(to_int(v[kMaskKind]));
  if (kind == kAdditiveMask) o.mask.additive = span<const float>(mask, v[kMaskLen]);
  if (kind == kKeepMask) o.mask.keep = span<const std::uint8_t>(mask, v[kMaskLen]);
  o.mask.shape = {to_int(v[kMask0]), to_int(v[kMask1]), to_int(v[kMask2]), to_int(v[kMask3])};
  o.window = opt_int(v[kWindow]);
  o.chunk_size = opt_int(v[kChunkSize]);
  o.sinks = span<const float>(sinks, v[kSinksLen]);
  if (!std::isnan(v[kFloorScale])) o.query_temperature = QueryTemperature{v[kFloorScale], v[kAttnScale]};
  o.softcap = opt_num(v[kSoftcap]);
  return o;
}

// An M-RoPE section as three sizes (t, h, w; NaN for none: plain RoPE) and the interleaved flag.
inline std::optional<MropeSection> opt_mrope(double t, double h, double w, bool interleaved) {
  if (std::isnan(t)) return std::nullopt;
  return MropeSection{{to_int(t), to_int(h), to_int(w)}, interleaved};
}

}  // namespace posenc::bindings
