// Float64 references for the clipped relative bias and T5 buckets, plain loops from the definitions.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

// table (2K+1, heads) row-major; out [heads, q_len, k_len].
inline std::vector<double> clipped_relative_bias(const std::vector<float>& table, std::int64_t heads, std::int64_t K,
                                                 std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset) {
  std::vector<double> out;
  for (std::int64_t h = 0; h < heads; ++h)
    for (std::int64_t i = 0; i < q_len; ++i)
      for (std::int64_t j = 0; j < k_len; ++j) {
        const std::int64_t rp = std::clamp<std::int64_t>(j - (q_offset + i), -K, K);
        out.push_back(table[static_cast<std::size_t>((rp + K) * heads + h)]);
      }
  return out;
}

inline std::int64_t t5_bucket(std::int64_t rp, bool bidirectional, std::int64_t num_buckets, std::int64_t max_distance) {
  std::int64_t nb = num_buckets, base = 0, n = 0;
  if (bidirectional) {
    nb = num_buckets / 2;
    base = rp > 0 ? nb : 0;
    n = rp < 0 ? -rp : rp;
  } else {
    n = std::max<std::int64_t>(-rp, 0);
  }
  const std::int64_t e = nb / 2;
  if (n < e) return base + n;
  const double large = static_cast<double>(e) + std::trunc(std::log(static_cast<double>(n) / static_cast<double>(e)) /
                                                           std::log(static_cast<double>(max_distance) / static_cast<double>(e)) *
                                                           static_cast<double>(nb - e));
  return base + std::min<std::int64_t>(nb - 1, static_cast<std::int64_t>(large));
}

// table (num_buckets, heads); out [heads, q_len, k_len].
inline std::vector<double> t5_bias(const std::vector<float>& table, std::int64_t num_buckets, std::int64_t heads,
                                   std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset, bool bidirectional,
                                   std::int64_t max_distance) {
  std::vector<double> out;
  for (std::int64_t h = 0; h < heads; ++h)
    for (std::int64_t i = 0; i < q_len; ++i)
      for (std::int64_t j = 0; j < k_len; ++j) {
        const auto b = t5_bucket(j - (q_offset + i), bidirectional, num_buckets, max_distance);
        out.push_back(table[static_cast<std::size_t>(b * heads + h)]);
      }
  return out;
}

}  // namespace ref
