#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "posenc/angles.hpp"
#include "posenc/simd.hpp"

namespace {

// Frequencies of RoPE/sinusoidal shape (base^(−2j/d)) and a scaled-looking irregular set.
std::vector<double> frequencies(std::size_t n) {
  std::vector<double> f(n);
  for (std::size_t j = 0; j < n; ++j) f[j] = std::pow(10000.0, -2.0 * static_cast<double>(j) / (2.0 * static_cast<double>(n)));
  return f;
}

// Float64 sin/cos of (first + r)·freq[j], row-major [rows, n], written from the definition.
void expected(std::int64_t first, std::size_t rows, const std::vector<double>& freq, std::vector<double>& s,
              std::vector<double>& c) {
  s.assign(rows * freq.size(), 0);
  c.assign(rows * freq.size(), 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < freq.size(); ++j) {
      const double a = static_cast<double>(first + static_cast<std::int64_t>(r)) * freq[j];
      s[r * freq.size() + j] = std::sin(a);
      c[r * freq.size() + j] = std::cos(a);
    }
  }
}

}  // namespace

TEST_CASE("SincosRows matches float64 across anchor boundaries and up to 2^31-1", "[angles]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::size_t n : {1, 3, 8, 64, 67}) {
    const auto freq = frequencies(n);
    for (std::int64_t first : {std::int64_t{0}, std::int64_t{13}, std::int64_t{31}, std::int64_t{1000000},
                               std::int64_t{2147483647} - 100}) {
      const std::size_t count = 100;  // spans several anchors, starting off an anchor
      INFO("n=" << n << " first=" << first);
      std::vector<float> s(count * n), c(count * n);
      posenc::SincosSteps steps;
      const posenc::SincosRows rows(freq.data(), n, first, count, steps);
      rows.fill(first, count, s.data(), c.data());
      std::vector<double> es, ec;
      expected(first, count, freq, es, ec);
      check::close(s, es);
      check::close(c, ec);
    }
  }
}

TEST_CASE("SincosRows gives a position the same bits whichever range computes it", "[angles]") {
  const auto freq = frequencies(64);
  posenc::SincosSteps steps, part_steps;
  const posenc::SincosRows rows(freq.data(), 64, 1000, 200, steps);
  const posenc::SincosRows part(freq.data(), 64, 1077, 70, part_steps);
  std::vector<float> whole_s(200 * 64), whole_c(200 * 64), part_s(70 * 64), part_c(70 * 64);
  rows.fill(1000, 200, whole_s.data(), whole_c.data());
  part.fill(1077, 70, part_s.data(), part_c.data());  // rows 77 … 146 of the whole range
  for (std::size_t i = 0; i < part_s.size(); ++i) {
    REQUIRE(part_s[i] == whole_s[77 * 64 + i]);
    REQUIRE(part_c[i] == whole_c[77 * 64 + i]);
  }
}

TEST_CASE("SincosRows agrees with sincos_at on anchor rows", "[angles]") {
  const auto freq = frequencies(16);
  posenc::SincosSteps steps;
  const posenc::SincosRows rows(freq.data(), 16, 0, 64, steps);
  std::vector<float> s(64 * 16), c(64 * 16), as(16), ac(16);
  rows.fill(0, 64, s.data(), c.data());
  posenc::sincos_at(32.0, freq.data(), 16, as.data(), ac.data());
  for (std::size_t j = 0; j < 16; ++j) {
    CHECK(s[32 * 16 + j] == as[j]);
    CHECK(c[32 * 16 + j] == ac[j]);
  }
}

TEST_CASE("SincosSteps kept across calls rebuilds for other frequencies of the same length", "[angles]") {
  // One SincosSteps reused by calls with different frequency sets: a set that differs in one value must
  // not read the other's steps.
  const auto a = frequencies(8);
  auto b = a;
  b[5] *= 1.5;
  std::vector<float> s(40 * 8), c(40 * 8);
  std::vector<double> es, ec;
  posenc::SincosSteps steps;
  const std::vector<double>* sets[] = {&a, &b, &a, &b};
  for (const auto* freq : sets) {
    const posenc::SincosRows rows(freq->data(), 8, 3, 40, steps);
    rows.fill(3, 40, s.data(), c.data());
    expected(3, 40, *freq, es, ec);
    check::close(s, es);
    check::close(c, ec);
  }
}

TEST_CASE("SincosSteps holds only the step rows a range needs, and grows for a longer one", "[angles]") {
  CHECK(posenc::steps_needed(0, 1) == 1);
  CHECK(posenc::steps_needed(5, 3) == 8);
  CHECK(posenc::steps_needed(64, 64) == 64);
  CHECK(posenc::steps_needed(63, 2) == posenc::kAnchorStride);  // crosses an anchor
  CHECK(posenc::steps_needed(7, 0) == 0);
  const auto freq = frequencies(16);
  posenc::SincosSteps steps;
  std::vector<float> s(16), c(16), s2(16), c2(16);
  posenc::SincosRows(freq.data(), 16, 2, 1, steps).fill(2, 1, s.data(), c.data());
  CHECK(steps.rows() == 3);
  posenc::SincosRows(freq.data(), 16, 0, 200, steps).fill(2, 1, s2.data(), c2.data());
  CHECK(steps.rows() == posenc::kAnchorStride);
  CHECK(s == s2);  // the same bits before and after the table grew
  CHECK(c == c2);
}

TEST_CASE("inverse_frequencies is base^(-2j/d) in float64", "[angles]") {
  const auto f = posenc::inverse_frequencies(8, 10000.0);
  REQUIRE(f.size() == 4);
  for (std::size_t j = 0; j < 4; ++j) CHECK(f[j] == 1.0 / std::pow(10000.0, 2.0 * static_cast<double>(j) / 8.0));
}
