// Internals shared by rope_forward, xpos_apply and RotaryPositionalEmbedding: the argument checks, one
// function per stage of SPEC §10's order (so a caller interleaves its own checks in that order), YaRN's
// correction range, and the loop that hands every (batch, head) slice to rope_rotate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "posenc/rope.hpp"
#include "posenc/span.hpp"

namespace posenc {

void rope_check_finite(double base, const RopeScaling& scaling);  // NON_FINITE
// BAD_SIZE: d_rot, max_position_embeddings (and whether the variant needs it), original_…, seq_len.
void rope_check_sizes(std::int64_t d_rot, const RopeScaling& scaling, std::optional<std::int64_t> max_position_embeddings,
                      std::optional<std::int64_t> seq_len);
void rope_check_ranges(std::int64_t d_rot, double base, const RopeScaling& scaling);  // OUT_OF_RANGE
void rope_check_shapes(std::int64_t d_rot, const RopeScaling& scaling);               // SHAPE_MISMATCH (longrope)

// YaRN's correction range (SPEC §4): the dims between lo and hi blend extrapolation and interpolation.
struct YarnRange {
  double lo, hi;
};
YarnRange yarn_correction_range(std::int64_t d, double base, double l0, double beta_fast, double beta_slow, bool truncate);

// cos_t, sin_t: [rows, seq, d_rot/2] with rows = batch when per_batch, else 1 (shared by every head).
void rope_rotate_heads(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                       const float* cos_t, const float* sin_t, bool per_batch, bool inverse);

// Writes cos/sin (scaled as rope_rotate expects) for sequence indices [s0, s0 + count) of distinct position
// row `row` into two [count, d_rot/2] buffers.
using RopeTableFill = std::function<void(std::size_t row, std::size_t s0, std::size_t count, float* cos, float* sin)>;

// rope_rotate over every (batch, head) slice, with tables built block by block (kRopeBlock positions at a
// time): the block's tables stay in cache while all heads use them, and no call allocates a whole
// [seq, d_rot/2] table (first-touching large fresh buffers costs more than the rotation itself).
// 256 positions (for head_dim 128: 128 KiB of tables, 128 KiB of each head per visit) measured 7-20%
// faster than 64 (longer sequential runs per head for the prefetcher) and than 512+ (table and rows
// crowd the 1 MiB L2), natively and in wasm.
inline constexpr std::size_t kRopeBlock = 256;
// Slices rotated side by side, one table load serving all of them: four independent streams keep
// memory busy while the kernel computes. One slice at a time, memory and arithmetic took turns: W2 in
// place took 6.4 ms in wasm (3.2 ms with 4, 4.0 with 2, 3.9 with 8) and 5.5 ms natively (3.4 ms).
inline constexpr std::size_t kRopeSlicesPerPass = 4;
void rope_rotate_blocked(Span<const float> x, const Bhsd& shape, Span<float> out, std::size_t d_rot, RopeLayout layout,
                         bool per_batch, bool inverse, const RopeTableFill& fill);

}  // namespace posenc
