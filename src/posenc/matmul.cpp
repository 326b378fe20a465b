// Register-blocked matrix product over simd::Floats. A micro-tile of kTileRows rows × kTileVectors vectors of
// C lives in registers while the k loop broadcasts one A element per row and loads kTileVectors vectors of a B
// row: 4×2 in wasm (8 accumulators + 2 B vectors + 1 broadcast fit the 16 registers wasm engines give SIMD code),
// 6×2 natively where vectors have 8+ lanes (W7's products: 45 → 90 GFLOP/s, 39% → 77% of the measured peak).
// AB and AtB differ only in A's element strides, so one kernel serves both; ABt transposes
// B once into scratch (n·k copies against m·n·k multiply-adds) and runs AB. A B read by many products
// (attention's keys) is packed once into panels of one tile's width (matmul_pack_b), which the same tile
// reads with the panel width as its row stride: contiguous, at no cost per product.
// Cache blocking: k is cut into kDepthBlock slices so a B slice (kDepthBlock × n) stays in L2 while every row
// tile of A passes over it. Remainders: row tiles of fewer rows (templates), a one-vector column tile, then
// scalar columns. Each C element sums its k products in a fixed order (block by block, p ascending), so the
// bits depend only on the shape and the build.
#include "posenc/matmul.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
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

// A tile's rows of A over one depth block, copied depth-major: element (r, p) at panel[p·Rows + r]. The
// micro-tile then reads A through one pointer at constant offsets (wasm folds them into its loads), where
// reading A in place costs an address computation per row and step.
template <std::size_t Rows>
void pack_a(const AView& a, std::size_t i0, std::size_t p0, std::size_t p1, float* panel) {
  for (std::size_t p = p0; p < p1; ++p)
    for (std::size_t r = 0; r < Rows; ++r) *panel++ = a.at(i0 + r, p);
}

// C[0..Rows) × [0..Vectors·kWidth) (+)= packed A rows · B over `depth` steps. ap: pack_a's panel; b: B's first
// row in the block at the tile's first column, ldb floats from one row to the next (a packed B panel's
// width); c: C at the tile's first row and column. Not inlined: V8 allocates registers per function, and
// inside the large callers it kept the accumulators in stack slots (the products ran 1.8x slower in wasm).
template <std::size_t Rows, std::size_t Vectors>
[[gnu::noinline]] void tile(const float* ap, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t depth,
          bool accumulate) {
  Floats acc[Rows][Vectors];
  for (auto& row : acc)
    for (auto& v : row) v = simd::splat(0.0f);
  for (std::size_t p = 0; p < depth; ++p, ap += Rows, b += ldb) {
    Floats bv[Vectors];
    for (std::size_t t = 0; t < Vectors; ++t) bv[t] = simd::load(b + t * kWidth);
    for (std::size_t r = 0; r < Rows; ++r) {
      const Floats av = simd::splat(ap[r]);
      for (std::size_t t = 0; t < Vectors; ++t) acc[r][t] = simd::fma(av, bv[t], acc[r][t]);
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    float* cr = c + r * ldc;
    for (std::size_t t = 0; t < Vectors; ++t) {
      Floats v = acc[r][t];
      if (accumulate) v += simd::load(cr + t * kWidth);
      simd::store(cr + t * kWidth, v);
    }
  }
}

// Runs sweep(rows, i) over the row tiles of m rows: full kTileRows tiles, then one shorter tile, the row count
// a compile-time constant (std::integral_constant) so each tile size has its own register layout.
template <class Sweep>
void over_row_tiles(std::size_t m, Sweep sweep) {
  std::size_t i = 0;
  for (; i + kTileRows <= m; i += kTileRows) sweep(std::integral_constant<std::size_t, kTileRows>{}, i);
  switch (m - i) {
    case 5: sweep(std::integral_constant<std::size_t, 5>{}, i); break;
    case 4: sweep(std::integral_constant<std::size_t, 4>{}, i); break;
    case 3: sweep(std::integral_constant<std::size_t, 3>{}, i); break;
    case 2: sweep(std::integral_constant<std::size_t, 2>{}, i); break;
    case 1: sweep(std::integral_constant<std::size_t, 1>{}, i); break;
    default: break;
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

// Rows of A from i0 against columns [0, n) of B (whole vectors; scalar_columns does the rest), depth [p0, p1).
template <std::size_t Rows>
void row_tile(const AView& a, std::size_t i0, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t n,
              std::size_t p0, std::size_t p1, bool accumulate, float* panel) {
  constexpr std::size_t wide = kTileVectors * kWidth;
  pack_a<Rows>(a, i0, p0, p1, panel);
  const float* bp = b + p0 * ldb;
  float* cr = c + i0 * ldc;
  std::size_t j = 0;
  for (; j + wide <= n; j += wide) tile<Rows, kTileVectors>(panel, bp + j, ldb, cr + j, ldc, p1 - p0, accumulate);
  for (; j + kWidth <= n; j += kWidth) tile<Rows, 1>(panel, bp + j, ldb, cr + j, ldc, p1 - p0, accumulate);
}

void product(const AView& a, const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t m, std::size_t n,
             std::size_t k, bool accumulate) {
  if (k == 0) {
    if (!accumulate)
      for (std::size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  const std::size_t vector_cols = simd::vector_end(n);
  float panel[kTileRows * kDepthBlock];
  for (std::size_t p0 = 0; p0 < k; p0 += kDepthBlock) {
    const std::size_t p1 = std::min(k, p0 + kDepthBlock);
    const bool add = accumulate || p0 > 0;
    if (vector_cols > 0) {
      over_row_tiles(m, [&](auto rows, std::size_t i) {
        row_tile<decltype(rows)::value>(a, i, b, ldb, c, ldc, vector_cols, p0, p1, add, panel);
      });
    }
    if (vector_cols < n) scalar_columns(a, m, b, ldb, c, ldc, vector_cols, n, p0, p1, add);
  }
}

// The row tiles of A against whole panels of packed B: every column of every panel is written.
void packed_product(const AView& a, const float* packed, float* c, std::size_t ldc, std::size_t m, std::size_t panels,
                    std::size_t k, bool accumulate) {
  constexpr std::size_t width = kTileVectors * kWidth;
  float panel[kTileRows * kDepthBlock];
  for (std::size_t p0 = 0; p0 < k; p0 += kDepthBlock) {
    const std::size_t p1 = std::min(k, p0 + kDepthBlock);
    const bool add = accumulate || p0 > 0;
    over_row_tiles(m, [&](auto rows, std::size_t i) {
      constexpr std::size_t Rows = decltype(rows)::value;
      pack_a<Rows>(a, i, p0, p1, panel);
      for (std::size_t q = 0; q < panels; ++q)
        tile<Rows, kTileVectors>(panel, packed + q * width * k + p0 * width, width, c + i * ldc + q * width, ldc, p1 - p0, add);
    });
  }
}

}  // namespace

std::size_t matmul_panel_width() { return kTileVectors * kWidth; }

std::size_t matmul_packed_size(std::size_t n, std::size_t k) {
  const std::size_t width = matmul_panel_width();
  return (n + width - 1) / width * width * k;
}

void matmul_pack_b(const float* b, std::size_t ldb, std::size_t n, std::size_t k, MatmulLayout layout, float* packed) {
  const std::size_t width = matmul_panel_width();
  const std::size_t padded = (n + width - 1) / width * width;
  for (std::size_t j = 0; j < padded; ++j) {
    float* dst = packed + j / width * width * k + j % width;  // column j, row 0 of its panel
    if (j >= n) {
      for (std::size_t p = 0; p < k; ++p) dst[p * width] = 0.0f;
    } else if (layout == MatmulLayout::ABt) {
      const float* src = b + j * ldb;  // B [n, k]: column j of op(B) is row j of B
      for (std::size_t p = 0; p < k; ++p) dst[p * width] = src[p];
    } else {
      for (std::size_t p = 0; p < k; ++p) dst[p * width] = b[p * ldb + j];
    }
  }
}

void matmul_packed_unchecked(const float* a, std::size_t lda, const float* packed, float* c, std::size_t ldc,
                             std::size_t m, std::size_t n, std::size_t k, bool accumulate) {
  const std::size_t width = matmul_panel_width();
  const std::size_t panels = (n + width - 1) / width;
  if (k == 0) {
    if (!accumulate)
      for (std::size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + panels * width, 0.0f);
    return;
  }
  packed_product({a, lda, 1}, packed, c, ldc, m, panels, k, accumulate);
}

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
