// ALiBi (Press et al. 2022, "Train Short, Test Long"): per-head slopes and the linear distance bias.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "posenc/span.hpp"

namespace posenc {

// The authors' get_slopes: geometric for powers of two; otherwise the c-head list followed by every
// other entry of the 2c-head list (deliberately non-monotonic, as in the authors' code).
std::vector<double> alibi_slopes(std::int64_t num_heads);
void alibi_slopes(std::int64_t num_heads, Span<float> out);

enum class AlibiMode { Causal, Symmetric, KeyOnly };
// "causal" | "symmetric" | "key_only"; anything else is OUT_OF_RANGE.
AlibiMode parse_alibi_mode(const std::string& mode);
const char* alibi_mode_name(AlibiMode mode);

// The bias for one (slope, query position i', key j): causal −m(i'−j), symmetric −m|i'−j|, key_only +m·j.
inline double alibi_term(AlibiMode mode, double slope, std::int64_t query_pos, std::int64_t key) {
  const double dist = static_cast<double>(query_pos - key);
  switch (mode) {
    case AlibiMode::Causal: return -slope * dist;
    case AlibiMode::Symmetric: return -slope * (dist < 0 ? -dist : dist);
    case AlibiMode::KeyOnly: return slope * static_cast<double>(key);
  }
  return 0;
}

// out: [num_heads, q_len, k_len].
void alibi_bias(std::int64_t num_heads, std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset,
                AlibiMode mode, Span<float> out);

// The seed's ALiBi module: a (num_heads, max_len, max_len) causal bias cache sliced per call.
// Beyond max_len the bias is computed directly (linear in the distance, nothing to learn).
class ALiBiPositionalEncoding {
 public:
  ALiBiPositionalEncoding(std::int64_t num_heads, std::int64_t max_len = 512);
  // out: [num_heads, q_len, k_len], causal form with q_offset = k_len − q_len by default.
  void bias(std::int64_t q_len, std::int64_t k_len, Span<float> out, std::optional<std::int64_t> q_offset = std::nullopt) const;
  // scores, out: [batch, num_heads, q_len, k_len] (out may be scores); out = scores + bias.
  void forward(Span<const float> scores, std::int64_t batch, std::int64_t q_len, std::int64_t k_len, Span<float> out,
               std::optional<std::int64_t> q_offset = std::nullopt) const;
  const std::vector<double>& slopes() const { return slopes_; }
  std::int64_t num_heads() const { return num_heads_; }
  std::int64_t max_len() const { return max_len_; }

 private:
  std::int64_t num_heads_, max_len_;
  std::vector<double> slopes_;
  std::vector<float> cache_;
};

}  // namespace posenc
