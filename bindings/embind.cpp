// The WebAssembly face of posenc: registers the exports (exports.hpp) with Embind. The only file that
// includes emscripten headers; how values cross is in wire.hpp, what each export does in functions.cpp and
// modules.cpp.
#include <emscripten/bind.h>

#include <malloc.h>

#include <cstdint>
#include <string>

#include "exports.hpp"
#include "held_error.hpp"
#include "posenc/alibi.hpp"
#include "posenc/error.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "posenc/vision_rope.hpp"
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
std::string visionRopeStyleName(int i) {
  return enum_name<VisionRopeStyle>(i, vision_rope_style_name, parse_vision_rope_style);
}
std::string alibiModeName(int i) { return enum_name<AlibiMode>(i, alibi_mode_name, parse_alibi_mode); }
std::string positionalSchemeName(int i) {
  return enum_name<PositionalScheme>(i, positional_scheme_name, parse_positional_scheme);
}
std::string taskKindName(int i) { return enum_name<TaskKind>(i, task_kind_name, parse_task_kind); }

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
    case kPartialRotaryFactor: return "partial_rotary_factor";
    case kShortLen: return "short_factor";
    case kLongLen: return "long_factor";
    case kSlotCount: break;
  }
  return "";
}
// The sdpa option block's slots (wire.hpp), named as attention.js fills them; "" past the last.
const char* sdpa_slot(SdpaSlot slot) {
  switch (slot) {
    case kScale: return "scale";
    case kQOffset: return "qOffset";
    case kCausal: return "causal";
    case kAlibiMode: return "alibiMode";
    case kBiasLen: return "biasLen";
    case kBiasHasBatch: return "biasHasBatch";
    case kSlopesLen: return "slopesLen";
    case kPaddingLen: return "keyPaddingLen";
    case kMaskKind: return "maskKind";
    case kMaskLen: return "maskLen";
    case kMask0: return "mask0";
    case kMask1: return "mask1";
    case kMask2: return "mask2";
    case kMask3: return "mask3";
    case kWindow: return "window";
    case kChunkSize: return "chunkSize";
    case kSinksLen: return "sinksLen";
    case kFloorScale: return "floorScale";
    case kAttnScale: return "attnScale";
    case kSoftcap: return "softcap";
    case kSdpaSlotCount: break;
  }
  return "";
}
std::string sdpaSlotName(int i) { return i >= 0 && i < kSdpaSlotCount ? sdpa_slot(static_cast<SdpaSlot>(i)) : ""; }
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

  function("heldErrorFlag", &heldErrorFlag);
  function("takeExceptionCode", &takeExceptionCode);
  function("takeExceptionMessage", &takeExceptionMessage);
  function("version", guard<&version>);
  function("arch", guard<&arch>);
  function("simdBuild", guard<&simdBuild>);
  function("heapInUse", guard<&heapInUse>);
  function("releaseCaches", guard<&releaseCaches>);
  function("heapPeak", guard<&heapPeak>);
  function("ropeTypeName", guard<&ropeTypeName>);
  function("ropeLayoutName", guard<&ropeLayoutName>);
  function("alibiModeName", guard<&alibiModeName>);
  function("visionRopeStyleName", guard<&visionRopeStyleName>);
  function("scalingFieldName", guard<&scalingFieldName>);
  function("sdpaSlotName", guard<&sdpaSlotName>);

  function("sinusoidalTable", guard<&sinusoidalTable>);
  function("sinusoidalTableSlices", guard<&sinusoidalTableSlicesJs>);
  function("sinusoidalForward", guard<&sinusoidalForward>);
  function("learnedForward", guard<&learnedForward>);
  function("clippedRelativeBias", guard<&clippedRelativeBias>);
  function("ropeParams", guard<&ropeParams>);
  function("ropeForward", guard<&ropeForward>);
  function("ropeForwardThrough", guard<&ropeForwardThroughJs>);
  function("ropeForwardMrope", guard<&ropeForwardMrope>);
  function("visionRopeForward", guard<&visionRopeForward>);
  function("ropeThroughMinScratch", guard<&ropeThroughMinScratch>);
  function("xposApply", guard<&xposApply>);
  function("alibiSlopes", guard<&alibiSlopes>);
  function("alibiBias", guard<&alibiBias>);
  function("t5Buckets", guard<&t5Buckets>);
  function("t5Bias", guard<&t5Bias>);
  function("sdpa", guard<&sdpaOp>);
  function("dropout", guard<&dropoutOp>);

  function("ropeBackward", guard<&ropeBackward>);
  function("xposBackward", guard<&xposBackward>);
  function("learnedBackward", guard<&learnedBackward>);
  function("clippedRelativeBiasBackward", guard<&clippedRelativeBiasBackward>);
  function("t5BiasBackward", guard<&t5BiasBackward>);
  function("sdpaBackward", guard<&sdpaBackward>);
  function("layerNormBackward", guard<&layerNormBackward>);
  function("dropoutBackward", guard<&dropoutBackward>);
  function("positionalSchemeName", guard<&positionalSchemeName>);
  function("taskKindName", guard<&taskKindName>);
  function("tinyTransformerFieldName", guard<&tinyTransformerFieldName>);

  class_<SinusoidalPositionalEncoding>("SinusoidalPositionalEncoding")
      .constructor(guard<&makeSinusoidal>, allow_raw_pointers())
      .function("forward", guard<&sinusoidalModuleForward>)
      .function("train", guard<&SinusoidalPositionalEncoding::train>)
      .function("table", guard<&sinusoidalModuleTable>);
  class_<LearnedPositionalEmbedding>("LearnedPositionalEmbedding")
      .constructor(guard<&makeLearned>, allow_raw_pointers())
      .function("forward", guard<&learnedModuleForward>)
      .function("relativeBias", guard<&learnedModuleRelativeBias>)
      .function("train", guard<&LearnedPositionalEmbedding::train>)
      .function("statePtr", guard<&learnedModuleStatePtr>)
      .function("stateSize", guard<&learnedModuleStateSize>);
  class_<RotaryPositionalEmbedding>("RotaryPositionalEmbedding")
      .constructor(guard<&makeRotary>, allow_raw_pointers())
      .function("forward", guard<&rotaryModuleForward>)
      .function("invFreq", guard<&rotaryModuleInvFreq>)
      .function("cachedLen", guard<&rotaryModuleCachedLen>);
  class_<ALiBiPositionalEncoding>("ALiBiPositionalEncoding")
      .constructor(guard<&makeAlibi>, allow_raw_pointers())
      .function("bias", guard<&alibiModuleBias>)
      .function("forward", guard<&alibiModuleForward>)
      .function("slopes", guard<&alibiModuleSlopes>);
  class_<KVCache>("KVCache")
      .constructor(guard<&makeKVCache>, allow_raw_pointers())
      .function("append", guard<&kvCacheAppend>)
      .function("clear", guard<&KVCache::clear>)
      .function("length", guard<&kvCacheLength>)
      .function("capacity", guard<&kvCacheCapacity>)
      .function("sdpa", guard<&kvCacheSdpa>);
  class_<TinyTransformer>("TinyTransformer")
      .constructor(guard<&makeTinyTransformer>, allow_raw_pointers())
      .function("trainStep", guard<&tinyTransformerTrainStep>)
      .function("evaluate", guard<&tinyTransformerEvaluate>)
      .function("attention", guard<&tinyTransformerAttention>)
      .function("tensorCount", guard<&tinyTransformerTensorCount>)
      .function("tensorName", guard<&tinyTransformerTensorName>)
      .function("tensorShape", guard<&tinyTransformerTensorShape>)
      .function("tensorOffset", guard<&tinyTransformerTensorOffset>)
      .function("parameters", guard<&tinyTransformerParameters>)
      .function("parameterCount", guard<&tinyTransformerParameterCount>)
      .function("steps", guard<&tinyTransformerSteps>)
      .function("firstMoment", guard<&tinyTransformerFirstMoment>)
      .function("secondMoment", guard<&tinyTransformerSecondMoment>)
      .function("restoreOptimizer", guard<&tinyTransformerRestoreOptimizer>);
  class_<Task>("Task")
      .constructor(guard<&makeTask>, allow_raw_pointers())
      .function("vocabSize", guard<&taskVocabSize>)
      .function("sequenceLength", guard<&taskSequenceLength>)
      .function("maxLength", guard<&taskMaxLength>)
      .function("alphabet", guard<&taskAlphabet>)
      .function("sample", guard<&taskSample>);
}
