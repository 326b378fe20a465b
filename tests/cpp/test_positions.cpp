#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "check.hpp"
#include "posenc/positions.hpp"

using posenc::PositionRows;

TEST_CASE("PositionRows: offset, shared and per-batch positions", "[positions]") {
  const PositionRows offset({}, 5, 2, 3);
  CHECK(offset.consecutive());
  CHECK(offset.at(1, 2) == 7);
  CHECK(offset.max() == 7);
  CHECK(offset.distinct_rows() == 1);
  const std::vector<std::int32_t> shared = {4, 9, 1};
  const PositionRows s(shared, 0, 2, 3);
  CHECK_FALSE(s.per_batch());
  CHECK(s.at(1, 1) == 9);
  CHECK(s.max() == 9);
  const std::vector<std::int32_t> per = {0, 1, 2, 10, 11, 12};
  const PositionRows p(per, 0, 2, 3);
  CHECK(p.per_batch());
  CHECK(p.distinct_rows() == 2);
  CHECK(p.at(1, 0) == 10);
  CHECK(p.max() == 12);
}

TEST_CASE("PositionRows checks: shape is SHAPE_MISMATCH, values BAD_POSITION", "[positions][errors]") {
  const std::vector<std::int32_t> four = {0, 1, 2, 3};
  check::throws_code([&] { PositionRows(four, 0, 2, 3).require_shape(); }, "SHAPE_MISMATCH",
                     "positions must have seq = 3 or batch*seq = 6 entries, got 4");
  const std::vector<std::int32_t> negative = {0, -1, 2};
  check::throws_code([&] { PositionRows(negative, 0, 1, 3).require_values(); }, "BAD_POSITION",
                     "positions[1] must be >= 0, got -1");
  check::throws_code([&] { PositionRows({}, -1, 1, 3).require_values(); }, "BAD_POSITION", "offset");
  check::throws_code([&] { PositionRows({}, 2147483647, 1, 2).require_values(); }, "BAD_POSITION",
                     "offset + seq - 1 must be at most 2^31-1 = 2147483647, got 2147483647 + 2 - 1");
  PositionRows({}, 2147483646, 1, 2).require_values();  // the last position is 2^31 - 1
}

TEST_CASE("validate_bhsd_positions checks positions' shape, then x and out, then the values", "[positions][errors]") {
  std::vector<float> x(2 * 3 * 4), out(x.size()), short_x(5);
  const posenc::Bhsd shape{1, 2, 3, 4};
  const std::vector<std::int32_t> bad_shape = {0, 1}, bad_value = {0, -1, 2};
  check::throws_code([&] { posenc::validate_bhsd_positions(short_x, out, shape, bad_shape, 0); }, "SHAPE_MISMATCH",
                     "positions");
  check::throws_code([&] { posenc::validate_bhsd_positions(short_x, out, shape, bad_value, 0); }, "SHAPE_MISMATCH",
                     "x must have 24 elements");
  check::throws_code([&] { posenc::validate_bhsd_positions(x, out, shape, bad_value, 0); }, "BAD_POSITION",
                     "positions[1]");
  CHECK(posenc::validate_bhsd_positions(x, out, shape, {}, 3).at(0, 2) == 5);
}

TEST_CASE("require_window keeps offset … offset+seq−1 inside the table", "[positions][errors]") {
  posenc::require_window(2, 3, 5);
  check::throws_code([] { posenc::require_window(3, 3, 5); }, "BAD_POSITION",
                     "offset + seq must be at most max_len = 5, got 3 + 3");
  check::throws_code([] { posenc::require_window(-1, 1, 5); }, "BAD_POSITION",
                     "offset must be an integer in [0, 2147483647], got -1");
}

TEST_CASE("resolve_q_offset defaults to bottom-right", "[positions]") {
  CHECK(posenc::resolve_q_offset(std::nullopt, 3, 10) == 7);
  CHECK(posenc::resolve_q_offset(0, 3, 10) == 0);
  CHECK(posenc::resolve_q_offset(std::nullopt, 4, 4) == 0);
  check::throws_code([] { posenc::resolve_q_offset(std::nullopt, 5, 3); }, "BAD_POSITION",
                     "q_offset (default k_len - q_len) must be >= 0, got -2 for q_len 5 > k_len 3");
  check::throws_code([] { posenc::resolve_q_offset(-1, 1, 3); }, "BAD_POSITION", "q_offset must be an integer");
}

TEST_CASE("positions' shape check never overflows batch * seq", "[positions][errors]") {
  const std::vector<std::int32_t> three = {1, 2, 3};
  // batch · seq overflowed int64 (found by the fuzzer through xpos_apply).
  const posenc::PositionRows rows(three, 0, 1000003, std::int64_t{1} << 56);
  check::throws_code([&] { rows.require_shape(); }, "SHAPE_MISMATCH", "positions");
  CHECK(rows.batch_seq() == -1);
  CHECK_FALSE(rows.per_batch());
}
