// Float64 references for the backward kernels: the forwards written again over double inputs (plain loops from
// the math, never calling posenc), and central finite differences of them. A backward kernel's dx must equal
// Σ_i dy_i ∂f_i/∂x_j, which vjp() measures on the reference to ~1e-9.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "layer_norm.hpp"

namespace ref {

inline std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Σ_i dy_i · ∂f_i/∂x_j for every j, by central differences with step h.
template <class F>
std::vector<double> vjp(F&& f, std::vector<double> x, const std::vector<double>& dy, double h = 1e-5) {
  std::vector<double> g(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double keep = x[j];
    x[j] = keep + h;
    const std::vector<double> fp = f(x);
    x[j] = keep - h;
    const std::vector<double> fm = f(x);
    x[j] = keep;
    double s = 0;
    for (std::size_t i = 0; i < fp.size(); ++i) s += dy[i] * (fp[i] - fm[i]);
    g[j] = s / (2 * h);
  }
  return g;
}

// Pair rotation of RoPE/xPos over x [B, H, S, D]: pair j of row (b, s) (first d_rot dims) becomes
// scale(b,s,j)·R(angle(b,s,j)); the rest passes through.
template <class Angle, class Scale>
std::vector<double> rotate_pairs(const std::vector<double>& x, int B, int H, int S, int D, int d_rot, bool interleaved,
                                 Angle angle, Scale scale) {
  std::vector<double> y = x;
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int s = 0; s < S; ++s) {
        const std::size_t row = ((static_cast<std::size_t>(b) * H + h) * S + s) * D;
        for (int j = 0; j < d_rot / 2; ++j) {
          const std::size_t iu = row + (interleaved ? 2 * j : j), iv = row + (interleaved ? 2 * j + 1 : j + d_rot / 2);
          const double th = angle(b, s, j), a = scale(b, s, j), u = x[iu], v = x[iv];
          y[iu] = a * (u * std::cos(th) - v * std::sin(th));
          y[iv] = a * (u * std::sin(th) + v * std::cos(th));
        }
      }
  return y;
}

struct SdpaCase {
  std::int64_t B = 1, H = 1, Hkv = 1, Q = 1, K = 1, D = 1, Dv = 1;
  double scale = 1;
  bool causal = false;
  std::int64_t q_offset = 0;
  bool bias_batch = false;
  std::vector<double> slopes;  // causal ALiBi −m(i' − j), or empty
};

// out [B, H, Q, Dv] of attention with GQA (head h reads kv head h / (H/Hkv)), bias, ALiBi, sinks (a logit per
// head in the denominator only), and a causal mask.
inline std::vector<double> sdpa(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                                const std::vector<double>& bias, const std::vector<double>& sinks, const SdpaCase& c) {
  std::vector<double> out(static_cast<std::size_t>(c.B * c.H * c.Q * c.Dv), 0.0);
  const double ninf = -std::numeric_limits<double>::infinity();
  std::vector<double> s(static_cast<std::size_t>(c.K));
  for (std::int64_t b = 0; b < c.B; ++b)
    for (std::int64_t h = 0; h < c.H; ++h) {
      const std::int64_t bh = b * c.H + h, bk = b * c.Hkv + h / (c.H / c.Hkv);
      for (std::int64_t i = 0; i < c.Q; ++i) {
        double mx = sinks.empty() ? ninf : sinks[static_cast<std::size_t>(h)];
        for (std::int64_t j = 0; j < c.K; ++j) {
          double dot = 0;
          for (std::int64_t d = 0; d < c.D; ++d) dot += q[(bh * c.Q + i) * c.D + d] * k[(bk * c.K + j) * c.D + d];
          double x = c.scale * dot;
          if (!bias.empty()) x += bias[static_cast<std::size_t>(((c.bias_batch ? bh : h) * c.Q + i) * c.K + j)];
          if (!c.slopes.empty()) x -= c.slopes[static_cast<std::size_t>(h)] * static_cast<double>(c.q_offset + i - j);
          if (c.causal && j > c.q_offset + i) x = ninf;
          s[j] = x;
          mx = std::max(mx, x);
        }
        if (mx == ninf) continue;
        double sum = sinks.empty() ? 0.0 : std::exp(sinks[static_cast<std::size_t>(h)] - mx);
        for (std::int64_t j = 0; j < c.K; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (std::int64_t j = 0; j < c.K; ++j)
          for (std::int64_t d = 0; d < c.Dv; ++d) out[(bh * c.Q + i) * c.Dv + d] += s[j] / sum * v[(bk * c.K + j) * c.Dv + d];
      }
    }
  return out;
}

// bias [batch?, heads, q, k] from a table [rows, heads] and a relative-position → row map.
template <class RowOf>
std::vector<double> relative_bias(const std::vector<double>& table, std::int64_t heads, std::int64_t q_len, std::int64_t k_len,
                                  std::int64_t q_offset, RowOf row_of) {
  std::vector<double> out;
  for (std::int64_t h = 0; h < heads; ++h)
    for (std::int64_t i = 0; i < q_len; ++i)
      for (std::int64_t j = 0; j < k_len; ++j) out.push_back(table[static_cast<std::size_t>(row_of(j - (q_offset + i)) * heads + h)]);
  return out;
}

}  // namespace ref
