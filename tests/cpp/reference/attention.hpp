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
