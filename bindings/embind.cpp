// The WebAssembly face of posenc: registers the exports (exports.hpp) with Embind. The only file that
// includes emscripten headers; how values cross is in wire.hpp, what each export does in functions.cpp and
// modules.cpp.
#include <emscripten/bind.h>

#include <malloc.h>

#include <cstdint>
#include <string>

#include "exports.hpp"
#include "posenc/alibi.hpp"
#include "posenc/error.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "wire.hpp"

#ifndef POSENC_VERSION
#define POSENC_VERSION "0.0.0"
#endif

namespace {

using namespace posenc;
using namespace posenc::bindings;

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
  } catch (const posenc::Error&) {
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

// ---- JS callbacks -------------------------------------------------------------------------------

// The streaming calls take JS functions; each becomes a std::function for streaming.cpp. A callback that
// returns false (strictly) stops the call; anything else, undefined included, goes on.
void sinusoidalTableSlicesJs(double max_len, double d, std::uintptr_t scratch, double scratch_len, double base,
                             double start, double count, emscripten::val on_slice) {
  sinusoidalTableSlices(max_len, d, scratch, scratch_len, base, start, count,
                        [&on_slice](std::int64_t first_row, std::int64_t rows) {
                          return !on_slice(static_cast<double>(first_row), static_cast<double>(rows)).isFalse();
                        });
}

void ropeForwardThroughJs(double batch, double heads, double seq, double head_dim, std::uintptr_t scratch,
                          double scratch_len, double d_rot, double base, int layout, double offset, bool inverse,
                          std::uintptr_t scaling, double max_position_embeddings, double seq_len, emscripten::val load,
                          emscripten::val store) {
  const auto io = [](emscripten::val& fn) {
    return [&fn](std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows) {
      return !fn(static_cast<double>(first), static_cast<double>(count), static_cast<double>(s0), static_cast<double>(rows))
                  .isFalse();
    };
  };
  ropeForwardThrough(batch, heads, seq, head_dim, scratch, scratch_len, d_rot, base, layout, offset, inverse, scaling,
                     max_position_embeddings, seq_len, io(load), io(store));
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
  function("releaseCaches", &releaseCaches);
  function("heapPeak", &heapPeak);
  function("ropeTypeName", &ropeTypeName);
  function("ropeLayoutName", &ropeLayoutName);
  function("alibiModeName", &alibiModeName);
  function("scalingFieldName", &scalingFieldName);

  function("sinusoidalTable", &sinusoidalTable);
  function("sinusoidalTableSlices", &sinusoidalTableSlicesJs);
  function("sinusoidalForward", &sinusoidalForward);
  function("learnedForward", &learnedForward);
  function("clippedRelativeBias", &clippedRelativeBias);
  function("ropeParams", &ropeParams);
  function("ropeForward", &ropeForward);
  function("ropeForwardThrough", &ropeForwardThroughJs);
  function("ropeThroughMinScratch", &ropeThroughMinScratch);
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
      .function("cachedLen", &rotaryModuleCachedLen);
  class_<ALiBiPositionalEncoding>("ALiBiPositionalEncoding")
      .constructor(&makeAlibi, allow_raw_pointers())
      .function("bias", &alibiModuleBias)
      .function("forward", &alibiModuleForward)
      .function("slopes", &alibiModuleSlopes);
}
