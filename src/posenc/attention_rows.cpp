// Finishing and softmax of one attention row's scores (attention_rows.hpp).
#include "posenc/attention_rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "posenc/simd.hpp"

namespace posenc {

using simd::Floats;
using simd::kWidth;

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Over keys [lo, hi) of one row, s[j − lo] = softcap(scale·s) + bias + alibi + additive mask, then −∞
// where the keep-mask or the key padding hides the key.
void finish_scores(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p) {
  const std::int64_t n = hi - lo;
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  const Floats vscale = simd::splat(t.scale);
  const Floats vcap = simd::splat(p.cap), vinv_cap = simd::splat(1.0f / p.cap);
  // ALiBi as ±slope·(j − ref): causal m(j − i'), key_only m·j, symmetric −m|j − i'|.
  const bool symmetric = p.alibi_mode == AlibiMode::Symmetric;
  const Floats vslope = simd::splat(symmetric ? -t.slope : t.slope);
  const std::int64_t ref = p.alibi_mode == AlibiMode::KeyOnly ? 0 : t.pos;
  const bool additive_row = t.additive && t.mask_step != 0;
  const Floats additive_all = simd::splat(t.additive && t.mask_step == 0 ? t.additive[0] : 0.0f);
  const bool additive_all_on = t.additive && t.mask_step == 0;
  for (std::int64_t jj = 0; jj < vend; jj += kWidth) {
    const std::int64_t j = lo + jj;
    Floats v = simd::load(s + jj) * vscale;
    if (p.softcap) v = vcap * simd::tanh(v * vinv_cap);
    if (t.bias) v += simd::load(t.bias + j);
    if (p.alibi) {
      // j − ref in float64 would be exact; in float32 it is exact while |j − ref| < 2^24, and
      // the product's relative error stays one ulp beyond that.
      Floats d = simd::ramp(static_cast<float>(j - ref));
      if (symmetric) d = simd::abs(d);
      v = simd::fma(vslope, d, v);
    }
    if (additive_row) v += simd::load(t.additive + j);
    if (additive_all_on) v += additive_all;
    simd::store(s + jj, v);
  }
  for (std::int64_t jj = vend; jj < n; ++jj) {
    const std::int64_t j = lo + jj;
    float v = s[jj] * t.scale;
    if (p.softcap) v = p.cap * std::tanh(v * (1.0f / p.cap));
    if (t.bias) v += t.bias[j];
    if (p.alibi) v += static_cast<float>(alibi_term(p.alibi_mode, t.slope, t.pos, j));
    if (t.additive) v += t.additive[j * t.mask_step];
    s[jj] = v;
  }
  // Byte masks stay scalar: one compare a key is small beside the head_dim-long dot product behind it.
  if (t.keep) {
    for (std::int64_t jj = 0; jj < n; ++jj)
      if (!t.keep[(lo + jj) * t.mask_step]) s[jj] = kNegInf;
  }
  if (t.padding) {
    for (std::int64_t jj = 0; jj < n; ++jj)
      if (!t.padding[lo + jj]) s[jj] = kNegInf;
  }
}


// The maximum of s[0, n) and the sink: lanes, then the sink, then the scalar tail.
float row_max(const float* s, std::int64_t n, float sink) {
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  float mx = sink;
  if (vend > 0) {
    Floats m = simd::load(s);
    for (std::int64_t j = kWidth; j < vend; j += kWidth) m = simd::max(m, simd::load(s + j));
    mx = std::max(mx, simd::reduce_max(m));
  }
  for (std::int64_t j = vend; j < n; ++j) mx = std::max(mx, s[j]);
  return mx;
}

// The numerators exp(s − mx) in place and 1/Σ (a sink joining the sum), mx ≥ every s[j] and the sink.
// *first: the numerators before it are exactly 0 (n when all are). Whole vectors whose exponentials are all 0
// (scores at least 88.4 below the maximum: ALiBi's distant keys) are stored as zeros without computing them;
// adding +0 leaves the sum's bits as they were.
float numerators(float* s, std::int64_t n, float sink, float mx, std::int64_t* first) {
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  *first = n;
  if (mx == kNegInf) {
    std::fill(s, s + n, 0.0f);
    return 0.0f;
  }
  const Floats vmx = simd::splat(mx);
  Floats acc = simd::splat(0.0f);
  std::int64_t j = 0;
  for (; j < vend; j += kWidth) {  // the leading zeros
    const Floats x = simd::load(s + j) - vmx;
    if (!simd::exp_all_zero(x)) break;
    simd::store(s + j, simd::splat(0.0f));
  }
  *first = j;
  for (; j < vend; j += kWidth) {
    const Floats x = simd::load(s + j) - vmx;
    const Floats e = simd::exp_nonpositive(x);
    simd::store(s + j, e);
    acc += e;
  }
  float sum = simd::reduce_add(acc);
  for (std::int64_t j = vend; j < n; ++j) {
    s[j] = std::exp(s[j] - mx);
    sum += s[j];
  }
  if (sink != kNegInf) sum += std::exp(sink - mx);
  return 1.0f / sum;
}

enum class Alibi { None, Linear, Symmetric };

// finish_scores for a row of scale and ALiBi terms only (A picks the ALiBi form), returning the maximum of the
// finished scores and the sink in row_max's order: lanes, then the sink, then the scalar tail.
template <Alibi A>
float finish_plain(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p,
                   float sink) {
  const std::int64_t n = hi - lo;
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  const Floats vscale = simd::splat(t.scale);
  const Floats vslope = simd::splat(A == Alibi::Symmetric ? -t.slope : t.slope);
  const std::int64_t ref = p.alibi_mode == AlibiMode::KeyOnly ? 0 : t.pos;
  const Floats lanes = simd::ramp(0.0f);  // start + lanes: finish_scores' ramp(start), lane by lane the same sum
  Floats m = simd::splat(kNegInf);
  for (std::int64_t jj = 0; jj < vend; jj += kWidth) {
    Floats v = simd::load(s + jj) * vscale;
    if constexpr (A != Alibi::None) {
      Floats d = simd::splat(static_cast<float>(lo + jj - ref)) + lanes;
      if constexpr (A == Alibi::Symmetric) d = simd::abs(d);
      v = simd::fma(vslope, d, v);
    }
    simd::store(s + jj, v);
    m = jj == 0 ? v : simd::max(m, v);
  }
  float mx = sink;
  if (vend > 0) mx = std::max(mx, simd::reduce_max(m));
  for (std::int64_t jj = vend; jj < n; ++jj) {
    const std::int64_t j = lo + jj;
    float v = s[jj] * t.scale;
    if constexpr (A != Alibi::None) v += static_cast<float>(alibi_term(p.alibi_mode, t.slope, t.pos, j));
    s[jj] = v;
    mx = std::max(mx, v);
  }
  return mx;
}

}  // namespace

float finish_softmax(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p,
                     float sink, std::int64_t* first) {
  float mx;
  if (p.softcap || t.bias || t.additive || t.keep || t.padding) {
    finish_scores(s, lo, hi, t, p);
    return numerators(s, hi - lo, sink, row_max(s, hi - lo, sink), first);
  }
  if (!p.alibi) {
    mx = finish_plain<Alibi::None>(s, lo, hi, t, p, sink);
  } else if (p.alibi_mode == AlibiMode::Symmetric) {
    mx = finish_plain<Alibi::Symmetric>(s, lo, hi, t, p, sink);
  } else {
    mx = finish_plain<Alibi::Linear>(s, lo, hi, t, p, sink);
  }
  return numerators(s, hi - lo, sink, mx, first);
}

}  // namespace posenc
