#include <catch2/catch.hpp>

#include <vector>

#include "check.hpp"
#include "posenc/dropout_backward.hpp"
#include "posenc/layer_norm_backward.hpp"
#include "reference/gradients.hpp"

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
