// The TinyTransformer's forward pass, its loss and its backward pass (the model is described in
// tiny_transformer.cpp). The backward mirrors the forward statement by statement, in reverse.
#include "posenc/tiny_transformer.hpp"
#include "posenc/tiny_transformer_state.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/angles.hpp"
#include "posenc/attention.hpp"
#include "posenc/attention_backward.hpp"
#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/matmul.hpp"
#include "posenc/random.hpp"
#include "posenc/relative.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/xpos.hpp"


namespace posenc {
namespace {

// Tanh-approximated GELU (GPT-2): g(x) = x/2·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³); tanh(u) = 1 − 2/(e^{2u} + 1)
// keeps it on simd::exp (no tanh in the SIMD layer) and saturates correctly at ±∞.
constexpr float kGeluC = 0.7978845608028654f, kGeluK = 0.044715f;

void gelu_forward(const float* x, float* y, std::size_t n) {
  const std::size_t end = simd::vector_end(n);
  const simd::Floats c = simd::splat(kGeluC), k = simd::splat(kGeluK), one = simd::splat(1.0f),
                     two = simd::splat(2.0f), half = simd::splat(0.5f);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) {
    const simd::Floats v = simd::load(x + i);
    const simd::Floats u = c * simd::fma(k * v, v * v, v);
    const simd::Floats t = one - two / (simd::exp(two * u) + one);
    simd::store(y + i, half * v * (one + t));
  }
  for (; i < n; ++i) {
    const float v = x[i], u = kGeluC * (v + kGeluK * v * v * v);
    const float t = 1.0f - 2.0f / (std::exp(2.0f * u) + 1.0f);
    y[i] = 0.5f * v * (1.0f + t);
  }
}

// dx += dy · g'(x), g'(x) = (1 + t)/2 + x/2·(1 − t²)·√(2/π)(1 + 3·0.044715x²).
void gelu_backward(const float* dy, const float* x, float* dx, std::size_t n) {
  const std::size_t end = simd::vector_end(n);
  const simd::Floats c = simd::splat(kGeluC), k = simd::splat(kGeluK), k3 = simd::splat(3.0f * kGeluK),
                     one = simd::splat(1.0f), two = simd::splat(2.0f), half = simd::splat(0.5f);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) {
    const simd::Floats v = simd::load(x + i), v2 = v * v;
    const simd::Floats u = c * simd::fma(k * v, v2, v);
    const simd::Floats t = one - two / (simd::exp(two * u) + one);
    const simd::Floats d = half * (one + t) + half * v * (one - t * t) * c * simd::fma(k3, v2, one);
    simd::store(dx + i, simd::fma(simd::load(dy + i), d, simd::load(dx + i)));
  }
  for (; i < n; ++i) {
    const float v = x[i], u = kGeluC * (v + kGeluK * v * v * v);
    const float t = 1.0f - 2.0f / (std::exp(2.0f * u) + 1.0f);
    const float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kGeluC * (1.0f + 3.0f * kGeluK * v * v);
    dx[i] += dy[i] * d;
  }
}

// y[r, :] += b for every row.
void add_bias(float* y, const float* b, std::size_t rows, std::size_t n) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < n; ++i) y[r * n + i] += b[i];
}
// db += Σ_r dy[r, :], rows in order.
void bias_backward(const float* dy, float* db, std::size_t rows, std::size_t n) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < n; ++i) db[i] += dy[r * n + i];
}

// The rotation of q and k in every layer: the eval-only scaling replaces the trained one outside training, and
// randomized positions come per row.
RopeForwardOptions layer_rope_options(const TinyTransformerOptions& o, bool training, bool per_row_positions,
                                      const std::vector<std::int32_t>& positions) {
  RopeForwardOptions rope;
  rope.d_rot = o.rope_dims;
  rope.base = o.rope_base;
  rope.layout = o.rope_layout;
  rope.scaling = (!training && o.rope_eval_scaling) ? *o.rope_eval_scaling : o.rope_scaling;
  rope.max_position_embeddings = o.rope_max_position_embeddings;
  if (per_row_positions) rope.positions = positions;
  return rope;
}

// The attention every layer runs, forward (SdpaOptions) and backward (SdpaBackwardOptions) alike: causal from
// position 0, with ALiBi's causal slopes or the T5 bias table when the scheme adds them to the scores.
template <class Options>
Options layer_attention_options(const TinyTransformerOptions& o, Span<const float> t5_bias) {
  Options attn;
  attn.causal = true;
  attn.q_offset = 0;
  if (o.positional == PositionalScheme::Alibi) attn.alibi = AlibiMode::Causal;
  if (o.positional == PositionalScheme::T5) attn.bias = t5_bias;
  return attn;
}

}  // namespace

void TinyTransformer::forward(const TokenBatch& batch, bool training, Activations& a, std::int64_t probs_layer,
                              float* probs) {
  const TinyTransformerOptions& o = options_;
  const auto [B, T, D, H, dh, F, V, L, N, uD, uF, uV, per_layer] = pass_sizes(o, batch);
  a.batch = B;
  a.seq = T;
  a.x.assign(static_cast<std::size_t>(L + 1) * per_layer, 0.0f);
  a.ln1.assign(L * per_layer, 0.0f);
  a.qkv.assign(3 * L * per_layer, 0.0f);
  a.q.assign(L * per_layer, 0.0f);
  a.k.assign(L * per_layer, 0.0f);
  a.v.assign(L * per_layer, 0.0f);
  a.att.assign(L * per_layer, 0.0f);
  a.merged.assign(L * per_layer, 0.0f);
  a.mid.assign(L * per_layer, 0.0f);
  a.ln2.assign(L * per_layer, 0.0f);
  a.fc.assign(L * N * uF, 0.0f);
  a.act.assign(L * N * uF, 0.0f);
  a.lnf.assign(per_layer, 0.0f);
  a.logits.assign(N * uV, 0.0f);

  // Positions: 0 … T−1, or (randomized) a sorted sample of T distinct positions per row, in evaluation too
  // (Ruoss et al. sample at test time: a model trained on gaps of about R/T never saw the gaps of 0 … T−1).
  a.positions.assign(N, 0);
  const bool randomize = o.positional == PositionalScheme::Randomized;
  for (std::int64_t b = 0; b < B; ++b) {
    if (!randomize) {
      for (std::int64_t t = 0; t < T; ++t) a.positions[static_cast<std::size_t>(b * T + t)] = static_cast<std::int32_t>(t);
      continue;
    }
    // Selection sampling (Knuth's Algorithm S): each of R candidates is taken with probability needed/left,
    // which yields a uniformly random sorted subset in one pass.
    // Training: fresh positions every step; evaluation: the same positions for the same row, whatever the step.
    const auto row = static_cast<std::uint64_t>(b);
    RandomStream rng(o.seed, training ? 0x9A11 + static_cast<std::uint64_t>(optimizer_.steps()) * 0x10000 + row
                                      : (std::uint64_t{0xE7A1} << 48) + row);
    const std::int64_t R = std::max<std::int64_t>(o.max_random_position, T);
    std::int64_t needed = T;
    for (std::int64_t c = 0; c < R && needed > 0; ++c) {
      if (rng.below(R - c) < needed) {
        a.positions[static_cast<std::size_t>(b * T + (T - needed))] = static_cast<std::int32_t>(c);
        --needed;
      }
    }
  }

  // x0 = E[token] (+ learned table row, + sinusoid)
  const float* E = params_.data() + layout_->token_embedding;
  float* x0 = a.x.data();
  for (std::size_t r = 0; r < N; ++r) {
    const float* e = E + static_cast<std::size_t>(batch.tokens[r]) * uD;
    std::copy(e, e + uD, x0 + r * uD);
  }
  if (o.positional == PositionalScheme::Learned) {
    const float* P = params_.data() + layout_->position_embedding;
    for (std::size_t r = 0; r < N; ++r) {
      const float* pr = P + static_cast<std::size_t>(a.positions[r]) * uD;
      for (std::size_t i = 0; i < uD; ++i) x0[r * uD + i] += pr[i];
    }
  }
  if (additive_sinusoid(o)) {
    // Scaled by init_std: Vaswani et al.'s ratio of token (unit RMS: N(0, 1/d) weights times √d) to sinusoid
    // (RMS 1/√2). Unscaled, the sinusoid was ~50× the N(0, init_std²) tokens and the model could not read them.
    const float amplitude = static_cast<float>(o.init_std);
    const std::vector<double> freq = inverse_frequencies(D, 10000.0);
    const std::size_t half = uD / 2;
    std::vector<float> s(half), c(half);
    for (std::size_t r = 0; r < N; ++r) {
      sincos_at(static_cast<double>(a.positions[r]), freq.data(), half, s.data(), c.data());
      for (std::size_t i = 0; i < half; ++i) {
        x0[r * uD + 2 * i] += amplitude * s[i];
        x0[r * uD + 2 * i + 1] += amplitude * c[i];
      }
    }
  }
  if (o.positional == PositionalScheme::T5) {
    a.t5_bias.assign(static_cast<std::size_t>(H * T * T), 0.0f);
    t5_bias(Span<const float>(params_.data() + layout_->t5_table, static_cast<std::size_t>(o.t5_num_buckets * H)),
            o.t5_num_buckets, H, H, T, T, 0, false, o.t5_max_distance, a.t5_bias);
  }

  const Bhsd heads_shape{B, H, T, dh};
  const bool per_row_positions = randomize;
  const RopeForwardOptions rope = layer_rope_options(o, training, per_row_positions, a.positions);
  const auto attn = layer_attention_options<SdpaOptions>(o, a.t5_bias);
  const AttentionShape ashape{B, H, T, T, dh, dh, H, T};

  for (std::int64_t l = 0; l < L; ++l) {
    const Layout::Block& w = layout_->blocks[static_cast<std::size_t>(l)];
    const float* P = params_.data();
    const std::size_t lo = static_cast<std::size_t>(l) * per_layer;
    const float* x = a.x.data() + lo;
    float* ln1 = a.ln1.data() + lo;
    float* qkv = a.qkv.data() + 3 * lo;
    float* q = a.q.data() + lo;
    float* k = a.k.data() + lo;
    float* v = a.v.data() + lo;
    float* att = a.att.data() + lo;
    float* merged = a.merged.data() + lo;
    float* mid = a.mid.data() + lo;
    float* ln2 = a.ln2.data() + lo;
    float* fc = a.fc.data() + static_cast<std::size_t>(l) * N * uF;
    float* act = a.act.data() + static_cast<std::size_t>(l) * N * uF;
    float* out = a.x.data() + lo + per_layer;

    layer_norm(Span<const float>(x, per_layer), B * T, D, Span<const float>(P + w.ln1_g, uD),
               Span<const float>(P + w.ln1_b, uD), o.layer_norm_eps, Span<float>(ln1, per_layer));
    matmul_unchecked(ln1, uD, P + w.w_qkv, 3 * uD, qkv, 3 * uD, N, 3 * uD, uD, MatmulLayout::AB, false);
    add_bias(qkv, P + w.b_qkv, N, 3 * uD);
    // split: q[b,h,t,:] = qkv[(b·T + t), part·D + h·dh + …]
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t t = 0; t < T; ++t) {
          const float* row = qkv + static_cast<std::size_t>(b * T + t) * 3 * uD + static_cast<std::size_t>(h * dh);
          const std::size_t dst = static_cast<std::size_t>(((b * H + h) * T + t) * dh);
          std::copy(row, row + dh, q + dst);
          std::copy(row + uD, row + uD + dh, k + dst);
          std::copy(row + 2 * uD, row + 2 * uD + dh, v + dst);
        }
    Span<float> qs(q, per_layer), ks(k, per_layer);
    if (o.positional == PositionalScheme::Xpos) {
      XposOptions xp;
      xp.base = o.rope_base;
      xp.layout = o.rope_layout;
      xp.role = XposRole::Query;
      xpos_apply(qs, heads_shape, qs, xp);
      xp.role = XposRole::Key;
      xpos_apply(ks, heads_shape, ks, xp);
    } else if (rotary(o)) {
      rope_forward(qs, heads_shape, qs, rope);
      rope_forward(ks, heads_shape, ks, rope);
    }
    const bool want_probs = probs && probs_layer == l;
    sdpa(Span<const float>(q, per_layer), Span<const float>(k, per_layer), Span<const float>(v, per_layer), ashape,
         Span<float>(att, per_layer),
         want_probs ? Span<float>(probs, static_cast<std::size_t>(B * H * T * T)) : Span<float>(), attn);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t t = 0; t < T; ++t) {
          const float* src = att + static_cast<std::size_t>(((b * H + h) * T + t) * dh);
          std::copy(src, src + dh, merged + static_cast<std::size_t>(b * T + t) * uD + static_cast<std::size_t>(h * dh));
        }
    // mid = x + merged·W_o + b_o
    std::copy(x, x + per_layer, mid);
    matmul_unchecked(merged, uD, P + w.w_o, uD, mid, uD, N, uD, uD, MatmulLayout::AB, true);
    add_bias(mid, P + w.b_o, N, uD);
    layer_norm(Span<const float>(mid, per_layer), B * T, D, Span<const float>(P + w.ln2_g, uD),
               Span<const float>(P + w.ln2_b, uD), o.layer_norm_eps, Span<float>(ln2, per_layer));
    matmul_unchecked(ln2, uD, P + w.w_in, uF, fc, uF, N, uF, uD, MatmulLayout::AB, false);
    add_bias(fc, P + w.b_in, N, uF);
    gelu_forward(fc, act, N * uF);
    // out = mid + act·W_out + b_out
    std::copy(mid, mid + per_layer, out);
    matmul_unchecked(act, uF, P + w.w_out, uD, out, uD, N, uD, uF, MatmulLayout::AB, true);
    add_bias(out, P + w.b_out, N, uD);
  }
  const float* xl = a.x.data() + static_cast<std::size_t>(L) * per_layer;
  layer_norm(Span<const float>(xl, per_layer), B * T, D, Span<const float>(params_.data() + layout_->lnf_g, uD),
             Span<const float>(params_.data() + layout_->lnf_b, uD), o.layer_norm_eps, a.lnf);
  // logits = lnf · Wᵀ, W = E (tied) or lm_head, both [V, D]
  matmul_unchecked(a.lnf.data(), uD, params_.data() + layout_->lm_head, uD, a.logits.data(), uV, N, uV, uD,
                   MatmulLayout::ABt, false);
}

// Mean cross-entropy over the masked rows; with want_grad, logits become dlogits = (softmax − onehot)/count.
double TinyTransformer::loss_and_dlogits(const TokenBatch& batch, Activations& a, bool want_grad) {
  const auto N = static_cast<std::size_t>(batch.batch * batch.seq), V = static_cast<std::size_t>(options_.vocab_size);
  std::size_t count = 0;
  for (std::size_t r = 0; r < N; ++r) count += batch.mask.empty() ? 1 : batch.mask[r];
  double total = 0;
  const float inv_count = 1.0f / static_cast<float>(count);
  for (std::size_t r = 0; r < N; ++r) {
    float* z = a.logits.data() + r * V;
    const bool used = batch.mask.empty() || batch.mask[r];
    float mx = z[0];
    for (std::size_t j = 1; j < V; ++j) mx = std::max(mx, z[j]);
    double sum = 0;
    for (std::size_t j = 0; j < V; ++j) sum += std::exp(static_cast<double>(z[j]) - mx);
    const auto target = static_cast<std::size_t>(batch.targets[r]);
    if (used) total += std::log(sum) - (static_cast<double>(z[target]) - mx);
    if (want_grad) {
      const double inv = 1.0 / sum;
      for (std::size_t j = 0; j < V; ++j) {
        const float p = static_cast<float>(std::exp(static_cast<double>(z[j]) - mx) * inv);
        z[j] = used ? (p - (j == target ? 1.0f : 0.0f)) * inv_count : 0.0f;
      }
    }
  }
  return total / static_cast<double>(count);
}

void TinyTransformer::backward(const TokenBatch& batch, Activations& a) {
  const TinyTransformerOptions& o = options_;
  const auto [B, T, D, H, dh, F, V, L, N, uD, uF, uV, per_layer] = pass_sizes(o, batch);
  const float* P = params_.data();
  float* G = grads_.data();
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  a.dx.assign(per_layer, 0.0f);
  a.dln.assign(per_layer, 0.0f);
  a.dqkv.assign(3 * per_layer, 0.0f);
  a.dq.assign(per_layer, 0.0f);
  a.dk.assign(per_layer, 0.0f);
  a.dv.assign(per_layer, 0.0f);
  a.datt.assign(per_layer, 0.0f);
  a.dmerged.assign(per_layer, 0.0f);
  a.dfc.assign(N * uF, 0.0f);
  a.dact.assign(N * uF, 0.0f);
  a.dq_pre.assign(per_layer, 0.0f);
  a.dk_pre.assign(per_layer, 0.0f);
  if (o.positional == PositionalScheme::T5) a.dbias.assign(static_cast<std::size_t>(H * T * T), 0.0f);

  // logits = lnf·Wᵀ:  dlnf = dlogits·W,  dW += dlogitsᵀ·lnf
  matmul_unchecked(a.logits.data(), uV, P + layout_->lm_head, uD, a.dln.data(), uD, N, uD, uV, MatmulLayout::AB, false);
  matmul_unchecked(a.logits.data(), uV, a.lnf.data(), uD, G + layout_->lm_head, uD, uV, uD, N, MatmulLayout::AtB, true);
  // lnf = LN(x_L)
  layer_norm_backward(a.dln, Span<const float>(a.x.data() + static_cast<std::size_t>(L) * per_layer, per_layer), B * T, D,
                      Span<const float>(P + layout_->lnf_g, uD), o.layer_norm_eps, a.dx, Span<float>(G + layout_->lnf_g, uD),
                      Span<float>(G + layout_->lnf_b, uD));

  const Bhsd heads_shape{B, H, T, dh};
  const bool randomize = o.positional == PositionalScheme::Randomized;
  const RopeForwardOptions rope = layer_rope_options(o, true, randomize, a.positions);
  const auto attn = layer_attention_options<SdpaBackwardOptions>(o, a.t5_bias);
  const AttentionShape ashape{B, H, T, T, dh, dh, H, T};

  for (std::int64_t l = L - 1; l >= 0; --l) {
    const Layout::Block& w = layout_->blocks[static_cast<std::size_t>(l)];
    const std::size_t lo = static_cast<std::size_t>(l) * per_layer;
    const float* fc = a.fc.data() + static_cast<std::size_t>(l) * N * uF;
    const float* act = a.act.data() + static_cast<std::size_t>(l) * N * uF;
    // out = mid + act·W_out + b_out   (dx holds d out, and flows on to d mid through the residual)
    matmul_unchecked(a.dx.data(), uD, P + w.w_out, uD, a.dact.data(), uF, N, uF, uD, MatmulLayout::ABt, false);
    matmul_unchecked(act, uF, a.dx.data(), uD, G + w.w_out, uD, uF, uD, N, MatmulLayout::AtB, true);
    bias_backward(a.dx.data(), G + w.b_out, N, uD);
    // act = gelu(fc)
    std::fill(a.dfc.begin(), a.dfc.end(), 0.0f);
    gelu_backward(a.dact.data(), fc, a.dfc.data(), N * uF);
    // fc = ln2·W_in + b_in
    matmul_unchecked(a.dfc.data(), uF, P + w.w_in, uF, a.dln.data(), uD, N, uD, uF, MatmulLayout::ABt, false);
    matmul_unchecked(a.ln2.data() + lo, uD, a.dfc.data(), uF, G + w.w_in, uF, uD, uF, N, MatmulLayout::AtB, true);
    bias_backward(a.dfc.data(), G + w.b_in, N, uF);
    // ln2 = LN(mid)
    layer_norm_backward(a.dln, Span<const float>(a.mid.data() + lo, per_layer), B * T, D, Span<const float>(P + w.ln2_g, uD),
                        o.layer_norm_eps, a.dx, Span<float>(G + w.ln2_g, uD), Span<float>(G + w.ln2_b, uD));
    // mid = x + merged·W_o + b_o
    matmul_unchecked(a.dx.data(), uD, P + w.w_o, uD, a.dmerged.data(), uD, N, uD, uD, MatmulLayout::ABt, false);
    matmul_unchecked(a.merged.data() + lo, uD, a.dx.data(), uD, G + w.w_o, uD, uD, uD, N, MatmulLayout::AtB, true);
    bias_backward(a.dx.data(), G + w.b_o, N, uD);
    // merged[b·T + t, h·dh + c] = att[b, h, t, c]
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t t = 0; t < T; ++t) {
          const float* src = a.dmerged.data() + static_cast<std::size_t>(b * T + t) * uD + static_cast<std::size_t>(h * dh);
          std::copy(src, src + dh, a.datt.data() + static_cast<std::size_t>(((b * H + h) * T + t) * dh));
        }
    // att = sdpa(q, k, v)
    std::fill(a.dq.begin(), a.dq.end(), 0.0f);
    std::fill(a.dk.begin(), a.dk.end(), 0.0f);
    std::fill(a.dv.begin(), a.dv.end(), 0.0f);
    SdpaGradients g{a.dq, a.dk, a.dv, {}, {}};
    if (o.positional == PositionalScheme::T5) {
      std::fill(a.dbias.begin(), a.dbias.end(), 0.0f);
      g.d_bias = a.dbias;
    }
    sdpa_backward(Span<const float>(a.q.data() + lo, per_layer), Span<const float>(a.k.data() + lo, per_layer),
                  Span<const float>(a.v.data() + lo, per_layer), a.datt, ashape, g, attn);
    if (o.positional == PositionalScheme::T5) {
      t5_bias_backward(a.dbias, o.t5_num_buckets, H, H, T, T, 0, false, o.t5_max_distance,
                       Span<float>(G + layout_->t5_table, static_cast<std::size_t>(o.t5_num_buckets * H)));
    }
    // q = rope(q_pre), k = rope(k_pre)
    const float* dq = a.dq.data();
    const float* dk = a.dk.data();
    if (o.positional == PositionalScheme::Xpos || rotary(o)) {
      std::fill(a.dq_pre.begin(), a.dq_pre.end(), 0.0f);
      std::fill(a.dk_pre.begin(), a.dk_pre.end(), 0.0f);
      if (o.positional == PositionalScheme::Xpos) {
        XposOptions xp;
        xp.base = o.rope_base;
        xp.layout = o.rope_layout;
        xp.role = XposRole::Query;
        xpos_backward(a.dq, heads_shape, a.dq_pre, xp);
        xp.role = XposRole::Key;
        xpos_backward(a.dk, heads_shape, a.dk_pre, xp);
      } else {
        rope_backward(a.dq, heads_shape, a.dq_pre, rope);
        rope_backward(a.dk, heads_shape, a.dk_pre, rope);
      }
      dq = a.dq_pre.data();
      dk = a.dk_pre.data();
    }
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t t = 0; t < T; ++t) {
          float* row = a.dqkv.data() + static_cast<std::size_t>(b * T + t) * 3 * uD + static_cast<std::size_t>(h * dh);
          const std::size_t src = static_cast<std::size_t>(((b * H + h) * T + t) * dh);
          std::copy(dq + src, dq + src + dh, row);
          std::copy(dk + src, dk + src + dh, row + uD);
          std::copy(a.dv.data() + src, a.dv.data() + src + dh, row + 2 * uD);
        }
    // qkv = ln1·W_qkv + b_qkv
    matmul_unchecked(a.dqkv.data(), 3 * uD, P + w.w_qkv, 3 * uD, a.dln.data(), uD, N, uD, 3 * uD, MatmulLayout::ABt, false);
    matmul_unchecked(a.ln1.data() + lo, uD, a.dqkv.data(), 3 * uD, G + w.w_qkv, 3 * uD, uD, 3 * uD, N, MatmulLayout::AtB, true);
    bias_backward(a.dqkv.data(), G + w.b_qkv, N, 3 * uD);
    // ln1 = LN(x);  dx (d mid so far) becomes d x through the residual plus this branch
    layer_norm_backward(a.dln, Span<const float>(a.x.data() + lo, per_layer), B * T, D, Span<const float>(P + w.ln1_g, uD),
                        o.layer_norm_eps, a.dx, Span<float>(G + w.ln1_g, uD), Span<float>(G + w.ln1_b, uD));
  }
  // x0 = E[token] + table[pos]
  for (std::size_t r = 0; r < N; ++r) {
    float* ge = G + layout_->token_embedding + static_cast<std::size_t>(batch.tokens[r]) * uD;
    for (std::size_t i = 0; i < uD; ++i) ge[i] += a.dx[r * uD + i];
  }
  if (o.positional == PositionalScheme::Learned) {
    for (std::size_t r = 0; r < N; ++r) {
      float* gp = G + layout_->position_embedding + static_cast<std::size_t>(a.positions[r]) * uD;
      for (std::size_t i = 0; i < uD; ++i) gp[i] += a.dx[r * uD + i];
    }
  }
}

}  // namespace posenc
