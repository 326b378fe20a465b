// Float64 reference for scaled dot-product attention, plain loops from the definition.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace ref {

struct Attention {
  std::vector<double> out, probs;
};

// q [B,H,Q,D], k [B,H,K,D], v [B,H,K,Dv]; bias [H,Q,K] (bias_batch = false) or [B,H,Q,K], or empty.
inline Attention sdpa(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                      std::int64_t B, std::int64_t H, std::int64_t Q, std::int64_t K, std::int64_t D, std::int64_t Dv,
                      double scale, bool causal, std::int64_t q_offset, const std::vector<double>& bias = {},
                      bool bias_batch = false) {
  Attention r;
  r.out.assign(static_cast<std::size_t>(B * H * Q * Dv), 0.0);
  r.probs.assign(static_cast<std::size_t>(B * H * Q * K), 0.0);
  const double ninf = -std::numeric_limits<double>::infinity();
  std::vector<double> s(static_cast<std::size_t>(K));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t i = 0; i < Q; ++i) {
        const std::int64_t bh = b * H + h;
        double mx = ninf;
        for (std::int64_t j = 0; j < K; ++j) {
          double dot = 0;
          for (std::int64_t c = 0; c < D; ++c) dot += static_cast<double>(q[(bh * Q + i) * D + c]) * k[(bh * K + j) * D + c];
          double x = scale * dot;
          if (!bias.empty()) x += bias[static_cast<std::size_t>(((bias_batch ? bh : h) * Q + i) * K + j)];
          if (causal && j > q_offset + i) x = ninf;
          s[j] = x;
          if (x > mx) mx = x;
        }
        if (mx == ninf) continue;  // no finite score: zero weights, zero output
        double sum = 0;
        for (std::int64_t j = 0; j < K; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (std::int64_t j = 0; j < K; ++j) {
          const double w = s[j] / sum;
          r.probs[(bh * Q + i) * K + j] = w;
          for (std::int64_t c = 0; c < Dv; ++c) r.out[(bh * Q + i) * Dv + c] += w * v[(bh * K + j) * Dv + c];
        }
      }
  return r;
}

}  // namespace ref

namespace ref {

// Every attention option, written from the upstream definitions each test cites. Shapes: q [B,H,Q,D],
// k [B,Hkv,S,D], v [B,Hkv,S,Dv] with S = stride (0: K); bias [H,Q,K] or [B,H,Q,K] (ALiBi folded in by
// the caller); mask data with shape `mask_shape`, each dim 1 or full.
struct Options {
  std::int64_t B = 1, H = 1, Hkv = 0, Q = 1, K = 1, D = 1, Dv = 1, stride = 0;
  double scale = 0;  // 0: 1/√D
  bool causal = false;
  std::int64_t q_offset = 0;
  std::vector<double> bias;
  bool bias_batch = false;
  std::vector<std::uint8_t> key_padding;  // [B, K]
  std::vector<double> mask_add;
  std::vector<std::uint8_t> mask_keep;
  std::int64_t mask_shape[4] = {1, 1, 1, 1};
  std::int64_t window = 0, chunk = 0;
  std::vector<double> sinks;  // [H]
  double floor_scale = 0, attn_scale = 0;  // floor_scale 0: no query temperature
  double softcap = 0;
};

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(a) / static_cast<double>(b)));
}

inline Attention sdpa(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                      const Options& o) {
  const std::int64_t B = o.B, H = o.H, Hkv = o.Hkv ? o.Hkv : o.H, Q = o.Q, K = o.K, D = o.D, Dv = o.Dv;
  const std::int64_t S = o.stride ? o.stride : K;
  const double scale = o.scale ? o.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Attention r;
  r.out.assign(static_cast<std::size_t>(B * H * Q * Dv), 0.0);
  r.probs.assign(static_cast<std::size_t>(B * H * Q * K), 0.0);
  const double ninf = -std::numeric_limits<double>::infinity();
  std::vector<double> s(static_cast<std::size_t>(K));
  auto mask_index = [&](std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j) {
    const std::int64_t idx[4] = {b, h, i, j};
    std::int64_t at = 0;
    for (int d = 0; d < 4; ++d) at = at * o.mask_shape[d] + (o.mask_shape[d] == 1 ? 0 : idx[d]);
    return static_cast<std::size_t>(at);
  };
  for (std::int64_t b = 0; b < B; ++b) {
    // HF chunked mask: left padding (leading zeros of the attention mask) is subtracted before dividing.
    std::int64_t left = 0;
    if (!o.key_padding.empty()) {
      while (left < K && !o.key_padding[b * K + left]) ++left;
      if (left == K) left = 0;
    }
    for (std::int64_t h = 0; h < H; ++h) {
      const std::int64_t g = h / (H / Hkv);  // HF repeat_kv: kv head g serves query heads g·n_rep … g·n_rep + n_rep − 1
      for (std::int64_t i = 0; i < Q; ++i) {
        const std::int64_t pos = o.q_offset + i;
        const std::int64_t row = (b * H + h) * Q + i;
        // Llama 4 NoPE layers: q ← q · (log1p(floor((pos + 1) / floor_scale)) · attn_scale + 1).
        const double temp = o.floor_scale ? std::log1p(std::floor((pos + 1.0) / o.floor_scale)) * o.attn_scale + 1.0 : 1.0;
        double mx = o.sinks.empty() ? ninf : o.sinks[h];
        for (std::int64_t j = 0; j < K; ++j) {
          double dot = 0;
          for (std::int64_t c = 0; c < D; ++c)
            dot += static_cast<double>(q[row * D + c]) * k[((b * Hkv + g) * S + j) * D + c];
          double x = scale * temp * dot;
          if (o.softcap) x = o.softcap * std::tanh(x / o.softcap);  // Gemma 2: before the mask is added
          if (!o.bias.empty()) x += o.bias[static_cast<std::size_t>(((o.bias_batch ? b * H + h : h) * Q + i) * K + j)];
          if (!o.mask_add.empty()) x += o.mask_add[mask_index(b, h, i, j)];
          bool visible = true;
          if (o.causal && j > pos) visible = false;
          if (o.window && !(pos - o.window < j && j <= pos)) visible = false;
          if (o.chunk && floor_div(j - left, o.chunk) != floor_div(pos - left, o.chunk)) visible = false;
          if (!o.key_padding.empty() && !o.key_padding[b * K + j]) visible = false;
          if (!o.mask_keep.empty() && !o.mask_keep[mask_index(b, h, i, j)]) visible = false;
          s[j] = visible ? x : ninf;
          if (s[j] > mx) mx = s[j];
        }
        if (mx == ninf) continue;  // no finite score: zero weights, zero output
        double sum = o.sinks.empty() ? 0 : std::exp(o.sinks[h] - mx);  // GPT-OSS: the sink joins the denominator
        for (std::int64_t j = 0; j < K; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (std::int64_t j = 0; j < K; ++j) {
          const double w = s[j] / sum;
          r.probs[row * K + j] = w;
          for (std::int64_t c = 0; c < Dv; ++c) r.out[row * Dv + c] += w * v[((b * Hkv + g) * S + j) * Dv + c];
        }
      }
    }
  }
  return r;
}

}  // namespace ref
