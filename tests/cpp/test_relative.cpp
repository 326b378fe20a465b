#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>

#include "check.hpp"
#include "posenc/relative.hpp"
#include "reference/relative.hpp"
#include <algorithm>
#include <vector>
#include "reference/gradients.hpp"

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

TEST_CASE("relative bias errors carry their codes and name the argument", "[relative][errors]") {
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
  check::throws_code([&] { call(5, 2, 2, 2, 3, 4, std::nullopt); }, "NON_FINITE", "table[7] must be finite, got NaN");
}

// ---- T5 buckets and bias ----

using posenc::T5BucketOptions;

TEST_CASE("t5 buckets at the defaults: hand-derived boundaries", "[t5]") {
  const T5BucketOptions bi{};  // bidirectional, 32 buckets, max_distance 128: nb 16, e 8
  // Exact buckets below e = 8, then the log range: n = 15 → 9, 16 → 10 (ln 2 / ln 16 · 8 = 2 exactly).
  CHECK(posenc::t5_bucket(0, bi) == 0);
  CHECK(posenc::t5_bucket(-7, bi) == 7);
  CHECK(posenc::t5_bucket(7, bi) == 16 + 7);
  CHECK(posenc::t5_bucket(-8, bi) == 8);
  CHECK(posenc::t5_bucket(-15, bi) == 9);  // 8 + trunc(ln(15/8)/ln 16 · 8) = 8 + 1
  CHECK(posenc::t5_bucket(-16, bi) == 10);
  CHECK(posenc::t5_bucket(-31, bi) == 11);
  CHECK(posenc::t5_bucket(-32, bi) == 12);
  CHECK(posenc::t5_bucket(-63, bi) == 13);
  CHECK(posenc::t5_bucket(-64, bi) == 14);
  CHECK(posenc::t5_bucket(-127, bi) == 15);
  CHECK(posenc::t5_bucket(-128, bi) == 15);
  CHECK(posenc::t5_bucket(16, bi) == 16 + 10);
  CHECK(posenc::t5_bucket(1000000, bi) == 31);  // clamps to nb − 1
  CHECK(posenc::t5_bucket(-2147483647, bi) == 15);
  const T5BucketOptions uni{false, 32, 128};  // nb 32, e 16
  CHECK(posenc::t5_bucket(1, uni) == 0);  // every future key shares bucket 0
  CHECK(posenc::t5_bucket(5000, uni) == 0);
  CHECK(posenc::t5_bucket(-15, uni) == 15);
  CHECK(posenc::t5_bucket(-16, uni) == 16);
  CHECK(posenc::t5_bucket(-31, uni) == 21);  // 16 + trunc(ln(31/16)/ln 8 · 16) = 16 + 5
  CHECK(posenc::t5_bucket(-32, uni) == 21);
  CHECK(posenc::t5_bucket(-63, uni) == 26);
  CHECK(posenc::t5_bucket(-64, uni) == 26);
  CHECK(posenc::t5_bucket(-127, uni) == 31);
  CHECK(posenc::t5_bucket(-128, uni) == 31);
  CHECK(posenc::t5_bucket(-100000, uni) == 31);
}

TEST_CASE("t5_buckets agrees with the reference over many configurations", "[t5]") {
  std::vector<std::int32_t> rp;
  for (std::int32_t r = -5000; r <= 5000; ++r) rp.push_back(r);
  rp.push_back(std::numeric_limits<std::int32_t>::max());
  rp.push_back(-std::numeric_limits<std::int32_t>::max());
  std::vector<std::int32_t> out(rp.size());
  const T5BucketOptions configs[] = {{true, 32, 128}, {false, 32, 128}, {true, 4, 2},  {false, 2, 2},
                                     {true, 33, 100}, {false, 31, 500}, {true, 64, 256}, {false, 7, 4}};
  for (const auto& o : configs) {
    INFO("bidirectional=" << o.bidirectional << " num_buckets=" << o.num_buckets << " max_distance=" << o.max_distance);
    posenc::t5_buckets(rp, out, o);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < rp.size(); ++i) bad += out[i] != ref::t5_bucket(rp[i], o.bidirectional, o.num_buckets, o.max_distance);
    CHECK(bad == 0);
  }
}

TEST_CASE("t5 bias gathers the bucket's table row per head", "[t5]") {
  for (bool bidirectional : {true, false}) {
    for (auto dims : {std::array<std::int64_t, 2>{7, 7}, {1, 40}, {9, 200}}) {
      const std::int64_t heads = 3, nb = 32, q_len = dims[0], k_len = dims[1];
      INFO("bidirectional=" << bidirectional << " q_len=" << q_len << " k_len=" << k_len);
      const auto table = check::random_floats(static_cast<std::size_t>(nb * heads), 11);
      std::vector<float> out(static_cast<std::size_t>(heads * q_len * k_len));
      posenc::t5_bias(table, nb, heads, heads, q_len, k_len, std::nullopt, bidirectional, 128, out);
      check::close(out, ref::t5_bias(table, nb, heads, q_len, k_len, k_len - q_len, bidirectional, 128));
      posenc::t5_bias(table, nb, heads, heads, q_len, k_len, 3, bidirectional, 128, out);
      check::close(out, ref::t5_bias(table, nb, heads, q_len, k_len, 3, bidirectional, 128));
    }
  }
}

TEST_CASE("t5 errors carry their codes and name the argument", "[t5][errors]") {
  std::vector<std::int32_t> rp(4), out(4), short_out(3);
  check::throws_code([&] { posenc::t5_buckets(rp, out, {true, 3, 128}); }, "OUT_OF_RANGE", "num_buckets must be >= 4");
  check::throws_code([&] { posenc::t5_buckets(rp, out, {false, 1, 128}); }, "OUT_OF_RANGE", "num_buckets must be >= 2");
  check::throws_code([&] { posenc::t5_buckets(rp, out, {true, 32, 8}); }, "OUT_OF_RANGE", "max_distance must be > the exact-bucket count e = 8, got 8");
  check::throws_code([&] { posenc::t5_buckets(rp, out, {true, 0, 128}); }, "BAD_SIZE", "num_buckets");
  check::throws_code([&] { posenc::t5_buckets(rp, out, {true, 32, 0}); }, "BAD_SIZE", "max_distance");
  check::throws_code([&] { posenc::t5_buckets(rp, short_out); }, "SHAPE_MISMATCH", "out");
  auto table = check::random_floats(32 * 2, 5);
  std::vector<float> bias(2 * 3 * 4);
  check::throws_code([&] { posenc::t5_bias(table, 32, 2, 0, 3, 4, std::nullopt, true, 128, bias); }, "BAD_HEADS", "num_heads");
  check::throws_code([&] { posenc::t5_bias(table, 32, 2, 2, 0, 4, std::nullopt, true, 128, bias); }, "BAD_SIZE", "q_len");
  check::throws_code([&] { posenc::t5_bias(table, 32, 3, 2, 3, 4, std::nullopt, true, 128, bias); }, "SHAPE_MISMATCH", "table columns");
  check::throws_code([&] { posenc::t5_bias(table, 31, 2, 2, 3, 4, std::nullopt, true, 128, bias); }, "SHAPE_MISMATCH", "table");
  check::throws_code([&] { posenc::t5_bias(table, 32, 2, 2, 3, 4, -1, true, 128, bias); }, "BAD_POSITION", "q_offset");
  table[3] = INFINITY;
  check::throws_code([&] { posenc::t5_bias(table, 32, 2, 2, 3, 4, std::nullopt, true, 128, bias); }, "NON_FINITE", "table");
}

// ---- gradients ----

TEST_CASE("clipped_relative_bias_backward matches finite differences, summed over batch", "[relative][backward]") {
  for (std::int64_t K : {0, 1, 3}) {
    for (std::int64_t batch : {1, 2}) {
      const std::int64_t H = 2, Q = 3, Kl = 5, off = 2;
      const auto table = check::random_floats(static_cast<std::size_t>((2 * K + 1) * H), 1);
      const auto dbias = check::random_floats(static_cast<std::size_t>(batch * H * Q * Kl), 2);
      std::vector<float> dt(table.size(), 0.0f);
      posenc::clipped_relative_bias_backward(dbias, 2 * K + 1, H, H, K, Q, Kl, off, dt, batch);
      const auto f = [&](const std::vector<double>& t) {
        const auto one = ref::relative_bias(t, H, Q, Kl, off, [K](std::int64_t rp) { return std::clamp(rp, -K, K) + K; });
        std::vector<double> all;
        for (std::int64_t b = 0; b < batch; ++b) all.insert(all.end(), one.begin(), one.end());
        return all;
      };
      check::close(dt, ref::vjp(f, ref::widen(table), ref::widen(dbias)), 1e-5, 1e-5);
    }
  }
}

TEST_CASE("t5_bias_backward matches finite differences in both directions", "[t5][backward]") {
  for (bool bidirectional : {false, true}) {
    const std::int64_t H = 3, Q = 4, Kl = 40, nb = 8, md = 20;
    const auto table = check::random_floats(static_cast<std::size_t>(nb * H), 3);
    const auto dbias = check::random_floats(static_cast<std::size_t>(H * Q * Kl), 4);
    std::vector<float> dt(table.size(), 0.0f);
    posenc::t5_bias_backward(dbias, nb, H, H, Q, Kl, std::nullopt, bidirectional, md, dt);
    const posenc::T5BucketOptions o{bidirectional, nb, md};
    const auto f = [&](const std::vector<double>& t) {
      return ref::relative_bias(t, H, Q, Kl, Kl - Q, [&](std::int64_t rp) { return static_cast<std::int64_t>(posenc::t5_bucket(rp, o)); });
    };
    check::close(dt, ref::vjp(f, ref::widen(table), ref::widen(dbias)), 1e-5, 1e-5);
  }
}

TEST_CASE("relative bias backward errors", "[relative][backward][errors]") {
  std::vector<float> dbias(2 * 3 * 3), dt(3 * 2), bad(5);
  check::throws_code([&] { posenc::clipped_relative_bias_backward(dbias, 3, 2, 2, 1, 3, 3, 0, bad); }, "SHAPE_MISMATCH", "d_table");
  check::throws_code([&] { posenc::clipped_relative_bias_backward(dbias, 5, 2, 2, 1, 3, 3, 0, dt); }, "SHAPE_MISMATCH", "table_rows");
  check::throws_code([&] { posenc::clipped_relative_bias_backward(bad, 3, 2, 2, 1, 3, 3, 0, dt); }, "SHAPE_MISMATCH", "d_bias");
  check::throws_code([&] { posenc::t5_bias_backward(dbias, 3, 2, 2, 3, 3, 0, true, 8, dt); }, "OUT_OF_RANGE", "num_buckets");
  check::throws_code([&] { posenc::t5_bias_backward(dbias, 3, 2, 0, 3, 3, 0, false, 8, dt); }, "BAD_HEADS", "num_heads");
}
