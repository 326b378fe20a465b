#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

#include "check.hpp"
#include "posenc/dropout.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"
#include "reference/sinusoidal.hpp"

using posenc::SinusoidalPositionalEncoding;
using posenc::SinusoidalTableOptions;

TEST_CASE("sinusoidal table matches the float64 definition", "[sinusoidal]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::int64_t d : {2, 6, 8, 64, 130}) {
    for (std::int64_t start : {std::int64_t{0}, std::int64_t{5}, std::int64_t{1} << 20, std::int64_t{2147483647} - 40}) {
      const std::int64_t count = 33;
      INFO("d=" << d << " start=" << start);
      const auto got = posenc::sinusoidal_table(start + count, d, {10000.0, start, count});
      check::close(got, ref::sinusoidal_table(start, count, d));
    }
  }
}

TEST_CASE("sinusoidal table row 0 is [0,1,0,1,...] and base changes frequencies", "[sinusoidal]") {
  const auto t = posenc::sinusoidal_table(4, 8);
  REQUIRE(t.size() == 32);
  for (int i = 0; i < 8; ++i) CHECK(t[i] == (i % 2 == 0 ? 0.0f : 1.0f));
  check::close(posenc::sinusoidal_table(7, 6, {100.0}), ref::sinusoidal_table(0, 7, 6, 100.0));
}

TEST_CASE("sinusoidal forward adds the rows at offset to every batch row", "[sinusoidal]") {
  const std::int64_t batch = 3, seq = 7, d = 6, offset = 11;
  const auto x = check::random_floats(batch * seq * d, 1);
  std::vector<float> out(x.size());
  posenc::SinusoidalForwardOptions opt;
  opt.offset = offset;
  posenc::sinusoidal_forward(x, batch, seq, d, out, opt);  // eval mode: no dropout
  const auto pe = ref::sinusoidal_table(offset, seq, d);
  std::vector<double> expected(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) expected[i] = x[i] + pe[i % pe.size()];
  check::close(out, expected);
}

TEST_CASE("sinusoidal errors carry their codes and name the argument", "[sinusoidal][errors]") {
  check::throws_code([] { posenc::sinusoidal_table(10, 7); }, "ODD_DIM", "d must be even, got 7");
  check::throws_code([] { posenc::sinusoidal_table(0, 8); }, "BAD_SIZE", "max_len");
  check::throws_code([] { posenc::sinusoidal_table(10, 8, {1.0}); }, "OUT_OF_RANGE", "base");
  check::throws_code([] { posenc::sinusoidal_table(10, 8, {NAN}); }, "NON_FINITE", "base");
  check::throws_code([] { posenc::sinusoidal_table(10, 8, {10000.0, 8, 3}); }, "BAD_POSITION", "start + count");
  std::vector<float> x(2 * 8), out(2 * 8);
  posenc::SinusoidalForwardOptions opt;
  opt.max_len = 4;
  opt.offset = 3;
  check::throws_code([&] { posenc::sinusoidal_forward(x, 1, 2, 8, out, opt); }, "BAD_POSITION", "offset + seq");
}

// ---- SinusoidalPositionalEncoding ----

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

