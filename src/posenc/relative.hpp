// Relative position biases added to attention scores, shape [heads, q_len, k_len]:
// Shaw et al. (2018)-style clipped distances (one scalar per head and distance, the T5-style simplification
// of Shaw's learned vectors) and T5 buckets (Raffel et al. 2020).
// Query row i sits at q_offset + i; q_offset defaults to k_len − q_len (bottom-right, KV-cache decoding).
#pragma once
#include <cstdint>
#include <optional>

#include "posenc/span.hpp"

namespace posenc {

// table: [2K+1, heads] (table_rows, table_cols); bias[h,i,j] = table[clip(j − (q_offset+i), −K, K) + K][h].
void clipped_relative_bias(Span<const float> table, std::int64_t table_rows, std::int64_t table_cols,
                           std::int64_t num_heads, std::int64_t max_distance, std::int64_t q_len, std::int64_t k_len,
                           std::optional<std::int64_t> q_offset, Span<float> out);

struct T5BucketOptions {
  bool bidirectional = true;
  std::int64_t num_buckets = 32;
  std::int64_t max_distance = 128;
};

// Throws OUT_OF_RANGE unless e = floor(nb/2) ≥ 1 and max_distance > e (HF divides by zero otherwise).
void validate_t5(const T5BucketOptions& options);

// Bucket of one relative position rp = key − query (validated options).
std::int32_t t5_bucket(std::int64_t relative_position, const T5BucketOptions& options);

// out[i] = bucket of relative_positions[i].
void t5_buckets(Span<const std::int32_t> relative_positions, Span<std::int32_t> out, const T5BucketOptions& options = {});

// table: [num_buckets, heads] (table_rows = num_buckets, table_cols); out: [num_heads, q_len, k_len].
void t5_bias(Span<const float> table, std::int64_t table_rows, std::int64_t table_cols, std::int64_t num_heads,
             std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, bool bidirectional,
             std::int64_t max_distance, Span<float> out);

// Gradients of the relative position biases (relative.hpp) with respect to their tables. Shapes:
// d_bias [num_heads, q_len, k_len] (or [batch, num_heads, q_len, k_len] with batch > 1: summed over batch);
// d_table [table_rows, table_cols] with table_cols = num_heads. Arguments mirror the forwards'.
// Forward: bias[h,i,j] = table[row(j − (q_offset+i))][h]; so d_table[row][h] += d_bias[h,i,j] (a scatter-add:
// every (i, j) at the same clipped distance or bucket lands on one entry).
void clipped_relative_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols,
                                    std::int64_t num_heads, std::int64_t max_distance, std::int64_t q_len,
                                    std::int64_t k_len, std::optional<std::int64_t> q_offset, Span<float> d_table,
                                    std::int64_t batch = 1);

void t5_bias_backward(Span<const float> d_bias, std::int64_t table_rows, std::int64_t table_cols, std::int64_t num_heads,
                      std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, bool bidirectional,
                      std::int64_t max_distance, Span<float> d_table, std::int64_t batch = 1);

}  // namespace posenc
