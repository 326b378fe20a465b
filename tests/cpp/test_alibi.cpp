#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "check.hpp"
#include "posenc/alibi.hpp"
#include "reference/alibi.hpp"

TEST_CASE("alibi slopes match the hand-derived lists", "[alibi]") {
  const auto s8 = posenc::alibi_slopes(8);
  REQUIRE(s8.size() == 8);
  for (int h = 0; h < 8; ++h) CHECK(s8[h] == std::ldexp(1.0, -(h + 1)));
  const auto s3 = posenc::alibi_slopes(3);
  REQUIRE(s3.size() == 3);
  CHECK(s3[0] == std::ldexp(1.0, -4));
  CHECK(s3[1] == std::ldexp(1.0, -8));
  CHECK(s3[2] == std::ldexp(1.0, -2));
  const auto s12 = posenc::alibi_slopes(12);
  const double want12[] = {-1, -2, -3, -4, -5, -6, -7, -8, -0.5, -1.5, -2.5, -3.5};
  REQUIRE(s12.size() == 12);
  for (int h = 0; h < 12; ++h) CHECK(s12[h] == Approx(std::exp2(want12[h])).epsilon(1e-15));
  CHECK(posenc::alibi_slopes(1)[0] == std::ldexp(1.0, -8));
}

TEST_CASE("alibi slopes follow the reference rule and BLOOM's closed form", "[alibi]") {
  auto same = [](std::int64_t n, const std::vector<double>& want) {
    const auto got = posenc::alibi_slopes(n);
    INFO("n=" << n);
    REQUIRE(got.size() == want.size());
    for (std::size_t h = 0; h < got.size(); ++h) CHECK(got[h] == Approx(want[h]).epsilon(1e-14));
  };
  for (std::int64_t n = 1; n <= 33; ++n) same(n, ref::alibi_slopes(n));
  for (std::int64_t n = 40; n <= 128; ++n) same(n, ref::alibi_slopes(n));
  for (std::int64_t n = 1; n <= 200; ++n) same(n, ref::bloom_slopes(n));
  std::vector<float> f(6);
  posenc::alibi_slopes(6, f);
  check::close(f, ref::alibi_slopes(6));
}

TEST_CASE("alibi bias in all three modes and q_offset cases", "[alibi]") {
  struct Case { std::int64_t heads, q_len, k_len; std::optional<std::int64_t> q_offset; std::int64_t offset; };
  const Case cases[] = {{8, 7, 7, std::nullopt, 0}, {3, 5, 9, std::nullopt, 4}, {12, 1, 33, std::nullopt, 32},
                        {6, 4, 10, 2, 2}, {5, 9, 4, 0, 0}, {2, 3, 3, 1000, 1000}};
  for (const auto& c : cases) {
    for (auto mode : {posenc::AlibiMode::Causal, posenc::AlibiMode::Symmetric, posenc::AlibiMode::KeyOnly}) {
      INFO("heads=" << c.heads << " q_len=" << c.q_len << " k_len=" << c.k_len << " mode=" << posenc::alibi_mode_name(mode));
      std::vector<float> out(static_cast<std::size_t>(c.heads * c.q_len * c.k_len));
      posenc::alibi_bias(c.heads, c.q_len, c.k_len, c.q_offset, mode, out);
      check::close(out, ref::alibi_bias(c.heads, c.q_len, c.k_len, c.offset, posenc::alibi_mode_name(mode)));
    }
  }
  // Decoding one token at the end of 4 keys, 8 heads, causal: −m_h·(3 − j).
  std::vector<float> out(8 * 4);
  posenc::alibi_bias(8, 1, 4, std::nullopt, posenc::AlibiMode::Causal, out);
  CHECK(out[0] == -1.5f);
  CHECK(out[3] == 0.0f);
  CHECK(out[7 * 4 + 1] == static_cast<float>(-2.0 / 256));
}

TEST_CASE("alibi modes parse and print", "[alibi]") {
  for (const char* name : {"causal", "symmetric", "key_only"}) CHECK(std::string(posenc::alibi_mode_name(posenc::parse_alibi_mode(name))) == name);
}

TEST_CASE("alibi errors carry their codes and name the argument", "[alibi][errors]") {
  using posenc::AlibiMode;
  check::throws_code([] { posenc::alibi_slopes(0); }, "BAD_HEADS", "num_heads must be a positive integer, got 0");
  check::throws_code([] { posenc::alibi_slopes(-3); }, "BAD_HEADS", "num_heads");
  check::throws_code([] { posenc::parse_alibi_mode("alibi"); }, "OUT_OF_RANGE", "mode");
  std::vector<float> out(2 * 3 * 4);
  check::throws_code([&] { posenc::alibi_bias(0, 3, 4, std::nullopt, AlibiMode::Causal, out); }, "BAD_HEADS", "num_heads");
  check::throws_code([&] { posenc::alibi_bias(2, 0, 4, std::nullopt, AlibiMode::Causal, out); }, "BAD_SIZE", "q_len");
  check::throws_code([&] { posenc::alibi_bias(2, 3, -1, std::nullopt, AlibiMode::Causal, out); }, "BAD_SIZE", "k_len");
  check::throws_code([&] { posenc::alibi_bias(2, 3, 5, std::nullopt, AlibiMode::Causal, out); }, "SHAPE_MISMATCH", "out");
  check::throws_code([&] { posenc::alibi_bias(2, 3, 4, -1, AlibiMode::Causal, out); }, "BAD_POSITION", "q_offset");
  std::vector<float> wide(2 * 4 * 3);
  check::throws_code([&] { posenc::alibi_bias(2, 4, 3, std::nullopt, AlibiMode::Causal, wide); }, "BAD_POSITION",
                     "q_offset (default k_len - q_len)");
  std::vector<float> slopes(3);
  check::throws_code([&] { posenc::alibi_slopes(4, slopes); }, "SHAPE_MISMATCH", "out");
}

// ---- ALiBiPositionalEncoding ----

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

TEST_CASE("ALiBi module errors carry their codes", "[alibi][module][errors]") {
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

TEST_CASE("ALiBi module forward adds its bias to every batch row of the scores", "[alibi][module]") {
  const posenc::ALiBiPositionalEncoding m(3, 16);
  const std::int64_t B = 2, Q = 4, K = 6;
  const auto scores = check::random_floats(static_cast<std::size_t>(B * 3 * Q * K), 5);
  std::vector<float> bias(static_cast<std::size_t>(3 * Q * K)), out(scores.size());
  m.bias(Q, K, bias);
  m.forward(scores, B, Q, K, out);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == scores[i] + bias[i % bias.size()]);
  std::vector<float> inplace = scores;
  m.forward(inplace, B, Q, K, inplace, 2);
  m.bias(Q, K, bias, 2);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(inplace[i] == scores[i] + bias[i % bias.size()]);
  check::throws_code([&] { m.forward(scores, 0, Q, K, out); }, "BAD_SIZE", "batch must be a positive integer, got 0");
  check::throws_code([&] { m.forward(scores, 3, Q, K, out); }, "SHAPE_MISMATCH", "scores must have 216 elements");
}
