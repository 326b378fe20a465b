#include <catch2/catch.hpp>

#include <vector>

#include "check.hpp"
#include "posenc/rope_kernel.hpp"

using posenc::RopeLayout;

TEST_CASE("rope_rotate on hand-written tables (kernel contract)", "[rope]") {
  // One row, head_dim 5, d_rot 4: pairs (0,2),(1,3) in half, (0,1),(2,3) interleaved; dim 4 copied.
  const std::vector<float> x = {1, 2, 3, 4, 5};
  const std::vector<float> c = {0, 1}, s = {1, 0};  // pair 0 by +90 degrees, pair 1 by 0
  std::vector<float> out(5);
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Half, c.data(), s.data());
  CHECK(out == std::vector<float>{-3, 2, 1, 4, 5});
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Interleaved, c.data(), s.data());
  CHECK(out == std::vector<float>{-2, 1, 3, 4, 5});
  // The inverse is the same kernel on a negated sin.
  const std::vector<float> minus_s = {-1, 0};
  posenc::rope_rotate(x.data(), out.data(), 1, 5, 4, RopeLayout::Interleaved, c.data(), minus_s.data());
  CHECK(out == std::vector<float>{2, -1, 3, 4, 5});
}

TEST_CASE("rope_rotate_heads rotates every slice by one table, in place or into out", "[rope][kernel]") {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};  // [2 slices, 1 row, head_dim 4]
  const std::vector<float> c = {0, 1}, s = {1, 0};         // pair 0 by +90 degrees, pair 1 by 0
  std::vector<float> out(8);
  posenc::rope_rotate_heads(x, {1, 2, 1, 4}, out, 4, RopeLayout::Half, c.data(), s.data());
  CHECK(out == std::vector<float>{-3, 2, 1, 4, -7, 6, 5, 8});
  std::vector<float> inplace = x;
  posenc::rope_rotate_heads(inplace, {1, 2, 1, 4}, inplace, 4, RopeLayout::Half, c.data(), s.data());
  CHECK(inplace == out);
}

TEST_CASE("for_each_rope_block visits every position once per row, sin negated for the inverse", "[rope][kernel]") {
  const std::size_t seq = posenc::kRopeBlock + 3, half = 2;
  std::vector<int> seen(2 * seq, 0);
  posenc::for_each_rope_block(
      seq, half, 2, true,
      [&](std::size_t, std::size_t, std::size_t count, float* c, float* s) {
        for (std::size_t i = 0; i < count * half; ++i) c[i] = s[i] = 1.0f;
      },
      [&](std::size_t row, std::size_t s0, std::size_t count, const float* c, const float* s) {
        for (std::size_t i = 0; i < count; ++i) ++seen[row * seq + s0 + i];
        for (std::size_t i = 0; i < count * half; ++i) {
          CHECK(c[i] == 1.0f);
          CHECK(s[i] == -1.0f);
        }
      });
  for (int v : seen) CHECK(v == 1);
}

TEST_CASE("scale_rope_tables multiplies both tables", "[rope][kernel]") {
  std::vector<float> c = {1, 2}, s = {3, 4};
  posenc::scale_rope_tables(2, 0.5f, c.data(), s.data());
  CHECK(c == std::vector<float>{0.5f, 1});
  CHECK(s == std::vector<float>{1.5f, 2});
}
