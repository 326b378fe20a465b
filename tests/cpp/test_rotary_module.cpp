#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"
#include "posenc/modules.hpp"
#include "posenc/rope.hpp"
#include "reference/rope.hpp"

using posenc::Bhsd;
using posenc::RopeLayout;
using posenc::RotaryPositionalEmbedding;

namespace {

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

}  // namespace

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

TEST_CASE("rotary module errors carry SPEC codes and name the argument", "[rope][module][errors]") {
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
