// Backward of sdpa, one (batch, head) at a time: the four products (q·kᵀ, dout·vᵀ, pᵀ·dout, ds·k, dsᵀ·q) run
// on the matmul kernel; the softmax and its gradient are row loops (SIMD exp, scalar tail). Probabilities are
// recomputed, not stored: a [Q, K] scratch per head instead of [B, H, Q, K] kept from the forward.
#include "posenc/attention_backward.hpp"
#include "posenc/attention_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/shapes.hpp"
#include "posenc/matmul.hpp"
#include "posenc/relative.hpp"
#include "posenc/simd.hpp"

namespace posenc {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// s[0, n) ← exp(s − mx) (masked −∞ entries become 0); returns the sum.
float exp_shifted(float* s, std::size_t n, float mx) {
  const std::size_t end = simd::vector_end(n);
  const simd::Floats vmx = simd::splat(mx);
  simd::Floats acc = simd::splat(0.0f);
  std::size_t j = 0;
  for (; j < end; j += simd::kWidth) {
    const simd::Floats e = simd::exp(simd::load(s + j) - vmx);
    simd::store(s + j, e);
    acc += e;
  }
  float sum = simd::reduce_add(acc);
  for (; j < n; ++j) sum += (s[j] = std::exp(s[j] - mx));
  return sum;
}

}  // namespace

void sdpa_backward(Span<const float> q, Span<const float> k, Span<const float> v, Span<const float> d_out,
                   const AttentionShape& shape, const SdpaGradients& grads, const SdpaBackwardOptions& options) {
  const AttentionShape& s = shape;
  if (options.scale) require_finite("scale", *options.scale);
  require_finite_entries("alibi_slopes", options.alibi_slopes);
  require_finite_entries("sinks", options.sinks);
  require_size("batch", s.batch);
  require_heads("heads", s.heads);
  const std::int64_t kv_heads = options.kv_heads == 0 ? s.heads : options.kv_heads;
  require_heads("kv_heads", kv_heads);
  if (s.heads % kv_heads != 0) {
    fail(ErrorCode::BadHeads, "kv_heads must divide heads = " + std::to_string(s.heads) + ", got " +
                                  std::to_string(kv_heads));
  }
  require_size("q_len", s.q_len);
  require_size("k_len", s.k_len);
  require_size("head_dim", s.head_dim);
  require_size("v_dim", s.v_dim);
  if (options.scale) require_range(*options.scale > 0, "scale", *options.scale, "be > 0");
  const std::size_t q_n = element_count({s.batch, s.heads, s.q_len, s.head_dim});
  const std::size_t k_n = element_count({s.batch, kv_heads, s.k_len, s.head_dim});
  const std::size_t v_n = element_count({s.batch, kv_heads, s.k_len, s.v_dim});
  const std::size_t o_n = element_count({s.batch, s.heads, s.q_len, s.v_dim});
  const std::size_t bias_n = options.bias_has_batch ? element_count({s.batch, s.heads, s.q_len, s.k_len})
                                                    : element_count({s.heads, s.q_len, s.k_len});
  require_length("q", q.size(), q_n);
  require_length("k", k.size(), k_n);
  require_length("v", v.size(), v_n);
  require_length("d_out", d_out.size(), o_n);
  require_length("dq", grads.dq.size(), q_n);
  require_length("dk", grads.dk.size(), k_n);
  require_length("dv", grads.dv.size(), v_n);
  if (!options.bias.empty()) require_length("bias", options.bias.size(), bias_n);
  if (!grads.d_bias.empty()) {
    if (options.bias.empty()) {
      fail(ErrorCode::ShapeMismatch, "d_bias needs the bias it differentiates: bias is empty, d_bias has " +
                                         std::to_string(grads.d_bias.size()) + " elements");
    }
    require_length("d_bias", grads.d_bias.size(), bias_n);
  }
  if (!options.sinks.empty()) require_length("sinks", options.sinks.size(), static_cast<std::size_t>(s.heads));
  if (!grads.d_sinks.empty()) {
    if (options.sinks.empty()) fail(ErrorCode::ShapeMismatch, "d_sinks needs sinks: sinks is empty");
    require_length("d_sinks", grads.d_sinks.size(), static_cast<std::size_t>(s.heads));
  }
  const bool alibi = options.alibi.has_value() || !options.alibi_slopes.empty();
  if (!options.alibi_slopes.empty()) require_length("alibi_slopes", options.alibi_slopes.size(), static_cast<std::size_t>(s.heads));
  const std::int64_t q_offset = resolve_q_offset(options.q_offset, s.q_len, s.k_len);
  const float scale = attention_scale(options.scale, s.head_dim);
  const AlibiMode mode = options.alibi.value_or(AlibiMode::Causal);
  std::vector<double> slopes;
  if (alibi) {
    if (options.alibi_slopes.empty()) slopes = alibi_slopes(s.heads);
    else slopes.assign(options.alibi_slopes.begin(), options.alibi_slopes.end());
  }

  const auto Q = static_cast<std::size_t>(s.q_len), K = static_cast<std::size_t>(s.k_len);
  const auto Dk = static_cast<std::size_t>(s.head_dim), Dv = static_cast<std::size_t>(s.v_dim);
  const std::int64_t group = s.heads / kv_heads;
  KeyVisibility seen;  // the forward's key ranges (causal only: backward takes no window or chunk)
  seen.k_len = s.k_len;
  seen.causal = options.causal;
  std::vector<float> p(Q * K), dp(Q * K);
  for (std::int64_t b = 0; b < s.batch; ++b) {
    for (std::int64_t h = 0; h < s.heads; ++h) {
      const auto bh = static_cast<std::size_t>(b * s.heads + h);
      const auto bkv = static_cast<std::size_t>(b * kv_heads + h / group);
      const float* qh = q.data() + bh * Q * Dk;
      const float* kh = k.data() + bkv * K * Dk;
      const float* vh = v.data() + bkv * K * Dv;
      const float* doh = d_out.data() + bh * Q * Dv;
      const std::size_t bias_at = (options.bias_has_batch ? bh : static_cast<std::size_t>(h)) * Q * K;
      const float* bias = options.bias.empty() ? nullptr : options.bias.data() + bias_at;
      const bool has_sink = !options.sinks.empty();
      const float sink = has_sink ? options.sinks[static_cast<std::size_t>(h)] : kNegInf;

      // p = softmax(scale·q·kᵀ + bias + alibi, masked), recomputed as the forward defines it.
      matmul_unchecked(qh, Dk, kh, Dk, p.data(), K, Q, K, Dk, MatmulLayout::ABt, false);
      matmul_unchecked(doh, Dv, vh, Dv, dp.data(), K, Q, K, Dv, MatmulLayout::ABt, false);
      double d_sink = 0;
      for (std::size_t i = 0; i < Q; ++i) {
        float* pr = p.data() + i * K;
        float* dpr = dp.data() + i * K;
        const std::int64_t pos = q_offset + static_cast<std::int64_t>(i);
        const KeyRange keys = seen.keys(b, pos);  // lo is 0 without a window or chunks
        const auto visible = static_cast<std::size_t>(keys.hi);
        float mx = sink;
        for (std::size_t j = 0; j < visible; ++j) {
          float x = pr[j] * scale;
          if (bias) x += bias[i * K + j];
          if (alibi) x += static_cast<float>(alibi_term(mode, slopes[static_cast<std::size_t>(h)], pos, static_cast<std::int64_t>(j)));
          pr[j] = x;
          mx = std::max(mx, x);
        }
        std::fill(pr + visible, pr + K, 0.0f);
        if (mx == kNegInf) {  // no finite score: zero weights, zero output, zero gradient
          std::fill(pr, pr + visible, 0.0f);
          std::fill(dpr, dpr + K, 0.0f);
          continue;
        }
        float sum = exp_shifted(pr, visible, mx);
        const float p_sink = has_sink ? std::exp(sink - mx) : 0.0f;
        sum += p_sink;
        const float inv = 1.0f / sum;
        double d_row = 0;
        for (std::size_t j = 0; j < visible; ++j) {
          pr[j] *= inv;
          d_row += static_cast<double>(pr[j]) * dpr[j];
        }
        const auto di = static_cast<float>(d_row);
        d_sink -= static_cast<double>(p_sink * inv) * d_row;
        // dp becomes ds = p (dp − D) over visible keys, 0 elsewhere.
        for (std::size_t j = 0; j < visible; ++j) dpr[j] = pr[j] * (dpr[j] - di);
        std::fill(dpr + visible, dpr + K, 0.0f);
      }
      if (!grads.d_sinks.empty()) grads.d_sinks[static_cast<std::size_t>(h)] += static_cast<float>(d_sink);
      if (!grads.d_bias.empty()) {
        float* db = grads.d_bias.data() + bias_at;
        for (std::size_t i = 0; i < Q * K; ++i) db[i] += dp[i];
      }
      // dv += pᵀ·dout; then ds ← scale·ds; dq += ds·k; dk += dsᵀ·q.
      matmul_unchecked(p.data(), K, doh, Dv, grads.dv.data() + bkv * K * Dv, Dv, K, Dv, Q, MatmulLayout::AtB, true);
      for (float& x : dp) x *= scale;
      matmul_unchecked(dp.data(), K, kh, Dk, grads.dq.data() + bh * Q * Dk, Dk, Q, Dk, K, MatmulLayout::AB, true);
      matmul_unchecked(dp.data(), K, qh, Dk, grads.dk.data() + bkv * K * Dk, Dk, K, Dk, Q, MatmulLayout::AtB, true);
    }
  }
}

}  // namespace posenc
