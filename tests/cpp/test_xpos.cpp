#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"
#include "posenc/xpos.hpp"
#include "reference/rope.hpp"

using posenc::Bhsd;
using posenc::XposOptions;
using posenc::XposRole;

namespace {

std::vector<float> run(const std::vector<float>& x, const Bhsd& shape, const XposOptions& opt) {
  std::vector<float> out(x.size());
  posenc::xpos_apply(x, shape, out, opt);
  return out;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("xpos_apply matches the float64 definition", "[xpos]") {
  for (int d : {2, 8, 64}) {
    for (int seq : {1, 7, 33}) {
      for (XposRole role : {XposRole::Query, XposRole::Key}) {
        for (posenc::RopeLayout layout : {posenc::RopeLayout::Interleaved, posenc::RopeLayout::Half}) {
          for (double center : {0.0, 1000.5}) {
            const int B = 2, H = 3;
            INFO("d=" << d << " seq=" << seq << " role=" << (role == XposRole::Query ? "q" : "k") << " center=" << center);
            const auto x = check::random_floats(static_cast<std::size_t>(B * H * seq * d), d + seq);
            XposOptions opt;
            opt.role = role;
            opt.layout = layout;
            opt.offset = 1000;
            opt.center = center;
            check::close(run(x, {B, H, seq, d}, opt),
                         ref::xpos_apply(x, B, H, seq, d, role == XposRole::Query, [](int, int s) { return 1000 + s; },
                                         layout == posenc::RopeLayout::Interleaved, 10000, 0.4, 512, center));
          }
        }
      }
    }
  }
}

TEST_CASE("xpos_apply with per-batch positions and custom gamma, scale_base, base", "[xpos]") {
  const int B = 2, H = 2, S = 4, D = 6;
  const auto x = check::random_floats(B * H * S * D, 77);
  const std::vector<std::int32_t> pos = {1040000, 1040009, 1048576, 1050000, 1045000, 1 << 20, 1048000, 1049007};
  XposOptions opt;
  opt.positions = pos;
  opt.gamma = 0.9;
  opt.scale_base = 2048;
  opt.base = 500;
  opt.center = 1 << 20;  // within e^80 of every position (and its reciprocal for keys)
  check::close(run(x, {B, H, S, D}, opt),
               ref::xpos_apply(x, B, H, S, D, true, [&](int b, int s) { return pos[b * S + s]; }, true, 500, 0.9, 2048,
                               1 << 20));
}

TEST_CASE("xPos q.k does not depend on the centre and decays with distance", "[xpos][invariant]") {
  const int D = 2;  // one pair: the xPos score is exactly zeta_0^((n-m)/B) times the RoPE score
  const auto q = check::random_floats(D, 1), k = check::random_floats(D, 2);
  auto score = [&](std::int64_t n, std::int64_t m, double center, double gamma) {
    XposOptions qo, ko;
    qo.offset = n;
    ko.offset = m;
    ko.role = XposRole::Key;
    qo.center = ko.center = center;
    qo.gamma = ko.gamma = gamma;
    return dot(run(q, {1, 1, 1, D}, qo), run(k, {1, 1, 1, D}, ko));
  };
  for (std::int64_t delta : {0, 100, 1000, 5000}) {
    const std::int64_t m = 20000, n = m + delta;
    const double s = score(n, m, 20000, 0.4);
    CHECK(score(n, m, 25000, 0.4) == Approx(s).epsilon(1e-5));
    CHECK(score(n, m, 0, 0.4) == Approx(s).epsilon(1e-5));
    // Ratio to plain RoPE (gamma → ∞ makes zeta → 1): zeta_0^(delta/B) with zeta_0 = 0.4/1.4.
    const double rope = score(n, m, 20000, 1e12);
    CHECK(s / rope == Approx(std::pow(0.4 / 1.4, static_cast<double>(delta) / 512)).epsilon(1e-4));
  }
  CHECK(std::pow(0.4 / 1.4, 100.0 / 512) < 1.0);
}

TEST_CASE("xpos_apply errors carry their codes and name the argument", "[xpos][errors]") {
  std::vector<float> x(2 * 8), out(x.size());
  auto call = [&](XposOptions opt, Bhsd s = {1, 1, 2, 8}) { return [&x, &out, opt, s] { posenc::xpos_apply(x, s, out, opt); }; };
  XposOptions o;
  o.gamma = NAN;
  check::throws_code(call(o), "NON_FINITE", "gamma");
  o = {};
  o.center = INFINITY;
  check::throws_code(call(o), "NON_FINITE", "center");
  check::throws_code(call({}, {1, 0, 2, 8}), "BAD_SIZE", "heads");
  std::vector<float> x7(14), out7(14);
  check::throws_code([&] { posenc::xpos_apply(x7, {1, 1, 2, 7}, out7); }, "ODD_DIM", "head_dim must be even, got 7");
  o = {};
  o.scale_base = 0;
  check::throws_code(call(o), "OUT_OF_RANGE", "scale_base");
  o = {};
  o.gamma = 0;
  check::throws_code(call(o), "OUT_OF_RANGE", "gamma");
  o = {};
  o.base = 0.5;
  check::throws_code(call(o), "OUT_OF_RANGE", "base");
  o = {};
  o.offset = 300000;  // |300000/512 · ln(0.4/1.4)| ≈ 734 > 80
  check::throws_code(call(o), "OUT_OF_RANGE", "center");
  o.center = 300000;  // centred: fine
  posenc::xpos_apply(x, {1, 1, 2, 8}, out, o);
  check::throws_code([] { posenc::parse_xpos_role("v"); }, "OUT_OF_RANGE", "role");
  std::vector<std::int32_t> three = {1, 2, 3}, neg = {1, -5};
  o = {};
  o.positions = three;
  check::throws_code(call(o), "SHAPE_MISMATCH", "positions");
  o.positions = neg;
  check::throws_code(call(o), "BAD_POSITION", "positions[1]");
  std::vector<float> small(3);
  check::throws_code([&] { posenc::xpos_apply(x, {1, 1, 2, 8}, small); }, "SHAPE_MISMATCH", "out");
}

TEST_CASE("xpos_apply over several table blocks (seq 150)", "[xpos]") {
  const int B = 1, H = 2, S = 150, D = 8;
  const auto x = check::random_floats(B * H * S * D, 31);
  XposOptions opt;
  opt.role = XposRole::Key;
  opt.offset = 40;
  opt.center = 100;
  check::close(run(x, {B, H, S, D}, opt),
               ref::xpos_apply(x, B, H, S, D, false, [](int, int s) { return 40 + s; }, true, 10000, 0.4, 512, 100));
}

TEST_CASE("xpos_apply rejects a scale past e^80 instead of overflowing float32", "[xpos][errors]") {
  // Both pass the old float64 limit (exponent 700) but their float32 scale was Inf (and the result NaN).
  std::vector<float> x(2 * 8, 0.5f), out(x.size());
  XposOptions o;
  o.role = XposRole::Key;
  o.offset = 40000;  // 40000/512 · 1.25 ≈ 98
  check::throws_code([&] { posenc::xpos_apply(x, {1, 1, 2, 8}, out, o); }, "OUT_OF_RANGE", "at most 80");
  o = {};
  o.center = 65536;
  check::throws_code([&] { posenc::xpos_apply(x, {1, 1, 2, 8}, out, o); }, "OUT_OF_RANGE", "at most 80");
  o.center = 0;
  o.offset = 32000;  // exponent ≈ 78: allowed, and finite
  posenc::xpos_apply(x, {1, 1, 2, 8}, out, o);
  for (float v : out) CHECK(std::isfinite(v));
}

TEST_CASE("xpos_apply stays within tolerance where the scale magnifies angle errors", "[xpos]") {
  // Offset 20000, scale ζ_0^(n/B) ≈ 1.1e4: a float32 angle error times the scale missed 2e-6 by 9x.
  const int B = 1, H = 2, S = 40, D = 64;
  const auto x = check::random_floats(B * H * S * D, 77);
  for (XposRole role : {XposRole::Query, XposRole::Key}) {
    XposOptions opt;
    opt.role = role;
    opt.offset = 20000;
    opt.scale_base = 2688;  // 20000/2688 · 1.253 ≈ 9.3 = ln 1.1e4
    for (posenc::RopeLayout layout : {posenc::RopeLayout::Interleaved, posenc::RopeLayout::Half}) {
      opt.layout = layout;
      check::close(run(x, {B, H, S, D}, opt),
                   ref::xpos_apply(x, B, H, S, D, role == XposRole::Query, [](int, int s) { return 20000 + s; },
                                   layout == posenc::RopeLayout::Interleaved, 10000, 0.4, 2688, 0));
    }
  }
}
