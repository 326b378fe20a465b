#include "streaming.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "posenc/error.hpp"

namespace posenc::bindings {

void rope_forward_through(const Bhsd& shape, Span<float> scratch, const RopeSliceIo& load, const RopeSliceIo& store,
                          const RopeForwardOptions& options) {
  if (!options.positions.empty()) {
    fail(ErrorCode::ShapeMismatch, "rope_forward_through takes offset positions only, got " +
                                       std::to_string(options.positions.size()) + " explicit positions");
  }
  const PositionRows pos(options.positions, options.offset, shape.batch, shape.seq);
  const RopePlan plan = plan_rope(shape, options, [&] {
    element_count(shape);  // BAD_SIZE before any product of the sizes below can overflow
    pos.require_values();
    return pos;
  });
  const auto head_dim = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto slices = static_cast<std::size_t>(shape.batch * shape.heads);
  const std::size_t block = static_cast<std::size_t>(rope_through_min_scratch(shape.seq, shape.head_dim)) / head_dim;
  if (scratch.size() / head_dim < block) {
    fail(ErrorCode::ShapeMismatch, "scratch must hold at least " + std::to_string(block * head_dim) +
                                       " values (" + std::to_string(block) + " positions of one head), got " +
                                       std::to_string(scratch.size()));
  }
  // Each slice is `rows` positions of `group` heads, as many positions as the scratch holds (whole blocks of
  // kRopeBlock, so that the tables are filled exactly as rope_forward fills them): each head's piece is one
  // contiguous run of the caller's array, and copying runs of 1 MiB and more out of WebAssembly memory took
  // ~0.75x the time of runs of 128 KiB (the whole W2 out call 0.8x).
  const std::size_t rows = std::min(seq, scratch.size() / head_dim / block * block);
  const std::size_t group = scratch.size() / (rows * head_dim);
  const std::size_t half = plan.d_rot / 2;
  RopeCache local;
  RopeCache& cache = options.cache ? *options.cache : local;
  const RopeTables tables(plan, pos, shape.seq, cache);
  std::vector<float> cos_rows, sin_rows;
  resize_or_fail(cos_rows, "the rotary table", rows * half);
  resize_or_fail(sin_rows, "the rotary table", rows * half);
  const auto at = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  // A callback that returns false (a JS callback that failed) stops the call: nothing more moves.
  const auto move_all = [&] {
    for (std::size_t r0 = 0; r0 < seq; r0 += rows) {
      const std::size_t count = std::min(rows, seq - r0);
      fill_rope_rows(tables, 0, r0, count, half, options.inverse, cos_rows.data(), sin_rows.data());
      for (std::size_t first = 0; first < slices; first += group) {
        const std::size_t n = std::min(group, slices - first);
        if (!load(at(first), at(n), at(r0), at(count))) return;
        rope_rotate_slices(scratch.data(), scratch.data(), count * head_dim, n, count, head_dim, plan.d_rot,
                           options.layout, cos_rows.data(), sin_rows.data());
        if (!store(at(first), at(n), at(r0), at(count))) return;
      }
    }
  };
  move_all();
  cache.trim();
}

std::int64_t rope_through_min_scratch(std::int64_t seq, std::int64_t head_dim) {
  const std::int64_t block = std::min(seq, static_cast<std::int64_t>(kRopeBlock));
  if (block < 1 || head_dim < 1 || head_dim > std::numeric_limits<std::int64_t>::max() / block) return 0;
  return block * head_dim;
}

void sinusoidal_table_slices(std::int64_t max_len, std::int64_t d, Span<float> scratch, const TableSliceSink& sink,
                             const SinusoidalTableOptions& options) {
  const TableRange range = validate_sinusoidal_table(max_len, d, options);
  std::int64_t slice = static_cast<std::int64_t>(scratch.size()) / d;
  if (slice < 1) {
    fail(ErrorCode::ShapeMismatch, "scratch must hold at least one row of d = " + std::to_string(d) + " values, got " +
                                       std::to_string(scratch.size()));
  }
  const auto stride = static_cast<std::int64_t>(kAnchorStride);
  if (slice > stride) slice -= slice % stride;  // whole anchor blocks
  const std::vector<double> freq = inverse_frequencies(d, options.base);
  SincosSteps local;
  const SincosRows angles(freq.data(), freq.size(), range.start, static_cast<std::size_t>(range.count),
                          options.steps ? *options.steps : local);
  for (std::int64_t r0 = 0; r0 < range.count; r0 += slice) {
    const std::int64_t rows = std::min(slice, range.count - r0);
    sinusoidal_rows(range.start + r0, rows, d, angles, scratch.data());
    if (!sink(r0, rows)) break;
  }
}

}  // namespace posenc::bindings
