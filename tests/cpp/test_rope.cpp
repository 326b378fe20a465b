#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.hpp"
#include "posenc/rope.hpp"
#include "posenc/rope_kernel.hpp"
#include "posenc/simd.hpp"
#include "reference/rope.hpp"
#include "posenc/xpos.hpp"
#include "reference/gradients.hpp"

using posenc::Bhsd;
using posenc::RopeForwardOptions;
using posenc::RopeLayout;
using posenc::RotaryPositionalEmbedding;

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

TEST_CASE("half(Px) = P interleaved(x) for the layout permutation", "[rope][invariant]") {
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

TEST_CASE("rope names parse and print", "[rope]") {
  for (const char* name : {"default", "linear", "dynamic", "yarn", "llama3", "longrope"}) {
    CHECK(std::string(posenc::rope_type_name(posenc::parse_rope_type(name))) == name);
  }
  CHECK(posenc::parse_rope_layout("half") == RopeLayout::Half);
  CHECK(posenc::parse_rope_layout("interleaved") == RopeLayout::Interleaved);
  CHECK(std::string(posenc::rope_layout_name(RopeLayout::Interleaved)) == "interleaved");
}

TEST_CASE("rope_forward errors carry their codes and name the argument", "[rope][errors]") {
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

// ---- RotaryPositionalEmbedding ----

namespace module_test {

// The stateless kernel applied at the given offset / positions: what the module must reproduce.
std::vector<float> expected(const std::vector<float>& x, const Bhsd& shape, RopeLayout layout, std::int64_t offset,
                            posenc::Span<const std::int32_t> positions = {}, const posenc::RopeScaling& scaling = {},
                            std::optional<std::int64_t> mpe = std::nullopt) {
  posenc::RopeForwardOptions opt;
  opt.layout = layout;
  opt.offset = offset;
  opt.positions = positions;
  opt.scaling = scaling;
  opt.max_position_embeddings = mpe;
  std::vector<float> out(x.size());
  posenc::rope_forward(x, shape, out, opt);
  return out;
}

void same(const std::vector<float>& a, const std::vector<float>& b) {
  check::close(a, std::vector<double>(b.begin(), b.end()), 1e-6, 1e-6);
}

}  // namespace module_test

using module_test::expected;
using module_test::same;

TEST_CASE("rotary module cache holds cos/sin per position with the attention factor", "[rope][module]") {
  posenc::RopeScaling yarn;
  yarn.type = posenc::RopeType::Yarn;
  yarn.factor = 8;
  RotaryPositionalEmbedding m(16, 40, 10000, RopeLayout::Half, yarn, 4096);
  REQUIRE(m.cached_len() == 40);
  REQUIRE(m.cos_cache().size() == 40 * 8);
  const auto p = ref::rope_yarn(16, 10000, {8, 4096});
  std::vector<double> c, s;
  std::vector<float> gc, gs;
  for (int pos = 0; pos < 40; ++pos) {
    for (int j = 0; j < 8; ++j) {
      c.push_back(p.a * std::cos(pos * p.inv_freq[j]));
      s.push_back(p.a * std::sin(pos * p.inv_freq[j]));
    }
  }
  check::close(m.cos_cache(), c);
  check::close(m.sin_cache(), s);
}

TEST_CASE("rotary module forward equals rope_forward for q and k, both layouts", "[rope][module]") {
  for (RopeLayout layout : {RopeLayout::Half, RopeLayout::Interleaved}) {
    RotaryPositionalEmbedding m(64, 64, 10000, layout);
    const Bhsd qs{2, 4, 7, 64}, ks{2, 2, 7, 64};  // grouped-query: k has fewer heads
    const auto q = check::random_floats(2 * 4 * 7 * 64, 1), k = check::random_floats(2 * 2 * 7 * 64, 2);
    std::vector<float> qo(q.size()), ko(k.size());
    m.forward(q, qs, qo, k, ks, ko, 30);
    same(qo, expected(q, qs, layout, 30));
    same(ko, expected(k, ks, layout, 30));
    // Explicit per-batch positions, in place.
    std::vector<std::int32_t> pos = {0, 5, 9, 63, 64, 2000, 2147483647, 1, 2, 3, 4, 5, 6, 1 << 20};
    std::vector<float> qi = q, ki = k;
    m.forward(qi, qs, qi, ki, ks, ki, 0, pos);
    same(qi, expected(q, qs, layout, 0, pos));
    same(ki, expected(k, ks, layout, 0, pos));
  }
}

TEST_CASE("rotary module puts queries at the last key positions when q is shorter", "[rope][module]") {
  RotaryPositionalEmbedding m(8, 16);
  const Bhsd qs{1, 2, 1, 8}, ks{1, 2, 5, 8};
  const auto q = check::random_floats(16, 3), k = check::random_floats(80, 4);
  std::vector<float> qo(q.size()), ko(k.size());
  m.forward(q, qs, qo, k, ks, ko, 10);
  same(ko, expected(k, ks, RopeLayout::Half, 10));
  same(qo, expected(q, qs, RopeLayout::Half, 14));
}

TEST_CASE("rotary module cache grows by doubling and a decode step does not rebuild it", "[rope][module]") {
  RotaryPositionalEmbedding m(64, 2048);
  CHECK(m.cache_builds() == 2048);
  const Bhsd one{1, 2, 1, 64};
  const auto q = check::random_floats(128, 5), k = check::random_floats(128, 6);
  std::vector<float> qo(128), ko(128);
  m.forward(q, one, qo, k, one, ko, 2048);  // one past the cache: doubles
  CHECK(m.cached_len() == 4096);
  CHECK(m.cache_builds() == 4096);
  m.forward(q, one, qo, k, one, ko, 100000);  // far past: grows to cover it
  CHECK(m.cached_len() == 100001);
  const auto builds = m.cache_builds();
  CHECK(builds == 100001);
  m.forward(q, one, qo, k, one, ko, 100000);  // the decode step at 100000 again: nothing computed
  CHECK(m.cache_builds() == builds);
  same(qo, expected(q, one, RopeLayout::Half, 100000));
  m.forward(q, one, qo, k, one, ko, 100001);  // next step: one doubling covers many more steps
  CHECK(m.cached_len() == 200002);
  const auto after = m.cache_builds();
  for (std::int64_t p = 100002; p < 100100; ++p) m.forward(q, one, qo, k, one, ko, p);
  CHECK(m.cache_builds() == after);
  same(qo, expected(q, one, RopeLayout::Half, 100099));
  same(ko, expected(k, one, RopeLayout::Half, 100099));
}

TEST_CASE("rotary module with explicit positions over several blocks, some past the cache", "[rope][module]") {
  RotaryPositionalEmbedding m(8, 16, 10000, RopeLayout::Interleaved);
  const Bhsd s{2, 2, 100, 8};
  const auto q = check::random_floats(3200, 9), k = check::random_floats(3200, 10);
  std::vector<std::int32_t> pos(200);
  for (int i = 0; i < 200; ++i) pos[i] = i % 3 == 0 ? 2147483647 - i : i;
  std::vector<float> qo(3200), ko(3200);
  m.forward(q, s, qo, k, s, ko, 0, pos);
  same(qo, expected(q, s, RopeLayout::Interleaved, 0, pos));
  same(ko, expected(k, s, RopeLayout::Interleaved, 0, pos));
  CHECK(m.cached_len() == 16);
}

TEST_CASE("rotary module beyond its cache limit computes rows per call", "[rope][module]") {
  RotaryPositionalEmbedding m(8, 16);
  const Bhsd s{1, 1, 3, 8};
  const auto q = check::random_floats(24, 7), k = check::random_floats(24, 8);
  std::vector<float> qo(24), ko(24);
  m.forward(q, s, qo, k, s, ko, 2147483645);
  CHECK(m.cached_len() == 16);
  same(qo, expected(q, s, RopeLayout::Half, 2147483645));
  same(ko, expected(k, s, RopeLayout::Half, 2147483645));
}

TEST_CASE("rotary module errors carry their codes and name the argument", "[rope][module][errors]") {
  check::throws_code([] { RotaryPositionalEmbedding(8, 16, NAN); }, "NON_FINITE", "base");
  check::throws_code([] { RotaryPositionalEmbedding(8, 0); }, "BAD_SIZE", "max_len");
  check::throws_code([] { RotaryPositionalEmbedding(0, 16); }, "BAD_SIZE", "dim");
  check::throws_code([] { RotaryPositionalEmbedding(7, 16); }, "ODD_DIM", "dim must be even, got 7");
  check::throws_code([] { RotaryPositionalEmbedding(8, 16, 1.0); }, "OUT_OF_RANGE", "base");
  posenc::RopeScaling dyn;
  dyn.type = posenc::RopeType::Dynamic;
  dyn.factor = 2;
  check::throws_code([&] { RotaryPositionalEmbedding(8, 16, 10000, RopeLayout::Half, dyn); }, "BAD_SIZE",
                     "max_position_embeddings is required for rope_type dynamic");
  RotaryPositionalEmbedding m(8, 16);
  std::vector<float> a(16), b(16), c(32);
  check::throws_code([&] { m.forward(a, {1, 1, 2, 8}, a, b, {1, 1, 0, 8}, b); }, "BAD_SIZE", "k.seq");
  check::throws_code([&] { m.forward(a, {1, 1, 4, 4}, a, b, {1, 1, 2, 8}, b); }, "SHAPE_MISMATCH",
                     "q head_dim must equal the module's dim = 8, got 4");
  check::throws_code([&] { m.forward(c, {1, 1, 4, 8}, c, b, {1, 1, 2, 8}, b); }, "BAD_POSITION",
                     "queries sit at offset + k.seq - q.seq");
  std::vector<std::int32_t> pos = {0, 1};
  check::throws_code([&] { m.forward(c, {1, 1, 4, 8}, c, b, {1, 1, 2, 8}, b, 0, pos); }, "SHAPE_MISMATCH",
                     "same batch and seq");
  check::throws_code([&] { m.forward(a, {1, 1, 2, 8}, c, b, {1, 1, 2, 8}, b); }, "SHAPE_MISMATCH", "q_out");
  check::throws_code([&] { m.forward(a, {1, 1, 2, 8}, a, b, {1, 1, 2, 8}, b, -3); }, "BAD_POSITION", "offset");
}

// ---- RopeCache ----

TEST_CASE("rope_forward with a RopeCache gives the same bits, call after call and across frequencies", "[rope][cache]") {
  posenc::RopeCache cache;
  const Bhsd shape{1, 4, 64, 128};
  const auto x = check::random_floats(4 * 64 * 128, 21);
  for (int round = 0; round < 2; ++round) {
    for (double base : {10000.0, 500000.0}) {
      for (std::int64_t offset : {std::int64_t{0}, std::int64_t{100}}) {
        RopeForwardOptions opt;
        opt.base = base;
        opt.offset = offset;
        const auto plain = run(x, shape, opt);
        opt.cache = &cache;
        const auto cached = run(x, shape, opt);
        REQUIRE(cached == plain);
      }
    }
  }
}

TEST_CASE("RopeCache's kept tables follow every key: offset, seq, frequencies, scale and direction", "[rope][cache]") {
  posenc::RopeCache cache;
  const auto x = check::random_floats(2 * 3 * 40 * 16, 22);
  posenc::RopeScaling yarn;
  yarn.type = posenc::RopeType::Yarn;
  yarn.factor = 4.0;
  yarn.original_max_position_embeddings = 16;
  const std::vector<double> zeros_and_one{0.0, -0.0, 1.0, 0.5, 0.25, 0.125, 0.0, 2.0};
  // Each case twice in a row (the second reads the kept tables), then the next one must not reuse them.
  for (int round = 0; round < 2; ++round) {
    for (const Bhsd shape : {Bhsd{2, 3, 40, 16}, Bhsd{1, 6, 40, 16}, Bhsd{2, 3, 20, 32}}) {
      for (std::int64_t offset : {std::int64_t{0}, std::int64_t{7}}) {
        for (int variant = 0; variant < 4; ++variant) {
          RopeForwardOptions opt;
          opt.offset = offset;
          opt.inverse = variant == 1;
          if (variant == 2) opt.scaling = yarn;
          if (variant == 3 && shape.head_dim == 16) opt.inv_freq = zeros_and_one;
          const auto plain = run(x, shape, opt);
          opt.cache = &cache;
          REQUIRE(run(x, shape, opt) == plain);
          REQUIRE(run(x, shape, opt) == plain);
        }
      }
    }
  }
}

TEST_CASE("RopeCache keeps at most kMaxFloats between calls", "[rope][cache]") {
  posenc::RopeCache cache;
  const Bhsd shape{1, 1, 70, 2 * 8192 + 2};  // a step table of 64 x 8193 float pairs: over the bound
  std::vector<float> x(static_cast<std::size_t>(70 * shape.head_dim), 0.5f);
  RopeForwardOptions opt;
  opt.cache = &cache;
  posenc::rope_forward(x, shape, x, opt);
  CHECK(cache.steps().floats() <= posenc::RopeCache::kMaxFloats);
  const Bhsd small{1, 1, 70, 128};
  std::vector<float> y(70 * 128, 0.5f);
  posenc::rope_forward(y, small, y, opt);
  CHECK(cache.steps().rows() == posenc::kAnchorStride);  // kept: 64 x 64 float pairs
}

// ---- M-RoPE and explicit frequencies --------------------------------------------------------------------

namespace {
std::vector<int> axes_of(const posenc::MropeSection& s, std::size_t half) {
  const auto a = posenc::mrope_axes(s, half);
  return {a.begin(), a.end()};
}
}  // namespace

TEST_CASE("M-RoPE axes: contiguous sections and Qwen3-VL's interleaving, by hand and against the HF rules", "[rope][mrope]") {
  // Contiguous [1, 1, 2]: t, h, w, w. Interleaved [1, 1, 2]: j=1 < 3 is h, j=2 < 6 is w, j=3 is t.
  CHECK(axes_of({{1, 1, 2}, false}, 4) == std::vector<int>{0, 1, 2, 2});
  CHECK(axes_of({{1, 1, 2}, true}, 4) == std::vector<int>{0, 1, 2, 0});
  // Interleaved [2, 1, 1]: only j=1 (h) and j=2 (w) leave t.
  CHECK(axes_of({{2, 1, 1}, true}, 4) == std::vector<int>{0, 1, 2, 0});
  CHECK(axes_of({{0, 2, 2}, true}, 4) == std::vector<int>{0, 1, 2, 0});
  const std::vector<std::vector<int>> sections = {{16, 24, 24}, {24, 20, 20}, {2, 3, 3}, {8, 12, 12}};
  for (const auto& sec : sections) {
    const auto half = static_cast<std::size_t>(sec[0] + sec[1] + sec[2]);
    const posenc::MropeSection s{{sec[0], sec[1], sec[2]}, false}, si{{sec[0], sec[1], sec[2]}, true};
    CHECK(axes_of(s, half) == ref::mrope_contiguous_axes(sec));
    CHECK(axes_of(si, half) == ref::mrope_interleaved_axes(sec));
  }
}

TEST_CASE("rope_forward M-RoPE: each frequency turns with its stream's position, [3, seq] and [batch, 3, seq]", "[rope][mrope]") {
  const int B = 2, H = 3, S = 5, D = 20;  // d_rot 16: section sums to 8, 4 dims pass through
  const auto x = check::random_floats(B * H * S * D, 91);
  const std::vector<int> sec = {2, 3, 3};
  for (bool interleaved : {false, true}) {
    for (bool per_batch : {false, true}) {
      std::vector<std::int32_t> pos;
      for (int b = 0; b < (per_batch ? B : 1); ++b)
        for (int a = 0; a < 3; ++a)
          for (int s = 0; s < S; ++s) pos.push_back(s == S - 1 ? static_cast<std::int32_t>(kMax - a - b) : 7 * s + 100 * a + 1000 * b);
      RopeForwardOptions o;
      o.d_rot = 16;
      o.base = 1000000;
      o.positions = pos;
      o.mrope = posenc::MropeSection{{2, 3, 3}, interleaved};
      INFO("interleaved " << interleaved << " per_batch " << per_batch);
      const auto axes = interleaved ? ref::mrope_interleaved_axes(sec) : ref::mrope_contiguous_axes(sec);
      const auto inv = ref::rope_inv_freq(16, 1000000);
      const auto exp = ref::rope_apply_angles(x, B, H, S, D, 16, false, [&](int b, int s, int j) {
        const int row = per_batch ? b : 0;
        return static_cast<double>(pos[static_cast<std::size_t>((row * 3 + axes[j]) * S + s)]) * inv[j];
      });
      const auto got = run(x, {B, H, S, D}, o);
      check::close(got, exp);
      // The module with the same section gives the same values (its cache rows, gathered per frequency).
      RotaryPositionalEmbedding m(16, 64, 1000000, RopeLayout::Half, {}, std::nullopt, o.mrope);
      const auto xs = check::random_floats(B * H * S * 16, 5);
      std::vector<float> q = xs, k = xs;
      m.forward(q, {B, H, S, 16}, q, k, {B, H, S, 16}, k, 0, pos);
      RopeForwardOptions o16 = o;
      o16.d_rot = std::nullopt;
      check::close(q, run(xs, {B, H, S, 16}, o16), 1e-6, 1e-6);  // cache rows: anchors and steps
      CHECK(k == q);
    }
  }
}

TEST_CASE("rope_forward M-RoPE with equal streams is plain RoPE; without positions it is offset + s", "[rope][mrope]") {
  const int B = 1, H = 2, S = 40, D = 16;
  const auto x = check::random_floats(B * H * S * D, 17);
  std::vector<std::int32_t> pos3, pos1;
  for (int a = 0; a < 3; ++a)
    for (int s = 0; s < S; ++s) pos3.push_back(s + 300);
  for (int s = 0; s < S; ++s) pos1.push_back(s + 300);
  RopeForwardOptions plain;
  plain.positions = pos1;
  RopeForwardOptions m = plain;
  m.positions = pos3;
  m.mrope = posenc::MropeSection{{2, 3, 3}, true};
  check::close(run(x, {B, H, S, D}, m), run(x, {B, H, S, D}, plain), 1e-6, 1e-6);
  RopeForwardOptions none;
  none.offset = 300;
  none.mrope = m.mrope;
  plain.positions = {};
  plain.offset = 300;
  CHECK(run(x, {B, H, S, D}, none) == run(x, {B, H, S, D}, plain));
}

TEST_CASE("rope_forward with explicit inv_freq: zeros leave pairs as they are, scaling and base are not used", "[rope][freq]") {
  const int B = 1, H = 2, S = 6, D = 8;
  const auto x = check::random_floats(B * H * S * D, 23);
  const std::vector<double> inv = {1.0, 0.25, 0.0, 0.0};
  RopeForwardOptions o;
  o.inv_freq = inv;
  o.offset = kMax - 10;
  o.scaling.type = posenc::RopeType::Linear;  // ignored
  o.scaling.factor = 4;
  const auto got = run(x, {B, H, S, D}, o);
  check::close(got, ref::rope_apply(x, B, H, S, D, D, false, [&](int, int s) { return kMax - 10 + s; }, {inv}));
  for (int r = 0; r < B * H * S; ++r) {
    CHECK(got[r * D + 2] == x[r * D + 2]);
    CHECK(got[r * D + 7] == x[r * D + 7]);
  }
  // Proportional scaling gives the same as its frequencies passed explicitly.
  RopeForwardOptions p;
  p.scaling.type = posenc::RopeType::Proportional;
  p.scaling.partial_rotary_factor = 0.5;
  p.offset = 12345;
  RopeForwardOptions e;
  const auto prop = ref::rope_proportional(D, 10000, 0.5);
  e.inv_freq = prop.inv_freq;
  e.offset = 12345;
  CHECK(run(x, {B, H, S, D}, p) == run(x, {B, H, S, D}, e));
}

TEST_CASE("M-RoPE and explicit frequency errors carry their codes", "[rope][mrope][errors]") {
  std::vector<float> x(2 * 1 * 4 * 8), out(x.size());
  auto call = [&](const RopeForwardOptions& o) { return [&x, &out, o] { posenc::rope_forward(x, {2, 1, 4, 8}, out, o); }; };
  std::vector<std::int32_t> pos(3 * 4, 1), short_pos(4, 1), negative(3 * 4, 1);
  negative[5] = -1;
  RopeForwardOptions o;
  o.mrope = posenc::MropeSection{{1, 1, 1}, false};
  o.positions = pos;
  check::throws_code(call(o), "SHAPE_MISMATCH", "mrope_section must be 3 sizes >= 0 summing to d_rot/2 = 4, got [1, 1, 1]");
  o.mrope = posenc::MropeSection{{2, -1, 3}, false};
  check::throws_code(call(o), "SHAPE_MISMATCH", "mrope_section");
  o.mrope = posenc::MropeSection{{2, 1, 1}, false};
  o.positions = short_pos;
  check::throws_code(call(o), "SHAPE_MISMATCH", "M-RoPE positions must be [3, seq] (12 entries) or [batch, 3, seq] (24)");
  o.positions = negative;
  check::throws_code(call(o), "BAD_POSITION", "positions[5] must be >= 0, got -1");
  std::vector<double> inv3 = {1, 1, 1}, neg = {1, -1, 0, 0}, nan = {1, NAN, 0, 0};
  RopeForwardOptions f;
  f.inv_freq = inv3;
  check::throws_code(call(f), "SHAPE_MISMATCH", "inv_freq");
  f.inv_freq = neg;
  check::throws_code(call(f), "OUT_OF_RANGE", "inv_freq[1] must be >= 0");
  f.inv_freq = nan;
  check::throws_code(call(f), "NON_FINITE", "inv_freq[1]");
  check::throws_code([] { RotaryPositionalEmbedding(8, 16, 10000, RopeLayout::Half, {}, std::nullopt, posenc::MropeSection{{1, 1, 1}, false}); },
                     "SHAPE_MISMATCH", "mrope_section");
  for (float v : out) CHECK(v == 0.0f);
}

// ---- gradients ----

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

TEST_CASE("offsets near INT64_MAX are BAD_POSITION, never a signed overflow", "[rope][module][errors]") {
  RotaryPositionalEmbedding m(8, 16);
  std::vector<float> q(16), k(16);
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max() - 1;
  // offset + k.seq − q.seq overflowed before the offset was checked.
  check::throws_code([&] { m.forward(q, {1, 1, 2, 8}, q, k, {1, 1, 2, 8}, k, huge); }, "BAD_POSITION", "offset");
  check::throws_code([&] { m.forward(q, {1, 1, 2, 8}, q, k, {1, 1, 2, 8}, k, std::numeric_limits<std::int64_t>::min()); },
                     "BAD_POSITION", "offset");
  posenc::RopeForwardOptions o;
  o.offset = huge;
  check::throws_code([&] { posenc::rope_forward(q, {1, 1, 2, 8}, q, o); }, "BAD_POSITION", "offset");
  o.offset = 2147483647;
  check::throws_code([&] { posenc::rope_forward(q, {1, 1, 2, 8}, q, o); }, "BAD_POSITION", "offset + seq - 1");
}
