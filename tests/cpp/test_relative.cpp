#include <catch2/catch.hpp>

#include <cmath>

#include "check.hpp"
#include "posenc/relative.hpp"
#include "reference/relative.hpp"

TEST_CASE("clipped relative bias matches the reference", "[relative]") {
  struct Case { std::int64_t heads, K, q_len, k_len; std::optional<std::int64_t> q_offset; std::int64_t offset; };
  const Case cases[] = {{4, 0, 5, 5, std::nullopt, 0},   {3, 2, 7, 7, std::nullopt, 0}, {2, 50, 7, 33, std::nullopt, 26},
                        {1, 3, 1, 12, std::nullopt, 11}, {5, 4, 9, 3, 0, 0},              {2, 1, 3, 6, 40, 40}};
  for (const auto& c : cases) {
    INFO("heads=" << c.heads << " K=" << c.K << " q_len=" << c.q_len << " k_len=" << c.k_len);
    const auto table = check::random_floats(static_cast<std::size_t>((2 * c.K + 1) * c.heads), 7);
    std::vector<float> out(static_cast<std::size_t>(c.heads * c.q_len * c.k_len));
    posenc::clipped_relative_bias(table, 2 * c.K + 1, c.heads, c.heads, c.K, c.q_len, c.k_len, c.q_offset, out);
    check::close(out, ref::clipped_relative_bias(table, c.heads, c.K, c.q_len, c.k_len, c.offset));
  }
  // K = 0: every entry is the single row of the table.
  const std::vector<float> one = {0.5f, -2.0f};
  std::vector<float> out(2 * 3 * 3);
  posenc::clipped_relative_bias(one, 1, 2, 2, 0, 3, 3, std::nullopt, out);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == (i < 9 ? 0.5f : -2.0f));
}

TEST_CASE("resolve_q_offset defaults to bottom-right", "[relative]") {
  CHECK(posenc::resolve_q_offset(std::nullopt, 3, 10) == 7);
  CHECK(posenc::resolve_q_offset(0, 3, 10) == 0);
  CHECK(posenc::resolve_q_offset(std::nullopt, 4, 4) == 0);
}

TEST_CASE("relative bias errors carry SPEC codes and name the argument", "[relative][errors]") {
  auto table = check::random_floats(5 * 2, 3);  // K = 2, 2 heads
  std::vector<float> out(2 * 3 * 4);
  auto call = [&](std::int64_t rows, std::int64_t cols, std::int64_t heads, std::int64_t K, std::int64_t q,
                  std::int64_t k, std::optional<std::int64_t> off) {
    posenc::clipped_relative_bias(table, rows, cols, heads, K, q, k, off, out);
  };
  call(5, 2, 2, 2, 3, 4, std::nullopt);  // the valid call
  check::throws_code([&] { call(5, 2, 0, 2, 3, 4, std::nullopt); }, "BAD_HEADS", "num_heads");
  check::throws_code([&] { call(5, 2, 2, -1, 3, 4, std::nullopt); }, "BAD_SIZE", "max_distance must be a non-negative integer, got -1");
  check::throws_code([&] { call(5, 2, 2, 2, 0, 4, std::nullopt); }, "BAD_SIZE", "q_len");
  check::throws_code([&] { call(5, 2, 2, 2, 3, 0, std::nullopt); }, "BAD_SIZE", "k_len");
  check::throws_code([&] { call(5, 2, 2, 3, 3, 4, std::nullopt); }, "SHAPE_MISMATCH", "table rows must equal 2 * max_distance + 1 = 7, got 5");
  check::throws_code([&] { call(5, 1, 2, 2, 3, 4, std::nullopt); }, "SHAPE_MISMATCH", "table columns must equal num_heads = 2, got 1");
  check::throws_code([&] { call(5, 2, 2, 2, 3, 5, std::nullopt); }, "SHAPE_MISMATCH", "out");
  check::throws_code([&] { call(5, 2, 2, 2, 3, 4, -2); }, "BAD_POSITION", "q_offset");
  std::vector<float> tall(2 * 4 * 3);
  check::throws_code([&] { posenc::clipped_relative_bias(table, 5, 2, 2, 2, 4, 3, std::nullopt, tall); }, "BAD_POSITION",
                     "q_offset (default k_len - q_len)");
  table[7] = NAN;
  check::throws_code([&] { call(5, 2, 2, 2, 3, 4, std::nullopt); }, "NON_FINITE", "table must be finite, got NaN at index 7");
}
