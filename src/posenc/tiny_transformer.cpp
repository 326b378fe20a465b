// TinyTransformer: embeddings (+ absolute positions) → layers × [x += attn(LN1 x); x += mlp(LN2 x)] → LN_f →
// logits = x·Eᵀ (tied) or x·Wᵀ. Per layer, with N = batch·seq rows:
//   ln1 = LN(x)                 [N, D]
//   qkv = ln1·W_qkv + b_qkv     [N, 3D]  → q, k, v [B, H, T, dh] (rope/xpos on q, k)
//   att = sdpa(q, k, v; causal, alibi | t5 bias)      [B, H, T, dh] → merged [N, D]
//   mid = x + merged·W_o + b_o
//   ln2 = LN(mid);  fc = ln2·W_in + b_in [N, F];  act = gelu(fc);  out = mid + act·W_out + b_out
// Every product runs on matmul_unchecked; the backward mirrors the forward statement by statement.
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

void require_in(std::int64_t v, std::int64_t lo, std::int64_t hi, const char* name) {
  if (v < lo || v > hi) {
    fail(ErrorCode::OutOfRange, std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                    "], got " + std::to_string(v));
  }
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
    require_in(o.t5_num_buckets, 2, 4096, "t5_num_buckets");  // the table is [buckets, heads]: bounded like the rest
  }
  validate_adamw(o.optimizer);
}

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
