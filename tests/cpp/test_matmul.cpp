#include <catch2/catch.hpp>

#include <vector>

#include "check.hpp"
#include "posenc/matmul.hpp"

using posenc::MatmulLayout;

namespace {

// C = op(A)·op(B) (+ C0) by the naive triple loop, in float64.
std::vector<double> naive(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c0, int m, int n,
                          int k, MatmulLayout layout) {
  std::vector<double> c(static_cast<std::size_t>(m * n));
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = c0.empty() ? 0.0 : c0[i * n + j];
      for (int p = 0; p < k; ++p) {
        const double av = layout == MatmulLayout::AtB ? a[p * m + i] : a[i * k + p];
        const double bv = layout == MatmulLayout::ABt ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      c[static_cast<std::size_t>(i * n + j)] = s;
    }
  return c;
}

}  // namespace

TEST_CASE("matmul matches the naive loop for every layout, remainder and depth block", "[matmul]") {
  for (MatmulLayout layout : {MatmulLayout::AB, MatmulLayout::ABt, MatmulLayout::AtB}) {
    for (int m : {1, 3, 4, 5, 9}) {
      for (int n : {1, 3, 4, 8, 16, 17, 33, 40}) {
        for (int k : {1, 7, 64, 257, 600}) {
          for (bool accumulate : {false, true}) {
            INFO("layout " << static_cast<int>(layout) << " m " << m << " n " << n << " k " << k << " acc " << accumulate);
            const auto a = check::random_floats(static_cast<std::size_t>(m * k), m * 31 + k);
            const auto b = check::random_floats(static_cast<std::size_t>(k * n), n * 17 + k + 5);
            std::vector<float> c = check::random_floats(static_cast<std::size_t>(m * n), m + n + 99);
            const std::vector<float> c0 = accumulate ? c : std::vector<float>{};
            posenc::matmul(a, b, c, {m, n, k}, layout, accumulate);
            // float32 sums of k terms of size ≤ 1: the error grows like k·ulp.
            check::close(c, naive(a, b, c0, m, n, k, layout), 1e-6 * k, 1e-5);
          }
        }
      }
    }
  }
}

TEST_CASE("matmul_unchecked honours leading dimensions (sub-matrices)", "[matmul]") {
  // A is the right 5 columns of a [6, 9] matrix, C the top-left [6, 7] block of a [6, 11] one.
  const int m = 6, n = 7, k = 5;
  const auto big_a = check::random_floats(6 * 9, 3);
  const auto b = check::random_floats(k * n, 4);
  std::vector<float> a(static_cast<std::size_t>(m * k));
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p) a[i * k + p] = big_a[i * 9 + 4 + p];
  std::vector<float> big_c(6 * 11, 7.0f), c(static_cast<std::size_t>(m * n));
  posenc::matmul_unchecked(big_a.data() + 4, 9, b.data(), n, big_c.data(), 11, m, n, k, MatmulLayout::AB, false);
  posenc::matmul(a, b, c, {m, n, k}, MatmulLayout::AB);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) CHECK(big_c[i * 11 + j] == c[i * n + j]);
    for (int j = n; j < 11; ++j) CHECK(big_c[i * 11 + j] == 7.0f);
  }
}

TEST_CASE("matmul rejects bad sizes and lengths", "[matmul][errors]") {
  std::vector<float> a(6), b(6), c(4);
  check::throws_code([&] { posenc::matmul(a, b, c, {0, 2, 3}, MatmulLayout::AB); }, "BAD_SIZE", "m must be");
  check::throws_code([&] { posenc::matmul(a, b, c, {2, 2, 2}, MatmulLayout::AB); }, "SHAPE_MISMATCH", "a [m, k]");
  std::vector<float> c5(5);
  check::throws_code([&] { posenc::matmul(a, b, c5, {2, 2, 3}, MatmulLayout::ABt); }, "SHAPE_MISMATCH", "c [m, n]");
  std::vector<float> c4(4);
  check::throws_code([&] { posenc::matmul(a, std::vector<float>(5), c4, {2, 2, 3}, MatmulLayout::ABt); }, "SHAPE_MISMATCH",
                     "b [n, k]");
}
