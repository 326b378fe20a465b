// Scaled dot-product attention (Vaswani et al. 2017) with an additive bias, ALiBi (Press et al. 2022)
// computed inside the kernel from the slopes, and a causal mask aligned at q_offset (SPEC §8).
// Shapes: q [B,H,Q,Dk], k [B,H,K,Dk], v [B,H,K,Dv], out [B,H,Q,Dv], probs [B,H,Q,K]; bias [H,Q,K] or
// [B,H,Q,K]. All row-major.
// Tiling: kBlockRows query rows at a time share every loaded key and value row. Scores of a block
// live in a kBlockRows × K scratch (never Q × K); with a causal mask the keys past the block's last
// visible key are never touched, so the masked half costs nothing.
// Remainders: dot products run kWidth lanes along head_dim with a scalar tail; keys go kWidth at a
// time (one transpose-add gives kWidth scores) with a one-key tail; value columns go in chunks of
// kValueVectors vectors, then single vectors, then scalar columns; a short last block repeats its
// last row and discards the copies.
#include "posenc/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/shapes.hpp"
#include "posenc/simd.hpp"

namespace posenc {
namespace {

using simd::Floats;
using simd::kWidth;

constexpr std::int64_t kBlockRows = 4;
// Query rows per score micro-tile: rows × kWidth accumulators must stay in registers (16 on x86 V8).
constexpr std::int64_t kScoreRows = kWidth <= 4 ? 2 : 1;
constexpr std::size_t kValueVectors = 2;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Problem {
  AttentionShape shape;
  float scale;
  bool causal;
  std::int64_t q_offset;
  const float* bias;  // null when absent
  bool bias_has_batch;
  bool alibi;
  AlibiMode alibi_mode;
  std::vector<float> slopes;
};

// Dot product of a and b over n floats, lanes then scalar tail.
inline float dot(const float* a, const float* b, std::size_t n) {
  const std::size_t vend = simd::vector_end(n);
  Floats acc = simd::splat(0.0f);
  for (std::size_t c = 0; c < vend; c += kWidth) acc = simd::fma(simd::load(a + c), simd::load(b + c), acc);
  float sum = simd::reduce_add(acc);
  for (std::size_t c = vend; c < n; ++c) sum += a[c] * b[c];
  return sum;
}

// Raw scores q_r · k_j for rows q[0..kScoreRows) and keys [0, kend) into scores[r * ld + j].
void score_tile(const float* const* q, const float* k, std::size_t dk, std::int64_t kend, float* scores,
                std::int64_t ld) {
  const std::size_t vend = simd::vector_end(dk);
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(kWidth) <= kend; j += kWidth) {
    Floats acc[kScoreRows][kWidth];
    for (auto& row : acc)
      for (auto& a : row) a = simd::splat(0.0f);
    const float* kj = k + j * static_cast<std::int64_t>(dk);
    for (std::size_t c = 0; c < vend; c += kWidth) {
      Floats qv[kScoreRows];
      for (std::int64_t r = 0; r < kScoreRows; ++r) qv[r] = simd::load(q[r] + c);
      for (std::size_t w = 0; w < kWidth; ++w) {
        const Floats kv = simd::load(kj + w * dk + c);
        for (std::int64_t r = 0; r < kScoreRows; ++r) acc[r][w] = simd::fma(qv[r], kv, acc[r][w]);
      }
    }
    for (std::int64_t r = 0; r < kScoreRows; ++r) {
      Floats sums = simd::hadd_lanes(acc[r]);
      if (vend < dk) {  // head_dim tail, one scalar per key
        alignas(64) float tail[kWidth];
        for (std::size_t w = 0; w < kWidth; ++w) {
          float t = 0;
          for (std::size_t c = vend; c < dk; ++c) t += q[r][c] * kj[w * dk + c];
          tail[w] = t;
        }
        sums += simd::load(tail);
      }
      simd::store(scores + r * ld + j, sums);
    }
  }
  for (; j < kend; ++j) {
    for (std::int64_t r = 0; r < kScoreRows; ++r) scores[r * ld + j] = dot(q[r], k + j * static_cast<std::int64_t>(dk), dk);
  }
}

// s = scale·s + bias + alibi over keys [0, kend) of one query row at absolute position pos.
void finish_scores(float* s, std::int64_t kend, float scale, const float* bias_row, const Problem& p, float slope,
                   std::int64_t pos) {
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(kend)));
  const Floats vscale = simd::splat(scale);
  // ALiBi as ±slope·(j − ref): causal m(j − i'), key_only m·j, symmetric −m|j − i'|.
  const bool symmetric = p.alibi_mode == AlibiMode::Symmetric;
  const Floats vslope = simd::splat(symmetric ? -slope : slope);
  const std::int64_t ref = p.alibi_mode == AlibiMode::KeyOnly ? 0 : pos;
  for (std::int64_t j = 0; j < vend; j += kWidth) {
    Floats v = simd::load(s + j) * vscale;
    if (bias_row) v += simd::load(bias_row + j);
    if (p.alibi) {
      // j − ref in float64 would be exact; in float32 it is exact while |j − ref| < 2^24, and
      // the product's relative error stays one ulp beyond that.
      Floats d = simd::ramp(static_cast<float>(j - ref));
      if (symmetric) d = simd::abs(d);
      v = simd::fma(vslope, d, v);
    }
    simd::store(s + j, v);
  }
  for (std::int64_t j = vend; j < kend; ++j) {
    float v = s[j] * scale;
    if (bias_row) v += bias_row[j];
    if (p.alibi) v += static_cast<float>(alibi_term(p.alibi_mode, slope, pos, j));
    s[j] = v;
  }
}

// Stable softmax numerators in place over [0, n); returns 1/Σ, or 0 when no score is finite
// (then every numerator is set to 0, so the row's output and probs are zeros, never NaN).
float softmax_numerators(float* s, std::int64_t n) {
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  float mx = kNegInf;
  if (vend > 0) {
    Floats m = simd::load(s);
    for (std::int64_t j = kWidth; j < vend; j += kWidth) m = simd::max(m, simd::load(s + j));
    mx = simd::reduce_max(m);
  }
  for (std::int64_t j = vend; j < n; ++j) mx = std::max(mx, s[j]);
  if (mx == kNegInf) {
    std::fill(s, s + n, 0.0f);
    return 0.0f;
  }
  const Floats vmx = simd::splat(mx);
  Floats acc = simd::splat(0.0f);
  for (std::int64_t j = 0; j < vend; j += kWidth) {
    const Floats e = simd::exp(simd::load(s + j) - vmx);
    simd::store(s + j, e);
    acc += e;
  }
  float sum = simd::reduce_add(acc);
  for (std::int64_t j = vend; j < n; ++j) {
    s[j] = std::exp(s[j] - mx);
    sum += s[j];
  }
  return 1.0f / sum;
}

// out_r[c0 .. c0 + vectors·kWidth) = inv_r · Σ_j w[r,j] v[j, ·] for the block's rows.
template <std::size_t Vectors>
void weighted_values(const float* w, std::int64_t ld, std::int64_t kend, const float* v, std::size_t dv, std::size_t c0,
                     const float* inv, float* const* out) {
  Floats acc[kBlockRows][Vectors];
  for (auto& row : acc)
    for (auto& a : row) a = simd::splat(0.0f);
  const float* vj = v + c0;
  for (std::int64_t j = 0; j < kend; ++j, vj += dv) {
    Floats vv[Vectors];
    for (std::size_t t = 0; t < Vectors; ++t) vv[t] = simd::load(vj + t * kWidth);
    for (std::int64_t r = 0; r < kBlockRows; ++r) {
      const Floats wr = simd::splat(w[r * ld + j]);
      for (std::size_t t = 0; t < Vectors; ++t) acc[r][t] = simd::fma(wr, vv[t], acc[r][t]);
    }
  }
  for (std::int64_t r = 0; r < kBlockRows; ++r) {
    for (std::size_t t = 0; t < Vectors; ++t) simd::store(out[r] + c0 + t * kWidth, acc[r][t] * simd::splat(inv[r]));
  }
}

// One (batch, head): q [Q,Dk], k [K,Dk], v [K,Dv] → out [Q,Dv], probs [Q,K] (or null).
void attend_head(const Problem& p, std::int64_t b, std::int64_t h, const float* q, const float* k, const float* v,
                 float* out, float* probs, std::vector<float>& scratch) {
  const AttentionShape& sh = p.shape;
  const std::size_t dk = static_cast<std::size_t>(sh.head_dim), dv = static_cast<std::size_t>(sh.v_dim);
  const std::int64_t K = sh.k_len;
  const float slope = p.alibi ? p.slopes[static_cast<std::size_t>(h)] : 0.0f;
  const float* bias_head =
      p.bias ? p.bias + ((p.bias_has_batch ? b * sh.heads : 0) + h) * sh.q_len * K : nullptr;
  // Scratch row capacity K rounded up, so the transpose-add may store a full vector past kend.
  const std::int64_t ld = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(K) + kWidth - 1));
  float* scores = scratch.data();
  for (std::int64_t i0 = 0; i0 < sh.q_len; i0 += kBlockRows) {
    const std::int64_t rows = std::min(kBlockRows, sh.q_len - i0);
    const float* qrow[kBlockRows];
    float* orow[kBlockRows];
    std::int64_t row_end[kBlockRows];
    for (std::int64_t r = 0; r < kBlockRows; ++r) {
      const std::int64_t i = i0 + std::min(r, rows - 1);  // a short block repeats its last row
      qrow[r] = q + i * static_cast<std::int64_t>(dk);
      orow[r] = r < rows ? out + i * static_cast<std::int64_t>(dv) : nullptr;
      row_end[r] = p.causal ? std::min(K, p.q_offset + i + 1) : K;
    }
    const std::int64_t kend = row_end[kBlockRows - 1];  // keys past it are masked for every row
    for (std::int64_t r = 0; r < kBlockRows; r += kScoreRows) score_tile(qrow + r, k, dk, kend, scores + r * ld, ld);
    float inv[kBlockRows];
    for (std::int64_t r = 0; r < kBlockRows; ++r) {
      float* s = scores + r * ld;
      const std::int64_t i = i0 + std::min(r, rows - 1);
      finish_scores(s, row_end[r], p.scale, bias_head ? bias_head + i * K : nullptr, p, slope, p.q_offset + i);
      inv[r] = softmax_numerators(s, row_end[r]);
      std::fill(s + row_end[r], s + kend, 0.0f);  // masked keys weigh nothing in the shared P·V loop
    }
    // A short block's repeated rows write into a throwaway row at the end of the scratch.
    for (std::int64_t r = 0; r < kBlockRows; ++r)
      if (!orow[r]) orow[r] = scratch.data() + kBlockRows * ld;
    std::size_t c = 0;
    for (; c + kValueVectors * kWidth <= dv; c += kValueVectors * kWidth)
      weighted_values<kValueVectors>(scores, ld, kend, v, dv, c, inv, orow);
    for (; c + kWidth <= dv; c += kWidth) weighted_values<1>(scores, ld, kend, v, dv, c, inv, orow);
    for (; c < dv; ++c) {
      for (std::int64_t r = 0; r < kBlockRows; ++r) {
        float acc = 0;
        for (std::int64_t j = 0; j < kend; ++j) acc += scores[r * ld + j] * v[j * static_cast<std::int64_t>(dv) + c];
        orow[r][c] = acc * inv[r];
      }
    }
    if (probs) {
      for (std::int64_t r = 0; r < rows; ++r) {
        float* pr = probs + (i0 + r) * K;
        const float* s = scores + r * ld;
        for (std::int64_t j = 0; j < kend; ++j) pr[j] = s[j] * inv[r];
        std::fill(pr + kend, pr + K, 0.0f);
      }
    }
  }
}

Problem validate(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape,
                 Span<float> out, Span<float> probs, const SdpaOptions& options) {
  if (options.scale) require_finite("scale", *options.scale);
  for (std::size_t h = 0; h < options.alibi_slopes.size(); ++h) {
    if (!std::isfinite(options.alibi_slopes[h])) {
      fail(ErrorCode::NonFinite, "alibi_slopes must be finite, got " + format_number(options.alibi_slopes[h]) +
                                     " at index " + std::to_string(h));
    }
  }
  require_size("batch", shape.batch);
  require_size("heads", shape.heads);
  require_size("q_len", shape.q_len);
  require_size("k_len", shape.k_len);
  require_size("head_dim", shape.head_dim);
  require_size("v_dim", shape.v_dim);
  if (options.scale) require_range(*options.scale > 0, "scale", *options.scale, "be > 0");
  const AttentionShape& s = shape;
  require_length("q", q.size(), element_count({s.batch, s.heads, s.q_len, s.head_dim}));
  require_length("k", k.size(), element_count({s.batch, s.heads, s.k_len, s.head_dim}));
  require_length("v", v.size(), element_count({s.batch, s.heads, s.k_len, s.v_dim}));
  require_length("out", out.size(), element_count({s.batch, s.heads, s.q_len, s.v_dim}));
  const std::size_t scores = element_count({s.batch, s.heads, s.q_len, s.k_len});
  if (!probs.empty()) require_length("probs", probs.size(), scores);
  if (!options.bias.empty()) {
    require_length(options.bias_has_batch ? "bias [batch, heads, q_len, k_len]" : "bias [heads, q_len, k_len]",
                   options.bias.size(), options.bias_has_batch ? scores : element_count({s.heads, s.q_len, s.k_len}));
  }
  const bool alibi = options.alibi.has_value() || !options.alibi_slopes.empty();
  if (!options.alibi_slopes.empty()) require_length("alibi_slopes", options.alibi_slopes.size(), static_cast<std::size_t>(s.heads));

  Problem p;
  p.shape = shape;
  p.scale = static_cast<float>(options.scale ? *options.scale : 1.0 / std::sqrt(static_cast<double>(s.head_dim)));
  p.causal = options.causal;
  // Validated even when neither the mask nor ALiBi reads it: SPEC §10 makes a negative q_offset, including the
  // default k_len − q_len, BAD_POSITION for every call (pass q_offset = 0 for cross-attention with q_len > k_len).
  p.q_offset = resolve_q_offset(options.q_offset, s.q_len, s.k_len);
  p.bias = options.bias.empty() ? nullptr : options.bias.data();
  p.bias_has_batch = options.bias_has_batch;
  p.alibi = alibi;
  p.alibi_mode = options.alibi.value_or(AlibiMode::Causal);
  if (alibi) {
    if (options.alibi_slopes.empty()) {
      for (double m : alibi_slopes(s.heads)) p.slopes.push_back(static_cast<float>(m));
    } else {
      p.slopes.assign(options.alibi_slopes.begin(), options.alibi_slopes.end());
    }
  }
  return p;
}

}  // namespace

void sdpa(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape, Span<float> out,
          Span<float> probs, const SdpaOptions& options) {
  const Problem p = validate(q, k, v, shape, out, probs, options);
  const std::int64_t Q = shape.q_len, K = shape.k_len, dk = shape.head_dim, dv = shape.v_dim;
  const std::int64_t ld = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(K) + kWidth - 1));
  std::vector<float> scratch(static_cast<std::size_t>(kBlockRows * ld + dv));
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t h = 0; h < shape.heads; ++h) {
      const std::int64_t bh = b * shape.heads + h;
      attend_head(p, b, h, q.data() + bh * Q * dk, k.data() + bh * K * dk, v.data() + bh * K * dv,
                  out.data() + bh * Q * dv, probs.empty() ? nullptr : probs.data() + bh * Q * K, scratch);
    }
  }
}

}  // namespace posenc
