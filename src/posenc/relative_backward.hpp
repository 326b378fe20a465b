// Gradients of the relative position biases (relative.hpp) with respect to their tables. Shapes:
// d_bias [num_heads, q_len, k_len] (or [batch, num_heads, q_len, k_len] with batch > 1: summed over batch);
// d_table [table_rows, table_cols] with table_cols = num_heads. Arguments mirror the forwards'.
// Forward: bias[h,i,j] = table[row(j − (q_offset+i))][h]; so d_table[row][h] += d_bias[h,i,j] (a scatter-add:
// every (i, j) at the same clipped distance or bucket lands on one entry).
#pragma once
#include <cstdint>
#include <optional>

#include "posenc/span.hpp"

namespace posenc {

void clipped_relative_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols,
                                    std::int64_t num_heads, std::int64_t max_distance, std::int64_t q_len,
                                    std::int64_t k_len, std::optional<std::int64_t> q_offset, Span<float> d_table,
                                    std::int64_t batch = 1);

void t5_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols, std::int64_t num_heads,
                      std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, bool bidirectional,
                      std::int64_t max_distance, Span<float> d_table, std::int64_t batch = 1);

}  // namespace posenc
