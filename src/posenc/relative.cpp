// Relative position biases, out [heads, q_len, k_len] with query row i at q_offset + i:
// Shaw et al. (2018)-style clipped distances and T5 buckets (Raffel et al. 2020; HF
// T5Attention._relative_position_bucket with the logarithm in float64).
// Both depend on (i, j) only through rp = j − (q_offset + i), so each query row computes its table
// rows once and then scatters them per head.
#include "posenc/relative.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/shapes.hpp"

namespace posenc {
namespace {

void require_table_shape(Span<const float> table, std::int64_t rows, std::int64_t cols, std::int64_t want_rows,
                         const char* rows_rule, std::int64_t num_heads) {
  if (rows != want_rows) {
    fail(ErrorCode::ShapeMismatch, "table rows must equal " + std::string(rows_rule) + " = " + std::to_string(want_rows) +
                                       ", got " + std::to_string(rows));
  }
  if (cols != num_heads) {
    fail(ErrorCode::ShapeMismatch,
         "table columns must equal num_heads = " + std::to_string(num_heads) + ", got " + std::to_string(cols));
  }
  require_length("table", table.size(), element_count({rows, cols}));
}

// out[h, i, :] = table[row_of(j − (offset + i)), h] for every head.
template <class RowOf>
void scatter_rows(Span<const float> table, std::int64_t num_heads, std::int64_t q_len, std::int64_t k_len,
                  std::int64_t offset, RowOf row_of, Span<float> out) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(k_len));
  for (std::int64_t i = 0; i < q_len; ++i) {
    for (std::int64_t j = 0; j < k_len; ++j) rows[static_cast<std::size_t>(j)] = row_of(j - (offset + i)) * num_heads;
    for (std::int64_t h = 0; h < num_heads; ++h) {
      float* dst = out.data() + (h * q_len + i) * k_len;
      const float* column = table.data() + h;
      for (std::int64_t j = 0; j < k_len; ++j) dst[j] = column[rows[static_cast<std::size_t>(j)]];
    }
  }
}

}  // namespace

void clipped_relative_bias(Span<const float> table, std::int64_t table_rows, std::int64_t table_cols,
                           std::int64_t num_heads, std::int64_t max_distance, std::int64_t q_len, std::int64_t k_len,
                           std::optional<std::int64_t> q_offset, Span<float> out) {
  require_finite_entries("table", table);
  require_heads("num_heads", num_heads);
  if (max_distance < 0) {
    fail(ErrorCode::BadSize, "max_distance must be a non-negative integer, got " + std::to_string(max_distance));
  }
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  if (max_distance > kMaxPosition) {
    fail(ErrorCode::OutOfRange, "max_distance must be <= 2147483647, got " + std::to_string(max_distance));
  }
  require_table_shape(table, table_rows, table_cols, 2 * max_distance + 1, "2 * max_distance + 1", num_heads);
  require_length("out", out.size(), element_count({num_heads, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  const std::int64_t k = max_distance;
  scatter_rows(table, num_heads, q_len, k_len, offset,
               [k](std::int64_t rp) { return std::clamp(rp, -k, k) + k; }, out);
}

void validate_t5(const T5BucketOptions& options) {
  require_size("num_buckets", options.num_buckets);
  require_size("max_distance", options.max_distance);
  const std::int64_t nb = options.bidirectional ? options.num_buckets / 2 : options.num_buckets;
  const std::int64_t e = nb / 2;
  if (e < 1) {
    fail(ErrorCode::OutOfRange, std::string("num_buckets must be >= ") + (options.bidirectional ? "4" : "2") +
                                    (options.bidirectional ? " when bidirectional" : " when unidirectional") +
                                    " (exact buckets e = floor(nb/2) >= 1), got " + std::to_string(options.num_buckets));
  }
  if (options.max_distance <= e) {
    fail(ErrorCode::OutOfRange, "max_distance must be > the exact-bucket count e = " + std::to_string(e) + ", got " +
                                    std::to_string(options.max_distance));
  }
}

std::int32_t t5_bucket(std::int64_t relative_position, const T5BucketOptions& options) {
  std::int64_t nb = options.num_buckets, base = 0;
  double n;
  if (options.bidirectional) {
    nb /= 2;
    if (relative_position > 0) base = nb;
    n = std::fabs(static_cast<double>(relative_position));
  } else {
    n = relative_position < 0 ? -static_cast<double>(relative_position) : 0.0;  // future keys share bucket 0
  }
  const std::int64_t e = nb / 2;
  if (n < static_cast<double>(e)) return static_cast<std::int32_t>(base + static_cast<std::int64_t>(n));
  // float64 logarithm: HF's float32 one can flip a bucket at an integer boundary.
  const double ed = static_cast<double>(e);
  const double large = ed + std::trunc(std::log(n / ed) / std::log(static_cast<double>(options.max_distance) / ed) *
                                       static_cast<double>(nb - e));
  return static_cast<std::int32_t>(base + std::min(static_cast<double>(nb - 1), large));
}

void t5_buckets(Span<const std::int32_t> relative_positions, Span<std::int32_t> out, const T5BucketOptions& options) {
  validate_t5(options);
  require_length("out", out.size(), relative_positions.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = t5_bucket(relative_positions[i], options);
}

void t5_bias(Span<const float> table, std::int64_t table_rows, std::int64_t table_cols, std::int64_t num_heads,
             std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, bool bidirectional,
             std::int64_t max_distance, Span<float> out) {
  require_finite_entries("table", table);
  require_heads("num_heads", num_heads);
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  const T5BucketOptions options{bidirectional, table_rows, max_distance};
  validate_t5(options);
  require_table_shape(table, table_rows, table_cols, table_rows, "num_buckets", num_heads);
  require_length("out", out.size(), element_count({num_heads, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  scatter_rows(table, num_heads, q_len, k_len, offset,
               [&options](std::int64_t rp) { return static_cast<std::int64_t>(t5_bucket(rp, options)); }, out);
}

namespace {

void require_table(std::int64_t table_rows, std::int64_t table_cols, std::int64_t expected_rows, const char* rows_rule,
                   std::int64_t num_heads, Span<float> d_table) {
  if (table_rows != expected_rows) {
    fail(ErrorCode::ShapeMismatch, std::string("table_rows must equal ") + rows_rule + " = " +
                                       std::to_string(expected_rows) + ", got " + std::to_string(table_rows));
  }
  if (table_cols != num_heads) {
    fail(ErrorCode::ShapeMismatch, "table_cols must equal num_heads = " + std::to_string(num_heads) + ", got " +
                                       std::to_string(table_cols));
  }
  require_length("d_table", d_table.size(), element_count({table_rows, table_cols}));
}

// d_table[row_of(j − (offset + i))][h] += Σ_b d_bias[b, h, i, j]; the distance → row map is computed once
// per distinct distance (q_len + k_len − 1 of them), not per element.
template <class RowOf>
void gather(Span<const float> d_bias, std::int64_t batch, std::int64_t heads, std::int64_t q_len, std::int64_t k_len,
            std::int64_t offset, RowOf row_of, Span<float> d_table) {
  const std::int64_t lo = -(offset + q_len - 1);  // smallest j − (offset + i)
  std::vector<std::int64_t> rows(static_cast<std::size_t>(q_len + k_len - 1));
  for (std::size_t t = 0; t < rows.size(); ++t) rows[t] = row_of(lo + static_cast<std::int64_t>(t));
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < heads; ++h)
      for (std::int64_t i = 0; i < q_len; ++i) {
        const float* g = d_bias.data() + ((b * heads + h) * q_len + i) * k_len;
        for (std::int64_t j = 0; j < k_len; ++j) {
          const std::int64_t row = rows[static_cast<std::size_t>(j - (offset + i) - lo)];
          d_table[static_cast<std::size_t>(row * heads + h)] += g[j];
        }
      }
}

}  // namespace

void clipped_relative_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols,
                                    std::int64_t num_heads, std::int64_t max_distance, std::int64_t q_len,
                                    std::int64_t k_len, std::optional<std::int64_t> q_offset, Span<float> d_table,
                                    std::int64_t batch) {
  require_heads("num_heads", num_heads);
  if (max_distance < 0) {
    fail(ErrorCode::BadSize, "max_distance must be a non-negative integer, got " + std::to_string(max_distance));
  }
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  require_size("batch", batch);
  if (max_distance > kMaxPosition) {
    fail(ErrorCode::OutOfRange, "max_distance must be <= 2147483647, got " + std::to_string(max_distance));
  }
  require_table(table_rows, table_cols, 2 * max_distance + 1, "2 * max_distance + 1", num_heads, d_table);
  require_length("d_bias", d_bias.size(), element_count({batch, num_heads, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  const std::int64_t k = max_distance;
  gather(d_bias, batch, num_heads, q_len, k_len, offset, [k](std::int64_t rp) { return std::clamp(rp, -k, k) + k; },
         d_table);
}

void t5_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols, std::int64_t num_heads,
                      std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, bool bidirectional,
                      std::int64_t max_distance, Span<float> d_table, std::int64_t batch) {
  require_heads("num_heads", num_heads);
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  require_size("batch", batch);
  const T5BucketOptions options{bidirectional, table_rows, max_distance};
  validate_t5(options);
  require_table(table_rows, table_cols, table_rows, "num_buckets", num_heads, d_table);
  require_length("d_bias", d_bias.size(), element_count({batch, num_heads, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  gather(d_bias, batch, num_heads, q_len, k_len, offset,
         [&options](std::int64_t rp) { return static_cast<std::int64_t>(t5_bucket(rp, options)); }, d_table);
}

}  // namespace posenc
