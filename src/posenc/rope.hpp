// Rotary position embedding (Su et al., RoFormer, arXiv:2104.09864): pairs of a query or key rotated by
// position·ω_j, so q·k depends on positions only through their difference. The scalings (rope_scaling.hpp)
// change ω_j and add an attention factor; one kernel (rope_kernel.hpp) serves every variant, both layouts,
// partial rotary and the inverse.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "posenc/angles.hpp"
#include "posenc/mrope.hpp"
#include "posenc/positions.hpp"
#include "posenc/rope_kernel.hpp"
#include "posenc/rope_scaling.hpp"
#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

RopeLayout parse_rope_layout(const std::string& name);  // "half" | "interleaved", else OUT_OF_RANGE
const char* rope_layout_name(RopeLayout layout);

// What calls with the same (d_rot, base) and frequencies can reuse: the default frequencies and the angle
// step table (building it is 64 exact sincos rows, the largest fixed cost of a small call). Owned by the
// caller and passed in RopeForwardOptions; it keeps at most kMaxFloats floats between calls.
class RopeCache {
 public:
  static constexpr std::size_t kMaxFloats = std::size_t{1} << 20;
  // The largest [seq, d_rot/2] table kept whole (256 KiB a table): a step's q and k share it.
  static constexpr std::size_t kMaxTableFloats = std::size_t{1} << 16;
  struct Tables {
    const float* cos;
    const float* sin;
  };
  // The default frequencies base^(-2j/d) and attention factor 1: kept for the last (d, base) and shared with
  // the plans that use them unscaled, so a call copies nothing.
  std::shared_ptr<const RopeParams> default_params(std::int64_t d, double base);
  SincosSteps& steps() { return steps_; }
  // The cos/sin tables of positions [offset, offset + seq) for these frequencies, scale and direction
  // (inverse: sin negated): the kept ones when all of those match, else made by fill (row 0, block by
  // block, as rope_rotate_blocked would) and kept. Empty when a table would exceed kMaxTableFloats.
  std::optional<Tables> consecutive_tables(const std::vector<double>& inv_freq, float scale, bool inverse,
                                           std::int64_t offset, std::size_t seq, const RopeTableFill& fill);
  void trim();  // after a call: drops what is over the bound

 private:
  std::int64_t d_ = 0;
  double base_ = 0;
  std::shared_ptr<const RopeParams> default_;
  SincosSteps steps_;
  // The key and values of the kept tables (seq 0: none kept).
  std::vector<double> table_freq_;
  float table_scale_ = 0;
  bool table_inverse_ = false;
  std::int64_t table_offset_ = 0;
  std::size_t table_seq_ = 0;
  std::vector<float> table_cos_, table_sin_;
};

struct RopeForwardOptions {
  std::optional<std::int64_t> d_rot;  // default head_dim
  double base = 10000.0;
  RopeLayout layout = RopeLayout::Half;
  Span<const std::int32_t> positions;  // (seq,) or (batch, seq); empty: offset + s
  std::int64_t offset = 0;
  bool inverse = false;
  RopeScaling scaling;
  std::optional<std::int64_t> max_position_embeddings;
  std::optional<std::int64_t> seq_len;  // default max(positions) + 1 (dynamic, longrope)
  RopeCache* cache = nullptr;           // optional, reused across calls
  // Explicit frequencies (d_rot/2 entries, >= 0; 0 leaves a pair as it is): used instead of base and
  // scaling, attention factor 1.
  Span<const double> inv_freq;
  // M-RoPE (mrope.hpp): positions are then [3, seq] or [batch, 3, seq]; without positions every stream
  // is offset + s, which is plain RoPE.
  std::optional<MropeSection> mrope;
};

// x, out: [batch, heads, seq, head_dim] (out may be x). Applies to q and to k alike.
void rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const RopeForwardOptions& options = {});

// What rope_forward settles before rotating: the rotated width, the frequencies, and the scale folded
// into the tables (the attention factor, its inverse for the inverse rotation).
struct RopePlan {
  std::size_t d_rot = 0;
  std::shared_ptr<const RopeParams> params;  // a RopeCache's default ones when unscaled
  float scale = 1.0f;
};

// rope_forward's checks in the reporting order, the positions' done by check_positions at their place.
RopePlan plan_rope(const Bhsd& shape, const RopeForwardOptions& options,
                   const std::function<PositionRows()>& check_positions);

// Fills a plan's cos/sin tables block by block (RopeTableFill): consecutive positions by anchors and
// steps, explicit ones exactly, the plan's scale folded in. Every user of a plan fills through it, so
// their tables are the same bits.
class RopeTables {
 public:
  RopeTables(const RopePlan& plan, const PositionRows& positions, std::int64_t seq, RopeCache& cache);
  void operator()(std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) const;

 private:
  const RopePlan& plan_;
  const PositionRows& positions_;
  std::optional<SincosRows> consecutive_;
};

// The seed's RoPE module: a cos/sin cache per position shared by all heads, attention factor applied; the
// cache covers [0, cached_len()) and at least doubles when a forward reaches past it (never rebuilt for
// positions it holds). Length-dependent variants (dynamic, longrope) are fixed at construction, as HF
// initialises them: a cache cannot follow frequencies that change with the sequence length; rope_forward
// with seq_len can.
class RotaryPositionalEmbedding {
 public:
  RotaryPositionalEmbedding(std::int64_t dim, std::int64_t max_len = 2048, double base = 10000.0,
                            RopeLayout layout = RopeLayout::Half, const RopeScaling& scaling = {},
                            std::optional<std::int64_t> max_position_embeddings = std::nullopt,
                            std::optional<MropeSection> mrope = std::nullopt);
  // q, k: [batch, heads, seq, dim] rotated in place (or into q_out/k_out, which may alias them). With an
  // M-RoPE section, explicit positions are [3, seq] or [batch, 3, seq] (t, h, w streams).
  void forward(Span<const float> q, const Bhsd& q_shape, Span<float> q_out, Span<const float> k, const Bhsd& k_shape,
               Span<float> k_out, std::int64_t offset = 0, Span<const std::int32_t> positions = {});
  std::int64_t cached_len() const { return cached_len_; }
  std::uint64_t cache_builds() const { return cache_builds_; }  // how many rows were computed
  const RopeParams& params() const { return params_; }
  const std::optional<MropeSection>& mrope() const { return mrope_; }
  RopeLayout layout() const { return layout_; }
  std::int64_t dim() const { return dim_; }
  std::int64_t max_len() const { return max_len_; }
  // The cache, (cached_len, dim/2) each, attention factor applied.
  const std::vector<float>& cos_cache() const { return cos_; }
  const std::vector<float>& sin_cache() const { return sin_; }

 private:
  void ensure_cached(std::int64_t end);
  void rotate(Span<const float> x, const Bhsd& shape, Span<float> out, std::int64_t offset,
              Span<const std::int32_t> positions) const;
  void rotate_mrope(Span<const float> x, const Bhsd& shape, Span<float> out, const MropePositions& positions) const;
  // Writes cos/sin of position p (dim/2 each, attention factor applied): the cache row, or computed.
  void row_at(std::int64_t p, float* c, float* s) const;
  std::int64_t dim_, max_len_;
  RopeLayout layout_;
  RopeParams params_;
  std::optional<MropeSection> mrope_;
  std::vector<std::uint8_t> mrope_axes_;
  std::int64_t cached_len_ = 0;
  std::uint64_t cache_builds_ = 0;
  std::vector<float> cos_, sin_;
};

// Gradient of rope_forward. Shapes: dy, dx [batch, heads, seq, head_dim]; options are the
// forward's (d_rot, base, layout, positions/offset, scaling, inverse).
// Forward, per pair: (u, v) ↦ a·R(θ)(u, v) on the first d_rot dims, the rest passed through; so
// dx += a·R(θ)ᵀ dy on those dims (the transpose, not the inverse, which would divide by a) and dx += dy on the
// rest. With inverse = true the forward is R(−θ)/a and the gradient R(θ)·dy/a.
void rope_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const RopeForwardOptions& options = {});

}  // namespace posenc
