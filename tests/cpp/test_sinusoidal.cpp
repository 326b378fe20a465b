#include <catch2/catch.hpp>

#include "check.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"
#include "reference/sinusoidal.hpp"

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

TEST_CASE("sinusoidal errors carry SPEC codes and name the argument", "[sinusoidal][errors]") {
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

TEST_CASE("sinusoidal table slices are the whole table's rows, bit for bit", "[sinusoidal]") {
  for (std::int64_t d : {6, 64, 130}) {
    for (std::size_t scratch_rows : {1, 7, 32, 45, 200}) {
      const SinusoidalTableOptions o{10000.0, 1000, 150};
      const auto whole = posenc::sinusoidal_table(2000, d, o);
      std::vector<float> scratch(scratch_rows * static_cast<std::size_t>(d) + 3), got(whole.size(), -9.0f);
      std::int64_t next = 0;
      posenc::sinusoidal_table_slices(2000, d, scratch, [&](std::int64_t first, std::int64_t rows) {
        REQUIRE(first == next);  // in order, no gap, no overlap
        REQUIRE(rows <= static_cast<std::int64_t>(scratch_rows));
        std::copy(scratch.begin(), scratch.begin() + rows * d, got.begin() + first * d);
        next = first + rows;
      }, o);
      INFO("d=" << d << " scratch rows=" << scratch_rows);
      REQUIRE(next == 150);
      REQUIRE(got == whole);
    }
  }
  std::vector<float> small(5);
  check::throws_code([&] { posenc::sinusoidal_table_slices(10, 8, small, [](std::int64_t, std::int64_t) {}); },
                     "SHAPE_MISMATCH", "scratch must hold at least one row");
  check::throws_code([&] { posenc::sinusoidal_table_slices(10, 8, small, [](std::int64_t, std::int64_t) {}, {10000.0, 8, 3}); },
                     "BAD_POSITION", "start + count");
}
