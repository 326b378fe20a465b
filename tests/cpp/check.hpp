// Shared test helpers: tolerance comparison with a readable report, seeded inputs, error matchers.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "posenc/error.hpp"

namespace check {

// Tolerance of a float32 result against its float64 definition.
constexpr double kAbs = 2e-6;
constexpr double kRel = 2e-6;

// Compares got (float32) with the float64 definition element by element; on failure reports the
// count, the worst element and the first mismatches, like llm.c's checks.
template <class Got, class Exp>
void close(const Got& got, const Exp& expected, double abs_tol = kAbs, double rel_tol = kRel) {
  REQUIRE(got.size() == expected.size());
  std::size_t bad = 0, worst = 0;
  double worst_excess = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]), e = static_cast<double>(expected[i]);
    const double limit = abs_tol + rel_tol * std::fabs(e);
    const double err = std::fabs(g - e);
    if (!(err <= limit) && !(std::isinf(e) && g == e)) {
      if (bad < 5) first << "  [" << i << "] got " << g << " expected " << e << " (err " << err << ")\n";
      if (bad == 0 || err - limit > worst_excess) {
        worst_excess = err - limit;
        worst = i;
      }
      ++bad;
    }
  }
  INFO(bad << " of " << got.size() << " elements out of tolerance; worst at [" << worst << "]\n" << first.str());
  CHECK(bad == 0);
}

// Deterministic values in [lo, hi).
inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  std::uint32_t s = seed * 2654435761u + 1u;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    x = lo + (hi - lo) * static_cast<float>(s >> 8) / 16777216.0f;
  }
  return v;
}

// Runs f, requires a posenc::Error with the given code whose message contains `needle`.
template <class F>
void throws_code(F&& f, const char* code, const std::string& needle) {
  try {
    f();
  } catch (const posenc::Error& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.code_name()) == code);
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
    return;
  }
  FAIL("expected posenc::Error " << code << " mentioning '" << needle << "', nothing was thrown");
}

}  // namespace check
