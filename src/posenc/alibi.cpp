// ALiBi (Press et al. 2022, arXiv:2108.12409).
// Slopes: the authors' get_slopes in float64. Bias: out [num_heads, q_len, k_len], query row i at
// q_offset + i; each element is alibi_term in float64, rounded once to float32.
#include "posenc/alibi.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/row_add.hpp"
#include "posenc/shapes.hpp"

namespace posenc {
namespace {

// get_slopes_power_of_2: start = 2^(−2^−(log2 n − 3)) = 2^(−8/n), ratio = start, slope_h = start·ratio^h.
void power_of_two_slopes(std::int64_t n, std::vector<double>& out, std::int64_t step, std::int64_t count) {
  const double start = std::pow(2.0, -std::pow(2.0, -(std::log2(static_cast<double>(n)) - 3.0)));
  for (std::int64_t h = 0, taken = 0; h < n && taken < count; h += step, ++taken) {
    out.push_back(start * std::pow(start, static_cast<double>(h)));
  }
}

}  // namespace

std::vector<double> alibi_slopes(std::int64_t num_heads) {
  require_heads("num_heads", num_heads);
  element_count({num_heads});
  std::int64_t c = 1;
  while (c * 2 <= num_heads) c *= 2;  // 2^floor(log2 n), exact for any int64
  std::vector<double> slopes;
  slopes.reserve(static_cast<std::size_t>(num_heads));
  power_of_two_slopes(c, slopes, 1, c);
  // Non-powers of two: every other slope of the 2c-head list, in order (non-monotonic on purpose).
  if (c != num_heads) power_of_two_slopes(2 * c, slopes, 2, num_heads - c);
  return slopes;
}

void alibi_slopes(std::int64_t num_heads, Span<float> out) {
  require_heads("num_heads", num_heads);
  require_length("out", out.size(), static_cast<std::size_t>(num_heads));
  const auto slopes = alibi_slopes(num_heads);
  for (std::size_t h = 0; h < slopes.size(); ++h) out[h] = static_cast<float>(slopes[h]);
}

AlibiMode parse_alibi_mode(const std::string& mode) {
  if (mode == "causal") return AlibiMode::Causal;
  if (mode == "symmetric") return AlibiMode::Symmetric;
  if (mode == "key_only") return AlibiMode::KeyOnly;
  fail(ErrorCode::OutOfRange, "mode must be one of causal, symmetric, key_only, got '" + mode + "'");
}

const char* alibi_mode_name(AlibiMode mode) {
  switch (mode) {
    case AlibiMode::Causal: return "causal";
    case AlibiMode::Symmetric: return "symmetric";
    case AlibiMode::KeyOnly: return "key_only";
  }
  return "causal";
}

void alibi_bias(std::int64_t num_heads, std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset,
                AlibiMode mode, Span<float> out) {
  require_heads("num_heads", num_heads);
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  require_length("out", out.size(), element_count({num_heads, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  const auto slopes = alibi_slopes(num_heads);
  // Every bias depends on the distance offset + i − j (key_only: on j) alone, so row i of a head is the
  // window [q_len−1−i, q_len−1−i+k_len) of one diagonal strip: the terms are computed once per distance
  // and rows are plain copies (memory-bound in every build, the same bits as term by term).
  std::vector<float> strip(static_cast<std::size_t>(q_len + k_len - 1));
  float* row = out.data();
  for (std::int64_t h = 0; h < num_heads; ++h) {
    for (std::int64_t u = 0; u < q_len + k_len - 1; ++u) {  // u = j − i + q_len − 1
      const std::int64_t i = mode == AlibiMode::KeyOnly ? 0 : std::max<std::int64_t>(q_len - 1 - u, 0);
      strip[static_cast<std::size_t>(u)] = static_cast<float>(alibi_term(mode, slopes[h], offset + i, u - (q_len - 1) + i));
    }
    for (std::int64_t i = 0; i < q_len; ++i, row += k_len) {
      const std::int64_t from = mode == AlibiMode::KeyOnly ? q_len - 1 : q_len - 1 - i;
      std::copy_n(strip.data() + from, k_len, row);
    }
  }
}

// ---- ALiBiPositionalEncoding ---------------------------------------------------------------------------
// Slopes once, a causal bias cache (num_heads, max_len, max_len) with cache[h, a, b] = −m_h·(a − b), sliced
// per call with query row i at q_offset + i; requests reaching past max_len are computed directly.

ALiBiPositionalEncoding::ALiBiPositionalEncoding(std::int64_t num_heads, std::int64_t max_len)
    : num_heads_(num_heads), max_len_(max_len) {
  require_heads("num_heads", num_heads);
  require_size("max_len", max_len);
  slopes_ = alibi_slopes(num_heads);
  cache_ = allocate<float>("the ALiBi bias cache", element_count({num_heads, max_len, max_len}));
  float* row = cache_.data();
  for (std::int64_t h = 0; h < num_heads; ++h) {
    for (std::int64_t a = 0; a < max_len; ++a, row += max_len) {
      for (std::int64_t b = 0; b < max_len; ++b) row[b] = static_cast<float>(alibi_term(AlibiMode::Causal, slopes_[h], a, b));
    }
  }
}

void ALiBiPositionalEncoding::bias(std::int64_t q_len, std::int64_t k_len, Span<float> out,
                                  std::optional<std::int64_t> q_offset) const {
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  require_length("out", out.size(), element_count({num_heads_, q_len, k_len}));
  const std::int64_t offset = resolve_q_offset(q_offset, q_len, k_len);
  if (offset + q_len > max_len_ || k_len > max_len_) {
    alibi_bias(num_heads_, q_len, k_len, offset, AlibiMode::Causal, out);
    return;
  }
  for (std::int64_t h = 0; h < num_heads_; ++h) {
    for (std::int64_t i = 0; i < q_len; ++i) {
      const float* src = cache_.data() + (h * max_len_ + offset + i) * max_len_;
      std::copy(src, src + k_len, out.data() + (h * q_len + i) * k_len);
    }
  }
}


void ALiBiPositionalEncoding::forward(Span<const float> scores, std::int64_t batch, std::int64_t q_len,
                                      std::int64_t k_len, Span<float> out, std::optional<std::int64_t> q_offset) const {
  require_size("batch", batch);
  require_size("q_len", q_len);
  require_size("k_len", k_len);
  const std::size_t n = element_count({batch, num_heads_, q_len, k_len});
  require_length("scores", scores.size(), n);
  require_length("out", out.size(), n);
  std::vector<float> bias_rows = allocate<float>("the ALiBi bias", n / static_cast<std::size_t>(batch));
  bias(q_len, k_len, bias_rows, q_offset);
  add_rows_to_batch(scores.data(), static_cast<std::size_t>(batch), bias_rows.data(), bias_rows.size(), out.data());
}

}  // namespace posenc
