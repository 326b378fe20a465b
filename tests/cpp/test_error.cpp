#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "posenc/error.hpp"

TEST_CASE("error codes have their JavaScript names", "[error]") {
  using posenc::ErrorCode;
  CHECK(std::string(posenc::error_code_name(ErrorCode::NonFinite)) == "NON_FINITE");
  CHECK(std::string(posenc::error_code_name(ErrorCode::BadHeads)) == "BAD_HEADS");
  CHECK(std::string(posenc::error_code_name(ErrorCode::BadSize)) == "BAD_SIZE");
  CHECK(std::string(posenc::error_code_name(ErrorCode::OddDim)) == "ODD_DIM");
  CHECK(std::string(posenc::error_code_name(ErrorCode::RotDim)) == "ROT_DIM");
  CHECK(std::string(posenc::error_code_name(ErrorCode::OutOfRange)) == "OUT_OF_RANGE");
  CHECK(std::string(posenc::error_code_name(ErrorCode::ShapeMismatch)) == "SHAPE_MISMATCH");
  CHECK(std::string(posenc::error_code_name(ErrorCode::BadPosition)) == "BAD_POSITION");
  const posenc::Error e(ErrorCode::OddDim, "d must be even, got 7");
  CHECK(e.code() == ErrorCode::OddDim);
  CHECK(std::string(e.code_name()) == "ODD_DIM");
  CHECK(std::string(e.what()) == "d must be even, got 7");
}

TEST_CASE("format_number: integers plain, fractions shortest, NaN and Infinity spelled out", "[error]") {
  CHECK(posenc::format_number(7) == "7");
  CHECK(posenc::format_number(-3) == "-3");
  CHECK(posenc::format_number(0.1) == "0.1");
  CHECK(posenc::format_number(1.0 / 3) == "0.3333333333333333");
  CHECK(posenc::format_number(NAN) == "NaN");
  CHECK(posenc::format_number(INFINITY) == "Infinity");
  CHECK(posenc::format_number(-INFINITY) == "-Infinity");
}

TEST_CASE("each check names the argument, the value and the rule", "[error]") {
  check::throws_code([] { posenc::require_finite("base", NAN); }, "NON_FINITE", "base must be finite, got NaN");
  const std::vector<float> floats = {1, 2, INFINITY};
  check::throws_code([&] { posenc::require_finite_entries("gamma", floats); }, "NON_FINITE",
                     "gamma[2] must be finite, got Infinity");
  const std::vector<double> doubles = {NAN};
  check::throws_code([&] { posenc::require_finite_entries("scaling.long_factor", doubles); }, "NON_FINITE",
                     "scaling.long_factor[0] must be finite, got NaN");
  check::throws_code([] { posenc::require_heads("num_heads", 0); }, "BAD_HEADS",
                     "num_heads must be a positive integer, got 0");
  check::throws_code([] { posenc::require_size("seq", -2); }, "BAD_SIZE", "seq must be a positive integer, got -2");
  check::throws_code([] { posenc::require_even("d", 7); }, "ODD_DIM", "d must be even, got 7");
  check::throws_code([] { posenc::require_position("offset", 2147483648LL); }, "BAD_POSITION",
                     "offset must be an integer in [0, 2147483647], got 2147483648");
  check::throws_code([] { posenc::require_length("out", 3, 4); }, "SHAPE_MISMATCH",
                     "out must have 4 elements for the given shape, got 3");
  check::throws_code([] { posenc::require_range(false, "base", 0.5, "be greater than 1"); }, "OUT_OF_RANGE",
                     "base must be greater than 1, got 0.5");
  posenc::require_finite_entries("empty", std::vector<float>{});
}

TEST_CASE("an allocation the machine refuses is BAD_SIZE naming the request", "[error]") {
  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
  check::throws_code([&] { posenc::allocate<float>("the test buffer", huge); }, "BAD_SIZE", "the test buffer");
  std::vector<float> v;
  check::throws_code([&] { posenc::resize_or_fail(v, "the test buffer", huge); }, "BAD_SIZE",
                     std::to_string(huge) + " elements");
  CHECK(posenc::allocate<float>("a small buffer", 3).size() == 3);
}
