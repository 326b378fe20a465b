#include "streaming.hpp"

#include <algorithm>
#include <limits>
#include <string>

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
  const std::size_t group = scratch.size() / (block * head_dim);
  if (group == 0) {
    fail(ErrorCode::ShapeMismatch, "scratch must hold at least " + std::to_string(block * head_dim) +
                                       " values (" + std::to_string(block) + " positions of one head), got " +
                                       std::to_string(scratch.size()));
  }
  RopeCache local;
  RopeCache& cache = options.cache ? *options.cache : local;
  const RopeTables tables(plan, pos, shape.seq, cache);
  bool go_on = true;  // false once a callback asked to stop: the remaining blocks do nothing
  const auto fill = [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
    if (go_on) tables(row, s0, count, c, s);
  };
  const auto through_scratch = [&](std::size_t, std::size_t s0, std::size_t count, const float* c, const float* s) {
    const auto at = [](std::size_t v) { return static_cast<std::int64_t>(v); };
    for (std::size_t first = 0; go_on && first < slices; first += group) {
      const std::size_t n = std::min(group, slices - first);
      go_on = load(at(first), at(n), at(s0), at(count));
      if (!go_on) break;
      rope_rotate_slices(scratch.data(), scratch.data(), count * head_dim, n, count, head_dim, plan.d_rot,
                         options.layout, c, s);
      go_on = store(at(first), at(n), at(s0), at(count));
    }
  };
  for_each_rope_block(seq, plan.d_rot / 2, 1, options.inverse, fill, through_scratch);
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
