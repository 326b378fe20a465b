// Sinusoidal encoding (Vaswani et al. 2017 §3.5; SPEC §1). Table: [count, d], interleaved sin/cos per pair,
// angles formed in float64 and reduced exactly (angles.hpp, pitfall P5). Forward: x, out [batch, seq, d];
// one [seq, d] slice of the table is built once and added to every batch row (SIMD add, scalar tail).
#include "posenc/sinusoidal.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"
#include "posenc/row_add.hpp"
#include "posenc/simd.hpp"

namespace posenc {

namespace {

struct TableRange {
  std::int64_t start, count;
};

TableRange validate_table(std::int64_t max_len, std::int64_t d, double base, std::int64_t start,
                          std::optional<std::int64_t> count) {
  require_finite("base", base);
  require_size("max_len", max_len);
  require_size("d", d);
  if (count) require_size("count", *count);
  require_even("d", d);
  require_range(base > 1, "base", base, "be greater than 1");
  if (start < 0 || start >= max_len) {
    fail(ErrorCode::BadPosition, "start must be in [0, max_len) = [0, " + std::to_string(max_len) + "), got " +
                                     std::to_string(start));
  }
  const std::int64_t rows = count ? *count : max_len - start;
  if (rows > max_len - start) {  // not start + rows, which can overflow
    fail(ErrorCode::BadPosition, "start + count must be at most max_len = " + std::to_string(max_len) + ", got " +
                                     std::to_string(start) + " + " + std::to_string(rows));
  }
  return {start, rows};
}

// Rows [first, first+rows) of the table into out ([rows, d]): each sin/cos vector pair from SincosRows is
// interleaved ([s0 c0 s1 c1 …]) and stored straight into its row, so the table is written once and never
// read back.
void fill_rows(std::int64_t first, std::int64_t rows, std::int64_t d, const SincosRows& angles, float* out) {
  const auto width = static_cast<std::size_t>(d);
  angles.for_each(
      first, static_cast<std::size_t>(rows),
      [&](std::size_t row, std::size_t j, const simd::Floats& s, const simd::Floats& c) {
        float* at = out + row * width + 2 * j;
        if constexpr (simd::kHasPairs) {
          simd::store(at, simd::zip_lo(s, c));
          simd::store(at + simd::kWidth, simd::zip_hi(s, c));
        } else {  // one lane: s and c are single floats
          simd::store(at, s);
          simd::store(at + 1, c);
        }
      },
      [&](std::size_t row, std::size_t j, float s, float c) {
        out[row * width + 2 * j] = s;
        out[row * width + 2 * j + 1] = c;
      });
}

void fill_rows(std::int64_t first, std::int64_t rows, std::int64_t d, const std::vector<double>& freq, float* out) {
  fill_rows(first, rows, d, SincosRows(freq.data(), static_cast<std::size_t>(d / 2)), out);
}

}  // namespace

std::vector<double> sinusoidal_frequencies(std::int64_t d, double base) {
  std::vector<double> freq(static_cast<std::size_t>(d / 2));
  for (std::size_t i = 0; i < freq.size(); ++i) freq[i] = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
  return freq;
}

void sinusoidal_table(std::int64_t max_len, std::int64_t d, Span<float> out, const SinusoidalTableOptions& options) {
  const TableRange range = validate_table(max_len, d, options.base, options.start, options.count);
  require_length("out", out.size(), element_count({range.count, d}));
  fill_rows(range.start, range.count, d, sinusoidal_frequencies(d, options.base), out.data());
}

std::vector<float> sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options) {
  const TableRange range = validate_table(max_len, d, options.base, options.start, options.count);
  std::vector<float> out(element_count({range.count, d}));
  fill_rows(range.start, range.count, d, sinusoidal_frequencies(d, options.base), out.data());
  return out;
}

void sinusoidal_table_slices(std::int64_t max_len, std::int64_t d, Span<float> scratch, const TableSliceSink& sink,
                             const SinusoidalTableOptions& options) {
  const TableRange range = validate_table(max_len, d, options.base, options.start, options.count);
  std::int64_t slice = static_cast<std::int64_t>(scratch.size()) / d;
  if (slice < 1) {
    fail(ErrorCode::ShapeMismatch, "scratch must hold at least one row of d = " + std::to_string(d) + " values, got " +
                                       std::to_string(scratch.size()));
  }
  const auto stride = static_cast<std::int64_t>(kAnchorStride);
  if (slice > stride) slice -= slice % stride;  // whole anchor blocks
  const std::vector<double> freq = sinusoidal_frequencies(d, options.base);
  const SincosRows angles(freq.data(), static_cast<std::size_t>(d / 2));
  for (std::int64_t r0 = 0; r0 < range.count; r0 += slice) {
    const std::int64_t rows = std::min(slice, range.count - r0);
    fill_rows(range.start + r0, rows, d, angles, scratch.data());
    sink(r0, rows);
  }
}

void sinusoidal_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d, Span<float> out,
                        const SinusoidalForwardOptions& options) {
  require_finite("base", options.base);
  require_finite("p", options.dropout.p);
  require_size("batch", batch);
  require_size("seq", seq);
  require_size("d", d);
  require_size("max_len", options.max_len);
  require_even("d", d);
  require_range(options.base > 1, "base", options.base, "be greater than 1");
  const std::size_t n = element_count({batch, seq, d});
  validate_dropout(options.dropout, n);
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  require_position("offset", options.offset);
  if (options.offset + seq > options.max_len) {
    fail(ErrorCode::BadPosition, "offset + seq must be at most max_len = " + std::to_string(options.max_len) +
                                     ", got " + std::to_string(options.offset) + " + " + std::to_string(seq));
  }
  // One (seq, d) slice of the table serves every batch row.
  std::vector<float> pe(element_count({seq, d}));
  fill_rows(options.offset, seq, d, sinusoidal_frequencies(d, options.base), pe.data());
  add_rows_to_batch(x.data(), static_cast<std::size_t>(batch), pe.data(), pe.size(), out.data());
  dropout_in_place(out, options.dropout);
}

}  // namespace posenc
