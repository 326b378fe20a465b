// The gradient kernels as JS calls them (bindings/gradients.js): numbers and pointers in (wire.hpp). The
// kernels add into their outputs; these calls zero them first, so JS gets the gradient itself.
#include <algorithm>

#include "exports.hpp"
#include "posenc/attention_backward.hpp"
#include "posenc/dropout.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/learned.hpp"
#include "posenc/relative.hpp"
#include "posenc/rope.hpp"
#include "posenc/xpos.hpp"
#include "wire.hpp"

namespace posenc::bindings {

namespace {
Span<float> zeroed(std::uintptr_t p, double n) {
  Span<float> s = span<float>(p, n);
  std::fill(s.begin(), s.end(), 0.0f);
  return s;
}
}  // namespace

void ropeBackward(std::uintptr_t dy, double batch, double heads, double seq, double head_dim, std::uintptr_t dx,
                  double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, double offset,
                  bool inverse, std::uintptr_t scaling, double max_position_embeddings, double seq_len) {
  const double n = batch * heads * seq * head_dim;
  RopeForwardOptions o = rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  o.positions = span<const std::int32_t>(positions, positions_len);
  rope_backward(span<const float>(dy, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)}, zeroed(dx, n), o);
}

void xposBackward(std::uintptr_t dy, double batch, double heads, double seq, double head_dim, std::uintptr_t dx,
                  bool key, std::uintptr_t positions, double positions_len, double offset, double base, double gamma,
                  double scale_base, double center, int layout) {
  const double n = batch * heads * seq * head_dim;
  const XposOptions o = xpos_options(key, positions, positions_len, offset, base, gamma, scale_base, center, layout);
  xpos_backward(span<const float>(dy, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)}, zeroed(dx, n), o);
}

void learnedBackward(std::uintptr_t dy, std::uintptr_t x, double batch, double seq, double d, std::uintptr_t table,
                     double max_len, double width, std::uintptr_t dx, std::uintptr_t d_table, std::uintptr_t d_gamma,
                     std::uintptr_t d_beta, double offset, std::uintptr_t positions, double positions_len, double scale,
                     bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta, double beta_len, double eps,
                     double p, bool train, std::uintptr_t keep, double keep_len, double seed) {
  const double n = batch * seq * d;
  const LearnedForwardOptions o = learned_options(offset, positions, positions_len, scale, use_ln, gamma, gamma_len, beta,
                                                  beta_len, eps, p, train, keep, keep_len, seed);
  const double ln_len = use_ln ? d : 0;
  const LearnedGradients grads{zeroed(dx, n), zeroed(d_table, max_len * width), zeroed(d_gamma, d_gamma ? ln_len : 0),
                               zeroed(d_beta, d_beta ? ln_len : 0)};
  learned_backward(span<const float>(dy, n), span<const float>(x, n), to_int(batch), to_int(seq), to_int(d),
                   span<const float>(table, max_len * width), to_int(max_len), to_int(width), grads, o);
}

void clippedRelativeBiasBackward(std::uintptr_t d_bias, double batch, double num_heads, double max_distance,
                                 double q_len, double k_len, double q_offset, std::uintptr_t d_table) {
  const double rows = 2 * max_distance + 1;
  clipped_relative_bias_backward(span<const float>(d_bias, batch * num_heads * q_len * k_len), to_int(rows),
                                 to_int(num_heads), to_int(num_heads), to_int(max_distance), to_int(q_len),
                                 to_int(k_len), opt_int(q_offset), zeroed(d_table, rows * num_heads), to_int(batch));
}

void t5BiasBackward(std::uintptr_t d_bias, double batch, double num_heads, double num_buckets, double q_len,
                    double k_len, double q_offset, bool bidirectional, double max_distance, std::uintptr_t d_table) {
  t5_bias_backward(span<const float>(d_bias, batch * num_heads * q_len * k_len), to_int(num_buckets),
                   to_int(num_heads), to_int(num_heads), to_int(q_len), to_int(k_len), opt_int(q_offset),
                   bidirectional, to_int(max_distance), zeroed(d_table, num_buckets * num_heads), to_int(batch));
}

void sdpaBackward(std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, std::uintptr_t d_out, double batch,
                  double heads, double kv_heads, double q_len, double k_len, double head_dim, double v_dim,
                  std::uintptr_t dq, std::uintptr_t dk, std::uintptr_t dv, std::uintptr_t bias, double bias_len,
                  bool bias_has_batch, std::uintptr_t d_bias, int alibi_mode, std::uintptr_t slopes, double slopes_len,
                  bool causal, double q_offset, double scale, std::uintptr_t sinks, double sinks_len,
                  std::uintptr_t d_sinks) {
  AttentionShape shape{to_int(batch), to_int(heads), to_int(q_len), to_int(k_len), to_int(head_dim), to_int(v_dim)};
  SdpaBackwardOptions o;
  o.bias = span<const float>(bias, bias_len);
  o.bias_has_batch = bias_has_batch;
  if (alibi_mode >= 0) o.alibi = static_cast<AlibiMode>(alibi_mode);
  o.alibi_slopes = span<const float>(slopes, slopes_len);
  o.causal = causal;
  o.q_offset = opt_int(q_offset);
  o.scale = opt_num(scale);
  o.kv_heads = to_int(kv_heads);
  o.sinks = span<const float>(sinks, sinks_len);
  const double bq = batch * heads * q_len, bkv = batch * kv_heads * k_len;
  const SdpaGradients grads{zeroed(dq, bq * head_dim), zeroed(dk, bkv * head_dim), zeroed(dv, bkv * v_dim),
                            zeroed(d_bias, d_bias ? bias_len : 0), zeroed(d_sinks, d_sinks ? sinks_len : 0)};
  sdpa_backward(span<const float>(q, bq * head_dim), span<const float>(k, bkv * head_dim),
                span<const float>(v, bkv * v_dim), span<const float>(d_out, bq * v_dim), shape, grads, o);
}

void layerNormBackward(std::uintptr_t dy, std::uintptr_t x, double rows, double d, std::uintptr_t gamma,
                       double gamma_len, double eps, std::uintptr_t dx, std::uintptr_t d_gamma, std::uintptr_t d_beta) {
  const double n = rows * d;
  layer_norm_backward(span<const float>(dy, n), span<const float>(x, n), to_int(rows), to_int(d),
                      span<const float>(gamma, gamma_len), eps, zeroed(dx, n), zeroed(d_gamma, d), zeroed(d_beta, d));
}

void dropoutBackward(std::uintptr_t dy, double n, std::uintptr_t dx, double p, bool train, std::uintptr_t keep,
                     double keep_len, double seed) {
  dropout_backward(span<const float>(dy, n), zeroed(dx, n), dropout_options(p, train, keep, keep_len, seed));
}

}  // namespace posenc::bindings
