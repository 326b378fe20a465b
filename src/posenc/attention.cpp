// Scaled dot-product attention (Vaswani et al. 2017) with an additive bias, ALiBi (Press et al. 2022)
// computed inside the kernel from the slopes, grouped-query heads (Ainslie et al. 2023), and the masks,
// sinks, temperature and soft-capping of attention.hpp.
// Shapes: q [B,H,Q,Dk], k [B,Hkv,S,Dk], v [B,Hkv,S,Dv] (S = key_stride ≥ K), out [B,H,Q,Dv],
// probs [B,H,Q,K]; bias [H,Q,K] or [B,H,Q,K]. All row-major.
// Tiling: a block of kBlockRows query rows — consecutive positions, the heads of one GQA group adjacent —
// shares every loaded key and value row of its kv head. Each row has a visible key range from causal,
// window and chunk; the block touches only the union of its rows' ranges, so the masked part of a causal
// prefill and the out-of-window part of a decode cost nothing. Scores live in a kBlockRows × range
// scratch (never Q × K); long ranges are walked in kKeyTile keys so K and V rows are reused from cache.
// Remainders: dot products run kWidth lanes along head_dim with a scalar tail; keys go kWidth at a
// time (one transpose-add gives kWidth scores) with a one-key tail; value columns go in chunks of
// kValueVectors vectors, then single vectors, then scalar columns; a short last block repeats its
// last row and discards the copies.
#include "posenc/attention.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/kv_cache.hpp"
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

// The validated call: every option resolved to plain values the row loop reads.
struct Problem {
  AttentionShape shape;
  std::int64_t kv_heads, group, key_stride;  // group: query heads per kv head
  float scale;
  bool causal;
  std::int64_t q_offset;
  const float* bias;  // null when absent
  bool bias_has_batch;
  bool alibi;
  AlibiMode alibi_mode;
  std::vector<float> slopes;
  const std::uint8_t* key_padding;  // [B, K] or null
  const float* mask_additive;       // null when absent
  const std::uint8_t* mask_keep;    // null when absent
  std::array<std::int64_t, 4> mask_stride;  // elements per step of b, h, i, j; 0 on broadcast dims
  std::int64_t window, chunk;       // 0: none
  std::vector<std::int64_t> chunk_origin;  // per batch row: the first real key
  const float* sinks;               // [H] or null
  std::optional<QueryTemperature> temperature;
  bool softcap;
  float cap;
};

// Keys [lo, hi) a query can see before key padding and masks; lo == hi when none.
struct KeyRange {
  std::int64_t lo, hi;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

KeyRange visible_keys(const Problem& p, std::int64_t b, std::int64_t pos) {
  std::int64_t lo = 0, hi = p.shape.k_len;
  if (p.causal || p.window) hi = std::min(hi, pos + 1);
  if (p.window) lo = std::max(lo, pos - p.window + 1);
  if (p.chunk) {
    const std::int64_t origin = p.chunk_origin[static_cast<std::size_t>(b)];
    const std::int64_t first = origin + floor_div(pos - origin, p.chunk) * p.chunk;
    lo = std::max(lo, first);
    hi = std::min(hi, first + p.chunk);
  }
  if (lo >= hi) return {0, 0};
  return {lo, hi};
}

// One query row of a block: where it reads and writes, and what it sees.
struct Row {
  const float* q;
  float* out;
  float* probs;  // null: not requested (or a short block's repeat)
  std::int64_t h, i;
  KeyRange keys;
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

// Per-row inputs of finish_scores beyond the raw scores.
struct RowTerms {
  float scale;             // scale · query temperature
  const float* bias;       // the row's bias over all k_len keys, or null
  float slope;             // ALiBi slope (when p.alibi)
  std::int64_t pos;        // absolute query position
  const float* additive;   // mask row at key 0, or null
  const std::uint8_t* keep;  // keep-mask row at key 0, or null
  std::int64_t mask_step;  // 0 when the mask broadcasts over keys
  const std::uint8_t* padding;  // key-padding row, or null
};

// Over keys [lo, hi) of one row, s[j − lo] = softcap(scale·s) + bias + alibi + additive mask, then −∞
// where the keep-mask or the key padding hides the key. Gemma 2 caps before anything is added.
void finish_scores(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const Problem& p) {
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

// Stable softmax numerators in place over [0, n), a sink logit (GPT-OSS; −∞ when none) joining the
// maximum and the sum; returns 1/Σ, or 0 when nothing is finite (then every numerator is set to 0, so
// the row's output and probs are zeros, never NaN).
float softmax_numerators(float* s, std::int64_t n, float sink) {
  const std::int64_t vend = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n)));
  float mx = sink;
  if (vend > 0) {
    Floats m = simd::load(s);
    for (std::int64_t j = kWidth; j < vend; j += kWidth) m = simd::max(m, simd::load(s + j));
    mx = std::max(mx, simd::reduce_max(m));
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
  if (sink != kNegInf) sum += std::exp(sink - mx);
  return 1.0f / sum;
}

// out_r[c0 .. c0 + vectors·kWidth) (+)= Σ_j w[r,j] v[j, ·] over keys [0, n) for the block's rows; the
// first key tile starts from zero, later tiles add to what the earlier ones stored.
template <std::size_t Vectors>
void weighted_values(const float* w, std::int64_t ld, std::int64_t n, const float* v, std::size_t dv, std::size_t c0,
                     bool first, float* const* out) {
  Floats acc[kBlockRows][Vectors];
  for (std::int64_t r = 0; r < kBlockRows; ++r)
    for (std::size_t t = 0; t < Vectors; ++t) acc[r][t] = first ? simd::splat(0.0f) : simd::load(out[r] + c0 + t * kWidth);
  const float* vj = v + c0;
  for (std::int64_t j = 0; j < n; ++j, vj += dv) {
    Floats vv[Vectors];
    for (std::size_t t = 0; t < Vectors; ++t) vv[t] = simd::load(vj + t * kWidth);
    for (std::int64_t r = 0; r < kBlockRows; ++r) {
      const Floats wr = simd::splat(w[r * ld + j]);
      for (std::size_t t = 0; t < Vectors; ++t) acc[r][t] = simd::fma(wr, vv[t], acc[r][t]);
    }
  }
  for (std::int64_t r = 0; r < kBlockRows; ++r)
    for (std::size_t t = 0; t < Vectors; ++t) simd::store(out[r] + c0 + t * kWidth, acc[r][t]);
}

// Keys a tile of the score and P·V loops covers: a long decode range is walked tile by tile so the
// block's rows reuse each K and V row from cache instead of streaming the whole range once per row.
constexpr std::int64_t kKeyTile = 256;

// kBlockRows rows (a short block repeats its last row into throwaway outputs) against one kv head:
// k [S, Dk], v [S, Dv] at key 0.
void attend_block(const Problem& p, std::int64_t b, const float* k, const float* v, const Row* rows,
                  std::vector<float>& scratch) {
  const AttentionShape& sh = p.shape;
  const std::size_t dk = static_cast<std::size_t>(sh.head_dim), dv = static_cast<std::size_t>(sh.v_dim);
  const std::int64_t K = sh.k_len;
  std::int64_t blo = K, bhi = 0;  // the union of the rows' ranges
  for (std::int64_t r = 0; r < kBlockRows; ++r) {
    if (rows[r].keys.lo == rows[r].keys.hi) continue;
    blo = std::min(blo, rows[r].keys.lo);
    bhi = std::max(bhi, rows[r].keys.hi);
  }
  if (blo >= bhi) {  // nothing visible to any row
    for (std::int64_t r = 0; r < kBlockRows; ++r) {
      if (rows[r].out) std::fill(rows[r].out, rows[r].out + dv, 0.0f);
      if (rows[r].probs) std::fill(rows[r].probs, rows[r].probs + K, 0.0f);
    }
    return;
  }
  const std::int64_t n = bhi - blo;
  // Row capacity n rounded up, so the transpose-add may store a full vector past n; one spare row
  // after the block takes a short block's repeated outputs.
  const std::int64_t ld = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n) + kWidth - 1));
  const std::size_t needed = static_cast<std::size_t>(kBlockRows * ld) + dv;
  if (scratch.size() < needed) scratch.resize(needed);
  float* scores = scratch.data();
  const float* qrow[kBlockRows];
  float* orow[kBlockRows];
  for (std::int64_t r = 0; r < kBlockRows; ++r) {
    qrow[r] = rows[r].q;
    orow[r] = rows[r].out ? rows[r].out : scores + kBlockRows * ld;
  }
  const float* kb = k + blo * static_cast<std::int64_t>(dk);
  for (std::int64_t j0 = 0; j0 < n; j0 += kKeyTile) {
    const std::int64_t len = std::min(kKeyTile, n - j0);
    for (std::int64_t r = 0; r < kBlockRows; r += kScoreRows)
      score_tile(qrow + r, kb + j0 * static_cast<std::int64_t>(dk), dk, len, scores + r * ld + j0, ld);
  }
  float inv[kBlockRows];
  for (std::int64_t r = 0; r < kBlockRows; ++r) {
    const Row& row = rows[r];
    float* s = scores + r * ld;
    const std::int64_t lo = row.keys.lo - blo, hi = row.keys.hi - blo;
    if (lo == hi) {
      std::fill(s, s + n, 0.0f);
      inv[r] = 0.0f;
      continue;
    }
    const std::int64_t pos = p.q_offset + row.i;
    RowTerms t;
    double scale = p.scale;
    if (p.temperature) {
      scale *= std::log1p(std::floor(static_cast<double>(pos + 1) / p.temperature->floor_scale)) *
                   p.temperature->attn_scale + 1.0;
    }
    t.scale = static_cast<float>(scale);
    t.bias = p.bias ? p.bias + (((p.bias_has_batch ? b * sh.heads : 0) + row.h) * sh.q_len + row.i) * K : nullptr;
    t.slope = p.alibi ? p.slopes[static_cast<std::size_t>(row.h)] : 0.0f;
    t.pos = pos;
    const std::int64_t mask_at = b * p.mask_stride[0] + row.h * p.mask_stride[1] + row.i * p.mask_stride[2];
    t.additive = p.mask_additive ? p.mask_additive + mask_at : nullptr;
    t.keep = p.mask_keep ? p.mask_keep + mask_at : nullptr;
    t.mask_step = p.mask_stride[3];
    t.padding = p.key_padding ? p.key_padding + b * K : nullptr;
    finish_scores(s + lo, row.keys.lo, row.keys.hi, t, p);
    inv[r] = softmax_numerators(s + lo, hi - lo, p.sinks ? p.sinks[row.h] : kNegInf);
    // Keys outside the row's own range weigh nothing in the shared P·V loop.
    std::fill(s, s + lo, 0.0f);
    std::fill(s + hi, s + n, 0.0f);
  }
  const float* vb = v + blo * static_cast<std::int64_t>(dv);
  for (std::int64_t j0 = 0; j0 < n; j0 += kKeyTile) {
    const std::int64_t len = std::min(kKeyTile, n - j0);
    const bool first = j0 == 0;
    const float* w = scores + j0;
    const float* vt = vb + j0 * static_cast<std::int64_t>(dv);
    std::size_t c = 0;
    for (; c + kValueVectors * kWidth <= dv; c += kValueVectors * kWidth)
      weighted_values<kValueVectors>(w, ld, len, vt, dv, c, first, orow);
    for (; c + kWidth <= dv; c += kWidth) weighted_values<1>(w, ld, len, vt, dv, c, first, orow);
    for (; c < dv; ++c) {
      for (std::int64_t r = 0; r < kBlockRows; ++r) {
        float acc = first ? 0.0f : orow[r][c];
        for (std::int64_t j = 0; j < len; ++j) acc += w[r * ld + j] * vt[j * static_cast<std::int64_t>(dv) + c];
        orow[r][c] = acc;
      }
    }
  }
  for (std::int64_t r = 0; r < kBlockRows; ++r) {
    const Floats vinv = simd::splat(inv[r]);
    const std::size_t vend = simd::vector_end(dv);
    for (std::size_t c = 0; c < vend; c += kWidth) simd::store(orow[r] + c, simd::load(orow[r] + c) * vinv);
    for (std::size_t c = vend; c < dv; ++c) orow[r][c] *= inv[r];
    if (rows[r].probs) {
      float* pr = rows[r].probs;
      const float* s = scores + r * ld;
      std::fill(pr, pr + blo, 0.0f);
      for (std::int64_t j = 0; j < n; ++j) pr[blo + j] = s[j] * inv[r];
      std::fill(pr + bhi, pr + K, 0.0f);
    }
  }
}

std::string shape_text(const std::array<std::int64_t, 4>& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + ", " +
         std::to_string(s[3]) + "]";
}

void require_finite_option(const char* name, const std::optional<double>& value) {
  if (value) require_finite(name, *value);
}

Problem validate(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape,
                 Span<float> out, Span<float> probs, const SdpaOptions& options) {
  // NON_FINITE
  require_finite_option("scale", options.scale);
  require_finite_entries("alibi_slopes", options.alibi_slopes);
  require_finite_entries("sinks", options.sinks);
  require_finite_option("softcap", options.softcap);
  if (options.query_temperature) {
    require_finite("query_temperature.floor_scale", options.query_temperature->floor_scale);
    require_finite("query_temperature.attn_scale", options.query_temperature->attn_scale);
  }
  // BAD_HEADS: GQA needs a whole number of query heads per kv head.
  const std::int64_t kv_heads = shape.kv_heads.value_or(shape.heads);
  if (shape.kv_heads) {
    require_heads("kv_heads", kv_heads);
    if (shape.heads >= 1 && shape.heads % kv_heads != 0) {
      fail(ErrorCode::BadHeads, "heads must be a multiple of kv_heads (" + std::to_string(kv_heads) + "), got " +
                                    std::to_string(shape.heads));
    }
  }
  // BAD_SIZE
  require_size("batch", shape.batch);
  require_size("heads", shape.heads);
  require_size("q_len", shape.q_len);
  require_size("k_len", shape.k_len);
  require_size("head_dim", shape.head_dim);
  require_size("v_dim", shape.v_dim);
  if (shape.key_stride) require_size("key_stride", *shape.key_stride);
  if (options.window) require_size("window", *options.window);
  if (options.chunk_size) require_size("chunk_size", *options.chunk_size);
  // OUT_OF_RANGE
  if (options.scale) {
    require_range(*options.scale > 0, "scale", *options.scale, "be > 0");
    require_range(*options.scale <= kMaxMultiplier, "scale", *options.scale,
                  "be at most 1e6 (scale * q.k must stay a finite float32 logit)");
  }
  if (options.softcap) require_range(*options.softcap > 0, "softcap", *options.softcap, "be > 0");
  if (options.query_temperature) {
    const double fs = options.query_temperature->floor_scale;
    require_range(fs > 0, "query_temperature.floor_scale", fs, "be > 0");
  }
  const std::int64_t stride = shape.key_stride.value_or(shape.k_len);
  if (stride < shape.k_len) {
    fail(ErrorCode::OutOfRange, "key_stride must be >= k_len (" + std::to_string(shape.k_len) + "), got " +
                                    std::to_string(stride));
  }
  // SHAPE_MISMATCH
  const AttentionShape& s = shape;
  require_length("q", q.size(), element_count({s.batch, s.heads, s.q_len, s.head_dim}));
  require_length("k", k.size(), element_count({s.batch, kv_heads, stride, s.head_dim}));
  require_length("v", v.size(), element_count({s.batch, kv_heads, stride, s.v_dim}));
  require_length("out", out.size(), element_count({s.batch, s.heads, s.q_len, s.v_dim}));
  const std::size_t scores = element_count({s.batch, s.heads, s.q_len, s.k_len});
  if (!probs.empty()) require_length("probs", probs.size(), scores);
  if (!options.bias.empty()) {
    require_length(options.bias_has_batch ? "bias [batch, heads, q_len, k_len]" : "bias [heads, q_len, k_len]",
                   options.bias.size(), options.bias_has_batch ? scores : element_count({s.heads, s.q_len, s.k_len}));
  }
  const bool alibi = options.alibi.has_value() || !options.alibi_slopes.empty();
  if (!options.alibi_slopes.empty()) require_length("alibi_slopes", options.alibi_slopes.size(), static_cast<std::size_t>(s.heads));
  if (!options.sinks.empty()) require_length("sinks [heads]", options.sinks.size(), static_cast<std::size_t>(s.heads));
  if (!options.key_padding.empty()) {
    require_length("key_padding [batch, k_len]", options.key_padding.size(), element_count({s.batch, s.k_len}));
  }
  const AttentionMask& mask = options.mask;
  std::array<std::int64_t, 4> mask_stride = {0, 0, 0, 0};
  if (!mask.empty()) {
    if (!mask.additive.empty() && !mask.keep.empty()) {
      fail(ErrorCode::ShapeMismatch, "mask must hold additive (float) or keep (uint8) values, got both");
    }
    const std::array<std::int64_t, 4> full = {s.batch, s.heads, s.q_len, s.k_len};
    for (std::size_t d = 0; d < 4; ++d) {
      if (mask.shape[d] != 1 && mask.shape[d] != full[d]) {
        fail(ErrorCode::ShapeMismatch, "mask shape " + shape_text(mask.shape) +
                                           " must broadcast to [batch, heads, q_len, k_len] = " + shape_text(full) +
                                           ": dim " + std::to_string(d) + " must be 1 or " + std::to_string(full[d]));
      }
    }
    const std::size_t count = element_count({mask.shape[0], mask.shape[1], mask.shape[2], mask.shape[3]});
    require_length("mask", mask.additive.empty() ? mask.keep.size() : mask.additive.size(), count);
    std::int64_t step = 1;
    for (std::size_t d = 4; d-- > 0;) {
      mask_stride[d] = mask.shape[d] == 1 ? 0 : step;
      step *= mask.shape[d];
    }
  }

  Problem p;
  p.shape = shape;
  p.shape.kv_heads = kv_heads;
  p.shape.key_stride = stride;
  p.kv_heads = kv_heads;
  p.group = s.heads / kv_heads;
  p.key_stride = stride;
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
  p.key_padding = options.key_padding.empty() ? nullptr : options.key_padding.data();
  p.mask_additive = mask.additive.empty() ? nullptr : mask.additive.data();
  p.mask_keep = mask.keep.empty() ? nullptr : mask.keep.data();
  p.mask_stride = mask_stride;
  p.window = options.window.value_or(0);
  p.chunk = options.chunk_size.value_or(0);
  if (p.chunk) {
    p.chunk_origin.assign(static_cast<std::size_t>(s.batch), 0);
    for (std::int64_t b = 0; p.key_padding && b < s.batch; ++b) {
      const std::uint8_t* row = p.key_padding + b * s.k_len;
      const std::int64_t first = std::find_if(row, row + s.k_len, [](std::uint8_t x) { return x != 0; }) - row;
      p.chunk_origin[static_cast<std::size_t>(b)] = first == s.k_len ? 0 : first;
    }
  }
  p.sinks = options.sinks.empty() ? nullptr : options.sinks.data();
  p.temperature = options.query_temperature;
  if (p.temperature) {  // the factor grows with the position: the last query row has the largest
    const double last = static_cast<double>(p.q_offset + s.q_len);
    const double factor = std::log1p(std::floor(last / p.temperature->floor_scale)) * p.temperature->attn_scale + 1.0;
    require_range(std::fabs(p.scale * factor) <= kMaxMultiplier, "query_temperature.attn_scale",
                  p.temperature->attn_scale, "keep scale times the temperature factor at most 1e6 in magnitude");
  }
  p.softcap = options.softcap.has_value();
  p.cap = static_cast<float>(options.softcap.value_or(1.0));
  return p;
}

}  // namespace

void sdpa(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape, Span<float> out,
          Span<float> probs, const SdpaOptions& options) {
  const Problem p = validate(q, k, v, shape, out, probs, options);
  const std::int64_t H = shape.heads, Q = shape.q_len, K = shape.k_len, dk = shape.head_dim, dv = shape.v_dim;
  const std::int64_t S = p.key_stride, G = p.group;
  std::vector<float> scratch;
  // Rows run query position by query position, the group's heads adjacent: a block shares one kv head's
  // K/V rows across the heads of its group (GQA reads each K/V row once per block, as MHA does).
  const std::int64_t rows_per_group = Q * G;
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t g = 0; g < p.kv_heads; ++g) {
      const std::int64_t bg = b * p.kv_heads + g;
      const float* kh = k.data() + bg * S * dk;
      const float* vh = v.data() + bg * S * dv;
      for (std::int64_t t0 = 0; t0 < rows_per_group; t0 += kBlockRows) {
        const std::int64_t count = std::min(kBlockRows, rows_per_group - t0);
        Row rows[kBlockRows];
        for (std::int64_t r = 0; r < kBlockRows; ++r) {
          const std::int64_t t = t0 + std::min(r, count - 1);
          Row& row = rows[r];
          row.i = t / G;
          row.h = g * G + t % G;
          const std::int64_t bhi = (b * H + row.h) * Q + row.i;
          row.q = q.data() + bhi * dk;
          row.out = r < count ? out.data() + bhi * dv : nullptr;
          row.probs = r < count && !probs.empty() ? probs.data() + bhi * K : nullptr;
          row.keys = visible_keys(p, b, p.q_offset + row.i);
        }
        attend_block(p, b, kh, vh, rows, scratch);
      }
    }
  }
}

void sdpa(Span<const float> q, const KVCache& cache, std::int64_t heads, std::int64_t q_len, Span<float> out,
          Span<float> probs, const SdpaOptions& options) {
  if (cache.length() == 0) fail(ErrorCode::BadSize, "cache length must be >= 1, got 0");
  AttentionShape shape;
  shape.batch = cache.batch();
  shape.heads = heads;
  shape.q_len = q_len;
  shape.k_len = cache.length();
  shape.head_dim = cache.head_dim();
  shape.v_dim = cache.v_dim();
  shape.kv_heads = cache.kv_heads();
  shape.key_stride = cache.capacity();
  sdpa(q, cache.keys(), cache.values(), shape, out, probs, options);
}

}  // namespace posenc
