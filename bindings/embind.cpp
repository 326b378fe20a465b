// The WebAssembly face of posenc: registers the exports (exports.hpp) with Embind. The only file that
// includes emscripten headers; how values cross is in wire.hpp, what each export does in functions.cpp and
// modules.cpp.
#include <emscripten/bind.h>

#include <malloc.h>

#include <cstdint>
#include <string>

#include "exports.hpp"
#include "posenc/alibi.hpp"
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
std::string ropeTypeName(int i) { return rope_type_name(static_cast<RopeType>(i)); }
std::string ropeLayoutName(int i) { return rope_layout_name(static_cast<RopeLayout>(i)); }
std::string alibiModeName(int i) { return alibi_mode_name(static_cast<AlibiMode>(i)); }
int scalingSlots() { return kSlotCount; }

// ---- JS callbacks -------------------------------------------------------------------------------

// The streaming calls take JS functions; each becomes a std::function for streaming.cpp.
void sinusoidalTableSlicesJs(double max_len, double d, std::uintptr_t scratch, double scratch_len, double base,
                             double start, double count, emscripten::val on_slice) {
  sinusoidalTableSlices(max_len, d, scratch, scratch_len, base, start, count,
                        [&on_slice](std::int64_t first_row, std::int64_t rows) {
                          on_slice(static_cast<double>(first_row), static_cast<double>(rows));
                        });
}

void ropeForwardThroughJs(double batch, double heads, double seq, double head_dim, std::uintptr_t scratch,
                          double scratch_len, double d_rot, double base, int layout, double offset, bool inverse,
                          std::uintptr_t scaling, double max_position_embeddings, double seq_len, emscripten::val load,
                          emscripten::val store) {
  const auto io = [](emscripten::val& fn) {
    return [&fn](std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows) {
      fn(static_cast<double>(first), static_cast<double>(count), static_cast<double>(s0), static_cast<double>(rows));
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
  function("heapPeak", &heapPeak);
  function("ropeTypeName", &ropeTypeName);
  function("ropeLayoutName", &ropeLayoutName);
  function("alibiModeName", &alibiModeName);
  function("scalingSlots", &scalingSlots);

  function("sinusoidalTable", &sinusoidalTable);
  function("sinusoidalTableSlices", &sinusoidalTableSlicesJs);
  function("sinusoidalForward", &sinusoidalForward);
  function("learnedForward", &learnedForward);
  function("clippedRelativeBias", &clippedRelativeBias);
  function("ropeParams", &ropeParams);
  function("ropeForward", &ropeForward);
  function("ropeForwardThrough", &ropeForwardThroughJs);
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
