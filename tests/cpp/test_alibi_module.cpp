#include <catch2/catch.hpp>

#include "check.hpp"
#include "posenc/modules.hpp"
#include "reference/alibi.hpp"

TEST_CASE("ALiBi module slices its cache bottom-right and computes past max_len", "[alibi][module]") {
  const posenc::ALiBiPositionalEncoding m(6, 16);
  CHECK(m.num_heads() == 6);
  CHECK(m.max_len() == 16);
  REQUIRE(m.slopes().size() == 6);
  for (std::size_t h = 0; h < 6; ++h) CHECK(m.slopes()[h] == Approx(ref::alibi_slopes(6)[h]).epsilon(1e-15));
  struct Case { std::int64_t q_len, k_len; std::optional<std::int64_t> q_offset; std::int64_t offset; };
  const Case cases[] = {{16, 16, std::nullopt, 0}, {5, 5, std::nullopt, 0},   {1, 16, std::nullopt, 15},
                        {4, 11, std::nullopt, 7},  {3, 9, 2, 2},               {1, 40, std::nullopt, 39},
                        {20, 20, std::nullopt, 0}, {2, 8, 30, 30},            {7, 3, 0, 0}};
  for (const auto& c : cases) {
    INFO("q_len=" << c.q_len << " k_len=" << c.k_len << " offset=" << c.offset);
    std::vector<float> out(static_cast<std::size_t>(6 * c.q_len * c.k_len));
    m.bias(c.q_len, c.k_len, out, c.q_offset);
    check::close(out, ref::alibi_bias(6, c.q_len, c.k_len, c.offset, "causal"));
  }
}

TEST_CASE("ALiBi module errors carry SPEC codes", "[alibi][module][errors]") {
  check::throws_code([] { posenc::ALiBiPositionalEncoding(0, 8); }, "BAD_HEADS", "num_heads");
  check::throws_code([] { posenc::ALiBiPositionalEncoding(4, 0); }, "BAD_SIZE", "max_len");
  const posenc::ALiBiPositionalEncoding m(2, 8);
  std::vector<float> out(2 * 3 * 4);
  check::throws_code([&] { m.bias(0, 4, out); }, "BAD_SIZE", "q_len");
  check::throws_code([&] { m.bias(3, 5, out); }, "SHAPE_MISMATCH", "out");
  check::throws_code([&] { m.bias(3, 4, out, -1); }, "BAD_POSITION", "q_offset");
  std::vector<float> tall(2 * 4 * 3);
  check::throws_code([&] { m.bias(4, 3, tall); }, "BAD_POSITION", "q_offset");
}
