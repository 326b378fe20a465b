// Float64 reference for RoPE, its scalings and xPos, written from the definitions with plain loops;
// never calls posenc kernels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

constexpr double kPi = 3.14159265358979323846;

struct RopeParams {
  std::vector<double> inv_freq;
  double a = 1;
};

inline std::vector<double> rope_inv_freq(int d, double base) {
  std::vector<double> f(d / 2);
  for (int j = 0; j < d / 2; ++j) f[j] = 1.0 / std::pow(base, 2.0 * j / d);
  return f;
}

inline RopeParams rope_linear(int d, double base, double factor) {
  RopeParams p{rope_inv_freq(d, base)};
  for (auto& f : p.inv_freq) f = f / factor;
  return p;
}

inline RopeParams rope_dynamic(int d, double base, double factor, double mpe, double seq_len) {
  const double L = std::max(seq_len, mpe);
  const double b = base * std::pow(factor * L / mpe - (factor - 1), static_cast<double>(d) / (d - 2));
  return {rope_inv_freq(d, b)};
}

// The correction dims before and after truncation/clamping (YaRN).
inline double yarn_dim(int d, double base, double l0, double r) {
  return d * std::log(l0 / (2 * kPi * r)) / (2 * std::log(base));
}

inline double yarn_g(double s, double m) { return s <= 1 ? 1.0 : 0.1 * m * std::log(s) + 1.0; }

struct YarnConfig {
  double s, l0, beta_fast = 32, beta_slow = 1;
  bool truncate = true;
  double attention_factor = -1, mscale = 0, mscale_all_dim = 0;  // attention_factor < 0: absent
};

inline RopeParams rope_yarn(int d, double base, const YarnConfig& c) {
  double lo = yarn_dim(d, base, c.l0, c.beta_fast), hi = yarn_dim(d, base, c.l0, c.beta_slow);
  if (c.truncate) {
    lo = std::floor(lo);
    hi = std::ceil(hi);
  }
  if (lo < 0) lo = 0;
  if (hi > d - 1) hi = d - 1;
  if (lo == hi) hi += 0.001;
  RopeParams p{rope_inv_freq(d, base)};
  for (int j = 0; j < d / 2; ++j) {
    double ramp = (j - lo) / (hi - lo);
    ramp = ramp < 0 ? 0 : (ramp > 1 ? 1 : ramp);
    const double extrapolated = p.inv_freq[j], interpolated = p.inv_freq[j] / c.s;
    p.inv_freq[j] = extrapolated * (1 - ramp) + interpolated * ramp;
  }
  if (c.attention_factor >= 0) {
    p.a = c.attention_factor;
  } else if (c.mscale != 0 && c.mscale_all_dim != 0) {
    p.a = yarn_g(c.s, c.mscale) / yarn_g(c.s, c.mscale_all_dim);
  } else {
    p.a = yarn_g(c.s, 1);
  }
  return p;
}

inline RopeParams rope_llama3(int d, double base, double factor, double low, double high, double l0) {
  RopeParams p{rope_inv_freq(d, base)};
  for (auto& f : p.inv_freq) {
    const double lambda = 2 * kPi / f;
    if (lambda < l0 / high) {
      // high frequency: unchanged
    } else if (lambda > l0 / low) {
      f = f / factor;
    } else {
      const double sigma = (l0 / lambda - low) / (high - low);
      f = f * ((1 - sigma) / factor + sigma);
    }
  }
  return p;
}

inline RopeParams rope_longrope(int d, double base, const std::vector<double>& short_f,
                                const std::vector<double>& long_f, double l0, double s, double seq_len) {
  const std::vector<double>& ext = seq_len > l0 ? long_f : short_f;
  RopeParams p;
  for (int j = 0; j < d / 2; ++j) p.inv_freq.push_back(1.0 / (ext[j] * std::pow(base, 2.0 * j / d)));
  p.a = s <= 1 ? 1.0 : std::sqrt(1 + std::log(s) / std::log(l0));
  return p;
}

// x: [B, H, S, D]; pos(b, s) the position of row s in batch row b. Pairs as the layout says (half or interleaved).
template <class Pos>
std::vector<double> rope_apply(const std::vector<float>& x, int B, int H, int S, int D, int d_rot, bool interleaved,
                               Pos pos, const RopeParams& p, bool inverse = false) {
  std::vector<double> y(x.begin(), x.end());
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int s = 0; s < S; ++s) {
        const std::size_t row = ((static_cast<std::size_t>(b) * H + h) * S + s) * D;
        for (int j = 0; j < d_rot / 2; ++j) {
          const std::size_t iu = row + (interleaved ? 2 * j : j);
          const std::size_t iv = row + (interleaved ? 2 * j + 1 : j + d_rot / 2);
          const double th = static_cast<double>(pos(b, s)) * p.inv_freq[j];
          const double c = std::cos(th), sn = std::sin(th), u = x[iu], v = x[iv];
          if (!inverse) {
            y[iu] = p.a * (u * c - v * sn);
            y[iv] = p.a * (u * sn + v * c);
          } else {
            y[iu] = (u * c + v * sn) / p.a;
            y[iv] = (-u * sn + v * c) / p.a;
          }
        }
      }
  return y;
}

// xPos: rotation by n·inv_j and scale ζ_j^(±(n−c)/B) on pair j.
template <class Pos>
std::vector<double> xpos_apply(const std::vector<float>& x, int B, int H, int S, int D, bool query, Pos pos,
                               bool interleaved = true, double base = 10000, double gamma = 0.4,
                               double scale_base = 512, double center = 0) {
  std::vector<double> y(x.begin(), x.end());
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int s = 0; s < S; ++s) {
        const std::size_t row = ((static_cast<std::size_t>(b) * H + h) * S + s) * D;
        const double n = static_cast<double>(pos(b, s));
        for (int j = 0; j < D / 2; ++j) {
          const double zeta = (2.0 * j / D + gamma) / (1 + gamma);
          const double scale = std::pow(zeta, (query ? 1 : -1) * (n - center) / scale_base);
          const double th = n / std::pow(base, 2.0 * j / D);
          const std::size_t iu = row + (interleaved ? 2 * j : j), iv = row + (interleaved ? 2 * j + 1 : j + D / 2);
          const double u = x[iu], v = x[iv];
          y[iu] = scale * (u * std::cos(th) - v * std::sin(th));
          y[iv] = scale * (u * std::sin(th) + v * std::cos(th));
        }
      }
  return y;
}

}  // namespace ref
