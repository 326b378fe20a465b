#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

#include "check.hpp"
#include "posenc/dropout.hpp"
#include "posenc/learned.hpp"
#include "posenc/modules.hpp"
#include "posenc/sinusoidal.hpp"

using posenc::LearnedPositionalEmbedding;
using posenc::SinusoidalPositionalEncoding;

TEST_CASE("SinusoidalPositionalEncoding owns the table and matches sinusoidal_forward", "[modules][sinusoidal]") {
  const std::int64_t dim = 6, max_len = 40, batch = 3, seq = 7, offset = 11;
  SinusoidalPositionalEncoding pe(dim, max_len, 0.2, 10000.0, 99);
  CHECK(pe.training());
  CHECK(pe.table() == posenc::sinusoidal_table(max_len, dim));
  const auto x = check::random_floats(static_cast<std::size_t>(batch * seq * dim), 4);
  std::vector<float> got(x.size()), expected(x.size());
  posenc::SinusoidalForwardOptions o;
  o.max_len = max_len;
  o.offset = offset;
  o.dropout = {0.2, false, {}, 0};

  pe.train(false);
  pe.forward(x, batch, seq, got, offset);
  posenc::sinusoidal_forward(x, batch, seq, dim, expected, o);
  CHECK(got == expected);

  // Train mode: call k uses the mask of dropout_call_seed(seed, k); eval calls do not advance k.
  pe.train();
  for (std::uint64_t call = 0; call < 3; ++call) {
    pe.forward(x, batch, seq, got, offset);
    o.dropout = {0.2, true, {}, posenc::dropout_call_seed(99, call)};
    posenc::sinusoidal_forward(x, batch, seq, dim, expected, o);
    CHECK(got == expected);
  }
  std::vector<float> again(x.size());
  pe.forward(x, batch, seq, again, offset);
  CHECK(again != got);  // a fresh mask per call
}

TEST_CASE("SinusoidalPositionalEncoding construction and forward errors", "[modules][sinusoidal][errors]") {
  check::throws_code([] { SinusoidalPositionalEncoding(8, 10, NAN); }, "NON_FINITE", "dropout");
  check::throws_code([] { SinusoidalPositionalEncoding(8, 10, 0.1, INFINITY); }, "NON_FINITE", "base");
  check::throws_code([] { SinusoidalPositionalEncoding(0); }, "BAD_SIZE", "dim");
  check::throws_code([] { SinusoidalPositionalEncoding(8, 0); }, "BAD_SIZE", "max_len");
  check::throws_code([] { SinusoidalPositionalEncoding(7); }, "ODD_DIM", "dim must be even, got 7");
  check::throws_code([] { SinusoidalPositionalEncoding(8, 10, 1.5); }, "OUT_OF_RANGE", "dropout must be in [0, 1]");
  check::throws_code([] { SinusoidalPositionalEncoding(8, 10, 0.1, 0.5); }, "OUT_OF_RANGE", "base");
  SinusoidalPositionalEncoding pe(4, 10);
  std::vector<float> x(2 * 4), out(2 * 4);
  check::throws_code([&] { pe.forward(x, 0, 2, out); }, "BAD_SIZE", "batch");
  check::throws_code([&] { pe.forward(x, 1, 3, out); }, "SHAPE_MISMATCH", "x must");
  check::throws_code([&] { pe.forward(x, 1, 2, out, 9); }, "BAD_POSITION", "offset + seq must be at most max_len = 10");
  check::throws_code([&] { pe.forward(x, 1, 2, out, -1); }, "BAD_POSITION", "offset");
}

TEST_CASE("LearnedPositionalEmbedding initialises N(0, 0.02^2) reproducibly on every build", "[modules][learned]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 64;
  cfg.max_len = 512;
  cfg.seed = 7;
  LearnedPositionalEmbedding a(cfg), b(cfg);
  CHECK(a.table() == b.table());
  double sum = 0, sum2 = 0;
  for (float v : a.table()) {
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(a.table().size());
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::fabs(mean) <= 6 * 0.02 / std::sqrt(n));
  CHECK(std::fabs(sd - 0.02) <= 6 * 0.02 / std::sqrt(2 * n));  // the sample sd's standard error is σ/√(2n)
  // The same bits natively and in wasm (both builds run this test): values pinned once, from the native build.
  const float pinned[] = {0.0262220781f, 0.0177219585f, 0.0207380764f,  0.0437804312f,
                          -0.0102165053f, -0.0213630553f, 0.0167896599f, -0.00258899014f};
  for (std::size_t i = 0; i < sizeof pinned / sizeof pinned[0]; ++i) {
    INFO("table[" << i << "]");
    CHECK(a.table()[i] == pinned[i]);
  }
  CHECK(a.table().back() == -0.000983779202f);
  cfg.seed = 8;
  CHECK(LearnedPositionalEmbedding(cfg).table() != a.table());
  CHECK(a.gamma().empty());
  CHECK(a.relative_table().empty());
}

TEST_CASE("LearnedPositionalEmbedding forward matches learned_forward on its state", "[modules][learned]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 8;
  cfg.max_len = 20;
  cfg.dropout = 0.3;
  cfg.scale = 0.5;
  cfg.layer_norm = true;
  cfg.seed = 3;
  LearnedPositionalEmbedding pe(cfg);
  REQUIRE(pe.gamma() == std::vector<float>(8, 1.0f));
  REQUIRE(pe.beta() == std::vector<float>(8, 0.0f));
  pe.gamma() = check::random_floats(8, 1, 0.5f, 1.5f);  // state can be loaded
  pe.beta() = check::random_floats(8, 2);
  const std::int64_t batch = 2, seq = 7;
  const auto x = check::random_floats(static_cast<std::size_t>(batch * seq * cfg.dim), 5);
  std::vector<std::int32_t> positions{3, 1, 4, 1, 5, 9, 2};
  std::vector<float> got(x.size()), expected(x.size());
  posenc::LearnedForwardOptions o;
  o.positions = positions;
  o.scale = 0.5;
  o.use_ln = true;
  o.gamma = pe.gamma();
  o.beta = pe.beta();

  pe.train(false);
  pe.forward(x, batch, seq, got, 0, positions);
  posenc::learned_forward(x, batch, seq, 8, pe.table(), 20, 8, expected, o);
  CHECK(got == expected);

  pe.train();
  for (std::uint64_t call = 0; call < 2; ++call) {
    pe.forward(x, batch, seq, got, 0, positions);
    o.dropout = {0.3, true, {}, posenc::dropout_call_seed(3, call)};
    posenc::learned_forward(x, batch, seq, 8, pe.table(), 20, 8, expected, o);
    CHECK(got == expected);
  }
  pe.table()[0] = NAN;
  check::throws_code([&] { pe.forward(x, batch, seq, got, 0, positions); }, "NON_FINITE", "table[0]");
}

TEST_CASE("LearnedPositionalEmbedding construction errors", "[modules][learned][errors]") {
  auto make = [](auto&& set) {
    return [set] {
      LearnedPositionalEmbedding::Config c;
      c.dim = 8;
      set(c);
      LearnedPositionalEmbedding pe(c);
    };
  };
  using Config = LearnedPositionalEmbedding::Config;
  check::throws_code(make([](Config& c) { c.dropout = NAN; }), "NON_FINITE", "dropout");
  check::throws_code(make([](Config& c) { c.scale = INFINITY; }), "NON_FINITE", "scale");
  check::throws_code(make([](Config& c) { c.relative = true; c.num_heads = 0; }), "BAD_HEADS", "num_heads");
  check::throws_code(make([](Config& c) { c.dim = 0; }), "BAD_SIZE", "dim");
  check::throws_code(make([](Config& c) { c.max_len = -1; }), "BAD_SIZE", "max_len");
  check::throws_code(make([](Config& c) { c.relative = true; c.max_distance = -1; }), "BAD_SIZE", "max_distance");
  check::throws_code(make([](Config& c) { c.relative = true; c.max_distance = std::int64_t{1} << 62; }), "BAD_SIZE", "max_distance");
  check::throws_code(make([](Config& c) { c.dropout = -0.5; }), "OUT_OF_RANGE", "dropout");
  check::throws_code(make([](Config& c) { c.scale = -1; }), "OUT_OF_RANGE", "scale");
}

TEST_CASE("LearnedPositionalEmbedding relative_bias reads its clipped table", "[modules][learned][relative]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 4;
  cfg.relative = true;
  cfg.num_heads = 3;
  cfg.max_distance = 2;
  cfg.seed = 11;
  LearnedPositionalEmbedding pe(cfg);
  const auto& table = pe.relative_table();
  REQUIRE(table.size() == 5 * 3);
  const std::int64_t q_len = 3, k_len = 6;
  std::vector<float> out(static_cast<std::size_t>(3 * q_len * k_len));
  for (std::int64_t q_offset : {0, 3, 5}) {
    pe.relative_bias(q_len, k_len, q_offset, out);
    for (std::int64_t h = 0; h < 3; ++h)
      for (std::int64_t i = 0; i < q_len; ++i)
        for (std::int64_t j = 0; j < k_len; ++j) {
          const std::int64_t rel = std::max<std::int64_t>(-2, std::min<std::int64_t>(2, j - (q_offset + i)));
          CHECK(out[static_cast<std::size_t>((h * q_len + i) * k_len + j)] == table[static_cast<std::size_t>((rel + 2) * 3 + h)]);
        }
  }
  cfg.relative = false;
  const LearnedPositionalEmbedding plain(cfg);
  check::throws_code([&] { plain.relative_bias(q_len, k_len, std::nullopt, out); }, "SHAPE_MISMATCH", "relative");
}
