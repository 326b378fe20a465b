#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"
#include "posenc/rope_backward.hpp"
#include "posenc/xpos_backward.hpp"
#include "reference/gradients.hpp"

using posenc::Bhsd;
using posenc::RopeLayout;

// Gradients are compared with a tolerance a little above float32 rounding of the kernels' cos/sin.
constexpr double kGradTol = 2e-5;

TEST_CASE("rope_backward is the transpose of rope_forward (finite differences of the float64 rotation)", "[rope][backward]") {
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    for (int d_rot : {2, 4, 6}) {
      for (int variant = 0; variant < 4; ++variant) {
        const int B = 2, H = 2, S = 5, D = 6;
        INFO("layout " << posenc::rope_layout_name(layout) << " d_rot " << d_rot << " variant " << variant);
        posenc::RopeForwardOptions opt;
        opt.layout = layout;
        opt.d_rot = d_rot;
        const std::vector<std::int32_t> pos = {3, 9, 0, 40000, 17, 5, 6, 7, 8, 1000000};
        if (variant == 1) {  // YaRN: attention factor a ≠ 1
          opt.scaling.type = posenc::RopeType::Yarn;
          opt.scaling.factor = 4.0;
          opt.max_position_embeddings = 64;
        }
        if (variant == 2) opt.positions = pos;  // (batch, seq) explicit positions
        if (variant == 3) {
          opt.inverse = true;
          opt.offset = 123;
          opt.scaling.type = posenc::RopeType::Yarn;
          opt.scaling.factor = 2.0;
          opt.max_position_embeddings = 64;
        }
        const auto params = posenc::rope_params(d_rot, opt.base, opt.scaling, opt.max_position_embeddings);
        const auto position = [&](int b, int s) -> double {
          return variant == 2 ? pos[static_cast<std::size_t>(b * S + s)] : opt.offset + s;
        };
        const double sign = opt.inverse ? -1.0 : 1.0;
        const double a = opt.inverse ? 1.0 / params.attention_factor : params.attention_factor;
        const auto f = [&](const std::vector<double>& x) {
          return ref::rotate_pairs(x, B, H, S, D, d_rot, layout == RopeLayout::Interleaved,
                                   [&](int b, int s, int j) { return sign * position(b, s) * params.inv_freq[j]; },
                                   [&](int, int, int) { return a; });
        };
        const auto x = check::random_floats(B * H * S * D, 11);
        const auto dy = check::random_floats(B * H * S * D, 12);
        std::vector<float> dx(x.size(), 0.5f);  // gradients accumulate onto what is there
        posenc::rope_backward(dy, {B, H, S, D}, dx, opt);
        auto expected = ref::vjp(f, ref::widen(x), ref::widen(dy));
        for (double& e : expected) e += 0.5;
        check::close(dx, expected, kGradTol, kGradTol);
      }
    }
  }
}

TEST_CASE("xpos_backward matches finite differences of the float64 xPos", "[xpos][backward]") {
  for (RopeLayout layout : {RopeLayout::Interleaved, RopeLayout::Half}) {
    for (posenc::XposRole role : {posenc::XposRole::Query, posenc::XposRole::Key}) {
      const int B = 1, H = 2, S = 6, D = 8;
      posenc::XposOptions opt;
      opt.layout = layout;
      opt.role = role;
      opt.offset = 100;
      opt.center = 30;
      const double sign = role == posenc::XposRole::Query ? 1.0 : -1.0;
      const auto f = [&](const std::vector<double>& x) {
        return ref::rotate_pairs(
            x, B, H, S, D, D, layout == RopeLayout::Interleaved,
            [&](int, int s, int j) { return (100.0 + s) / std::pow(10000.0, 2.0 * j / D); },
            [&](int, int s, int j) {
              const double zeta = (2.0 * j / D + 0.4) / 1.4;
              return std::pow(zeta, sign * (100.0 + s - 30.0) / 512.0);
            });
      };
      const auto x = check::random_floats(B * H * S * D, 21);
      const auto dy = check::random_floats(B * H * S * D, 22);
      std::vector<float> dx(x.size(), 0.0f);
      posenc::xpos_backward(dy, {B, H, S, D}, dx, opt);
      check::close(dx, ref::vjp(f, ref::widen(x), ref::widen(dy)), kGradTol, kGradTol);
    }
  }
}

TEST_CASE("rope_backward and xpos_backward report bad shapes with the forward's errors", "[rope][backward][errors]") {
  std::vector<float> dy(2 * 3 * 4), dx(2 * 3 * 4), short_dx(5);
  posenc::RopeForwardOptions opt;
  check::throws_code([&] { posenc::rope_backward(dy, {1, 2, 3, 4}, short_dx, opt); }, "SHAPE_MISMATCH", "dx");
  opt.d_rot = 6;
  check::throws_code([&] { posenc::rope_backward(dy, {1, 2, 3, 4}, dx, opt); }, "ROT_DIM", "d_rot");
  check::throws_code([&] { posenc::xpos_backward(dy, {1, 2, 4, 3}, dx); }, "ODD_DIM", "head_dim");
}
