// Float64 reference for ALiBi (Press et al. 2022), written from the definition with plain loops (never calls posenc kernels).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ref {

// The authors' rule: c = 2^floor(log2 n); the c-head slopes 2^(−8(h+1)/c), then 2^(−4(2t+1)/c), t < n − c.
inline std::vector<double> alibi_slopes(std::int64_t n) {
  std::int64_t c = 1;
  while (2 * c <= n) c *= 2;
  std::vector<double> m;
  for (std::int64_t h = 0; h < c; ++h) m.push_back(std::exp2(-8.0 * static_cast<double>(h + 1) / static_cast<double>(c)));
  for (std::int64_t t = 0; t < n - c; ++t) m.push_back(std::exp2(-4.0 * static_cast<double>(2 * t + 1) / static_cast<double>(c)));
  return m;
}

// HF BLOOM build_alibi_tensor's closed form: base = 2^(−8/c) to powers 1…c, extra_base = 2^(−4/c) to odd powers.
inline std::vector<double> bloom_slopes(std::int64_t n) {
  std::int64_t c = 1;
  while (2 * c <= n) c *= 2;
  const double base = std::pow(2.0, -std::pow(2.0, -(std::log2(static_cast<double>(c)) - 3)));
  std::vector<double> m;
  for (std::int64_t p = 1; p <= c; ++p) m.push_back(std::pow(base, static_cast<double>(p)));
  if (c != n) {
    const double extra = std::pow(2.0, -std::pow(2.0, -(std::log2(static_cast<double>(2 * c)) - 3)));
    for (std::int64_t t = 0; t < n - c; ++t) m.push_back(std::pow(extra, static_cast<double>(2 * t + 1)));
  }
  return m;
}

// mode: "causal" −m(i'−j), "symmetric" −m|i'−j|, "key_only" +m·j; out [heads, q_len, k_len].
inline std::vector<double> alibi_bias(std::int64_t heads, std::int64_t q_len, std::int64_t k_len, std::int64_t q_offset,
                                      const std::string& mode) {
  const auto m = alibi_slopes(heads);
  std::vector<double> out;
  for (std::int64_t h = 0; h < heads; ++h) {
    for (std::int64_t i = 0; i < q_len; ++i) {
      for (std::int64_t j = 0; j < k_len; ++j) {
        const double d = static_cast<double>(q_offset + i - j);
        double v = 0;
        if (mode == "causal") v = -m[h] * d;
        else if (mode == "symmetric") v = -m[h] * std::fabs(d);
        else v = m[h] * static_cast<double>(j);
        out.push_back(v);
      }
    }
  }
  return out;
}

}  // namespace ref
