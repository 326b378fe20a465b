#include <catch2/catch.hpp>

#include <cmath>

#include "check.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/simd.hpp"
#include "reference/layer_norm.hpp"
#include <vector>
#include "posenc/dropout.hpp"
#include "reference/gradients.hpp"

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

// ---- gradients ----

TEST_CASE("layer_norm_backward matches finite differences for x, gamma and beta", "[layer_norm][backward]") {
  for (int d : {1, 3, 8, 37}) {
    const int rows = 3;
    INFO("d " << d);
    const auto x = check::random_floats(rows * d, d, -2.0f, 3.0f);
    const auto gamma = check::random_floats(d, d + 1, 0.5f, 1.5f);
    const auto beta = check::random_floats(d, d + 2);
    const auto dy = check::random_floats(rows * d, d + 3);
    const double eps = 1e-5;
    std::vector<float> dx(x.size(), 0.0f), dg(d, 0.25f), db(d, 0.0f);
    posenc::layer_norm_backward(dy, x, rows, d, gamma, eps, dx, dg, db);
    const auto g64 = ref::widen(gamma), b64 = ref::widen(beta), x64 = ref::widen(x), dy64 = ref::widen(dy);
    // d = 1 has x̂ = 0 and a zero gradient for x; the loose absolute tolerance covers eps's curvature.
    check::close(dx, ref::vjp([&](const std::vector<double>& v) { return ref::layer_norm(v, rows, d, g64, b64, eps); }, x64, dy64),
                 5e-5, 1e-4);
    auto eg = ref::vjp([&](const std::vector<double>& g) { return ref::layer_norm(x64, rows, d, g, b64, eps); }, g64, dy64);
    for (double& e : eg) e += 0.25;
    check::close(dg, eg, 2e-5, 2e-5);
    check::close(db, ref::vjp([&](const std::vector<double>& b) { return ref::layer_norm(x64, rows, d, g64, b, eps); }, b64, dy64),
                 2e-5, 2e-5);
  }
}

TEST_CASE("layer_norm_backward without gamma and without parameter gradients", "[layer_norm][backward]") {
  const int rows = 2, d = 5;
  const auto x = check::random_floats(rows * d, 1);
  const auto dy = check::random_floats(rows * d, 2);
  std::vector<float> dx(x.size(), 0.0f);
  posenc::layer_norm_backward(dy, x, rows, d, {}, 1e-5, dx, {}, {});
  const std::vector<double> none;
  check::close(dx, ref::vjp([&](const std::vector<double>& v) { return ref::layer_norm(v, rows, d, none, none, 1e-5); },
                            ref::widen(x), ref::widen(dy)),
               5e-5, 1e-4);
}

TEST_CASE("layer_norm_backward errors name the argument", "[layer_norm][backward][errors]") {
  std::vector<float> v(6), dx(6), g(3), bad(2);
  check::throws_code([&] { posenc::layer_norm_backward(v, v, 2, 3, g, 0.0, dx, {}, {}); }, "OUT_OF_RANGE", "eps");
  check::throws_code([&] { posenc::layer_norm_backward(v, v, 2, 3, bad, 1e-5, dx, {}, {}); }, "SHAPE_MISMATCH", "gamma");
  check::throws_code([&] { posenc::layer_norm_backward(v, v, 2, 3, g, 1e-5, dx, bad, {}); }, "SHAPE_MISMATCH", "d_gamma");
  check::throws_code([&] { posenc::layer_norm_backward(v, v, 2, 3, g, 1e-5, bad, {}, {}); }, "SHAPE_MISMATCH", "dx");
}

TEST_CASE("dropout_backward reapplies the forward's keep mask and scale", "[dropout][backward]") {
  const std::vector<float> dy = {1, 2, 3, 4, 5};
  const std::vector<std::uint8_t> keep = {1, 0, 1, 1, 0};
  std::vector<float> dx(5, 1.0f);
  posenc::dropout_backward(dy, dx, {0.5, true, keep, 0});
  check::close(dx, std::vector<double>{3, 1, 7, 9, 1});
  // Seeded masks: the gradient of each element is its forward factor.
  std::vector<float> ones(1000, 1.0f), g(1000, 0.0f), y(1000);
  posenc::dropout(ones, y, {0.3, true, {}, 42});
  posenc::dropout_backward(ones, g, {0.3, true, {}, 42});
  CHECK(g == y);
  std::vector<float> id(5, 0.0f);
  posenc::dropout_backward(dy, id, {0.5, false, {}, 0});  // eval mode: identity
  check::close(id, std::vector<double>{1, 2, 3, 4, 5});
  check::throws_code([&] { posenc::dropout_backward(dy, dx, {1.5, true, {}, 0}); }, "OUT_OF_RANGE", "p");
  std::vector<float> short_dx(4);
  check::throws_code([&] { posenc::dropout_backward(dy, short_dx, {0.5, true, {}, 0}); }, "SHAPE_MISMATCH", "dx");
}

TEST_CASE("layer_norm: eps below 1e-30 is rejected, the smallest allowed keeps a constant row finite", "[layer_norm][errors]") {
  std::vector<float> x(8, 3.0f), out(8);
  // eps 1e-300: 1/sqrt(0 + eps) was a float32 Inf, and (x - mean) * Inf = 0 * Inf = NaN.
  check::throws_code([&] { posenc::layer_norm(x, 1, 8, {}, {}, 1e-300, out); }, "OUT_OF_RANGE", "eps must be at least 1e-30");
  posenc::layer_norm(x, 1, 8, {}, {}, 1e-30, out);
  for (float v : out) CHECK(v == 0.0f);
}
