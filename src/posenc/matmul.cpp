// Register-blocked matrix product over simd::Floats. A micro-tile of kTileRows rows × kTileVectors vectors of
// C lives in registers while the k loop broadcasts one A element per row and loads kTileVectors vectors of a B
// row: 4×2 in wasm (8 accumulators + 2 B vectors + 1 broadcast fit the 16 registers wasm engines give SIMD code),
// 6×2 natively where vectors have 8+ lanes (W7's products: 45 → 90 GFLOP/s, 39% → 77% of the measured peak).
// AB and AtB differ only in A's element strides, so one kernel serves both; ABt transposes
// B once into scratch (n·k copies against m·n·k multiply-adds) and runs AB.
// Cache blocking: k is cut into kDepthBlock slices so a B slice (kDepthBlock × n) stays in L2 while every row
// tile of A passes over it. Remainders: row tiles of fewer rows (templates), a one-vector column tile, then
// scalar columns. Each C element sums its k products in a fixed order (block by block, p ascending), so the
// bits depend only on the shape and the build.
#include "posenc/matmul.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/simd.hpp"

namespace posenc {
namespace {

using simd::Floats;
using simd::kWidth;

// 6 rows where vectors are wide (AVX/AVX-512 hosts: 12 accumulators of 16 or 32 registers), 4 in wasm.
constexpr std::size_t kTileRows = kWidth >= 8 ? 6 : 4;
constexpr std::size_t kTileVectors = 2;
constexpr std::size_t kDepthBlock = 256;

// A element (i, p) is a[i·row_stride + p·depth_stride]: AB has (lda, 1), AtB has (1, lda).
struct AView {
  const float* a;
  std::size_t row_stride, depth_stride;
  float at(std::size_t i, std::size_t p) const { return a[i * row_stride + p * depth_stride]; }
};

template <std::size_t Rows, std::size_t Vectors>
void tile(const AView& a, std::size_t i0, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t j0,
          std::size_t p0, std::size_t p1, bool accumulate) {
  Floats acc[Rows][Vectors];
  for (auto& row : acc)
    for (auto& v : row) v = simd::splat(0.0f);
  for (std::size_t p = p0; p < p1; ++p) {
    const float* bp = b + p * ldb + j0;
    Floats bv[Vectors];
    for (std::size_t t = 0; t < Vectors; ++t) bv[t] = simd::load(bp + t * kWidth);
    for (std::size_t r = 0; r < Rows; ++r) {
      const Floats av = simd::splat(a.at(i0 + r, p));
      for (std::size_t t = 0; t < Vectors; ++t) acc[r][t] = simd::fma(av, bv[t], acc[r][t]);
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    float* cr = c + (i0 + r) * ldc + j0;
    for (std::size_t t = 0; t < Vectors; ++t) {
      Floats v = acc[r][t];
      if (accumulate) v += simd::load(cr + t * kWidth);
      simd::store(cr + t * kWidth, v);
    }
  }
}

// Columns [j0, j1) one at a time (fewer than kWidth of them), every row.
void scalar_columns(const AView& a, std::size_t m, const float* b, std::size_t ldb, float* c, std::size_t ldc,
                    std::size_t j0, std::size_t j1, std::size_t p0, std::size_t p1, bool accumulate) {
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = j0; j < j1; ++j) {
      float s = 0;
      for (std::size_t p = p0; p < p1; ++p) s += a.at(i, p) * b[p * ldb + j];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
  }
}

template <std::size_t Rows>
void row_tile(const AView& a, std::size_t i0, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t n,
              std::size_t p0, std::size_t p1, bool accumulate) {
  constexpr std::size_t wide = kTileVectors * kWidth;
  std::size_t j = 0;
  for (; j + wide <= n; j += wide) tile<Rows, kTileVectors>(a, i0, b, ldb, c, ldc, j, p0, p1, accumulate);
  for (; j + kWidth <= n; j += kWidth) tile<Rows, 1>(a, i0, b, ldb, c, ldc, j, p0, p1, accumulate);
}

void product(const AView& a, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t m, std::size_t n,
             std::size_t k, bool accumulate) {
  if (k == 0) {
    if (!accumulate)
      for (std::size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  const std::size_t vector_cols = simd::vector_end(n);
  for (std::size_t p0 = 0; p0 < k; p0 += kDepthBlock) {
    const std::size_t p1 = std::min(k, p0 + kDepthBlock);
    const bool add = accumulate || p0 > 0;
    std::size_t i = 0;
    for (; i + kTileRows <= m; i += kTileRows) row_tile<kTileRows>(a, i, b, ldb, c, ldc, n, p0, p1, add);
    switch (m - i) {
      case 5: row_tile<5>(a, i, b, ldb, c, ldc, n, p0, p1, add); break;
      case 4: row_tile<4>(a, i, b, ldb, c, ldc, n, p0, p1, add); break;
      case 3: row_tile<3>(a, i, b, ldb, c, ldc, n, p0, p1, add); break;
      case 2: row_tile<2>(a, i, b, ldb, c, ldc, n, p0, p1, add); break;
      case 1: row_tile<1>(a, i, b, ldb, c, ldc, n, p0, p1, add); break;
      default: break;
    }
    if (vector_cols < n) scalar_columns(a, m, b, ldb, c, ldc, vector_cols, n, p0, p1, add);
  }
}

}  // namespace

void matmul_unchecked(const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c, std::size_t ldc,
                      std::size_t m, std::size_t n, std::size_t k, MatmulLayout layout, bool accumulate) {
  switch (layout) {
    case MatmulLayout::AB: product({a, lda, 1}, b, ldb, c, ldc, m, n, k, accumulate); return;
    case MatmulLayout::AtB: product({a, 1, lda}, b, ldb, c, ldc, m, n, k, accumulate); return;
    case MatmulLayout::ABt: {
      std::vector<float> bt(k * n);  // B [n, k] → Bᵀ [k, n]
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t p = 0; p < k; ++p) bt[p * n + j] = b[j * ldb + p];
      product({a, lda, 1}, bt.data(), n, c, ldc, m, n, k, accumulate);
      return;
    }
  }
}

void matmul(Span<const float> a, Span<const float> b, Span<float> c, const MatmulShape& shape, MatmulLayout layout,
            bool accumulate) {
  require_size("m", shape.m);
  require_size("n", shape.n);
  require_size("k", shape.k);
  const std::size_t a_n = element_count({shape.m, shape.k});
  const std::size_t b_n = element_count({shape.k, shape.n});
  const std::size_t c_n = element_count({shape.m, shape.n});
  require_length(layout == MatmulLayout::AtB ? "a [k, m]" : "a [m, k]", a.size(), a_n);
  require_length(layout == MatmulLayout::ABt ? "b [n, k]" : "b [k, n]", b.size(), b_n);
  require_length("c [m, n]", c.size(), c_n);
  const auto m = static_cast<std::size_t>(shape.m), n = static_cast<std::size_t>(shape.n),
             k = static_cast<std::size_t>(shape.k);
  const std::size_t lda = layout == MatmulLayout::AtB ? m : k;
  const std::size_t ldb = layout == MatmulLayout::ABt ? k : n;
  matmul_unchecked(a.data(), lda, b.data(), ldb, c.data(), n, m, n, k, layout, accumulate);
}

}  // namespace posenc
