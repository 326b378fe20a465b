// TinyTransformer: embeddings (+ absolute positions) → layers × [x += attn(LN1 x); x += mlp(LN2 x)] → LN_f →
// logits = x·Eᵀ (tied) or x·Wᵀ. Per layer, with N = batch·seq rows:
//   ln1 = LN(x)                 [N, D]
//   qkv = ln1·W_qkv + b_qkv     [N, 3D]  → q, k, v [B, H, T, dh] (rope/xpos on q, k)
//   att = sdpa(q, k, v; causal, alibi | t5 bias)      [B, H, T, dh] → merged [N, D]
//   mid = x + merged·W_o + b_o
//   ln2 = LN(mid);  fc = ln2·W_in + b_in [N, F];  act = gelu(fc);  out = mid + act·W_out + b_out
// Every product runs on matmul_unchecked; the backward mirrors the forward statement by statement.
#include "posenc/tiny_transformer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/angles.hpp"
#include "posenc/attention.hpp"
#include "posenc/attention_backward.hpp"
#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/layer_norm_backward.hpp"
#include "posenc/matmul.hpp"
#include "posenc/random.hpp"
#include "posenc/relative.hpp"
#include "posenc/relative_backward.hpp"
#include "posenc/rope_backward.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/xpos.hpp"
#include "posenc/xpos_backward.hpp"

namespace posenc {

PositionalScheme parse_positional_scheme(const std::string& name) {
  if (name == "none") return PositionalScheme::None;
  if (name == "sinusoidal") return PositionalScheme::Sinusoidal;
  if (name == "learned") return PositionalScheme::Learned;
  if (name == "rope") return PositionalScheme::Rope;
  if (name == "xpos") return PositionalScheme::Xpos;
  if (name == "alibi") return PositionalScheme::Alibi;
  if (name == "t5") return PositionalScheme::T5;
  if (name == "randomized") return PositionalScheme::Randomized;
  fail(ErrorCode::OutOfRange, "positional must be one of none, sinusoidal, learned, rope, xpos, alibi, t5, "
                              "randomized, got '" + name + "'");
}

const char* positional_scheme_name(PositionalScheme s) {
  switch (s) {
    case PositionalScheme::None: return "none";
    case PositionalScheme::Sinusoidal: return "sinusoidal";
    case PositionalScheme::Learned: return "learned";
    case PositionalScheme::Rope: return "rope";
    case PositionalScheme::Xpos: return "xpos";
    case PositionalScheme::Alibi: return "alibi";
    case PositionalScheme::T5: return "t5";
    case PositionalScheme::Randomized: return "randomized";
  }
  return "none";
}

namespace {

std::int64_t hidden_of(const TinyTransformerOptions& o) { return o.mlp_hidden == 0 ? 4 * o.d_model : o.mlp_hidden; }

// The positional family that acts on the attention side of a layer.
bool rotary(const TinyTransformerOptions& o) {
  return o.positional == PositionalScheme::Rope || o.positional == PositionalScheme::Xpos ||
         (o.positional == PositionalScheme::Randomized && o.randomized_base == PositionalScheme::Rope);
}
bool additive_sinusoid(const TinyTransformerOptions& o) {
  return o.positional == PositionalScheme::Sinusoidal ||
         (o.positional == PositionalScheme::Randomized && o.randomized_base == PositionalScheme::Sinusoidal);
}

void require_in(std::int64_t v, std::int64_t lo, std::int64_t hi, const char* name) {
  if (v < lo || v > hi) {
    fail(ErrorCode::OutOfRange, std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                    "], got " + std::to_string(v));
  }
}

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

}  // namespace

void validate_tiny_transformer(const TinyTransformerOptions& o) {
  require_finite("rope_base", o.rope_base);
  require_finite("init_std", o.init_std);
  require_finite("layer_norm_eps", o.layer_norm_eps);
  require_heads("heads", o.heads);
  require_size("vocab_size", o.vocab_size);
  require_size("layers", o.layers);
  require_size("d_model", o.d_model);
  require_size("max_len", o.max_len);
  if (o.mlp_hidden < 0) fail(ErrorCode::BadSize, "mlp_hidden must be 0 (4·d_model) or positive, got " + std::to_string(o.mlp_hidden));
  require_in(o.heads, 1, 8, "heads");
  require_in(o.vocab_size, 2, 65536, "vocab_size");
  require_in(o.layers, 1, 4, "layers");
  require_in(o.d_model, 2, 256, "d_model");
  require_in(hidden_of(o), 1, 1024, "mlp_hidden");
  require_in(o.max_len, 1, 8192, "max_len");
  require_range(o.init_std > 0 && o.init_std <= 1, "init_std", o.init_std, "be in (0, 1]");
  require_layer_norm_eps("layer_norm_eps", o.layer_norm_eps);
  if (o.d_model % o.heads != 0) {
    fail(ErrorCode::ShapeMismatch, "d_model must be a multiple of heads = " + std::to_string(o.heads) + ", got " +
                                       std::to_string(o.d_model));
  }
  const std::int64_t head_dim = o.d_model / o.heads;
  if (additive_sinusoid(o)) require_even("d_model (sinusoidal)", o.d_model);
  if (o.positional == PositionalScheme::Randomized) {
    if (o.randomized_base != PositionalScheme::Rope && o.randomized_base != PositionalScheme::Sinusoidal) {
      fail(ErrorCode::OutOfRange, std::string("randomized_base must be 'rope' or 'sinusoidal', got '") +
                                      positional_scheme_name(o.randomized_base) + "'");
    }
    require_in(o.max_random_position, 1, kMaxPosition, "max_random_position");
  }
  if (o.positional == PositionalScheme::Xpos) require_even("head_dim (xpos)", head_dim);
  if (rotary(o) && o.positional != PositionalScheme::Xpos) {
    // A one-row probe runs rope's own checks (d_rot, base, scaling) for both scalings with this head size.
    const Bhsd probe{1, 1, 1, head_dim};
    std::vector<float> x(static_cast<std::size_t>(head_dim), 0.0f);
    RopeForwardOptions r;
    r.d_rot = o.rope_dims;
    r.base = o.rope_base;
    r.layout = o.rope_layout;
    r.scaling = o.rope_scaling;
    r.max_position_embeddings = o.rope_max_position_embeddings;
    rope_forward(x, probe, x, r);
    if (o.rope_eval_scaling) {
      r.scaling = *o.rope_eval_scaling;
      rope_forward(x, probe, x, r);
    }
  }
  if (o.positional == PositionalScheme::Xpos) require_range(o.rope_base > 1, "rope_base", o.rope_base, "be greater than 1");
  if (o.positional == PositionalScheme::T5) {
    validate_t5(T5BucketOptions{false, o.t5_num_buckets, o.t5_max_distance});
  }
  validate_adamw(o.optimizer);
}

// Offsets of every parameter tensor in the flat buffers.
struct TinyTransformer::Layout {
  struct Block {
    std::size_t ln1_g, ln1_b, w_qkv, b_qkv, w_o, b_o, ln2_g, ln2_b, w_in, b_in, w_out, b_out;
  };
  std::size_t token_embedding = 0, position_embedding = 0, t5_table = 0, lnf_g = 0, lnf_b = 0, lm_head = 0;
  std::vector<Block> blocks;
};

// Everything one forward keeps for its backward, sized for one (batch, seq).
struct TinyTransformer::Activations {
  std::int64_t batch = 0, seq = 0;
  std::vector<std::int32_t> positions;  // [batch, seq]
  std::vector<float> pe;                // [batch·seq, D] added sinusoids (sinusoidal schemes)
  std::vector<float> t5_bias;           // [H, T, T]
  std::vector<float> x;                 // (layers + 1) × [N, D] residual stream at each block's input
  std::vector<float> ln1, qkv, q, k, v, att, merged, mid, ln2, fc, act;  // per layer, concatenated
  std::vector<float> lnf, logits;       // [N, D], [N, V] (softmax probabilities after the loss)
  // backward scratch
  std::vector<float> dx, dln, dqkv, dq, dk, dv, datt, dmerged, dfc, dact, dq_pre, dk_pre, dbias;
};

TinyTransformer::TinyTransformer(const TinyTransformerOptions& options)
    : options_(options), layout_(std::make_unique<Layout>()), optimizer_((validate_tiny_transformer(options), options.optimizer), 0),
      acts_(std::make_unique<Activations>()) {
  const TinyTransformerOptions& o = options_;
  const std::int64_t D = o.d_model, F = hidden_of(o), V = o.vocab_size, H = o.heads;
  std::size_t at = 0;
  enum class Init { Normal, Zeros, Ones };
  std::vector<std::pair<Init, double>> inits;
  const auto add = [&](const std::string& name, std::vector<std::int64_t> shape, bool decay, Init init, double std) {
    std::size_t size = 1;
    for (auto d : shape) size *= static_cast<std::size_t>(d);
    info_.push_back(ParameterInfo{name, std::move(shape), at, size, decay});
    inits.emplace_back(init, std);
    const std::size_t offset = at;
    at += size;
    return offset;
  };
  const double residual_std = o.init_std / std::sqrt(2.0 * static_cast<double>(o.layers));  // GPT-2's residual scaling
  layout_->token_embedding = add("token_embedding", {V, D}, true, Init::Normal, o.init_std);
  if (o.positional == PositionalScheme::Learned)
    layout_->position_embedding = add("position_embedding", {o.max_len, D}, false, Init::Normal, o.init_std);
  if (o.positional == PositionalScheme::T5)
    layout_->t5_table = add("t5_table", {o.t5_num_buckets, H}, false, Init::Zeros, 0);
  for (std::int64_t l = 0; l < o.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    Layout::Block b{};
    b.ln1_g = add(p + "ln1.gamma", {D}, false, Init::Ones, 0);
    b.ln1_b = add(p + "ln1.beta", {D}, false, Init::Zeros, 0);
    b.w_qkv = add(p + "attn.w_qkv", {D, 3 * D}, true, Init::Normal, o.init_std);
    b.b_qkv = add(p + "attn.b_qkv", {3 * D}, false, Init::Zeros, 0);
    b.w_o = add(p + "attn.w_out", {D, D}, true, Init::Normal, residual_std);
    b.b_o = add(p + "attn.b_out", {D}, false, Init::Zeros, 0);
    b.ln2_g = add(p + "ln2.gamma", {D}, false, Init::Ones, 0);
    b.ln2_b = add(p + "ln2.beta", {D}, false, Init::Zeros, 0);
    b.w_in = add(p + "mlp.w_in", {D, F}, true, Init::Normal, o.init_std);
    b.b_in = add(p + "mlp.b_in", {F}, false, Init::Zeros, 0);
    b.w_out = add(p + "mlp.w_out", {F, D}, true, Init::Normal, residual_std);
    b.b_out = add(p + "mlp.b_out", {D}, false, Init::Zeros, 0);
    layout_->blocks.push_back(b);
  }
  layout_->lnf_g = add("ln_f.gamma", {D}, false, Init::Ones, 0);
  layout_->lnf_b = add("ln_f.beta", {D}, false, Init::Zeros, 0);
  layout_->lm_head = o.tie_embeddings ? layout_->token_embedding : add("lm_head", {V, D}, true, Init::Normal, o.init_std);

  params_.assign(at, 0.0f);
  grads_.assign(at, 0.0f);
  decay_.assign(at, 0);
  for (std::size_t t = 0; t < info_.size(); ++t) {
    const ParameterInfo& p = info_[t];
    Span<float> view(params_.data() + p.offset, p.size);
    if (inits[t].first == Init::Normal) fill_random_normal(view, inits[t].second, o.seed, t);
    if (inits[t].first == Init::Ones) std::fill(view.begin(), view.end(), 1.0f);
    if (p.decay) std::fill(decay_.begin() + static_cast<std::ptrdiff_t>(p.offset),
                           decay_.begin() + static_cast<std::ptrdiff_t>(p.offset + p.size), 1);
  }
  optimizer_ = AdamW(o.optimizer, at);
}

TinyTransformer::~TinyTransformer() = default;

void TinyTransformer::check_batch(const TokenBatch& batch, bool need_targets) const {
  require_size("batch", batch.batch);
  require_size("seq", batch.seq);
  if (batch.seq > options_.max_len) {
    fail(ErrorCode::BadPosition, "seq must be at most max_len = " + std::to_string(options_.max_len) + ", got " +
                                     std::to_string(batch.seq));
  }
  const std::int64_t F = hidden_of(options_);
  // Sizes of the largest buffers, checked before any is allocated.
  element_count({options_.layers, batch.batch, batch.seq, 3 * options_.d_model + F});
  element_count({batch.batch, options_.heads, batch.seq, batch.seq});
  const std::size_t n = element_count({batch.batch, batch.seq, std::max(options_.vocab_size, 2 * options_.d_model)});
  (void)n;
  const std::size_t rows = element_count({batch.batch, batch.seq});
  require_length("tokens", batch.tokens.size(), rows);
  if (need_targets) {
    require_length("targets", batch.targets.size(), rows);
    if (!batch.mask.empty()) require_length("mask", batch.mask.size(), rows);
  }
  const auto check_ids = [&](const char* name, Span<const std::int32_t> ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= options_.vocab_size) {
        fail(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(i) + "] must be a token id in [0, " +
                                        std::to_string(options_.vocab_size) + "), got " + std::to_string(ids[i]));
      }
    }
  };
  check_ids("tokens", batch.tokens);
  if (need_targets) {
    check_ids("targets", batch.targets);
    std::size_t selected = 0;
    for (std::size_t i = 0; i < batch.mask.size(); ++i) {
      if (batch.mask[i] > 1) {
        fail(ErrorCode::OutOfRange, "mask[" + std::to_string(i) + "] must be 0 or 1, got " + std::to_string(batch.mask[i]));
      }
      selected += batch.mask[i];
    }
    if (!batch.mask.empty() && selected == 0) fail(ErrorCode::OutOfRange, "mask must select at least one position, got none");
  }
}

void TinyTransformer::forward(const TokenBatch& batch, bool training, Activations& a, std::int64_t probs_layer,
                              float* probs) {
  const TinyTransformerOptions& o = options_;
  const std::int64_t B = batch.batch, T = batch.seq, D = o.d_model, H = o.heads, dh = D / H, F = hidden_of(o),
                     V = o.vocab_size, L = o.layers;
  const auto N = static_cast<std::size_t>(B * T);
  const auto uD = static_cast<std::size_t>(D), uF = static_cast<std::size_t>(F), uV = static_cast<std::size_t>(V);
  const std::size_t per_layer = N * uD;
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

  // Positions: 0 … T−1, or (randomized, training) a sorted sample of T distinct positions per row.
  a.positions.assign(N, 0);
  const bool randomize = training && o.positional == PositionalScheme::Randomized;
  for (std::int64_t b = 0; b < B; ++b) {
    if (!randomize) {
      for (std::int64_t t = 0; t < T; ++t) a.positions[static_cast<std::size_t>(b * T + t)] = static_cast<std::int32_t>(t);
      continue;
    }
    // Selection sampling (Knuth's Algorithm S): each of R candidates is taken with probability needed/left,
    // which yields a uniformly random sorted subset in one pass.
    RandomStream rng(o.seed, 0x9A11 + static_cast<std::uint64_t>(optimizer_.steps()) * 0x10000 + static_cast<std::uint64_t>(b));
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
    const std::vector<double> freq = inverse_frequencies(D, 10000.0);
    const std::size_t half = uD / 2;
    std::vector<float> s(half), c(half);
    for (std::size_t r = 0; r < N; ++r) {
      sincos_at(static_cast<double>(a.positions[r]), freq.data(), half, s.data(), c.data());
      for (std::size_t i = 0; i < half; ++i) {
        x0[r * uD + 2 * i] += s[i];
        x0[r * uD + 2 * i + 1] += c[i];
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
  RopeForwardOptions rope;
  rope.d_rot = o.rope_dims;
  rope.base = o.rope_base;
  rope.layout = o.rope_layout;
  rope.scaling = (!training && o.rope_eval_scaling) ? *o.rope_eval_scaling : o.rope_scaling;
  rope.max_position_embeddings = o.rope_max_position_embeddings;
  if (per_row_positions) rope.positions = a.positions;
  SdpaOptions attn;
  attn.causal = true;
  attn.q_offset = 0;
  if (o.positional == PositionalScheme::Alibi) attn.alibi = AlibiMode::Causal;
  if (o.positional == PositionalScheme::T5) attn.bias = a.t5_bias;
  const AttentionShape ashape{B, H, T, T, dh, dh};

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
  const std::int64_t B = batch.batch, T = batch.seq, D = o.d_model, H = o.heads, dh = D / H, F = hidden_of(o),
                     V = o.vocab_size, L = o.layers;
  const auto N = static_cast<std::size_t>(B * T);
  const auto uD = static_cast<std::size_t>(D), uF = static_cast<std::size_t>(F), uV = static_cast<std::size_t>(V);
  const std::size_t per_layer = N * uD;
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
  RopeForwardOptions rope;
  rope.d_rot = o.rope_dims;
  rope.base = o.rope_base;
  rope.layout = o.rope_layout;
  rope.scaling = o.rope_scaling;
  rope.max_position_embeddings = o.rope_max_position_embeddings;
  if (randomize) rope.positions = a.positions;
  SdpaBackwardOptions attn;
  attn.causal = true;
  attn.q_offset = 0;
  if (o.positional == PositionalScheme::Alibi) attn.alibi = AlibiMode::Causal;
  if (o.positional == PositionalScheme::T5) attn.bias = a.t5_bias;
  const AttentionShape ashape{B, H, T, T, dh, dh};

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

double TinyTransformer::loss(const TokenBatch& batch, bool training) {
  check_batch(batch, true);
  forward(batch, training, *acts_, -1, nullptr);
  return loss_and_dlogits(batch, *acts_, false);
}

double TinyTransformer::compute_gradients(const TokenBatch& batch) {
  check_batch(batch, true);
  forward(batch, true, *acts_, -1, nullptr);
  const double value = loss_and_dlogits(batch, *acts_, true);
  backward(batch, *acts_);
  return value;
}

TrainStepResult TinyTransformer::train_step(const TokenBatch& batch) {
  TrainStepResult r;
  r.learning_rate = learning_rate_at(options_.optimizer, optimizer_.steps());
  r.loss = compute_gradients(batch);
  r.grad_norm = gradient_norm(grads_);
  clip_gradients(grads_, r.grad_norm, options_.optimizer.clip_norm);
  optimizer_.update(params_, grads_, decay_, r.learning_rate);
  return r;
}

EvaluationResult TinyTransformer::evaluate(const TokenBatch& batch) {
  check_batch(batch, true);
  forward(batch, false, *acts_, -1, nullptr);
  const auto N = static_cast<std::size_t>(batch.batch * batch.seq), V = static_cast<std::size_t>(options_.vocab_size);
  const auto T = static_cast<std::size_t>(batch.seq);
  EvaluationResult e;
  e.per_position.assign(T, 0.0);
  e.per_position_count.assign(T, 0);
  std::size_t correct = 0, count = 0;
  for (std::size_t r = 0; r < N; ++r) {
    if (!batch.mask.empty() && !batch.mask[r]) continue;
    const float* z = acts_->logits.data() + r * V;
    const auto best = static_cast<std::size_t>(std::max_element(z, z + V) - z);  // first maximum on ties
    const bool hit = best == static_cast<std::size_t>(batch.targets[r]);
    correct += hit;
    ++count;
    e.per_position[r % T] += hit;
    ++e.per_position_count[r % T];
  }
  for (std::size_t t = 0; t < T; ++t)
    if (e.per_position_count[t] > 0) e.per_position[t] /= static_cast<double>(e.per_position_count[t]);
  e.accuracy = static_cast<double>(correct) / static_cast<double>(count);
  e.loss = loss_and_dlogits(batch, *acts_, false);
  return e;
}

std::vector<float> TinyTransformer::attention(Span<const std::int32_t> tokens, std::int64_t batch, std::int64_t seq,
                                              std::int64_t layer) {
  TokenBatch b{tokens, {}, {}, batch, seq};
  check_batch(b, false);
  if (layer < 0 || layer >= options_.layers) {
    fail(ErrorCode::OutOfRange, "layer must be in [0, " + std::to_string(options_.layers) + "), got " + std::to_string(layer));
  }
  std::vector<float> probs(element_count({batch, options_.heads, seq, seq}), 0.0f);
  forward(b, false, *acts_, layer, probs.data());
  return probs;
}

std::vector<NamedTensor> TinyTransformer::state_dict() const {
  std::vector<NamedTensor> out;
  for (const ParameterInfo& p : info_) {
    const auto first = params_.begin() + static_cast<std::ptrdiff_t>(p.offset);
    out.push_back(NamedTensor{p.name, p.shape, std::vector<float>(first, first + static_cast<std::ptrdiff_t>(p.size))});
  }
  return out;
}

void TinyTransformer::load_state_dict(const std::vector<NamedTensor>& state) {
  std::vector<const NamedTensor*> found(info_.size(), nullptr);
  for (const NamedTensor& t : state) {
    std::size_t i = 0;
    while (i < info_.size() && info_[i].name != t.name) ++i;
    if (i == info_.size()) fail(ErrorCode::ShapeMismatch, "state has an unknown tensor '" + t.name + "'");
    if (t.shape != info_[i].shape) fail(ErrorCode::ShapeMismatch, "tensor '" + t.name + "' has the wrong shape");
    require_length(t.name.c_str(), t.data.size(), info_[i].size);
    require_finite_entries(t.name.c_str(), Span<const float>{t.data.data(), t.data.size()});
    found[i] = &t;
  }
  for (std::size_t i = 0; i < info_.size(); ++i) {
    if (!found[i]) fail(ErrorCode::ShapeMismatch, "state is missing tensor '" + info_[i].name + "'");
  }
  for (std::size_t i = 0; i < info_.size(); ++i)
    std::copy(found[i]->data.begin(), found[i]->data.end(), params_.begin() + static_cast<std::ptrdiff_t>(info_[i].offset));
}

}  // namespace posenc
