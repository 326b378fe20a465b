// Gradient of scaled dot-product attention (attention.hpp, sdpa). Shapes:
//   q, dq [B, H, Q, Dk];  k, dk [B, Hkv, K, Dk];  v, dv [B, Hkv, K, Dv];  d_out [B, H, Q, Dv];
//   d_bias [H, Q, K] or [B, H, Q, K] (as bias); sinks, d_sinks (H,).
// Query head h reads kv head h / (H / Hkv) (grouped-query attention; Hkv = H is plain multi-head), so dk and dv
// of a kv head sum over the query heads of its group. Gradients are added (+=).
// Forward: s_ij = scale·q_i·k_j + bias_ij + alibi_ij (−∞ where causal hides j), p = softmax over j (and the
// head's sink logit, which joins the denominator only), out_i = Σ_j p_ij v_j. Backward, with the
// probabilities recomputed: dv_j += Σ_i p_ij dout_i;  dp_ij = dout_i·v_j;  D_i = Σ_j p_ij dp_ij;
// ds_ij = p_ij (dp_ij − D_i);  dq_i += scale Σ_j ds_ij k_j;  dk_j += scale Σ_i ds_ij q_i;  d_bias_ij += ds_ij;
// d_sink += −Σ_i p_sink,i D_i.
#pragma once
#include <cstdint>
#include <optional>

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct SdpaBackwardOptions {
  Span<const float> bias;          // [H, Q, K] or [B, H, Q, K]; empty: none
  bool bias_has_batch = false;
  std::optional<AlibiMode> alibi;
  Span<const float> alibi_slopes;  // (H,) to override alibi_slopes(H); implies causal mode if alibi unset
  bool causal = false;
  std::optional<std::int64_t> q_offset;  // default k_len − q_len
  std::optional<double> scale;           // default 1/√head_dim
  std::int64_t kv_heads = 0;             // 0: the same as heads
  Span<const float> sinks;               // (H,) one logit per head, or empty
};

struct SdpaGradients {
  Span<float> dq;       // [B, H, Q, Dk]
  Span<float> dk;       // [B, Hkv, K, Dk]
  Span<float> dv;       // [B, Hkv, K, Dv]
  Span<float> d_bias;   // the bias's shape, or empty when not wanted
  Span<float> d_sinks;  // (H,), or empty when not wanted
};

void sdpa_backward(Span<const float> q, Span<const float> k, Span<const float> v, Span<const float> d_out,
                   const AttentionShape& shape, const SdpaGradients& grads, const SdpaBackwardOptions& options = {});

}  // namespace posenc
