// Calls whose tensor lives outside WebAssembly memory (a JS array): the work is done a slice at a time in
// a small scratch inside it, and each slice crosses in and out while it is in cache, instead of copying
// the whole tensor in, computing, and copying it out (three passes through memory instead of one).
// Plain C++ over the library (no emscripten headers), so the native tests cover it.
#pragma once
#include <cstdint>
#include <functional>

#include "posenc/rope.hpp"
#include "posenc/sinusoidal.hpp"

namespace posenc::bindings {

// rope_forward for a tensor held outside this memory, passed through `scratch` a slice at a time:
// load(first, count, s0, rows) must write rows s0 … s0+rows−1 of (batch, head) slices first …
// first+count−1 into scratch as [count, rows, head_dim]; they are rotated there, and store(…) with the
// same arguments takes them out. Offset positions only; the checks, errors (all raised before the first
// load) and result bits are rope_forward's. scratch must hold at least rope_through_min_scratch values.
// Either callback returns false to stop the call there (a JS callback that failed): nothing more is
// loaded or stored, and the call returns normally.
using RopeSliceIo = std::function<bool(std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows)>;
void rope_forward_through(const Bhsd& shape, Span<float> scratch, const RopeSliceIo& load, const RopeSliceIo& store,
                          const RopeForwardOptions& options = {});

// The smallest scratch rope_forward_through takes for this seq and head_dim: one block of positions
// (min(seq, kRopeBlock)) of one head. 0 when the sizes are not positive or the product would not fit.
std::int64_t rope_through_min_scratch(std::int64_t seq, std::int64_t head_dim);

// sinusoidal_table made a slice at a time in scratch (as many whole rows as it holds), each handed to
// sink(first_row, rows), rows counted from start, before the next slice overwrites it; sink returns false
// to stop there.
using TableSliceSink = std::function<bool(std::int64_t first_row, std::int64_t rows)>;
void sinusoidal_table_slices(std::int64_t max_len, std::int64_t d, Span<float> scratch, const TableSliceSink& sink,
                             const SinusoidalTableOptions& options = {});

}  // namespace posenc::bindings
