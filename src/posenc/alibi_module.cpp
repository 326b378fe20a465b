// ALiBiPositionalEncoding: the seed's module. Slopes once, a causal bias cache
// (num_heads, max_len, max_len) with cache[h, a, b] = −m_h·(a − b), sliced per call with query row i at
// q_offset + i (bottom-right by default); requests reaching past max_len are computed directly.
#include <algorithm>

#include "posenc/error.hpp"
#include "posenc/modules.hpp"
#include "posenc/relative.hpp"

namespace posenc {

ALiBiPositionalEncoding::ALiBiPositionalEncoding(std::int64_t num_heads, std::int64_t max_len)
    : num_heads_(num_heads), max_len_(max_len) {
  require_heads("num_heads", num_heads);
  require_size("max_len", max_len);
  slopes_ = alibi_slopes(num_heads);
  cache_.resize(element_count({num_heads, max_len, max_len}));
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

}  // namespace posenc
