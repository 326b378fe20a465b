// Scaled dot-product attention (Vaswani et al. 2017) with an additive bias, ALiBi (Press et al. 2022)
// computed inside the kernel from the slopes, grouped-query heads (Ainslie et al. 2023), and the masks,
// sinks, temperature and soft-capping of attention.hpp.
// Shapes: q [B,H,Q,Dk], k [B,Hkv,S,Dk], v [B,Hkv,S,Dv] (S = key_stride ≥ K), out [B,H,Q,Dv],
// probs [B,H,Q,K]; bias [H,Q,K] or [B,H,Q,K]. All row-major.
// Validation and the visible key ranges live in attention_plan.{hpp,cpp}, the finishing and softmax of a
// row's scores in attention_rows.{hpp,cpp}; this file is the blocked kernel around them.
// Tiling: a block of up to kBlockRows query rows — consecutive positions, the heads of one GQA group
// adjacent — shares every loaded key and value row of its kv head. Each row has a visible key range from causal,
// window and chunk; the block touches only the union of its rows' ranges, so the masked part of a causal
// prefill and the out-of-window part of a decode cost nothing. Scores live in a kBlockRows × range
// scratch (never Q × K).
// Prefill runs both products on the matrix kernel (matmul.hpp): the keys and values the rows of one
// (batch, kv head) can see are packed once into the kernel's panels (scratch of one head's K and V at most),
// and each block multiplies its query rows by the panels of its key range (Q·Kᵀ), then its weights by the
// value panels kKeyTile keys at a time (P·V), from the first tile with a nonzero weight: the softmax of a row
// finds its leading exact zeros (ALiBi's distant keys) before computing their exponentials. A decode step
// (one query position) is not packed: its blocks stream K and V from memory once each, in split sequential
// streams.
#include "posenc/attention.hpp"
#include "posenc/attention_plan.hpp"
#include "posenc/attention_rows.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/kv_cache.hpp"
#include "posenc/matmul.hpp"
#include "posenc/simd.hpp"

namespace posenc {
namespace {

using simd::Floats;
using simd::kWidth;

// Rows per block, at most: each K/V row a block loads serves all its rows, so 16 rows cut a long prefill's
// K/V traffic 4x against 4 (W5 in wasm 1.2x faster). The streamed scores and values run kValueRows of them at a time.
constexpr std::int64_t kBlockRows = 16;
constexpr std::int64_t kValueRows = 4;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

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

// Raw scores of kValueRows rows against keys [0, n), two keys at a time with all the rows, the two from either
// half of the range. For a block of one GQA group (a decode step) K streams from memory once (pairs of rows
// would read it twice), and two sequential streams keep twice the cache misses in flight: a decode step
// over 32k keys in wasm went from 45% to 66% of a copy's bandwidth against adjacent keys.
void streamed_scores(const float* const* q, const float* k, std::size_t dk, std::int64_t n, float* scores,
                     std::int64_t ld) {
  const std::size_t vend = simd::vector_end(dk);
  const auto stride = static_cast<std::int64_t>(dk);
  const std::int64_t half = n / 2;
  for (std::int64_t j = 0; j < half; ++j) {
    const float* k0 = k + j * stride;
    const float* k1 = k0 + half * stride;
    Floats acc[kValueRows][2];
    for (auto& row : acc) row[0] = row[1] = simd::splat(0.0f);
    for (std::size_t c = 0; c < vend; c += kWidth) {
      const Floats a = simd::load(k0 + c), b = simd::load(k1 + c);
      for (std::int64_t r = 0; r < kValueRows; ++r) {
        const Floats qv = simd::load(q[r] + c);
        acc[r][0] = simd::fma(qv, a, acc[r][0]);
        acc[r][1] = simd::fma(qv, b, acc[r][1]);
      }
    }
    for (std::int64_t r = 0; r < kValueRows; ++r) {
      float s0 = simd::reduce_add(acc[r][0]), s1 = simd::reduce_add(acc[r][1]);
      for (std::size_t c = vend; c < dk; ++c) {
        s0 += q[r][c] * k0[c];
        s1 += q[r][c] * k1[c];
      }
      scores[r * ld + j] = s0;
      scores[r * ld + j + half] = s1;
    }
  }
  for (std::int64_t j = 2 * half; j < n; ++j)
    for (std::int64_t r = 0; r < kValueRows; ++r) scores[r * ld + j] = dot(q[r], k + j * stride, dk);
}

// out_r = Σ_j w[r,j] v[j, ·] over keys [0, n) for rows r < m, the sums kept in the output rows (in L1): for a
// decode step's block V streams from memory once, each row read whole, where column passes would walk it in
// strides. Four keys at a time, one from each quarter of the range: four sequential streams (see
// streamed_scores).
void streamed_values(const float* w, std::int64_t ld, std::int64_t n, const float* v, std::size_t dv, std::int64_t m,
                     float* const* out) {
  const std::size_t vend = simd::vector_end(dv);
  const auto stride = static_cast<std::int64_t>(dv);
  for (std::int64_t r = 0; r < m; ++r) std::fill(out[r], out[r] + dv, 0.0f);
  const std::int64_t quarter = n / 4;
  const std::int64_t step = quarter * stride;
  for (std::int64_t j = 0; j < quarter; ++j) {
    const float* v0 = v + j * stride;
    const float *v1 = v0 + step, *v2 = v1 + step, *v3 = v2 + step;
    for (std::int64_t r = 0; r < m; ++r) {
      const float* wr = w + r * ld + j;
      const float x0 = wr[0], x1 = wr[quarter], x2 = wr[2 * quarter], x3 = wr[3 * quarter];
      const Floats w0 = simd::splat(x0), w1 = simd::splat(x1), w2 = simd::splat(x2), w3 = simd::splat(x3);
      float* o = out[r];
      for (std::size_t c = 0; c < vend; c += kWidth) {
        Floats acc = simd::fma(w0, simd::load(v0 + c), simd::load(o + c));
        acc = simd::fma(w1, simd::load(v1 + c), acc);
        acc = simd::fma(w2, simd::load(v2 + c), acc);
        simd::store(o + c, simd::fma(w3, simd::load(v3 + c), acc));
      }
      for (std::size_t c = vend; c < dv; ++c) o[c] += x0 * v0[c] + x1 * v1[c] + x2 * v2[c] + x3 * v3[c];
    }
  }
  for (std::int64_t j = 4 * quarter; j < n; ++j) {
    const float* vj = v + j * stride;
    for (std::int64_t r = 0; r < m; ++r) {
      const Floats wj = simd::splat(w[r * ld + j]);
      float* o = out[r];
      for (std::size_t c = 0; c < vend; c += kWidth) simd::store(o + c, simd::fma(wj, simd::load(vj + c), simd::load(o + c)));
      for (std::size_t c = vend; c < dv; ++c) o[c] += w[r * ld + j] * vj[c];
    }
  }
}

// Keys per tile of the prefill's P·V and of a decode step's scores: 64 keys of head_dim 128 are 32 KiB (L1),
// read from cache by every row tile after the first. A multiple of every build's panel width.
constexpr std::int64_t kKeyTile = 64;

// Scratch of one sdpa call, reused by every block.
struct Scratch {
  std::vector<float> packed_keys;    // the group's visible keys in the matrix kernel's panels
  std::vector<float> packed_values;  // and their values
  std::vector<float> scores;         // [m, ld]
  std::vector<float> queries;        // the block's query rows, [m, head_dim]
  std::vector<float> sums;           // unnormalised P·V of the block, [m, v_dim rounded up to whole panels]
};

// At least n floats of a scratch buffer, which only grows: blocks of one call reuse it.
float* at_least(std::vector<float>& buffer, std::size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// The keys and values of one (batch, kv head) packed for the two products: keys [lo, hi), K as Kᵀ [head_dim,
// keys] in panels of keys from key lo, V [keys, v_dim] in panels of value columns.
struct PackedKeys {
  const float* keys = nullptr;  // null: not packed (a decode step, or at most kValueRows rows)
  const float* values = nullptr;
  std::int64_t lo = 0, count = 0;
};

// Finishes row r's raw scores s[0, n) (key blo + j at s[j]) into softmax numerators, zero outside its own
// range; returns 1/Σ (0 when the row sees nothing). *first: s[0, *first) are exactly 0.
float finish_row(const AttentionProblem& p, std::int64_t b, const Row& row, std::int64_t blo, std::int64_t n, float* s,
                 std::int64_t* first) {
  const AttentionShape& sh = p.shape;
  const std::int64_t K = sh.k_len;
  const std::int64_t lo = row.keys.lo - blo, hi = row.keys.hi - blo;
  *first = n;
  if (lo == hi) {
    std::fill(s, s + n, 0.0f);
    return 0.0f;
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
  std::int64_t zeros;
  const float inv = finish_softmax(s + lo, row.keys.lo, row.keys.hi, t, p, p.sinks ? p.sinks[row.h] : kNegInf, &zeros);
  *first = lo + zeros;
  // Keys outside the row's own range weigh nothing in the block's shared P·V.
  std::fill(s, s + lo, 0.0f);
  std::fill(s + hi, s + n, 0.0f);
  return inv;
}

// out_r = sums_r · inv_r, and the row's probabilities over all k_len keys when requested.
void write_row(const Row& row, const float* sums, std::size_t dv, const float* s, float inv, std::int64_t blo,
               std::int64_t n, std::int64_t K) {
  const Floats vinv = simd::splat(inv);
  const std::size_t vend = simd::vector_end(dv);
  for (std::size_t c = 0; c < vend; c += kWidth) simd::store(row.out + c, simd::load(sums + c) * vinv);
  for (std::size_t c = vend; c < dv; ++c) row.out[c] = sums[c] * inv;
  if (row.probs) {
    float* pr = row.probs;
    std::fill(pr, pr + blo, 0.0f);
    for (std::int64_t j = 0; j < n; ++j) pr[blo + j] = s[j] * inv;
    std::fill(pr + blo + n, pr + K, 0.0f);
  }
}

// m rows (a multiple of kValueRows; rows without an out are repeats whose outputs are thrown away) against
// one kv head: k [S, Dk], v [S, Dv] at key 0; the products on the matrix kernel when the keys are packed.
void attend_block(const AttentionProblem& p, std::int64_t b, const float* k, const float* v, const PackedKeys& packed,
                  const Row* rows, std::int64_t m, Scratch& scratch) {
  const AttentionShape& sh = p.shape;
  const std::size_t dk = static_cast<std::size_t>(sh.head_dim), dv = static_cast<std::size_t>(sh.v_dim);
  const std::int64_t K = sh.k_len;
  std::int64_t blo = K, bhi = 0;  // the union of the rows' ranges
  for (std::int64_t r = 0; r < m; ++r) {
    if (rows[r].keys.lo == rows[r].keys.hi) continue;
    blo = std::min(blo, rows[r].keys.lo);
    bhi = std::max(bhi, rows[r].keys.hi);
  }
  if (blo >= bhi) {  // nothing visible to any row
    for (std::int64_t r = 0; r < m; ++r) {
      if (rows[r].out) std::fill(rows[r].out, rows[r].out + dv, 0.0f);
      if (rows[r].probs) std::fill(rows[r].probs, rows[r].probs + K, 0.0f);
    }
    return;
  }
  float inv[kBlockRows];
  float* sums;
  std::int64_t n, ld;
  if (packed.keys) {
    while (!rows[m - 1].out) --m;  // the kernel takes any row count: no repeats
    // The range starts on a panel of the packing; keys before the rows' ranges get weight 0.
    const std::size_t width = matmul_panel_width();
    const auto w = static_cast<std::int64_t>(width);
    blo = packed.lo + (blo - packed.lo) / w * w;
    n = bhi - blo;
    ld = (n + w - 1) / w * w;  // the kernel writes whole panels
    const std::size_t lds = (dv + width - 1) / width * width;
    float* scores = at_least(scratch.scores, static_cast<std::size_t>(m * ld));
    float* queries = at_least(scratch.queries, static_cast<std::size_t>(m) * dk);
    sums = at_least(scratch.sums, static_cast<std::size_t>(m) * lds);
    for (std::int64_t r = 0; r < m; ++r) std::copy(rows[r].q, rows[r].q + dk, queries + r * static_cast<std::int64_t>(dk));
    // Key panels are head_dim deep; value panels hold `count` rows of keys.
    const std::size_t key_panel = width * dk, value_panel = width * static_cast<std::size_t>(packed.count);
    const auto skip = static_cast<std::size_t>(blo - packed.lo);  // keys before the block, whole panels
    matmul_packed_unchecked(queries, dk, packed.keys + skip * dk, key_panel, scores, static_cast<std::size_t>(ld),
                            static_cast<std::size_t>(m), static_cast<std::size_t>(ld), dk, false);
    std::int64_t weighted = n;  // the block's weights before key blo + weighted are exactly 0
    for (std::int64_t r = 0; r < m; ++r) {
      std::int64_t first;
      inv[r] = finish_row(p, b, rows[r], blo, n, scores + r * ld, &first);
      weighted = std::min(weighted, first);
    }
    // Key tiles whose weights are all exactly 0 (ALiBi's distant keys) are skipped: each would add +0 to every
    // sum. The tiles keep their boundaries (multiples of kKeyTile from blo), so the sums' bits do not change.
    const std::int64_t start = std::min(weighted, n - 1) / kKeyTile * kKeyTile;
    for (std::int64_t j0 = start; j0 < n; j0 += kKeyTile) {
      const std::int64_t len = std::min(kKeyTile, n - j0);
      matmul_packed_unchecked(scores + j0, static_cast<std::size_t>(ld),
                              packed.values + (skip + static_cast<std::size_t>(j0)) * width, value_panel, sums, lds,
                              static_cast<std::size_t>(m), dv, static_cast<std::size_t>(len), j0 > start);
    }
    for (std::int64_t r = 0; r < m; ++r) {
      if (rows[r].out) write_row(rows[r], sums + r * lds, dv, scores + r * ld, inv[r], blo, n, K);
    }
    return;
  }
  // Streamed. Row capacity n rounded up to whole vectors; after the block, one spare row takes the repeated
  // rows' outputs.
  n = bhi - blo;
  ld = static_cast<std::int64_t>(simd::vector_end(static_cast<std::size_t>(n) + kWidth - 1));
  float* scores = at_least(scratch.scores, static_cast<std::size_t>(m * ld) + dv);
  const float* qrow[kBlockRows];
  float* orow[kBlockRows];
  for (std::int64_t r = 0; r < m; ++r) {
    qrow[r] = rows[r].q;
    orow[r] = rows[r].out ? rows[r].out : scores + m * ld;
  }
  const float* kb = k + blo * static_cast<std::int64_t>(dk);
  if (m == kValueRows) {
    streamed_scores(qrow, kb, dk, n, scores, ld);
  } else {  // key tiles, so the rows after the first four read each tile from cache
    for (std::int64_t j0 = 0; j0 < n; j0 += kKeyTile) {
      const std::int64_t len = std::min(kKeyTile, n - j0);
      for (std::int64_t r = 0; r < m; r += kValueRows)
        streamed_scores(qrow + r, kb + j0 * static_cast<std::int64_t>(dk), dk, len, scores + r * ld + j0, ld);
    }
  }
  for (std::int64_t r = 0; r < m; ++r) {
    std::int64_t first;
    inv[r] = finish_row(p, b, rows[r], blo, n, scores + r * ld, &first);
  }
  streamed_values(scores, ld, n, v + blo * static_cast<std::int64_t>(dv), dv, m, orow);
  for (std::int64_t r = 0; r < m; ++r) {
    if (rows[r].out) write_row(rows[r], orow[r], dv, scores + r * ld, inv[r], blo, n, K);
  }
}

}  // namespace

void sdpa(Span<const float> q, Span<const float> k, Span<const float> v, const AttentionShape& shape, Span<float> out,
          Span<float> probs, const SdpaOptions& options) {
  const AttentionProblem p = plan_attention(q, k, v, shape, out, probs, options);
  const std::int64_t H = shape.heads, Q = shape.q_len, K = shape.k_len, dk = shape.head_dim, dv = shape.v_dim;
  const std::int64_t S = p.key_stride, G = p.group;
  Scratch scratch;
  // Rows run query position by query position, the group's heads adjacent: a block shares one kv head's
  // K/V rows across the heads of its group (GQA reads each K/V row once per block, as MHA does).
  const std::int64_t rows_per_group = Q * G;
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t g = 0; g < p.kv_heads; ++g) {
      const std::int64_t bg = b * p.kv_heads + g;
      const float* kh = k.data() + bg * S * dk;
      const float* vh = v.data() + bg * S * dv;
      PackedKeys packed;
      // The keys any row of the group sees, packed once for all its blocks. Not for one query position (a decode
      // step): packing copies each K and V element once, as much work as the products of a few rows (a windowed
      // decode step of 8 heads over one kv head ran 2.7x slower packed than streamed).
      if (rows_per_group > kValueRows && Q > 1) {
        std::int64_t lo = K, hi = 0;
        for (std::int64_t i = 0; i < Q; ++i) {
          const KeyRange r = p.visibility.keys(b, p.q_offset + i);
          if (r.lo == r.hi) continue;
          lo = std::min(lo, r.lo);
          hi = std::max(hi, r.hi);
        }
        if (lo < hi) {
          const auto n = static_cast<std::size_t>(hi - lo);
          const auto udk = static_cast<std::size_t>(dk), udv = static_cast<std::size_t>(dv);
          scratch.packed_keys.resize(matmul_packed_size(n, udk));
          scratch.packed_values.resize(matmul_packed_size(udv, n));
          matmul_pack_b(kh + lo * dk, udk, n, udk, MatmulLayout::ABt, scratch.packed_keys.data());
          matmul_pack_b(vh + lo * dv, udv, udv, n, MatmulLayout::AB, scratch.packed_values.data());
          packed = {scratch.packed_keys.data(), scratch.packed_values.data(), lo, hi - lo};
        }
      }
      for (std::int64_t t0 = 0; t0 < rows_per_group; t0 += kBlockRows) {
        const std::int64_t count = std::min(kBlockRows, rows_per_group - t0);
        const std::int64_t m = (count + kValueRows - 1) / kValueRows * kValueRows;
        Row rows[kBlockRows];
        for (std::int64_t r = 0; r < m; ++r) {
          const std::int64_t t = t0 + std::min(r, count - 1);
          Row& row = rows[r];
          row.i = t / G;
          row.h = g * G + t % G;
          const std::int64_t bhi = (b * H + row.h) * Q + row.i;
          row.q = q.data() + bhi * dk;
          row.out = r < count ? out.data() + bhi * dv : nullptr;
          row.probs = r < count && !probs.empty() ? probs.data() + bhi * K : nullptr;
          row.keys = p.visibility.keys(b, p.q_offset + row.i);
        }
        attend_block(p, b, kh, vh, packed, rows, m, scratch);
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
