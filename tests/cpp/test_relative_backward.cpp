#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "check.hpp"
#include "posenc/relative.hpp"
#include "posenc/relative_backward.hpp"
#include "reference/gradients.hpp"

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
