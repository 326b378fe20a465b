// The WebAssembly face of posenc: thin Embind bindings over the C++ API. The only file that includes
// emscripten headers.
//
// Conventions (bindings/core.js and the encoding files beside it are the other half):
// - Tensors cross as pointers into wasm memory (uintptr_t) plus element counts; JS allocates, copies and
//   frees them, so no `val` conversion sits on a hot path.
// - Every argument is a plain number or bool: a C++ exception escaping a bound function skips Embind's
//   clean-up of wire temporaries (strings, value_objects), which would leak heap on every throw.
//   Integers arrive as doubles (exact up to 2^53; JS checked they are integers), NaN meaning "absent"
//   for optional ones; enums arrive as their index (JS maps names with the *Name functions below).
// - A thrown posenc::Error reaches JS as the exception's address; JS reads takeExceptionCode, then
//   takeExceptionMessage, which frees the exception (TOOLCHAIN.md §2), and restores the stack pointer.
#include <emscripten/bind.h>

#include <cxxabi.h>
#include <malloc.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/dropout.hpp"
#include "posenc/error.hpp"
#include "posenc/learned.hpp"
#include "posenc/modules.hpp"
#include "posenc/relative.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/xpos.hpp"

#ifndef POSENC_VERSION
#define POSENC_VERSION "0.0.0"
#endif

namespace {

using namespace posenc;

// Saturates instead of trapping, so an out-of-range value still reaches the C++ range checks.
std::int64_t to_int(double v) {
  constexpr double kLimit = 9.0e18;
  if (std::isnan(v)) return 0;
  if (v >= kLimit) return std::numeric_limits<std::int64_t>::max();
  if (v <= -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}
std::optional<std::int64_t> opt_int(double v) { return std::isnan(v) ? std::nullopt : std::optional(to_int(v)); }
std::optional<double> opt_num(double v) { return std::isnan(v) ? std::nullopt : std::optional(v); }

template <class T>
Span<T> span(std::uintptr_t p, double n) {
  return {reinterpret_cast<T*>(p), static_cast<std::size_t>(n)};
}

DropoutOptions dropout_options(double p, bool train, std::uintptr_t keep, double keep_len, double seed) {
  return {p, train, span<const std::uint8_t>(keep, keep_len), static_cast<std::uint64_t>(seed)};
}

// A Hugging Face rope_scaling object, flattened by rope.js into float64 slots (NaN = absent), followed by
// short_factor and long_factor. JS reads the slot order from scalingFieldName.
enum ScalingSlot {
  kType, kFactor, kOriginalMax, kAttentionFactor, kBetaFast, kBetaSlow, kMscale, kMscaleAllDim, kTruncate,
  kLowFreq, kHighFreq, kShortLen, kLongLen, kSlotCount
};

RopeScaling read_scaling(std::uintptr_t block) {
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
  const auto short_len = static_cast<std::size_t>(v[kShortLen]), long_len = static_cast<std::size_t>(v[kLongLen]);
  s.short_factor.assign(v + kSlotCount, v + kSlotCount + short_len);
  s.long_factor.assign(v + kSlotCount + short_len, v + kSlotCount + short_len + long_len);
  return s;
}

// ---- exceptions -------------------------------------------------------------------------------

std::string takeExceptionCode(std::uintptr_t p) {
  const auto* e = dynamic_cast<const Error*>(reinterpret_cast<const std::exception*>(p));
  if (e) return e->code_name();
  if (dynamic_cast<const std::bad_alloc*>(reinterpret_cast<const std::exception*>(p))) return "BAD_SIZE";
  return "INTERNAL";
}

// Reads what() and frees the exception: 1 → 0 references runs its destructor.
std::string takeExceptionMessage(std::uintptr_t p) {
  void* ex = reinterpret_cast<void*>(p);
  std::string message = static_cast<const std::exception*>(ex)->what();
  abi::__cxa_increment_exception_refcount(ex);
  abi::__cxa_decrement_exception_refcount(ex);
  return message;
}

// ---- introspection ------------------------------------------------------------------------------

std::string version() { return POSENC_VERSION; }
std::string arch() { return simd::arch_name(); }
bool simdBuild() { return POSENC_SIMD != 0; }
double heapInUse() { return static_cast<double>(mallinfo().uordblks); }
// malloc's largest footprint so far (dlmalloc's max_footprint): a workload's peak heap on a fresh instance.
double heapPeak() { return static_cast<double>(mallinfo().usmblks); }
// The name of enumerator i, or "" past the last one: JS lists the names by counting up from 0, so the
// enums' members and counts are written once, in C++. An index is an enumerator exactly when its name
// parses back to it.
template <class Enum, class Name, class Parse>
std::string enum_name(int i, Name name, Parse parse) {
  const auto e = static_cast<Enum>(i);
  try {
    const std::string n = name(e);
    return parse(n) == e ? n : "";
  } catch (const Error&) {
    return "";
  }
}
std::string ropeTypeName(int i) { return enum_name<RopeType>(i, rope_type_name, parse_rope_type); }
std::string ropeLayoutName(int i) { return enum_name<RopeLayout>(i, rope_layout_name, parse_rope_layout); }
std::string alibiModeName(int i) { return enum_name<AlibiMode>(i, alibi_mode_name, parse_alibi_mode); }

// The rope_scaling key each slot of read_scaling's block holds, in slot order; "" past the last slot
// (JS fills the block by these names; -Wswitch flags a slot added without its key).
const char* scaling_field(ScalingSlot slot) {
  switch (slot) {
    case kType: return "rope_type";
    case kFactor: return "factor";
    case kOriginalMax: return "original_max_position_embeddings";
    case kAttentionFactor: return "attention_factor";
    case kBetaFast: return "beta_fast";
    case kBetaSlow: return "beta_slow";
    case kMscale: return "mscale";
    case kMscaleAllDim: return "mscale_all_dim";
    case kTruncate: return "truncate";
    case kLowFreq: return "low_freq_factor";
    case kHighFreq: return "high_freq_factor";
    case kShortLen: return "short_factor";
    case kLongLen: return "long_factor";
    case kSlotCount: break;
  }
  return "";
}
std::string scalingFieldName(int i) { return i >= 0 && i < kSlotCount ? scaling_field(static_cast<ScalingSlot>(i)) : ""; }

// ---- functions ----------------------------------------------------------------------------------

void sinusoidalTable(double max_len, double d, std::uintptr_t out, double out_len, double base, double start,
                     double count) {
  sinusoidal_table(to_int(max_len), to_int(d), span<float>(out, out_len), {base, to_int(start), opt_int(count)});
}

// The table a slice of rows at a time in scratch; onSlice(firstRow, rows) copies each out before the next.
void sinusoidalTableSlices(double max_len, double d, std::uintptr_t scratch, double scratch_len, double base,
                           double start, double count, emscripten::val on_slice) {
  sinusoidal_table_slices(
      to_int(max_len), to_int(d), span<float>(scratch, scratch_len),
      [&](std::int64_t first_row, std::int64_t rows) {
        on_slice(static_cast<double>(first_row), static_cast<double>(rows));
      },
      {base, to_int(start), opt_int(count)});
}

void sinusoidalForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t out, double max_len,
                       double offset, double base, double p, bool train, std::uintptr_t keep, double keep_len,
                       double seed) {
  const double n = batch * seq * d;
  SinusoidalForwardOptions o;
  o.max_len = to_int(max_len);
  o.offset = to_int(offset);
  o.base = base;
  o.dropout = dropout_options(p, train, keep, keep_len, seed);
  sinusoidal_forward(span<const float>(x, n), to_int(batch), to_int(seq), to_int(d), span<float>(out, n), o);
}

void learnedForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t table, double max_len,
                    double width, std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len,
                    double scale, bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta,
                    double beta_len, double eps, double p, bool train, std::uintptr_t keep, double keep_len,
                    double seed) {
  const double n = batch * seq * d;
  LearnedForwardOptions o;
  o.offset = to_int(offset);
  o.positions = span<const std::int32_t>(positions, positions_len);
  o.scale = scale;
  o.use_ln = use_ln;
  o.gamma = span<const float>(gamma, gamma_len);
  o.beta = span<const float>(beta, beta_len);
  o.eps = eps;
  o.dropout = dropout_options(p, train, keep, keep_len, seed);
  learned_forward(span<const float>(x, n), to_int(batch), to_int(seq), to_int(d),
                  span<const float>(table, max_len * width), to_int(max_len), to_int(width), span<float>(out, n), o);
}

void clippedRelativeBias(std::uintptr_t table, double rows, double cols, double num_heads, double max_distance,
                         double q_len, double k_len, double q_offset, std::uintptr_t out, double out_len) {
  clipped_relative_bias(span<const float>(table, rows * cols), to_int(rows), to_int(cols), to_int(num_heads),
                        to_int(max_distance), to_int(q_len), to_int(k_len), opt_int(q_offset),
                        span<float>(out, out_len));
}

// Writes inv_freq (d_rot/2 floats) to out and returns the attention factor.
double ropeParams(double d_rot, double base, std::uintptr_t scaling, double max_position_embeddings, double seq_len,
                  std::uintptr_t out) {
  const RopeParams r = rope_params(to_int(d_rot), base, read_scaling(scaling), opt_int(max_position_embeddings),
                                   opt_int(seq_len));
  float* dst = reinterpret_cast<float*>(out);
  for (std::size_t j = 0; j < r.inv_freq.size(); ++j) dst[j] = static_cast<float>(r.inv_freq[j]);
  return r.attention_factor;
}

// The options ropeForward and ropeForwardThrough share (positions: only ropeForward has them).
RopeForwardOptions rope_options(double d_rot, double base, int layout, double offset, bool inverse,
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

void ropeForward(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                 double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, double offset,
                 bool inverse, std::uintptr_t scaling, double max_position_embeddings, double seq_len) {
  const double n = batch * heads * seq * head_dim;
  RopeForwardOptions o = rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  o.positions = span<const std::int32_t>(positions, positions_len);
  rope_forward(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
               span<float>(out, n), o);
}

// RoPE of a JS array through scratch: load(first, count, s0, rows) fills it, store(…) empties it (rope.hpp).
void ropeForwardThrough(double batch, double heads, double seq, double head_dim, std::uintptr_t scratch,
                        double scratch_len, double d_rot, double base, int layout, double offset, bool inverse,
                        std::uintptr_t scaling, double max_position_embeddings, double seq_len, emscripten::val load,
                        emscripten::val store) {
  const RopeForwardOptions o =
      rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  const auto io = [](emscripten::val& fn) {
    return [&fn](std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows) {
      fn(static_cast<double>(first), static_cast<double>(count), static_cast<double>(s0), static_cast<double>(rows));
    };
  };
  rope_forward_through({to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)}, span<float>(scratch, scratch_len),
                       io(load), io(store), o);
}

void xposApply(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
               bool key, std::uintptr_t positions, double positions_len, double offset, double base, double gamma,
               double scale_base, double center, int layout) {
  const double n = batch * heads * seq * head_dim;
  XposOptions o;
  o.role = key ? XposRole::Key : XposRole::Query;
  o.positions = span<const std::int32_t>(positions, positions_len);
  o.offset = to_int(offset);
  o.base = base;
  o.gamma = gamma;
  o.scale_base = scale_base;
  o.center = center;
  o.layout = static_cast<RopeLayout>(layout);
  xpos_apply(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
             span<float>(out, n), o);
}

void alibiSlopes(double num_heads, std::uintptr_t out, double out_len) {
  alibi_slopes(to_int(num_heads), span<float>(out, out_len));
}

void alibiBias(double num_heads, double q_len, double k_len, double q_offset, int mode, std::uintptr_t out,
               double out_len) {
  alibi_bias(to_int(num_heads), to_int(q_len), to_int(k_len), opt_int(q_offset), static_cast<AlibiMode>(mode),
             span<float>(out, out_len));
}

void t5Buckets(std::uintptr_t relative_positions, double n, std::uintptr_t out, bool bidirectional, double num_buckets,
               double max_distance) {
  t5_buckets(span<const std::int32_t>(relative_positions, n), span<std::int32_t>(out, n),
             {bidirectional, to_int(num_buckets), to_int(max_distance)});
}

void t5Bias(std::uintptr_t table, double rows, double cols, double num_heads, double q_len, double k_len,
            double q_offset, bool bidirectional, double max_distance, std::uintptr_t out, double out_len) {
  t5_bias(span<const float>(table, rows * cols), to_int(rows), to_int(cols), to_int(num_heads), to_int(q_len),
          to_int(k_len), opt_int(q_offset), bidirectional, to_int(max_distance), span<float>(out, out_len));
}

// alibi_mode < 0: no ALiBi unless slopes are given.
void sdpaOp(std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, double batch, double heads, double q_len, double k_len,
          double head_dim, double v_dim, std::uintptr_t out, std::uintptr_t probs, std::uintptr_t bias,
          double bias_len, bool bias_has_batch, int alibi_mode, std::uintptr_t slopes, double slopes_len, bool causal,
          double q_offset, double scale) {
  const AttentionShape shape{to_int(batch), to_int(heads), to_int(q_len), to_int(k_len), to_int(head_dim),
                             to_int(v_dim)};
  SdpaOptions o;
  o.bias = span<const float>(bias, bias_len);
  o.bias_has_batch = bias_has_batch;
  if (alibi_mode >= 0) o.alibi = static_cast<AlibiMode>(alibi_mode);
  o.alibi_slopes = span<const float>(slopes, slopes_len);
  o.causal = causal;
  o.q_offset = opt_int(q_offset);
  o.scale = opt_num(scale);
  const double bh = batch * heads;
  posenc::sdpa(span<const float>(q, bh * q_len * head_dim), span<const float>(k, bh * k_len * head_dim),
       span<const float>(v, bh * k_len * v_dim), shape, span<float>(out, bh * q_len * v_dim),
       probs ? span<float>(probs, bh * q_len * k_len) : Span<float>{}, o);
}

void dropoutOp(std::uintptr_t x, double n, std::uintptr_t out, double p, bool train, std::uintptr_t keep,
               double keep_len, double seed) {
  dropout(span<const float>(x, n), span<float>(out, n), dropout_options(p, train, keep, keep_len, seed));
}

// ---- module classes -----------------------------------------------------------------------------

SinusoidalPositionalEncoding* makeSinusoidal(double dim, double max_len, double p, double base, double seed) {
  return new SinusoidalPositionalEncoding(to_int(dim), to_int(max_len), p, base, static_cast<std::uint64_t>(seed));
}
void sinusoidalModuleForward(SinusoidalPositionalEncoding& m, std::uintptr_t x, double batch, double seq,
                             std::uintptr_t out, double offset) {
  const double n = batch * seq * static_cast<double>(m.dim());
  m.forward(span<const float>(x, n), to_int(batch), to_int(seq), span<float>(out, n), to_int(offset));
}
std::uintptr_t sinusoidalModuleTable(const SinusoidalPositionalEncoding& m) {
  return reinterpret_cast<std::uintptr_t>(m.table().data());
}

LearnedPositionalEmbedding* makeLearned(double dim, double max_len, double p, double scale, bool layer_norm,
                                        bool relative, double num_heads, double max_distance, double seed) {
  LearnedPositionalEmbedding::Config c;
  c.dim = to_int(dim);
  c.max_len = to_int(max_len);
  c.dropout = p;
  c.scale = scale;
  c.layer_norm = layer_norm;
  c.relative = relative;
  c.num_heads = to_int(num_heads);
  c.max_distance = to_int(max_distance);
  c.seed = static_cast<std::uint64_t>(seed);
  return new LearnedPositionalEmbedding(c);
}
void learnedModuleForward(LearnedPositionalEmbedding& m, std::uintptr_t x, double batch, double seq,
                          std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len) {
  const double n = batch * seq * static_cast<double>(m.config().dim);
  m.forward(span<const float>(x, n), to_int(batch), to_int(seq), span<float>(out, n), to_int(offset),
            span<const std::int32_t>(positions, positions_len));
}
void learnedModuleRelativeBias(const LearnedPositionalEmbedding& m, double q_len, double k_len, double q_offset,
                               std::uintptr_t out, double out_len) {
  m.relative_bias(to_int(q_len), to_int(k_len), opt_int(q_offset), span<float>(out, out_len));
}
// State buffers by index: 0 table, 1 gamma, 2 beta, 3 relative table. JS reads and writes them in place.
std::vector<float>& learnedState(LearnedPositionalEmbedding& m, int which) {
  switch (which) {
    case 1: return m.gamma();
    case 2: return m.beta();
    case 3: return m.relative_table();
    default: return m.table();
  }
}
std::uintptr_t learnedModuleStatePtr(LearnedPositionalEmbedding& m, int which) {
  return reinterpret_cast<std::uintptr_t>(learnedState(m, which).data());
}
double learnedModuleStateSize(LearnedPositionalEmbedding& m, int which) {
  return static_cast<double>(learnedState(m, which).size());
}

RotaryPositionalEmbedding* makeRotary(double dim, double max_len, double base, int layout, std::uintptr_t scaling,
                                      double max_position_embeddings) {
  return new RotaryPositionalEmbedding(to_int(dim), to_int(max_len), base, static_cast<RopeLayout>(layout),
                                       read_scaling(scaling), opt_int(max_position_embeddings));
}
void rotaryModuleForward(RotaryPositionalEmbedding& m, std::uintptr_t q, double qb, double qh, double qs,
                         std::uintptr_t q_out, std::uintptr_t k, double kb, double kh, double ks, std::uintptr_t k_out,
                         double offset, std::uintptr_t positions, double positions_len) {
  const auto d = static_cast<double>(m.dim());
  const double qn = qb * qh * qs * d, kn = kb * kh * ks * d;
  m.forward(span<const float>(q, qn), {to_int(qb), to_int(qh), to_int(qs), m.dim()}, span<float>(q_out, qn),
            span<const float>(k, kn), {to_int(kb), to_int(kh), to_int(ks), m.dim()}, span<float>(k_out, kn),
            to_int(offset), span<const std::int32_t>(positions, positions_len));
}
// inv_freq (float64, dim/2 entries) and the attention factor, for stateDict().
std::uintptr_t rotaryModuleInvFreq(const RotaryPositionalEmbedding& m) {
  return reinterpret_cast<std::uintptr_t>(m.params().inv_freq.data());
}
double rotaryModuleAttentionFactor(const RotaryPositionalEmbedding& m) { return m.params().attention_factor; }
double rotaryModuleCachedLen(const RotaryPositionalEmbedding& m) { return static_cast<double>(m.cached_len()); }

ALiBiPositionalEncoding* makeAlibi(double num_heads, double max_len) {
  return new ALiBiPositionalEncoding(to_int(num_heads), to_int(max_len));
}
void alibiModuleBias(const ALiBiPositionalEncoding& m, double q_len, double k_len, double q_offset, std::uintptr_t out,
                     double out_len) {
  m.bias(to_int(q_len), to_int(k_len), span<float>(out, out_len), opt_int(q_offset));
}
// scores, out: [batch, heads, q_len, k_len] (out may be scores); out = scores + bias.
void alibiModuleForward(const ALiBiPositionalEncoding& m, std::uintptr_t scores, double batch, double q_len,
                        double k_len, std::uintptr_t out, double q_offset) {
  const std::size_t per_batch = static_cast<std::size_t>(m.num_heads() * to_int(q_len) * to_int(k_len));
  std::vector<float> bias(per_batch);
  m.bias(to_int(q_len), to_int(k_len), bias, opt_int(q_offset));
  const float* s = reinterpret_cast<const float*>(scores);
  float* o = reinterpret_cast<float*>(out);
  for (std::size_t b = 0; b < static_cast<std::size_t>(batch); ++b) {
    for (std::size_t i = 0; i < per_batch; ++i) o[b * per_batch + i] = s[b * per_batch + i] + bias[i];
  }
}
std::uintptr_t alibiModuleSlopes(const ALiBiPositionalEncoding& m) {
  return reinterpret_cast<std::uintptr_t>(m.slopes().data());
}

}  // namespace

EMSCRIPTEN_BINDINGS(posenc) {
  using emscripten::allow_raw_pointers;
  using emscripten::class_;
  using emscripten::function;

  function("takeExceptionCode", &takeExceptionCode);
  function("takeExceptionMessage", &takeExceptionMessage);
  function("version", &version);
  function("arch", &arch);
  function("simdBuild", &simdBuild);
  function("heapInUse", &heapInUse);
  function("heapPeak", &heapPeak);
  function("ropeTypeName", &ropeTypeName);
  function("ropeLayoutName", &ropeLayoutName);
  function("alibiModeName", &alibiModeName);
  function("scalingFieldName", &scalingFieldName);

  function("sinusoidalTable", &sinusoidalTable);
  function("sinusoidalTableSlices", &sinusoidalTableSlices);
  function("sinusoidalForward", &sinusoidalForward);
  function("learnedForward", &learnedForward);
  function("clippedRelativeBias", &clippedRelativeBias);
  function("ropeParams", &ropeParams);
  function("ropeForward", &ropeForward);
  function("ropeForwardThrough", &ropeForwardThrough);
  function("xposApply", &xposApply);
  function("alibiSlopes", &alibiSlopes);
  function("alibiBias", &alibiBias);
  function("t5Buckets", &t5Buckets);
  function("t5Bias", &t5Bias);
  function("sdpa", &sdpaOp);
  function("dropout", &dropoutOp);

  class_<SinusoidalPositionalEncoding>("SinusoidalPositionalEncoding")
      .constructor(&makeSinusoidal, allow_raw_pointers())
      .function("forward", &sinusoidalModuleForward)
      .function("train", &SinusoidalPositionalEncoding::train)
      .function("table", &sinusoidalModuleTable);
  class_<LearnedPositionalEmbedding>("LearnedPositionalEmbedding")
      .constructor(&makeLearned, allow_raw_pointers())
      .function("forward", &learnedModuleForward)
      .function("relativeBias", &learnedModuleRelativeBias)
      .function("train", &LearnedPositionalEmbedding::train)
      .function("statePtr", &learnedModuleStatePtr)
      .function("stateSize", &learnedModuleStateSize);
  class_<RotaryPositionalEmbedding>("RotaryPositionalEmbedding")
      .constructor(&makeRotary, allow_raw_pointers())
      .function("forward", &rotaryModuleForward)
      .function("invFreq", &rotaryModuleInvFreq)
      .function("attentionFactor", &rotaryModuleAttentionFactor)
      .function("cachedLen", &rotaryModuleCachedLen);
  class_<ALiBiPositionalEncoding>("ALiBiPositionalEncoding")
      .constructor(&makeAlibi, allow_raw_pointers())
      .function("bias", &alibiModuleBias)
      .function("forward", &alibiModuleForward)
      .function("slopes", &alibiModuleSlopes);
}
