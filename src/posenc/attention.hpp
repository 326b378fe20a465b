// Scaled dot-product attention as current checkpoints run it: grouped-query
// heads, an additive bias, ALiBi inside the kernel, causal / sliding-window / chunked visibility, key
// padding, a broadcast mask, per-head sink logits, Llama 4's query temperature and Gemma 2's soft-capping.
// Queries sit at absolute positions q_offset + i (default k_len − q_len, bottom-right); keys at j.
// Masked scores are −∞; softmax is stable; a row with no visible key gives zero weights and a zero
// output, never NaN (HF's eager path gives uniform weights there instead).
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "posenc/alibi.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct AttentionShape {
  std::int64_t batch = 1;
  std::int64_t heads = 1;     // query heads
  std::int64_t q_len = 1;
  std::int64_t k_len = 1;
  std::int64_t head_dim = 1;  // q and k
  std::int64_t v_dim = 1;     // v and out
  // Key/value heads (GQA/MQA); must divide heads. Query head h reads kv head h / (heads / kv_heads), as
  // HF's repeat_kv does, without copying K or V. Unset: kv_heads = heads.
  std::optional<std::int64_t> kv_heads;
  // Rows allocated per (batch, kv head) in k and v, ≥ k_len (a KVCache's capacity); the first k_len are
  // the keys. Unset: k_len (dense [batch, kv_heads, k_len, ·]).
  std::optional<std::int64_t> key_stride;
};

// A mask broadcastable to [batch, heads, q_len, k_len]: each dim of `shape` is 1 or the full size (pad a
// lower-rank mask's shape with leading 1s). Exactly one of the two data spans is set, with the shape's
// element count, row-major.
struct AttentionMask {
  Span<const float> additive;       // added to the scores (−∞ hides a key)
  Span<const std::uint8_t> keep;    // 1 = visible, 0 = hidden
  std::array<std::int64_t, 4> shape = {1, 1, 1, 1};
  bool empty() const { return additive.empty() && keep.empty(); }
};

// Llama 4 NoPE layers: queries at absolute position pos are scaled by
// log1p(floor((pos + 1) / floor_scale)) · attn_scale + 1.
struct QueryTemperature {
  double floor_scale = 8192;
  double attn_scale = 0.1;
};

struct SdpaOptions {
  Span<const float> bias;          // [heads, q_len, k_len] or [batch, heads, q_len, k_len]; empty: none
  bool bias_has_batch = false;     // true for the 4-D form
  std::optional<AlibiMode> alibi;  // ALiBi bias computed inside the kernel (never materialised)
  Span<const float> alibi_slopes;  // (heads,) to override alibi_slopes(heads); implies causal mode if alibi unset
  bool causal = false;
  std::optional<std::int64_t> q_offset;
  std::optional<double> scale;     // default 1/√head_dim
  Span<const std::uint8_t> key_padding;  // [batch, k_len], 1 = a real token; empty: all real
  AttentionMask mask;
  // Sliding window W (HF masking utils): query at position i sees key j iff i − W < j ≤ i, W keys
  // including itself; it implies the causal bound. Mistral's reference prefill keeps W + 1 keys
  // (i − W ≤ j ≤ i): pass W + 1 to reproduce it.
  std::optional<std::int64_t> window;
  // Llama 4 chunked attention: query and key see each other only inside the same chunk of chunk_size
  // positions, chunks counted from the row's first real key (key_padding's leading zeros are subtracted,
  // as HF does for left padding). Combine with causal for Llama 4's chunked causal mask.
  std::optional<std::int64_t> chunk_size;
  Span<const float> sinks;         // [heads] GPT-OSS sink logits: join the softmax denominator, no value
  std::optional<QueryTemperature> query_temperature;
  // Gemma 2: s ← cap · tanh(s / cap) on the scaled scores, before bias, ALiBi and masks are added.
  std::optional<double> softcap;
};

class KVCache;

// q: [B,H,Q,Dk], k: [B,Hkv,S,Dk], v: [B,Hkv,S,Dv] with S = key_stride (≥ K) → out: [B,H,Q,Dv];
// probs: [B,H,Q,K] when non-empty. Work per query row is proportional to the keys it can see.
void sdpa(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape, Span<float> out,
          Span<float> probs = {}, const SdpaOptions& options = {});

// The same with the keys and values of a cache: q [batch, heads, q_len, head_dim] against its length()
// keys; out [batch, heads, q_len, v_dim], probs [batch, heads, q_len, length()].
void sdpa(Span<const float> q, const KVCache& cache, std::int64_t heads, std::int64_t q_len, Span<float> out,
          Span<float> probs = {}, const SdpaOptions& options = {});

}  // namespace posenc
