// Scaled dot-product attention with an additive bias, ALiBi inside the kernel and a causal mask
// (SPEC §8). Queries sit at q_offset + i (default k_len − q_len, bottom-right); masked scores are −∞;
// softmax is stable; a row with no finite score gives zero weights and a zero output, never NaN.
#pragma once
#include <cstdint>
#include <optional>

#include "posenc/alibi.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct AttentionShape {
  std::int64_t batch = 1;
  std::int64_t heads = 1;
  std::int64_t q_len = 1;
  std::int64_t k_len = 1;
  std::int64_t head_dim = 1;  // q and k
  std::int64_t v_dim = 1;     // v and out
};

struct SdpaOptions {
  Span<const float> bias;        // [heads, q_len, k_len] or [batch, heads, q_len, k_len]; empty: none
  bool bias_has_batch = false;   // true for the 4-D form
  std::optional<AlibiMode> alibi;  // ALiBi bias computed inside the kernel (never materialised)
  Span<const float> alibi_slopes;  // (heads,) to override alibi_slopes(heads); implies causal mode if alibi unset
  bool causal = false;
  std::optional<std::int64_t> q_offset;
  std::optional<double> scale;   // default 1/√head_dim
};

// q: [B,H,Q,Dk], k: [B,H,K,Dk], v: [B,H,K,Dv] → out: [B,H,Q,Dv]; probs: [B,H,Q,K] when non-empty.
void sdpa(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape, Span<float> out,
          Span<float> probs = {}, const SdpaOptions& options = {});

}  // namespace posenc
