// The module classes' methods as JS calls them: numbers and pointers in, the C++ class called (wire.hpp).
#include "exports.hpp"

#include "posenc/attention.hpp"
#include "wire.hpp"

namespace posenc::bindings {

SinusoidalPositionalEncoding* makeSinusoidal(double dim, double max_len, double p, double base, double seed) {
  return new SinusoidalPositionalEncoding(to_int(dim), to_int(max_len), p, base, static_cast<std::uint64_t>(seed));
}
void sinusoidalModuleForward(SinusoidalPositionalEncoding& m, std::uintptr_t x, double batch, double seq,
                             std::uintptr_t out, double offset) {
  const double n = batch * seq * static_cast<double>(m.dim());
  m.forward(span<const float>(x, n), to_int(batch), to_int(seq), span<float>(out, n), to_int(offset));
}
std::uintptr_t sinusoidalModuleTable(const SinusoidalPositionalEncoding& m) {
  return reinterpret_cast<std::uintptr_t>(m.table().data());
}

LearnedPositionalEmbedding* makeLearned(double dim, double max_len, double p, double scale, bool layer_norm,
                                        bool relative, double num_heads, double max_distance, double seed) {
  LearnedPositionalEmbedding::Config c;
  c.dim = to_int(dim);
  c.max_len = to_int(max_len);
  c.dropout = p;
  c.scale = scale;
  c.layer_norm = layer_norm;
  c.relative = relative;
  c.num_heads = to_int(num_heads);
  c.max_distance = to_int(max_distance);
  c.seed = static_cast<std::uint64_t>(seed);
  return new LearnedPositionalEmbedding(c);
}
void learnedModuleForward(LearnedPositionalEmbedding& m, std::uintptr_t x, double batch, double seq,
                          std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len) {
  const double n = batch * seq * static_cast<double>(m.config().dim);
  m.forward(span<const float>(x, n), to_int(batch), to_int(seq), span<float>(out, n), to_int(offset),
            span<const std::int32_t>(positions, positions_len));
}
void learnedModuleRelativeBias(const LearnedPositionalEmbedding& m, double q_len, double k_len, double q_offset,
                               std::uintptr_t out, double out_len) {
  m.relative_bias(to_int(q_len), to_int(k_len), opt_int(q_offset), span<float>(out, out_len));
}
namespace {
// State buffers by index: 0 table, 1 gamma, 2 beta, 3 relative table. JS reads and writes them in place.
std::vector<float>& learnedState(LearnedPositionalEmbedding& m, int which) {
  switch (which) {
    case 1: return m.gamma();
    case 2: return m.beta();
    case 3: return m.relative_table();
    default: return m.table();
  }
}
}  // namespace
std::uintptr_t learnedModuleStatePtr(LearnedPositionalEmbedding& m, int which) {
  return reinterpret_cast<std::uintptr_t>(learnedState(m, which).data());
}
double learnedModuleStateSize(LearnedPositionalEmbedding& m, int which) {
  return static_cast<double>(learnedState(m, which).size());
}

RotaryPositionalEmbedding* makeRotary(double dim, double max_len, double base, int layout, std::uintptr_t scaling,
                                      double max_position_embeddings, double mrope_t, double mrope_h, double mrope_w,
                                      bool mrope_interleaved) {
  return new RotaryPositionalEmbedding(to_int(dim), to_int(max_len), base, static_cast<RopeLayout>(layout),
                                       read_scaling(scaling), opt_int(max_position_embeddings),
                                       opt_mrope(mrope_t, mrope_h, mrope_w, mrope_interleaved));
}
void rotaryModuleForward(RotaryPositionalEmbedding& m, std::uintptr_t q, double qb, double qh, double qs,
                         std::uintptr_t q_out, std::uintptr_t k, double kb, double kh, double ks, std::uintptr_t k_out,
                         double offset, std::uintptr_t positions, double positions_len) {
  const auto d = static_cast<double>(m.dim());
  const double qn = qb * qh * qs * d, kn = kb * kh * ks * d;
  m.forward(span<const float>(q, qn), {to_int(qb), to_int(qh), to_int(qs), m.dim()}, span<float>(q_out, qn),
            span<const float>(k, kn), {to_int(kb), to_int(kh), to_int(ks), m.dim()}, span<float>(k_out, kn),
            to_int(offset), span<const std::int32_t>(positions, positions_len));
}
// inv_freq (float64, dim/2 entries), for stateDict().
std::uintptr_t rotaryModuleInvFreq(const RotaryPositionalEmbedding& m) {
  return reinterpret_cast<std::uintptr_t>(m.params().inv_freq.data());
}
double rotaryModuleCachedLen(const RotaryPositionalEmbedding& m) { return static_cast<double>(m.cached_len()); }

ALiBiPositionalEncoding* makeAlibi(double num_heads, double max_len) {
  return new ALiBiPositionalEncoding(to_int(num_heads), to_int(max_len));
}
void alibiModuleBias(const ALiBiPositionalEncoding& m, double q_len, double k_len, double q_offset, std::uintptr_t out,
                     double out_len) {
  m.bias(to_int(q_len), to_int(k_len), span<float>(out, out_len), opt_int(q_offset));
}
// scores, out: [batch, heads, q_len, k_len] (out may be scores); out = scores + bias.
void alibiModuleForward(const ALiBiPositionalEncoding& m, std::uintptr_t scores, double batch, double q_len,
                        double k_len, std::uintptr_t out, double q_offset) {
  const double n = batch * static_cast<double>(m.num_heads()) * q_len * k_len;
  m.forward(span<const float>(scores, n), to_int(batch), to_int(q_len), to_int(k_len), span<float>(out, n),
            opt_int(q_offset));
}
std::uintptr_t alibiModuleSlopes(const ALiBiPositionalEncoding& m) {
  return reinterpret_cast<std::uintptr_t>(m.slopes().data());
}

KVCache* makeKVCache(double batch, double kv_heads, double head_dim, double v_dim, double capacity) {
  return new KVCache(to_int(batch), to_int(kv_heads), to_int(head_dim), to_int(v_dim), to_int(capacity));
}
// k [batch, kv_heads, n, head_dim], v [batch, kv_heads, n, v_dim].
void kvCacheAppend(KVCache& c, std::uintptr_t k, std::uintptr_t v, double n) {
  const double rows = static_cast<double>(c.batch() * c.kv_heads()) * n;
  c.append(span<const float>(k, rows * static_cast<double>(c.head_dim())),
           span<const float>(v, rows * static_cast<double>(c.v_dim())), to_int(n));
}
double kvCacheLength(const KVCache& c) { return static_cast<double>(c.length()); }
double kvCacheCapacity(const KVCache& c) { return static_cast<double>(c.capacity()); }
// q [batch, heads, q_len, head_dim] against the cache's keys; the options as sdpaOp's.
void kvCacheSdpa(const KVCache& c, std::uintptr_t q, double heads, double q_len, std::uintptr_t out, std::uintptr_t probs,
                 std::uintptr_t bias, std::uintptr_t slopes, std::uintptr_t key_padding, std::uintptr_t mask,
                 std::uintptr_t sinks, std::uintptr_t block) {
  const double bh = static_cast<double>(c.batch()) * heads;
  posenc::sdpa(span<const float>(q, bh * q_len * static_cast<double>(c.head_dim())), c, to_int(heads), to_int(q_len),
               span<float>(out, bh * q_len * static_cast<double>(c.v_dim())),
               probs ? span<float>(probs, bh * q_len * static_cast<double>(c.length())) : Span<float>{},
               read_sdpa_options(bias, slopes, key_padding, mask, sinks, block));
}

}  // namespace posenc::bindings
