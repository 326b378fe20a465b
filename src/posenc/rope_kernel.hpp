// The rotation kernel of RoPE and xPos, and the block driver that feeds it tables. A table row holds
// cos θ_j and sin θ_j of one position (d_rot/2 each), already multiplied by whatever scale the caller
// folds in (RoPE's attention factor, xPos's ζ^(n/B)). The inverse rotation (by −θ) is the same kernel on
// a negated sin, which the driver makes once per block, so a forward table serves both directions.
#pragma once
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>

#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

// `half` pairs (x[j], x[j + d_rot/2]) (GPT-NeoX, HF rotate_half); `interleaved` pairs (x[2j], x[2j+1])
// (RoFormer, Meta LLaMA, GPT-J).
enum class RopeLayout { Half, Interleaved };

// Positions per table block: the block's tables stay in cache while every head uses them, and no call
// allocates a whole [seq, d_rot/2] table (first-touching large fresh buffers costs more than the rotation).
// 256 (for head_dim 128: 128 KiB of tables) beat 64 and 512+ natively and in wasm.
inline constexpr std::size_t kRopeBlock = 256;
// Slices rotated side by side, one table load serving all of them: independent streams keep memory busy
// while the kernel computes (4 beat 1, 2 and 8 in wasm and natively).
inline constexpr std::size_t kRopeSlicesPerPass = 4;

// x, out: [rows, head_dim] of one (batch, head) slice (out may be x); cos_table, sin_table: [rows, d_rot/2].
// Dims d_rot … head_dim−1 are copied unchanged (and unscaled).
void rope_rotate(const float* x, float* out, std::size_t rows, std::size_t head_dim, std::size_t d_rot,
                 RopeLayout layout, const float* cos_table, const float* sin_table);

// rope_rotate over `slices` slices x + i·stride (i < slices) that share one table.
void rope_rotate_slices(const float* x, float* out, std::size_t stride, std::size_t slices, std::size_t rows,
                        std::size_t head_dim, std::size_t d_rot, RopeLayout layout, const float* cos_table,
                        const float* sin_table);

// Every (batch, head) slice of x [batch, heads, seq, head_dim] rotated by one [seq, d_rot/2] table pair.
void rope_rotate_heads(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                       const float* cos_table, const float* sin_table);

// c[i] *= scale, s[i] *= scale for i < n: the attention factor (or its inverse) folded into a table.
void scale_rope_tables(std::size_t n, float scale, float* c, float* s);

// The tables of sequence indices [s0, s0 + count) of position row `row` into c and s ([count, half] each),
// filled a block of kRopeBlock at a time from s0 (a multiple of kRopeBlock): every table of a call is made
// by the same fill calls as the block loop's, so the bits agree. With `inverse` sin is negated.
template <class Fill>
void fill_rope_rows(const Fill& fill, std::size_t row, std::size_t s0, std::size_t count, std::size_t half, bool inverse,
                    float* c, float* s) {
  for (std::size_t b = 0; b < count; b += kRopeBlock) {
    fill(row, s0 + b, std::min(kRopeBlock, count - b), c + b * half, s + b * half);
  }
  if (inverse) {
    for (std::size_t i = 0; i < count * half; ++i) s[i] = -s[i];
  }
}

// The block loop: for each block of kRopeBlock positions and each position row (< rows), fill(row, s0,
// count, c, s) writes cos/sin ([count, half] each) of sequence indices s0 … s0+count−1 and rotate(row, s0,
// count, c, s) uses them while they are in cache. With `inverse` the block's sin is negated in between.
template <class Fill, class Rotate>
void for_each_rope_block(std::size_t seq, std::size_t half, std::size_t rows, bool inverse, const Fill& fill,
                         const Rotate& rotate) {
  const std::size_t block = std::min(seq, kRopeBlock);
  // Not value-initialised: every entry is written by fill before it is read.
  const std::unique_ptr<float[]> c_table(new float[block * half]), s_table(new float[block * half]);
  float* const c = c_table.get();
  float* const s = s_table.get();
  for (std::size_t s0 = 0; s0 < seq; s0 += block) {
    const std::size_t count = std::min(block, seq - s0);
    for (std::size_t row = 0; row < rows; ++row) {
      fill_rope_rows(fill, row, s0, count, half, inverse, c, s);
      rotate(row, s0, count, c, s);
    }
  }
}

// Writes cos/sin for sequence indices [s0, s0 + count) of position row `row` into two [count, d_rot/2]
// buffers, scaled as the rotation needs them.
using RopeTableFill = std::function<void(std::size_t row, std::size_t s0, std::size_t count, float* cos, float* sin)>;

// Every (batch, head) slice of x rotated with tables made block by block by fill: one table row per
// distinct position row (per batch row when per_batch, else one shared by all), shared by every head.
void rope_rotate_blocked(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                         bool per_batch, bool inverse, const RopeTableFill& fill);

}  // namespace posenc
