#include <catch2/catch.hpp>

#include "check.hpp"
#include "posenc/shapes.hpp"

TEST_CASE("element_count multiplies and refuses what one float32 buffer cannot hold", "[shapes]") {
  CHECK(posenc::element_count({2, 3, 4}) == 24);
  CHECK(posenc::element_count(posenc::Bhsd{1, 2, 3, 4}) == 24);
  CHECK(posenc::element_count({536870911}) == 536870911);
  check::throws_code([] { posenc::element_count({536870912}); }, "BAD_SIZE",
                     "the result would have 536870912 elements, more than the 536870911");
  check::throws_code([] { posenc::element_count({1LL << 40, 1LL << 40}); }, "BAD_SIZE", "elements");
}

TEST_CASE("require_sizes names each dimension, with the tensor's name when given", "[shapes][errors]") {
  posenc::require_sizes({1, 1, 1, 1});
  check::throws_code([] { posenc::require_sizes({1, 0, 1, 1}); }, "BAD_SIZE", "heads must be a positive integer, got 0");
  check::throws_code([] { posenc::require_sizes({1, 1, 1, -3}, "k"); }, "BAD_SIZE",
                     "k.head_dim must be a positive integer, got -3");
}
