#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "posenc/rope.hpp"
#include "posenc/rope_detail.hpp"
#include "posenc/simd.hpp"
#include "reference/rope.hpp"

using posenc::Bhsd;
using posenc::RopeForwardOptions;
using posenc::RopeLayout;

namespace {

constexpr std::int64_t kMax = 2147483647;

std::vector<float> run(const std::vector<float>& x, const Bhsd& shape, const RopeForwardOptions& opt) {
  std::vector<float> out(x.size(), -7.0f);
  posenc::rope_forward(x, shape, out, opt);
  return out;
}

// Dot product of two rows of length n.
double dot(const float* a, const float* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("rope_forward matches the float64 definition over shapes, layouts and offsets", "[rope]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  const std::int64_t offsets[] = {0, 5, std::int64_t{1} << 20, kMax - 40};
  for (int d : {2, 6, 8, 64, 128, 130}) {  // 64 and 128 also take the kernels compiled for their d_rot
    for (int seq : {1, 7, 33}) {
      for (std::int64_t offset : offsets) {
        for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
          const int B = 2, H = 3;
          INFO("d=" << d << " seq=" << seq << " offset=" << offset << " layout=" << posenc::rope_layout_name(layout));
          const auto x = check::random_floats(static_cast<std::size_t>(B * H * seq * d), d * 100 + seq);
          RopeForwardOptions opt;
          opt.layout = layout;
          opt.offset = offset;
          const auto got = run(x, {B, H, seq, d}, opt);
          const auto exp = ref::rope_apply(x, B, H, seq, d, d, layout == RopeLayout::Interleaved,
                                           [&](int, int s) { return offset + s; }, {ref::rope_inv_freq(d, 10000)});
          check::close(got, exp);
        }
      }
    }
  }
}

TEST_CASE("rope_forward with explicit positions, shared and per batch row", "[rope]") {
  const int B = 3, H = 2, S = 7, D = 8;
  const auto x = check::random_floats(B * H * S * D, 11);
  const std::vector<std::int32_t> shared = {0, 3, 1, 1 << 20, 2147483647, 2147483000, 17};
  std::vector<std::int32_t> per_batch(B * S);
  for (int i = 0; i < B * S; ++i) per_batch[i] = (i * 7919 + (i % 3) * 1048576) % 2000000;
  per_batch[5] = 2147483647;
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    RopeForwardOptions opt;
    opt.layout = layout;
    opt.base = 500000;
    opt.positions = shared;
    const bool il = layout == RopeLayout::Interleaved;
    check::close(run(x, {B, H, S, D}, opt),
                 ref::rope_apply(x, B, H, S, D, D, il, [&](int, int s) { return shared[s]; },
                                 {ref::rope_inv_freq(D, 500000)}));
    opt.positions = per_batch;
    check::close(run(x, {B, H, S, D}, opt),
                 ref::rope_apply(x, B, H, S, D, D, il, [&](int b, int s) { return per_batch[b * S + s]; },
                                 {ref::rope_inv_freq(D, 500000)}));
  }
}

TEST_CASE("partial rotary rotates the first d_rot dims and copies the rest unscaled", "[rope]") {
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    for (auto [D, d_rot] : {std::pair{130, 64}, std::pair{64, 32}, std::pair{9, 4}, std::pair{7, 2}}) {
      const int B = 2, H = 2, S = 7;
      INFO("head_dim=" << D << " d_rot=" << d_rot << " layout=" << posenc::rope_layout_name(layout));
      const auto x = check::random_floats(B * H * S * D, D);
      RopeForwardOptions opt;
      opt.layout = layout;
      opt.d_rot = d_rot;
      opt.offset = 1000;
      // yarn's attention factor must not touch the pass-through dims.
      opt.scaling.type = posenc::RopeType::Yarn;
      opt.scaling.factor = 4;
      opt.max_position_embeddings = 4096;
      const auto got = run(x, {B, H, S, D}, opt);
      const auto p = ref::rope_yarn(d_rot, 10000, {4, 4096});
      REQUIRE(p.a > 1.1);
      check::close(got, ref::rope_apply(x, B, H, S, D, d_rot, layout == RopeLayout::Interleaved,
                                        [](int, int s) { return 1000 + s; }, p));
      for (std::size_t r = 0; r < got.size() / D; ++r) {
        for (int i = d_rot; i < D; ++i) CHECK(got[r * D + i] == x[r * D + i]);
      }
    }
  }
}

TEST_CASE("inverse undoes forward, in place, with an attention factor", "[rope]") {
  const int B = 2, H = 3, S = 33, D = 64;
  const auto x = check::random_floats(B * H * S * D, 5);
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    RopeForwardOptions opt;
    opt.layout = layout;
    opt.offset = 123456;
    opt.scaling.type = posenc::RopeType::Yarn;
    opt.scaling.factor = 16;
    opt.max_position_embeddings = 2048;
    std::vector<float> y = x;
    posenc::rope_forward(y, {B, H, S, D}, y, opt);  // in place
    const auto p = ref::rope_yarn(D, 10000, {16, 2048});
    check::close(y, ref::rope_apply(x, B, H, S, D, D, layout == RopeLayout::Interleaved,
                                    [](int, int s) { return 123456 + s; }, p));
    opt.inverse = true;
    check::close(run(y, {B, H, S, D}, opt),
                 ref::rope_apply(y, B, H, S, D, D, layout == RopeLayout::Interleaved,
                                 [](int, int s) { return 123456 + s; }, p, true));
    posenc::rope_forward(y, {B, H, S, D}, y, opt);
    check::close(y, x, 1e-5, 1e-5);
  }
}

TEST_CASE("attention factor scales rotated dims of q and k, so logits scale by a^2", "[rope]") {
  const int D = 8;
  const auto q = check::random_floats(D, 1), k = check::random_floats(D, 2);
  RopeForwardOptions plain, scaled;
  scaled.scaling.type = posenc::RopeType::Yarn;
  scaled.scaling.factor = 8;
  scaled.scaling.attention_factor = 1.5;
  scaled.scaling.beta_fast = 1e9;  // correction range below dim 0: every pair extrapolates (default RoPE)
  scaled.scaling.beta_slow = 1e9 / 2;
  scaled.max_position_embeddings = 1024;
  plain.offset = scaled.offset = 40;
  const auto q0 = run(q, {1, 1, 1, D}, plain), k0 = run(k, {1, 1, 1, D}, plain);
  const auto q1 = run(q, {1, 1, 1, D}, scaled), k1 = run(k, {1, 1, 1, D}, scaled);
  for (int i = 0; i < D; ++i) CHECK(q1[i] == Approx(1.5 * q0[i]).margin(1e-6));
  CHECK(dot(q1.data(), k1.data(), D) == Approx(2.25 * dot(q0.data(), k0.data(), D)).margin(1e-5));
}

TEST_CASE("q.k after RoPE depends only on m - n (both layouts, partial rotary)", "[rope][invariant]") {
  const int D = 10;
  const auto q = check::random_floats(D, 3), k = check::random_floats(D, 4);
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    for (int d_rot : {10, 6}) {
      INFO("layout=" << posenc::rope_layout_name(layout) << " d_rot=" << d_rot);
      auto score = [&](std::int32_t m, std::int32_t n) {
        RopeForwardOptions opt;
        opt.layout = layout;
        opt.d_rot = d_rot;
        std::vector<std::int32_t> pm{m}, pn{n};
        opt.positions = pm;
        const auto qm = run(q, {1, 1, 1, D}, opt);
        opt.positions = pn;
        const auto kn = run(k, {1, 1, 1, D}, opt);
        return dot(qm.data(), kn.data(), D);
      };
      for (std::int32_t delta : {0, 1, 5, -9, 1000}) {
        const double s0 = score(2000 + delta, 2000);
        CHECK(score(3000 + delta, 3000) == Approx(s0).margin(2e-5));
        CHECK(score(1048576 + delta, 1048576) == Approx(s0).margin(2e-5));
        CHECK(score(2147480000 + delta, 2147480000) == Approx(s0).margin(2e-5));
      }
      CHECK(score(5, 0) != Approx(score(0, 0)).margin(1e-3));
    }
  }
}

TEST_CASE("half(Px) = P interleaved(x) for SPEC 3's permutation", "[rope][invariant]") {
  const int H = 2, S = 7, D = 12, d_rot = 8;
  const auto x = check::random_floats(H * S * D, 9);
  // P sends interleaved index 2j -> j and 2j+1 -> j + d_rot/2 inside the rotated dims.
  auto permute = [&](const std::vector<float>& v) {
    std::vector<float> p(v);
    for (std::size_t r = 0; r < v.size() / D; ++r) {
      for (int j = 0; j < d_rot / 2; ++j) {
        p[r * D + j] = v[r * D + 2 * j];
        p[r * D + j + d_rot / 2] = v[r * D + 2 * j + 1];
      }
    }
    return p;
  };
  RopeForwardOptions opt;
  opt.d_rot = d_rot;
  opt.offset = 77777;
  opt.layout = RopeLayout::Half;
  const auto lhs = run(permute(x), {1, H, S, D}, opt);
  opt.layout = RopeLayout::Interleaved;
  const auto rhs = permute(run(x, {1, H, S, D}, opt));
  check::close(lhs, std::vector<double>(rhs.begin(), rhs.end()), 1e-6, 1e-6);
}

TEST_CASE("rope_rotate on hand-written tables (kernel contract)", "[rope]") {
  // One row, head_dim 5, d_rot 4: pairs (0,2),(1,3) in half, (0,1),(2,3) interleaved; dim 4 copied.
  const std::vector<float> x = {1, 2, 3, 4, 5};
  const std::vector<float> c = {0, 1}, s = {1, 0};  // pair 0 by +90 degrees, pair 1 by 0
  std::vector<float> out(5);
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Half, c.data(), s.data(), false);
  CHECK(out == std::vector<float>{-3, 2, 1, 4, 5});
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Interleaved, c.data(), s.data(), false);
  CHECK(out == std::vector<float>{-2, 1, 3, 4, 5});
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Interleaved, c.data(), s.data(), true);
  CHECK(out == std::vector<float>{2, -1, 3, 4, 5});
}

TEST_CASE("rope names parse and print", "[rope]") {
  for (const char* name : {"default", "linear", "dynamic", "yarn", "llama3", "longrope"}) {
    CHECK(std::string(posenc::rope_type_name(posenc::parse_rope_type(name))) == name);
  }
  CHECK(posenc::parse_rope_layout("half") == RopeLayout::Half);
  CHECK(posenc::parse_rope_layout("interleaved") == RopeLayout::Interleaved);
  CHECK(std::string(posenc::rope_layout_name(RopeLayout::Interleaved)) == "interleaved");
}

TEST_CASE("rope_forward errors carry SPEC codes and name the argument", "[rope][errors]") {
  std::vector<float> x(2 * 3 * 4 * 8), out(x.size());
  const Bhsd shape{2, 3, 4, 8};
  auto call = [&](RopeForwardOptions opt, Bhsd s = {2, 3, 4, 8}) {
    return [&x, &out, opt, s] { posenc::rope_forward(x, s, out, opt); };
  };
  RopeForwardOptions o;
  o.base = NAN;
  check::throws_code(call(o), "NON_FINITE", "base");
  check::throws_code(call({}, {2, 3, 0, 8}), "BAD_SIZE", "seq");
  check::throws_code(call({}, {2, 3, 4, 7}), "ODD_DIM", "head_dim must be even when d_rot is not given");
  o = {};
  o.d_rot = 0;
  check::throws_code(call(o), "BAD_SIZE", "d_rot");
  o.d_rot = 5;
  check::throws_code(call(o), "ODD_DIM", "d_rot must be even, got 5");
  o.d_rot = 10;
  check::throws_code(call(o), "ROT_DIM", "d_rot must be at most head_dim = 8, got 10");
  o = {};
  o.base = 1;
  check::throws_code(call(o), "OUT_OF_RANGE", "base must be greater than 1");
  std::vector<std::int32_t> bad_len(5, 0), negative = {0, 1, -2, 3};
  o = {};
  o.positions = bad_len;
  check::throws_code(call(o), "SHAPE_MISMATCH", "positions");
  o.positions = negative;
  check::throws_code(call(o), "BAD_POSITION", "positions[2] must be >= 0, got -2");
  o = {};
  o.offset = -1;
  check::throws_code(call(o), "BAD_POSITION", "offset");
  o.offset = kMax - 2;  // offset + seq - 1 = 2^31 + 0
  check::throws_code(call(o), "BAD_POSITION", "offset + seq - 1");
  std::vector<float> short_out(10);
  check::throws_code([&] { posenc::rope_forward(x, shape, short_out); }, "SHAPE_MISMATCH", "out");
  check::throws_code([&] { posenc::rope_forward(short_out, shape, out); }, "SHAPE_MISMATCH", "x");
  check::throws_code([] { posenc::parse_rope_layout("neox"); }, "OUT_OF_RANGE", "layout");
  check::throws_code([] { posenc::parse_rope_type("ntk"); }, "OUT_OF_RANGE", "rope_type");
  // Nothing was written on any failure.
  for (float v : out) CHECK(v == 0.0f);
}

TEST_CASE("rope_forward over several table blocks with per-batch positions", "[rope]") {
  const int B = 2, H = 3, S = static_cast<int>(2 * posenc::kRopeBlock + 8), D = 16;
  const auto x = check::random_floats(B * H * S * D, 13);
  std::vector<std::int32_t> pos(B * S);
  for (int i = 0; i < B * S; ++i) pos[i] = (i * 104729) % 3000000;
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    RopeForwardOptions opt;
    opt.layout = layout;
    opt.positions = pos;
    const bool il = layout == RopeLayout::Interleaved;
    check::close(run(x, {B, H, S, D}, opt), ref::rope_apply(x, B, H, S, D, D, il, [&](int b, int s) { return pos[b * S + s]; },
                                                            {ref::rope_inv_freq(D, 10000)}));
    opt.positions = {};
    opt.offset = 99;
    check::close(run(x, {B, H, S, D}, opt),
                 ref::rope_apply(x, B, H, S, D, D, il, [](int, int s) { return 99 + s; }, {ref::rope_inv_freq(D, 10000)}));
  }
}

namespace {
// rope_forward_through over a tensor held in x, moved through a scratch of scratch_len floats by
// callbacks that record every slice they are asked for.
struct Through {
  std::vector<float> out;
  std::vector<std::vector<std::int64_t>> slices;
};
Through run_through(const std::vector<float>& x, const Bhsd& shape, std::size_t scratch_len, const RopeForwardOptions& opt) {
  Through t{std::vector<float>(x.size(), -7.0f), {}};
  std::vector<float> scratch(scratch_len);
  const auto d = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto move = [&](bool in) {
    return [&, in](std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows) {
      if (in) t.slices.push_back({first, count, s0, rows});
      const auto chunk = static_cast<std::size_t>(rows) * d;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::size_t at = (static_cast<std::size_t>(first + i) * seq + static_cast<std::size_t>(s0)) * d;
        float* held = scratch.data() + static_cast<std::size_t>(i) * chunk;
        if (in) std::copy(x.begin() + at, x.begin() + at + chunk, held);
        else std::copy(held, held + chunk, t.out.begin() + at);
      }
    };
  };
  posenc::rope_forward_through(shape, scratch, move(true), move(false), opt);
  return t;
}
}  // namespace

TEST_CASE("rope_forward_through gives rope_forward's bits, a scratch-sized slice at a time", "[rope]") {
  // seq 600 = 256 + 256 + 88 positions; 2 x 5 (batch, head) slices in groups of 3, 3, 3, 1.
  const Bhsd shape{2, 5, 600, 64};
  const std::size_t group = 3, scratch = group * posenc::kRopeBlock * 64 + 17;
  std::vector<float> x(2 * 5 * 600 * 64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  std::vector<RopeForwardOptions> cases(5);
  cases[1].layout = RopeLayout::Interleaved;
  cases[1].offset = 1000003;
  cases[2].inverse = true;
  cases[2].d_rot = 32;
  cases[3].scaling.type = posenc::RopeType::Dynamic;  // its seq_len defaults to the whole call's offset + seq
  cases[3].scaling.factor = 2.0;
  cases[3].max_position_embeddings = 64;
  cases[3].offset = 33;
  cases[4].scaling.type = posenc::RopeType::Yarn;
  cases[4].scaling.factor = 4.0;
  cases[4].max_position_embeddings = 4096;
  cases[4].inverse = true;
  for (const RopeForwardOptions& opt : cases) {
    const Through t = run_through(x, shape, scratch, opt);
    const std::vector<float> want = run(x, shape, opt);
    check::close(t.out, want, 0.0, 0.0);  // equal, not merely close
    // Every (slice, position) exactly once: blocks of kRopeBlock positions, groups of what scratch holds.
    REQUIRE(t.slices.size() == 3 * 4);
    CHECK(t.slices.front() == std::vector<std::int64_t>{0, 3, 0, 256});
    CHECK(t.slices[3] == std::vector<std::int64_t>{9, 1, 0, 256});
    CHECK(t.slices.back() == std::vector<std::int64_t>{9, 1, 512, 88});
  }
}

TEST_CASE("rope_forward_through checks everything before its first load", "[rope][errors]") {
  const std::vector<float> x(2 * 3 * 4 * 8, 1.0f);
  const Bhsd shape{2, 3, 4, 8};
  const auto fails = [&](RopeForwardOptions opt, std::size_t scratch, const char* code, const char* what) {
    bool loaded = false;
    std::vector<float> held(scratch);
    const auto load = [&](std::int64_t, std::int64_t, std::int64_t, std::int64_t) { loaded = true; };
    check::throws_code([&] { posenc::rope_forward_through(shape, held, load, load, opt); }, code, what);
    CHECK_FALSE(loaded);
  };
  RopeForwardOptions o;
  o.offset = kMax - 2;
  fails(o, 64, "BAD_POSITION", "offset + seq - 1");
  o = {};
  o.d_rot = 10;
  fails(o, 64, "ROT_DIM", "d_rot must be at most head_dim = 8, got 10");
  fails({}, 31, "SHAPE_MISMATCH", "scratch must hold at least 32 values (4 positions of one head), got 31");
  const std::vector<std::int32_t> positions = {0, 1, 2, 3};
  o = {};
  o.positions = positions;
  fails(o, 64, "SHAPE_MISMATCH", "offset positions only");
  check::close(run_through(x, shape, 32, {}).out, run(x, shape, {}), 0.0, 0.0);
}
