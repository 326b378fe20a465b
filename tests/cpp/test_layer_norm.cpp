#include <catch2/catch.hpp>

#include <cmath>

#include "check.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/simd.hpp"
#include "reference/layer_norm.hpp"

namespace {
const std::vector<float> kNone;
}

TEST_CASE("layer_norm matches the float64 definition, with and without gamma/beta", "[layer_norm]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::int64_t d : {2, 6, 8, 64, 130}) {
    for (std::int64_t rows : {1, 7, 33}) {
      INFO("d=" << d << " rows=" << rows);
      const auto x = check::random_floats(static_cast<std::size_t>(rows * d), static_cast<std::uint32_t>(d + rows), -3, 3);
      const auto gamma = check::random_floats(static_cast<std::size_t>(d), 7, 0.5f, 1.5f);
      const auto beta = check::random_floats(static_cast<std::size_t>(d), 8);
      std::vector<float> out(x.size());
      posenc::layer_norm(x, rows, d, gamma, beta, 1e-5, out);
      check::close(out, ref::layer_norm(x, rows, d, gamma, beta, 1e-5));
      posenc::layer_norm(x, rows, d, {}, {}, 1e-3, out);
      check::close(out, ref::layer_norm(x, rows, d, kNone, kNone, 1e-3));
    }
  }
}

TEST_CASE("layer_norm keeps its accuracy when the mean dwarfs the spread", "[layer_norm]") {
  const std::int64_t d = 130, rows = 5;
  auto x = check::random_floats(static_cast<std::size_t>(rows * d), 3);
  for (float& v : x) v += 1000.0f;
  std::vector<float> out(x.size());
  posenc::layer_norm(x, rows, d, {}, {}, 1e-5, out);
  check::close(out, ref::layer_norm(x, rows, d, kNone, kNone, 1e-5));
}

TEST_CASE("layer_norm in place, and a constant row gives beta", "[layer_norm]") {
  const std::int64_t d = 8;
  std::vector<float> x(d, 4.0f);
  const auto beta = check::random_floats(d, 2);
  posenc::layer_norm(x, 1, d, {}, beta, 1e-5, x);
  for (std::int64_t i = 0; i < d; ++i) CHECK(x[i] == beta[i]);
}

TEST_CASE("layer_norm errors carry their codes and name the argument", "[layer_norm][errors]") {
  std::vector<float> x(16), out(16), g(8, 1.0f), bad(8, 1.0f), short_g(7, 1.0f);
  bad[3] = NAN;
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, {}, {}, NAN, out); }, "NON_FINITE", "eps");
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, bad, {}, 1e-5, out); }, "NON_FINITE", "gamma[3]");
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, g, bad, 1e-5, out); }, "NON_FINITE", "beta[3]");
  check::throws_code([&] { posenc::layer_norm(x, 0, 8, {}, {}, 1e-5, out); }, "BAD_SIZE", "rows");
  check::throws_code([&] { posenc::layer_norm(x, 2, 0, {}, {}, 1e-5, out); }, "BAD_SIZE", "d must");
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, {}, {}, 0.0, out); }, "OUT_OF_RANGE", "eps must be greater than 0, got 0");
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, short_g, {}, 1e-5, out); }, "SHAPE_MISMATCH", "gamma");
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, {}, short_g, 1e-5, out); }, "SHAPE_MISMATCH", "beta");
  check::throws_code([&] { posenc::layer_norm(x, 3, 8, {}, {}, 1e-5, out); }, "SHAPE_MISMATCH", "x must");
  std::vector<float> small(15);
  check::throws_code([&] { posenc::layer_norm(x, 2, 8, {}, {}, 1e-5, small); }, "SHAPE_MISMATCH", "out must");
}

TEST_CASE("layer_norm: eps below 1e-30 is rejected, the smallest allowed keeps a constant row finite", "[layer_norm][errors]") {
  std::vector<float> x(8, 3.0f), out(8);
  // eps 1e-300: 1/sqrt(0 + eps) was a float32 Inf, and (x - mean) * Inf = 0 * Inf = NaN.
  check::throws_code([&] { posenc::layer_norm(x, 1, 8, {}, {}, 1e-300, out); }, "OUT_OF_RANGE", "eps must be at least 1e-30");
  posenc::layer_norm(x, 1, 8, {}, {}, 1e-30, out);
  for (float v : out) CHECK(v == 0.0f);
}
