// The free functions as JS calls them: numbers and pointers in, the C++ API called (wire.hpp).
#include "exports.hpp"

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/dropout.hpp"
#include "posenc/learned.hpp"
#include "posenc/relative.hpp"
#include "posenc/rope.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/vision_rope.hpp"
#include "posenc/xpos.hpp"
#include "wire.hpp"

namespace posenc::bindings {

namespace {
// What consecutive RoPE calls from JS reuse (the frequencies and angle steps of the last call): a W2-hot
// sized call spent about a third of its time rebuilding them. Bounded by RopeCache::kMaxFloats.
RopeCache rope_cache;
// The same for consecutive sinusoidal tables of one width (the step table was an eighth of a 4096-row one).
SincosSteps table_steps;
SinusoidalTableOptions table_options(double base, double start, double count) {
  return {base, to_int(start), opt_int(count), &table_steps};
}
}  // namespace

void releaseCaches() {
  rope_cache = RopeCache{};
  table_steps = SincosSteps{};
}

void sinusoidalTable(double max_len, double d, std::uintptr_t out, double out_len, double base, double start,
                     double count) {
  sinusoidal_table(to_int(max_len), to_int(d), span<float>(out, out_len), table_options(base, start, count));
  table_steps.release_if_over(RopeCache::kMaxFloats);
}

// The table a slice of rows at a time in scratch; on_slice(first_row, rows) copies each out before the next.
void sinusoidalTableSlices(double max_len, double d, std::uintptr_t scratch, double scratch_len, double base,
                           double start, double count, const TableSliceSink& on_slice) {
  sinusoidal_table_slices(to_int(max_len), to_int(d), span<float>(scratch, scratch_len), on_slice,
                          table_options(base, start, count));
  table_steps.release_if_over(RopeCache::kMaxFloats);
}

void sinusoidalForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t out, double max_len,
                       double offset, double base, double p, bool train, std::uintptr_t keep, double keep_len,
                       double seed) {
  const double n = batch * seq * d;
  SinusoidalForwardOptions o;
  o.max_len = to_int(max_len);
  o.offset = to_int(offset);
  o.base = base;
  o.dropout = dropout_options(p, train, keep, keep_len, seed);
  sinusoidal_forward(span<const float>(x, n), to_int(batch), to_int(seq), to_int(d), span<float>(out, n), o);
}

void learnedForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t table, double max_len,
                    double width, std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len,
                    double scale, bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta,
                    double beta_len, double eps, double p, bool train, std::uintptr_t keep, double keep_len,
                    double seed) {
  const double n = batch * seq * d;
  const LearnedForwardOptions o = learned_options(offset, positions, positions_len, scale, use_ln, gamma, gamma_len, beta,
                                                  beta_len, eps, p, train, keep, keep_len, seed);
  learned_forward(span<const float>(x, n), to_int(batch), to_int(seq), to_int(d),
                  span<const float>(table, max_len * width), to_int(max_len), to_int(width), span<float>(out, n), o);
}

void clippedRelativeBias(std::uintptr_t table, double rows, double cols, double num_heads, double max_distance,
                         double q_len, double k_len, double q_offset, std::uintptr_t out, double out_len) {
  clipped_relative_bias(span<const float>(table, rows * cols), to_int(rows), to_int(cols), to_int(num_heads),
                        to_int(max_distance), to_int(q_len), to_int(k_len), opt_int(q_offset),
                        span<float>(out, out_len));
}

// Writes inv_freq (d_rot/2 floats) to out and returns the attention factor.
double ropeParams(double d_rot, double base, std::uintptr_t scaling, double max_position_embeddings, double seq_len,
                  std::uintptr_t out) {
  const RopeParams r = rope_params(to_int(d_rot), base, read_scaling(scaling), opt_int(max_position_embeddings),
                                   opt_int(seq_len));
  float* dst = reinterpret_cast<float*>(out);
  for (std::size_t j = 0; j < r.inv_freq.size(); ++j) dst[j] = static_cast<float>(r.inv_freq[j]);
  return r.attention_factor;
}

// The options ropeForward and ropeForwardThrough share (positions: only ropeForward has them).
namespace {
// The bindings' RoPE options reuse the kept cache across calls.
RopeForwardOptions cached_rope_options(double d_rot, double base, int layout, double offset, bool inverse,
                                       std::uintptr_t scaling, double max_position_embeddings, double seq_len) {
  RopeForwardOptions o = rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  o.cache = &rope_cache;
  return o;
}
}  // namespace

void ropeForward(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                 double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, double offset,
                 bool inverse, std::uintptr_t scaling, double max_position_embeddings, double seq_len) {
  const double n = batch * heads * seq * head_dim;
  RopeForwardOptions o = cached_rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  o.positions = span<const std::int32_t>(positions, positions_len);
  rope_forward(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
               span<float>(out, n), o);
}

// RoPE of a JS array through scratch: load(first, count, s0, rows) fills it, store(…) empties it.
void ropeForwardThrough(double batch, double heads, double seq, double head_dim, std::uintptr_t scratch,
                        double scratch_len, double d_rot, double base, int layout, double offset, bool inverse,
                        std::uintptr_t scaling, double max_position_embeddings, double seq_len, const RopeSliceIo& load,
                        const RopeSliceIo& store) {
  const RopeForwardOptions o =
      cached_rope_options(d_rot, base, layout, offset, inverse, scaling, max_position_embeddings, seq_len);
  rope_forward_through({to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)}, span<float>(scratch, scratch_len),
                       load, store, o);
}

// M-RoPE: positions [3, seq] or [batch, 3, seq] (t, h, w streams) and the section.
void ropeForwardMrope(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                      double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, bool inverse,
                      std::uintptr_t scaling, double max_position_embeddings, double seq_len, double mrope_t,
                      double mrope_h, double mrope_w, bool mrope_interleaved) {
  const double n = batch * heads * seq * head_dim;
  RopeForwardOptions o = cached_rope_options(d_rot, base, layout, 0, inverse, scaling, max_position_embeddings, seq_len);
  o.positions = span<const std::int32_t>(positions, positions_len);
  o.mrope = opt_mrope(mrope_t, mrope_h, mrope_w, mrope_interleaved);
  rope_forward(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
               span<float>(out, n), o);
}

void visionRopeForward(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                       int style, double grid_h, double grid_w, double base, double spatial_merge_size, bool inverse) {
  const double n = batch * heads * seq * head_dim;
  VisionRopeOptions o;
  o.style = static_cast<VisionRopeStyle>(style);
  o.grid_h = to_int(grid_h);
  o.grid_w = to_int(grid_w);
  o.base = base;
  o.spatial_merge_size = to_int(spatial_merge_size);
  o.inverse = inverse;
  vision_rope_forward(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
                      span<float>(out, n), o);
}

double ropeThroughMinScratch(double seq, double head_dim) {
  return static_cast<double>(rope_through_min_scratch(to_int(seq), to_int(head_dim)));
}

void xposApply(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
               bool key, std::uintptr_t positions, double positions_len, double offset, double base, double gamma,
               double scale_base, double center, int layout) {
  const double n = batch * heads * seq * head_dim;
  const XposOptions o = xpos_options(key, positions, positions_len, offset, base, gamma, scale_base, center, layout);
  xpos_apply(span<const float>(x, n), {to_int(batch), to_int(heads), to_int(seq), to_int(head_dim)},
             span<float>(out, n), o);
}

void alibiSlopes(double num_heads, std::uintptr_t out, double out_len) {
  alibi_slopes(to_int(num_heads), span<float>(out, out_len));
}

void alibiBias(double num_heads, double q_len, double k_len, double q_offset, int mode, std::uintptr_t out,
               double out_len) {
  alibi_bias(to_int(num_heads), to_int(q_len), to_int(k_len), opt_int(q_offset), static_cast<AlibiMode>(mode),
             span<float>(out, out_len));
}

void t5Buckets(std::uintptr_t relative_positions, double n, std::uintptr_t out, bool bidirectional, double num_buckets,
               double max_distance) {
  t5_buckets(span<const std::int32_t>(relative_positions, n), span<std::int32_t>(out, n),
             {bidirectional, to_int(num_buckets), to_int(max_distance)});
}

void t5Bias(std::uintptr_t table, double rows, double cols, double num_heads, double q_len, double k_len,
            double q_offset, bool bidirectional, double max_distance, std::uintptr_t out, double out_len) {
  t5_bias(span<const float>(table, rows * cols), to_int(rows), to_int(cols), to_int(num_heads), to_int(q_len),
          to_int(k_len), opt_int(q_offset), bidirectional, to_int(max_distance), span<float>(out, out_len));
}

void sdpaOp(std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, double batch, double heads, double kv_heads,
            double q_len, double k_len, double head_dim, double v_dim, std::uintptr_t out, std::uintptr_t probs,
            std::uintptr_t bias, std::uintptr_t slopes, std::uintptr_t key_padding, std::uintptr_t mask,
            std::uintptr_t sinks, std::uintptr_t block) {
  AttentionShape shape{to_int(batch), to_int(heads), to_int(q_len), to_int(k_len), to_int(head_dim), to_int(v_dim)};
  shape.kv_heads = to_int(kv_heads);
  const double bh = batch * heads, bkv = batch * kv_heads;
  posenc::sdpa(span<const float>(q, bh * q_len * head_dim), span<const float>(k, bkv * k_len * head_dim),
               span<const float>(v, bkv * k_len * v_dim), shape, span<float>(out, bh * q_len * v_dim),
               probs ? span<float>(probs, bh * q_len * k_len) : Span<float>{},
               read_sdpa_options(bias, slopes, key_padding, mask, sinks, block));
}

void dropoutOp(std::uintptr_t x, double n, std::uintptr_t out, double p, bool train, std::uintptr_t keep,
               double keep_len, double seed) {
  dropout(span<const float>(x, n), span<float>(out, n), dropout_options(p, train, keep, keep_len, seed));
}

}  // namespace posenc::bindings
