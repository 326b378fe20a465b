#include "posenc/relative_backward.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/shapes.hpp"
#include "posenc/relative.hpp"

namespace posenc {
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
