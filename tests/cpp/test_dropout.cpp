#include <catch2/catch.hpp>

#include <cmath>

#include "check.hpp"
#include "posenc/dropout.hpp"

using posenc::DropoutOptions;

namespace {

std::vector<float> run(const std::vector<float>& x, const DropoutOptions& o) {
  std::vector<float> out(x.size());
  posenc::dropout(x, out, o);
  return out;
}

}  // namespace

TEST_CASE("dropout is the identity in eval mode and at p = 0, all zeros at p = 1", "[dropout]") {
  const auto x = check::random_floats(1000, 1);
  CHECK(run(x, {0.5, false, {}, 3}) == x);
  CHECK(run(x, {0.0, true, {}, 3}) == x);
  for (float v : run(x, {1.0, true, {}, 3})) CHECK(v == 0.0f);
  std::vector<std::uint8_t> ones(x.size(), 1);
  CHECK(run(x, {0.5, false, ones, 0}) == x);  // a mask does nothing in eval mode
}

TEST_CASE("an explicit keep mask gives exactly x * keep / (1 - p)", "[dropout]") {
  for (std::size_t n : {1, 7, 33, 1000}) {
    const auto x = check::random_floats(n, static_cast<std::uint32_t>(n));
    std::vector<std::uint8_t> keep(n);
    for (std::size_t i = 0; i < n; ++i) keep[i] = (i * 7 + 3) % 5 < 3;
    const double p = 0.3;
    const auto y = run(x, {p, true, keep, 0});
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    std::vector<double> expected(n);
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(y[i] == (keep[i] ? x[i] * scale : 0.0f));
      expected[i] = keep[i] ? x[i] / (1.0 - p) : 0.0;
    }
    check::close(y, expected);
  }
}

TEST_CASE("the seeded mask keeps about 1 - p of the elements and keeps the expectation", "[dropout]") {
  const std::size_t n = 200000;
  const auto x = check::random_floats(n, 5, 0.5f, 1.5f);
  for (double p : {0.1, 0.5, 0.9}) {
    for (std::uint64_t seed : {0ull, 1ull, 12345ull}) {
      INFO("p=" << p << " seed=" << seed);
      const auto y = run(x, {p, true, {}, seed});
      double kept = 0, sum_x = 0, sum_y = 0, sum_x2 = 0;
      for (std::size_t i = 0; i < n; ++i) {
        kept += y[i] != 0.0f;
        sum_x += x[i];
        sum_y += y[i];
        sum_x2 += static_cast<double>(x[i]) * x[i];
      }
      // Six standard deviations of a Binomial(n, 1 − p) count, and of Σ y = Σ x·keep/(1 − p) around Σ x,
      // whose variance is Σ x² · p / (1 − p) for this fixed x.
      CHECK(std::fabs(kept / n - (1 - p)) <= 6 * std::sqrt(p * (1 - p) / n));
      CHECK(std::fabs(sum_y - sum_x) <= 6 * std::sqrt(sum_x2 * p / (1 - p)));
    }
  }
}

TEST_CASE("the same seed gives the same mask, another seed another; chunking does not matter", "[dropout]") {
  const auto x = check::random_floats(4096, 9, 0.5f, 1.5f);
  const auto a = run(x, {0.5, true, {}, 42});
  CHECK(run(x, {0.5, true, {}, 42}) == a);
  const auto b = run(x, {0.5, true, {}, 43});
  std::size_t differ = 0;
  for (std::size_t i = 0; i < x.size(); ++i) differ += (a[i] == 0) != (b[i] == 0);
  CHECK(differ > x.size() / 4);  // independent masks at p = 0.5 differ in about half the places
  auto halves = x;
  const DropoutOptions o{0.5, true, {}, 42};
  posenc::dropout_in_place(posenc::Span<float>(halves.data(), 1000), o, 0);
  posenc::dropout_in_place(posenc::Span<float>(halves.data() + 1000, x.size() - 1000), o, 1000);
  CHECK(halves == a);
  CHECK(posenc::dropout_call_seed(42, 0) != posenc::dropout_call_seed(42, 1));
  CHECK(posenc::dropout_call_seed(42, 0) == posenc::dropout_call_seed(42, 0));
}

TEST_CASE("dropout works in place", "[dropout]") {
  auto x = check::random_floats(100, 2);
  const auto y = run(x, {0.4, true, {}, 7});
  posenc::dropout(x, x, {0.4, true, {}, 7});
  CHECK(x == y);
}

TEST_CASE("dropout errors carry their codes and name the argument", "[dropout][errors]") {
  std::vector<float> x(4), out(4), short_out(3);
  std::vector<std::uint8_t> short_mask(3, 1), bad_mask{1, 0, 2, 1};
  check::throws_code([&] { posenc::dropout(x, out, {NAN, true, {}, 0}); }, "NON_FINITE", "p must be finite, got NaN");
  check::throws_code([&] { posenc::dropout(x, out, {1.5, true, {}, 0}); }, "OUT_OF_RANGE", "p must be in [0, 1], got 1.5");
  check::throws_code([&] { posenc::dropout(x, out, {-0.1, true, {}, 0}); }, "OUT_OF_RANGE", "p must");
  check::throws_code([&] { posenc::dropout(x, out, {0.5, true, bad_mask, 0}); }, "OUT_OF_RANGE", "keep_mask");
  check::throws_code([&] { posenc::dropout(x, out, {0.5, true, short_mask, 0}); }, "SHAPE_MISMATCH", "keep_mask");
  check::throws_code([&] { posenc::dropout(x, short_out, {0.5, true, {}, 0}); }, "SHAPE_MISMATCH", "out must");
}
