// Sinusoidal encoding. Table: [count, d], interleaved sin/cos per pair, angles formed in float64 and
// reduced exactly (angles.hpp). Forward: x, out [batch, seq, d]; one [seq, d] slice of the table is built
// once and added to every batch row.
#include "posenc/sinusoidal.hpp"

#include <string>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/row_add.hpp"
#include "posenc/shapes.hpp"
#include "posenc/simd.hpp"

namespace posenc {

namespace {

// The whole range [first, first + rows), with the caller's step table or one of its own.
void fill_rows(std::int64_t first, std::int64_t rows, std::int64_t d, double base, float* out,
               SincosSteps* kept = nullptr) {
  const std::vector<double> freq = inverse_frequencies(d, base);
  SincosSteps local;
  const SincosRows angles(freq.data(), freq.size(), first, static_cast<std::size_t>(rows), kept ? *kept : local);
  sinusoidal_rows(first, rows, d, angles, out);
}

void require_table_args(std::int64_t d, double base) {
  require_even("d", d);
  require_range(base > 1, "base", base, "be greater than 1");
}

}  // namespace

TableRange validate_sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options) {
  const std::int64_t start = options.start;
  require_finite("base", options.base);
  require_size("max_len", max_len);
  require_size("d", d);
  if (options.count) require_size("count", *options.count);
  require_table_args(d, options.base);
  if (start < 0 || start >= max_len) {
    fail(ErrorCode::BadPosition, "start must be in [0, max_len) = [0, " + std::to_string(max_len) + "), got " +
                                     std::to_string(start));
  }
  const std::int64_t rows = options.count ? *options.count : max_len - start;
  if (rows > max_len - start) {  // not start + rows, which can overflow
    fail(ErrorCode::BadPosition, "start + count must be at most max_len = " + std::to_string(max_len) + ", got " +
                                     std::to_string(start) + " + " + std::to_string(rows));
  }
  return {start, rows};
}

// Each sin/cos vector pair from SincosRows is interleaved ([s0 c0 s1 c1 …]) and stored straight into its
// row, so the table is written once and never read back.
void sinusoidal_rows(std::int64_t first, std::int64_t rows, std::int64_t d, const SincosRows& angles, float* out) {
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

void sinusoidal_table(std::int64_t max_len, std::int64_t d, Span<float> out, const SinusoidalTableOptions& options) {
  const TableRange range = validate_sinusoidal_table(max_len, d, options);
  require_length("out", out.size(), element_count({range.count, d}));
  fill_rows(range.start, range.count, d, options.base, out.data(), options.steps);
}

std::vector<float> sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options) {
  const TableRange range = validate_sinusoidal_table(max_len, d, options);
  std::vector<float> out = allocate<float>("the sinusoidal table", element_count({range.count, d}));
  fill_rows(range.start, range.count, d, options.base, out.data(), options.steps);
  return out;
}

void sinusoidal_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d, Span<float> out,
                        const SinusoidalForwardOptions& options) {
  require_finite("base", options.base);
  require_finite("p", options.dropout.p);
  require_size("batch", batch);
  require_size("seq", seq);
  require_size("d", d);
  require_size("max_len", options.max_len);
  require_table_args(d, options.base);
  const std::size_t n = element_count({batch, seq, d});
  validate_dropout(options.dropout, n);
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  require_window(options.offset, seq, options.max_len);
  // One (seq, d) slice of the table serves every batch row.
  std::vector<float> pe = allocate<float>("the sinusoidal table", element_count({seq, d}));
  fill_rows(options.offset, seq, d, options.base, pe.data());
  add_rows_to_batch(x.data(), static_cast<std::size_t>(batch), pe.data(), pe.size(), out.data());
  dropout_in_place(out, options.dropout);
}

// ---- SinusoidalPositionalEncoding ----------------------------------------------------------------------

namespace {
std::int64_t validated_dim(std::int64_t dim, std::int64_t max_len, double dropout, double base) {
  require_finite("dropout", dropout);
  require_finite("base", base);
  require_size("dim", dim);
  require_size("max_len", max_len);
  require_even("dim", dim);
  require_range(dropout >= 0 && dropout <= 1, "dropout", dropout, "be in [0, 1]");
  require_range(base > 1, "base", base, "be greater than 1");
  return dim;
}
}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::int64_t dim, std::int64_t max_len, double dropout,
                                                           double base, std::uint64_t seed)
    : dim_(validated_dim(dim, max_len, dropout, base)),
      max_len_(max_len),
      p_(dropout),
      seed_(seed),
      table_(sinusoidal_table(max_len, dim, {base, 0, max_len, nullptr})) {}

void SinusoidalPositionalEncoding::forward(Span<const float> x, std::int64_t batch, std::int64_t seq, Span<float> out,
                                           std::int64_t offset) {
  require_size("batch", batch);
  require_size("seq", seq);
  const std::size_t n = element_count({batch, seq, dim_});
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  require_window(offset, seq, max_len_);
  const auto row = static_cast<std::size_t>(dim_);
  add_rows_to_batch(x.data(), static_cast<std::size_t>(batch), table_.data() + static_cast<std::size_t>(offset) * row,
                    static_cast<std::size_t>(seq) * row, out.data());
  const DropoutOptions dropout{p_, training_, {}, dropout_call_seed(seed_, calls_)};
  if (dropout_active(dropout)) {
    dropout_in_place(out, dropout);
    ++calls_;
  }
}

}  // namespace posenc
