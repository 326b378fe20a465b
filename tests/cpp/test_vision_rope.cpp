// Vision RoPE against float64 angle tables built the way each model's code builds them
// (reference/rope.hpp: Pixtral's PixtralRotaryEmbedding, Qwen2-VL's VisionRotaryEmbedding + rot_pos_emb,
// Llama 4's Llama4VisionRotaryEmbedding), and small grids worked by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "check.hpp"
#include "posenc/vision_rope.hpp"
#include "reference/rope.hpp"

using posenc::Bhsd;
using posenc::VisionRopeOptions;
using posenc::VisionRopeStyle;

namespace {

VisionRopeOptions opts(VisionRopeStyle style, std::int64_t h, std::int64_t w, double base = 10000, std::int64_t m = 2) {
  VisionRopeOptions o;
  o.style = style;
  o.grid_h = h;
  o.grid_w = w;
  o.base = base;
  o.spatial_merge_size = m;
  return o;
}

std::vector<float> run(const std::vector<float>& x, const Bhsd& shape, const VisionRopeOptions& o) {
  std::vector<float> out(x.size(), -7.0f);
  posenc::vision_rope_forward(x, shape, out, o);
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> coords(const VisionRopeOptions& o) {
  std::vector<std::pair<std::int64_t, std::int64_t>> c;
  for (const auto& p : posenc::vision_rope_patches(o)) c.emplace_back(p.row, p.col);
  return c;
}

}  // namespace

TEST_CASE("vision RoPE patch order: pixtral row-major, qwen2vl merge blocks, llama4 row-major then CLS", "[vision]") {
  using P = std::vector<std::pair<std::int64_t, std::int64_t>>;
  CHECK(coords(opts(VisionRopeStyle::Pixtral, 2, 3)) == P{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}});
  CHECK(coords(opts(VisionRopeStyle::Qwen2Vl, 2, 4)) == P{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}});
  CHECK(coords(opts(VisionRopeStyle::Qwen2Vl, 4, 2)) == P{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {3, 0}, {3, 1}});
  CHECK(coords(opts(VisionRopeStyle::Llama4, 2, 2)) == P{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {-1, -1}});
  CHECK(posenc::vision_rope_tokens(opts(VisionRopeStyle::Llama4, 3, 5)) == 16);
}

TEST_CASE("vision RoPE by hand: which dims turn with the row and which with the column", "[vision]") {
  // D = 8, base 100: ω_i = 100^(−2i/8) = 1, 0.316…, 0.1, 0.0316…; one head, one-hot pairs.
  const int D = 8;
  const double w1 = std::pow(100.0, -0.25), w2 = 0.1, w3 = std::pow(100.0, -0.75);
  SECTION("pixtral: pairs (0,4),(1,5) by row·ω0, row·ω2; pairs (2,6),(3,7) by col·ω1, col·ω3") {
    const auto o = opts(VisionRopeStyle::Pixtral, 2, 3, 100);
    std::vector<float> x(6 * D, 0.0f);
    for (int t = 0; t < 6; ++t) x[t * D + 0] = x[t * D + 1] = x[t * D + 2] = x[t * D + 3] = 1.0f;
    const auto y = run(x, {1, 1, 6, D}, o);
    const int t = 5;  // patch (1, 2)
    CHECK(y[t * D + 0] == Approx(std::cos(1.0)).margin(1e-6));
    CHECK(y[t * D + 4] == Approx(std::sin(1.0)).margin(1e-6));
    CHECK(y[t * D + 1] == Approx(std::cos(w2)).margin(1e-6));
    CHECK(y[t * D + 5] == Approx(std::sin(w2)).margin(1e-6));
    CHECK(y[t * D + 2] == Approx(std::cos(2 * w1)).margin(1e-6));
    CHECK(y[t * D + 6] == Approx(std::sin(2 * w1)).margin(1e-6));
    CHECK(y[t * D + 3] == Approx(std::cos(2 * w3)).margin(1e-6));
    CHECK(y[t * D + 7] == Approx(std::sin(2 * w3)).margin(1e-6));
  }
  SECTION("qwen2vl: ω_k = 100^(−4k/8) = 1, 0.1; pairs 0, 1 by row, pairs 2, 3 by column") {
    const auto o = opts(VisionRopeStyle::Qwen2Vl, 2, 4, 100, 2);
    std::vector<float> x(8 * D, 0.0f);
    for (int t = 0; t < 8; ++t) x[t * D + 0] = x[t * D + 1] = x[t * D + 2] = x[t * D + 3] = 1.0f;
    const auto y = run(x, {1, 1, 8, D}, o);
    const int t = 6;  // third token of the second block: patch (1, 2)
    CHECK(y[t * D + 0] == Approx(std::cos(1.0)).margin(1e-6));
    CHECK(y[t * D + 1] == Approx(std::cos(0.1)).margin(1e-6));
    CHECK(y[t * D + 2] == Approx(std::cos(2.0)).margin(1e-6));
    CHECK(y[t * D + 6] == Approx(std::sin(2.0)).margin(1e-6));
    CHECK(y[t * D + 3] == Approx(std::cos(0.2)).margin(1e-6));
  }
  SECTION("llama4: interleaved pairs (0,1),(2,3) by (col+1)·ω, (4,5),(6,7) by (row+1)·ω; CLS unturned") {
    const auto o = opts(VisionRopeStyle::Llama4, 2, 2, 100);
    std::vector<float> x(5 * D, 0.0f);
    for (int t = 0; t < 5; ++t) x[t * D + 0] = x[t * D + 2] = x[t * D + 4] = x[t * D + 6] = 1.0f;
    const auto y = run(x, {1, 1, 5, D}, o);
    const int t = 1;  // patch (0, 1): column 2, row 1 counted from 1
    CHECK(y[t * D + 0] == Approx(std::cos(2.0)).margin(1e-6));
    CHECK(y[t * D + 1] == Approx(std::sin(2.0)).margin(1e-6));
    CHECK(y[t * D + 2] == Approx(std::cos(0.2)).margin(1e-6));
    CHECK(y[t * D + 4] == Approx(std::cos(1.0)).margin(1e-6));
    CHECK(y[t * D + 6] == Approx(std::cos(0.1)).margin(1e-6));
    for (int i = 0; i < D; ++i) CHECK(y[4 * D + i] == x[4 * D + i]);
  }
}

TEST_CASE("vision RoPE matches the float64 tables of each model's code; inverse undoes it", "[vision]") {
  struct Case {
    VisionRopeStyle style;
    int h, w, m, D;
  };
  for (const Case& c : {Case{VisionRopeStyle::Pixtral, 3, 5, 1, 64}, Case{VisionRopeStyle::Pixtral, 24, 20, 1, 88},
                        Case{VisionRopeStyle::Qwen2Vl, 4, 6, 2, 80}, Case{VisionRopeStyle::Qwen2Vl, 6, 3, 3, 16},
                        Case{VisionRopeStyle::Llama4, 4, 4, 1, 88}, Case{VisionRopeStyle::Llama4, 3, 7, 1, 8}}) {
    const auto o = opts(c.style, c.h, c.w, 10000, c.m);
    const int S = static_cast<int>(posenc::vision_rope_tokens(o)), B = 2, H = 3;
    INFO(posenc::vision_rope_style_name(c.style) << " " << c.h << "x" << c.w << " D=" << c.D);
    const auto table = c.style == VisionRopeStyle::Pixtral  ? ref::pixtral_angles(c.h, c.w, c.D, 10000)
                       : c.style == VisionRopeStyle::Qwen2Vl ? ref::qwen2vl_angles(c.h, c.w, c.m, c.D, 10000)
                                                              : ref::llama4_angles(c.h, c.w, c.D, 10000);
    REQUIRE(static_cast<int>(table.size()) == S);
    const auto x = check::random_floats(static_cast<std::size_t>(B * H * S * c.D), c.D + S);
    const auto got = run(x, {B, H, S, c.D}, o);
    check::close(got, ref::rope_apply_angles(x, B, H, S, c.D, c.D, c.style == VisionRopeStyle::Llama4,
                                             [&](int, int s, int j) { return table[s][j]; }));
    auto back = o;
    back.inverse = true;
    check::close(run(got, {B, H, S, c.D}, back), std::vector<double>(x.begin(), x.end()), 1e-5, 1e-5);
  }
}

TEST_CASE("vision RoPE errors carry their codes", "[vision][errors]") {
  std::vector<float> x(1 * 1 * 6 * 8), out(x.size());
  auto call = [&](const VisionRopeOptions& o, Bhsd s = {1, 1, 6, 8}) {
    return [&x, &out, o, s] { posenc::vision_rope_forward(x, s, out, o); };
  };
  check::throws_code(call(opts(VisionRopeStyle::Pixtral, 0, 6)), "BAD_SIZE", "grid[0] (h)");
  check::throws_code(call(opts(VisionRopeStyle::Pixtral, 2, 2)), "SHAPE_MISMATCH", "x.shape[2] must be the grid's 4 tokens");
  check::throws_code(call(opts(VisionRopeStyle::Llama4, 2, 3)), "SHAPE_MISMATCH", "7 tokens (2x3 + CLS)");
  check::throws_code(call(opts(VisionRopeStyle::Qwen2Vl, 2, 3)), "SHAPE_MISMATCH", "multiples of spatial_merge_size = 2");
  check::throws_code(call(opts(VisionRopeStyle::Pixtral, 2, 3, 1)), "OUT_OF_RANGE", "base must be greater than 1");
  std::vector<float> x6(1 * 1 * 6 * 6), o6(x6.size());
  check::throws_code([&] { posenc::vision_rope_forward(x6, {1, 1, 6, 6}, o6, opts(VisionRopeStyle::Pixtral, 2, 3)); },
                     "ODD_DIM", "head_dim must be a multiple of 4");
  check::throws_code([] { posenc::parse_vision_rope_style("siglip"); }, "OUT_OF_RANGE", "style must be 'pixtral', 'qwen2vl' or 'llama4', got 'siglip'");
  for (float v : out) CHECK(v == 0.0f);
}
