// Float64 reference for the sinusoidal table, written from the definition with plain loops (never calls posenc kernels).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

inline std::vector<double> sinusoidal_table(std::int64_t start, std::int64_t count, std::int64_t d, double base = 10000) {
  std::vector<double> pe(static_cast<std::size_t>(count * d));
  for (std::int64_t r = 0; r < count; ++r) {
    for (std::int64_t i = 0; i < d / 2; ++i) {
      const double omega = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
      const double angle = static_cast<double>(start + r) * omega;
      pe[static_cast<std::size_t>(r * d + 2 * i)] = std::sin(angle);
      pe[static_cast<std::size_t>(r * d + 2 * i + 1)] = std::cos(angle);
    }
  }
  return pe;
}

}  // namespace ref
