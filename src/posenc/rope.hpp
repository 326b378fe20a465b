// Rotary position embedding (Su et al., RoFormer; SPEC §3) and its long-context scalings (SPEC §4).
// Scalings are data: rope_params turns a Hugging Face rope_scaling config into per-pair inverse
// frequencies and an attention factor; one rotation kernel serves every variant, both layouts
// (the layout is only the stride between a pair's members), partial rotary, and the inverse.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "posenc/span.hpp"

namespace posenc {

enum class RopeType { Default, Linear, Dynamic, Yarn, Llama3, LongRope };
// "default" | "linear" | "dynamic" | "yarn" | "llama3" | "longrope"; anything else is OUT_OF_RANGE.
RopeType parse_rope_type(const std::string& name);
const char* rope_type_name(RopeType type);

// `half` pairs (x[j], x[j + d_rot/2]) (GPT-NeoX, HF rotate_half); `interleaved` pairs (x[2j], x[2j+1])
// (RoFormer, Meta LLaMA, GPT-J).
enum class RopeLayout { Half, Interleaved };
RopeLayout parse_rope_layout(const std::string& name);  // "half" | "interleaved", else OUT_OF_RANGE
const char* rope_layout_name(RopeLayout layout);

// A Hugging Face `rope_scaling` object; absent fields take SPEC §4's defaults.
struct RopeScaling {
  RopeType type = RopeType::Default;
  std::optional<double> factor;
  std::optional<std::int64_t> original_max_position_embeddings;
  std::optional<double> attention_factor;
  std::optional<double> beta_fast;       // yarn, default 32
  std::optional<double> beta_slow;       // yarn, default 1
  std::optional<double> mscale;          // yarn (DeepSeek)
  std::optional<double> mscale_all_dim;  // yarn (DeepSeek)
  bool truncate = true;                  // yarn
  std::optional<double> low_freq_factor;   // llama3, default 1
  std::optional<double> high_freq_factor;  // llama3, default 4
  std::vector<double> short_factor;      // longrope, d_rot/2 entries
  std::vector<double> long_factor;       // longrope, d_rot/2 entries
};

struct RopeParams {
  std::vector<double> inv_freq;  // d_rot/2 entries, float64
  double attention_factor = 1.0;
};

// max_position_embeddings: the config's top-level value (dynamic, yarn, longrope need it where SPEC
// says so). seq_len: dynamic and longrope only; rope_forward defaults it to max(positions)+1.
RopeParams rope_params(std::int64_t d_rot, double base = 10000.0, const RopeScaling& scaling = {},
                       std::optional<std::int64_t> max_position_embeddings = std::nullopt,
                       std::optional<std::int64_t> seq_len = std::nullopt);

struct RopeForwardOptions {
  std::optional<std::int64_t> d_rot;  // default head_dim
  double base = 10000.0;
  RopeLayout layout = RopeLayout::Half;
  Span<const std::int32_t> positions;  // (seq,) or (batch, seq); empty: offset + s
  std::int64_t offset = 0;
  bool inverse = false;
  RopeScaling scaling;
  std::optional<std::int64_t> max_position_embeddings;
  std::optional<std::int64_t> seq_len;
};

// x, out: [batch, heads, seq, head_dim] (out may be x). Applies to q and to k alike.
void rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const RopeForwardOptions& options = {});

// rope_forward for a tensor held outside this memory (the JS bindings' arrays), passed through `scratch` a
// slice at a time so that each value crosses in and out while it is in cache: load(first, count, s0, rows)
// must write rows s0 … s0+rows−1 of (batch, head) slices first … first+count−1 into scratch as
// [count, rows, head_dim]; they are rotated there, and store(…) with the same arguments takes them out.
// Offset positions only; the checks, errors (all raised before the first load) and result bits are
// rope_forward's. scratch must hold at least min(seq, 256) positions of one head.
using RopeSliceIo = std::function<void(std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows)>;
void rope_forward_through(const Bhsd& shape, Span<float> scratch, const RopeSliceIo& load, const RopeSliceIo& store,
                          const RopeForwardOptions& options = {});

// The rotation kernel on precomputed tables. x, out: [rows, head_dim] of one (batch, head) slice;
// cos_table, sin_table: [rows, d_rot/2] of cos θ and sin θ, already multiplied by the attention factor
// (divided by it for the inverse); inverse = true rotates by −θ (the kernel negates sin), so a forward
// cache serves both directions. Dims d_rot … head_dim−1 are copied unchanged (and unscaled).
void rope_rotate(const float* x, float* out, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
                 RopeLayout layout, const float* cos_table, const float* sin_table, bool inverse);

}  // namespace posenc
