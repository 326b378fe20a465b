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

// HF modeling_rope_utils._compute_proportional_rope_parameters (Gemma 4): int(prf·d // 2) pairs turn at
// base^(−2j/d) / factor over the whole head d, the rest have frequency 0.
inline RopeParams rope_proportional(int d, double base, double prf, double factor = 1) {
  RopeParams p{rope_inv_freq(d, base)};
  const int rotated = static_cast<int>(std::floor(prf * d / 2));
  for (int j = 0; j < d / 2; ++j) p.inv_freq[j] = j < rotated ? p.inv_freq[j] / factor : 0.0;
  return p;
}

// HF modeling_qwen2_vl.apply_multimodal_rotary_pos_emb: the doubled mrope_section splits cos/sin into 6
// chunks, chunk i taken from stream i % 3; frequency j < d/2 falls in chunk of its cumulative section.
inline std::vector<int> mrope_contiguous_axes(const std::vector<int>& section) {
  const std::vector<int> doubled = {section[0], section[1], section[2], section[0], section[1], section[2]};
  std::vector<int> axes;
  for (int i = 0; i < 6; ++i)
    for (int k = 0; k < doubled[i]; ++k) axes.push_back(i % 3);
  axes.resize(section[0] + section[1] + section[2]);  // the first half: one entry per frequency
  return axes;
}

// HF modeling_qwen3_vl.Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope: start from stream t, then for
// dim 1 (h) and 2 (w) overwrite indices offset, offset+3, … below section[dim]·3 (a Python slice, so
// clamped to the d/2 frequencies).
inline std::vector<int> mrope_interleaved_axes(const std::vector<int>& section) {
  const int half = section[0] + section[1] + section[2];
  std::vector<int> axes(half, 0);
  for (int dim = 1; dim <= 2; ++dim)
    for (int i = dim; i < section[dim] * 3 && i < half; i += 3) axes[i] = dim;
  return axes;
}

// RoPE where pair j of row (b, s) has its own angle angle(b, s, j) (M-RoPE, vision RoPE).
template <class Angle>
std::vector<double> rope_apply_angles(const std::vector<float>& x, int B, int H, int S, int D, int d_rot,
                                      bool interleaved, Angle angle, double a = 1) {
  std::vector<double> y(x.begin(), x.end());
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int s = 0; s < S; ++s) {
        const std::size_t row = ((static_cast<std::size_t>(b) * H + h) * S + s) * D;
        for (int j = 0; j < d_rot / 2; ++j) {
          const std::size_t iu = row + (interleaved ? 2 * j : j);
          const std::size_t iv = row + (interleaved ? 2 * j + 1 : j + d_rot / 2);
          const double th = angle(b, s, j), u = x[iu], v = x[iv];
          y[iu] = a * (u * std::cos(th) - v * std::sin(th));
          y[iv] = a * (u * std::sin(th) + v * std::cos(th));
        }
      }
  return y;
}

// Vision RoPE angle tables [tokens][D/2], each built the way the model's code builds it.

// HF modeling_pixtral.PixtralRotaryEmbedding: freqs = base^(−arange(0, D, 2)/D); a patch at (h, w) takes
// outer(h, freqs[::2]) then outer(w, freqs[1::2]); patches row-major (position_ids_in_meshgrid).
inline std::vector<std::vector<double>> pixtral_angles(int gh, int gw, int D, double base) {
  std::vector<double> freqs;
  for (int i = 0; i < D; i += 2) freqs.push_back(1.0 / std::pow(base, static_cast<double>(i) / D));
  std::vector<std::vector<double>> t;
  for (int h = 0; h < gh; ++h)
    for (int w = 0; w < gw; ++w) {
      std::vector<double> row;
      for (std::size_t k = 0; k < freqs.size(); k += 2) row.push_back(h * freqs[k]);
      for (std::size_t k = 1; k < freqs.size(); k += 2) row.push_back(w * freqs[k]);
      t.push_back(row);
    }
  return t;
}

// HF modeling_qwen2_vl: VisionRotaryEmbedding(D/2) has inv_freq = base^(−arange(0, D/2, 2)/(D/2));
// rot_pos_emb lays hpos/wpos out as reshape(h/m, m, w/m, m).permute(0, 2, 1, 3).flatten(), and a patch's
// angles are [hpos·inv_freq, wpos·inv_freq].
inline std::vector<std::vector<double>> qwen2vl_angles(int gh, int gw, int m, int D, double base) {
  const int dim = D / 2;
  std::vector<double> inv;
  for (int i = 0; i < dim; i += 2) inv.push_back(1.0 / std::pow(base, static_cast<double>(i) / dim));
  // Element (a, b, c, d) of the permuted [h/m, w/m, m, m] array is element (a, c, b, d) of the
  // reshaped [h/m, m, w/m, m] one, i.e. grid row a·m + c, column b·m + d.
  std::vector<std::vector<double>> t;
  for (int a = 0; a < gh / m; ++a)
    for (int b = 0; b < gw / m; ++b)
      for (int c = 0; c < m; ++c)
        for (int d = 0; d < m; ++d) {
          const int hpos = a * m + c, wpos = b * m + d;
          std::vector<double> row;
          for (double f : inv) row.push_back(hpos * f);
          for (double f : inv) row.push_back(wpos * f);
          t.push_back(row);
        }
  return t;
}

// HF modeling_llama4.Llama4VisionRotaryEmbedding: img_idx = 0 … idx²−1 and a CLS id −2 last; x = id % w,
// y = id // w; rope_freq = base^(−arange(0, D/2, 2)[: D/4]/(D/2)); freqs = cat(((x+1)·f).repeat_interleave(2),
// ((y+1)·f).repeat_interleave(2))[..., ::2], zero for the CLS id; applied to interleaved pairs.
inline std::vector<std::vector<double>> llama4_angles(int gh, int gw, int D, double base) {
  const int freq_dim = D / 2;
  std::vector<double> f;
  for (int i = 0; i < freq_dim && static_cast<int>(f.size()) < freq_dim / 2; i += 2) {
    f.push_back(1.0 / std::pow(base, static_cast<double>(i) / freq_dim));
  }
  std::vector<std::vector<double>> t;
  for (int id = 0; id <= gh * gw; ++id) {
    const bool cls = id == gh * gw;
    const int x = id % gw, y = id / gw;
    std::vector<double> doubled;
    for (double v : f) doubled.insert(doubled.end(), 2, (x + 1) * v);
    for (double v : f) doubled.insert(doubled.end(), 2, (y + 1) * v);
    std::vector<double> row;
    for (std::size_t k = 0; k < doubled.size(); k += 2) row.push_back(cls ? 0.0 : doubled[k]);
    t.push_back(row);
  }
  return t;
}

// x: [B, H, S, D]; pos(b, s) the position of row s in batch row b. Pairs as the layout says (half or interleaved).
// The inverse turns by −θ and divides by the attention factor.
template <class Pos>
std::vector<double> rope_apply(const std::vector<float>& x, int B, int H, int S, int D, int d_rot, bool interleaved,
                               Pos pos, const RopeParams& p, bool inverse = false) {
  const double sign = inverse ? -1.0 : 1.0;
  return rope_apply_angles(
      x, B, H, S, D, d_rot, interleaved,
      [&](int b, int s, int j) { return sign * (static_cast<double>(pos(b, s)) * p.inv_freq[j]); },
      inverse ? 1 / p.a : p.a);
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
