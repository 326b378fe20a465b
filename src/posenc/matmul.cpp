// Register-blocked matrix product over simd::Floats, on packed operands. A micro-tile of kTileRows rows ×
// kTileVectors vectors of C is accumulated while the depth loop broadcasts one A element per row and loads
// kTileVectors vectors of a B row: 4×2 in wasm, 6×2 natively where vectors have 8+ lanes.
// Both operands are packed, whatever the layout: B, a depth block at a time, into panels of one tile's width
// (each panel's rows one after another), A a row tile at a time, depth-major. The micro-tile then reads two
// contiguous streams through two pointers at constant offsets (wasm folds those into its loads), and AB,
// ABt and AtB differ only in how the packing reads them. A B read by many products (attention's keys and
// values) is packed once by the caller (matmul_pack_b) and multiplied with matmul_packed_unchecked.
// Cache blocking: k is cut into kDepthBlock slices so a packed B slice stays in L2 while every row tile of A
// passes over it. Remainders: row tiles of fewer rows (templates); the last, partial panel is zero-padded
// and its tile goes through a small buffer. Each C element sums its k products in a fixed order (block by
// block, p ascending), so the bits depend only on the shape and the build.
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

// 6 rows where vectors are wide (AVX/AVX-512 hosts: 12 accumulators of 16 or 32 registers), 4 in wasm (V8
// gives SIMD code few registers; 2, 3, 5 and 6 rows were slower there).
constexpr std::size_t kTileRows = kWidth >= 8 ? 6 : 4;
constexpr std::size_t kTileVectors = 2;
constexpr std::size_t kPanel = kTileVectors * kWidth;
constexpr std::size_t kDepthBlock = 256;

// Element (i, p) of op(A) is a[i·row_stride + p·depth_stride]: A [m, k] has (lda, 1), Aᵀ (AtB) has (1, lda).
struct AView {
  const float* a;
  std::size_t row_stride, depth_stride;
  float at(std::size_t i, std::size_t p) const { return a[i * row_stride + p * depth_stride]; }
};

// Element (p, j) of op(B): B [k, n] has (ldb, 1), Bᵀ (ABt, B stored [n, k]) has (1, ldb).
struct BView {
  const float* b;
  std::size_t depth_stride, column_stride;
  const float& at(std::size_t p, std::size_t j) const { return b[p * depth_stride + j * column_stride]; }
};

// Rows [p0, p1) of op(B) into panels: column j, row p at packed[(j / kPanel)·panel_stride + (p − p0)·kPanel +
// j % kPanel]; the columns of the last panel past n are zeros.
void pack_b(const BView& b, std::size_t p0, std::size_t p1, std::size_t n, std::size_t panel_stride, float* packed) {
  const std::size_t panels = (n + kPanel - 1) / kPanel;
  for (std::size_t q = 0; q < panels; ++q) {
    float* dst = packed + q * panel_stride;
    const std::size_t j0 = q * kPanel, cols = std::min(kPanel, n - j0);
    std::size_t p = p0;
    if constexpr (kWidth > 1) {
      // Bᵀ stored (attention's keys): kWidth × kWidth squares of B's rows, transposed into the panel's rows.
      if (b.depth_stride == 1 && cols == kPanel) {
        for (; p + kWidth <= p1; p += kWidth, dst += kWidth * kPanel) {
          for (std::size_t t0 = 0; t0 < kPanel; t0 += kWidth) {
            Floats square[kWidth];
            for (std::size_t t = 0; t < kWidth; ++t) square[t] = simd::load(&b.at(p, j0 + t0 + t));
            simd::transpose(square);
            for (std::size_t u = 0; u < kWidth; ++u) simd::store(dst + u * kPanel + t0, square[u]);
          }
        }
      }
    }
    for (; p < p1; ++p, dst += kPanel) {
      if (b.column_stride == 1 && cols == kPanel) {  // a row segment: whole vectors
        for (std::size_t t = 0; t < kTileVectors; ++t) simd::store(dst + t * kWidth, simd::load(&b.at(p, j0) + t * kWidth));
        continue;
      }
      for (std::size_t t = 0; t < cols; ++t) dst[t] = b.at(p, j0 + t);
      for (std::size_t t = cols; t < kPanel; ++t) dst[t] = 0.0f;
    }
  }
}

// A tile's rows over depth [p0, p1), depth-major: element (r, p) at panel[(p − p0)·Rows + r]. Where a tile
// has one row a lane (wasm's 4 × 4) and A's rows are contiguous, kWidth × kWidth squares go through vector
// transposes instead of one scalar copy an element (the attention weights of P·V are packed this way).
template <std::size_t Rows>
void pack_a(const AView& a, std::size_t i0, std::size_t p0, std::size_t p1, float* panel) {
  std::size_t p = p0;
  if constexpr (Rows == kWidth && kWidth > 1) {
    if (a.depth_stride == 1) {
      for (; p + kWidth <= p1; p += kWidth, panel += Rows * kWidth) {
        Floats square[kWidth];
        for (std::size_t r = 0; r < Rows; ++r) square[r] = simd::load(a.a + (i0 + r) * a.row_stride + p);
        simd::transpose(square);
        for (std::size_t t = 0; t < kWidth; ++t) simd::store(panel + t * Rows, square[t]);
      }
    }
  }
  for (; p < p1; ++p)
    for (std::size_t r = 0; r < Rows; ++r) *panel++ = a.at(i0 + r, p);
}

// C[0..Rows) × [0..panels·kPanel) (+)= packed A rows · `panels` packed B panels (panel_stride apart), one
// micro-tile a panel, over `depth` steps; c at the first row and column. The sweep over panels lives here, not
// in the caller: a tile of attention's depth-64 products is 256 cycles of multiply-adds, and a call a tile
// cost some 7% more. Not inlined: V8 allocates registers per function, and inside the large callers it kept
// the accumulators in stack slots (the products ran about 1.8x slower in wasm).
template <std::size_t Rows>
[[gnu::noinline]] void tiles(const float* ap, const float* bp, std::size_t panel_stride, std::size_t panels, float* c,
                             std::size_t ldc, std::size_t depth, bool accumulate) {
  for (std::size_t q = 0; q < panels; ++q, bp += panel_stride, c += kPanel) {
    Floats acc[Rows][kTileVectors];
    for (auto& row : acc)
      for (auto& v : row) v = simd::splat(0.0f);
    const float* a = ap;
    const float* b = bp;
    for (std::size_t p = 0; p < depth; ++p, a += Rows, b += kPanel) {
      Floats bv[kTileVectors];
      for (std::size_t t = 0; t < kTileVectors; ++t) bv[t] = simd::load(b + t * kWidth);
      for (std::size_t r = 0; r < Rows; ++r) {
        const Floats av = simd::splat(a[r]);
        for (std::size_t t = 0; t < kTileVectors; ++t) acc[r][t] = simd::fma(av, bv[t], acc[r][t]);
      }
    }
    for (std::size_t r = 0; r < Rows; ++r) {
      float* cr = c + r * ldc;
      for (std::size_t t = 0; t < kTileVectors; ++t) {
        Floats v = acc[r][t];
        if (accumulate) v += simd::load(cr + t * kWidth);
        simd::store(cr + t * kWidth, v);
      }
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

// C [m, n] (+)= op(A) rows × packed B over depth [p0, p1) (panel q's row p0 at packed + q·panel_stride).
// whole_panels: C has room for every column of the last panel; otherwise that tile goes through a buffer
// and only its n % kPanel real columns reach C.
void panel_product(const AView& a, const float* packed, std::size_t panel_stride, float* c, std::size_t ldc,
                   std::size_t m, std::size_t n, std::size_t p0, std::size_t p1, bool accumulate, bool whole_panels) {
  const std::size_t panels = (n + kPanel - 1) / kPanel;
  const std::size_t full = whole_panels ? panels : n / kPanel;
  const std::size_t depth = p1 - p0;
  float apanel[kTileRows * kDepthBlock];
  over_row_tiles(m, [&](auto rows, std::size_t i) {
    constexpr std::size_t Rows = decltype(rows)::value;
    pack_a<Rows>(a, i, p0, p1, apanel);
    float* ci = c + i * ldc;
    if (full > 0) tiles<Rows>(apanel, packed, panel_stride, full, ci, ldc, depth, accumulate);
    if (full < panels) {
      alignas(64) float edge[Rows * kPanel];
      tiles<Rows>(apanel, packed + full * panel_stride, panel_stride, 1, edge, kPanel, depth, false);
      const std::size_t j0 = full * kPanel;
      for (std::size_t r = 0; r < Rows; ++r)
        for (std::size_t j = j0; j < n; ++j) {
          float& x = ci[r * ldc + j];
          x = accumulate ? x + edge[r * kPanel + j - j0] : edge[r * kPanel + j - j0];
        }
    }
  });
}

}  // namespace

std::size_t matmul_panel_width() { return kPanel; }

std::size_t matmul_packed_size(std::size_t n, std::size_t k) { return (n + kPanel - 1) / kPanel * kPanel * k; }

void matmul_pack_b(const float* b, std::size_t ldb, std::size_t n, std::size_t k, MatmulLayout layout, float* packed) {
  const BView view = layout == MatmulLayout::ABt ? BView{b, 1, ldb} : BView{b, ldb, 1};
  pack_b(view, 0, k, n, kPanel * k, packed);
}

void matmul_packed_unchecked(const float* a, std::size_t lda, const float* packed, std::size_t panel_stride, float* c,
                             std::size_t ldc, std::size_t m, std::size_t n, std::size_t k, bool accumulate) {
  if (k == 0) {
    if (!accumulate)
      for (std::size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + (n + kPanel - 1) / kPanel * kPanel, 0.0f);
    return;
  }
  for (std::size_t p0 = 0; p0 < k; p0 += kDepthBlock) {
    const std::size_t p1 = std::min(k, p0 + kDepthBlock);
    panel_product({a, lda, 1}, packed + p0 * kPanel, panel_stride, c, ldc, m, n, p0, p1, accumulate || p0 > 0, true);
  }
}

void matmul_unchecked(const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c, std::size_t ldc,
                      std::size_t m, std::size_t n, std::size_t k, MatmulLayout layout, bool accumulate) {
  if (k == 0) {
    if (!accumulate)
      for (std::size_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  if (m == 0 || n == 0) return;
  const AView av = layout == MatmulLayout::AtB ? AView{a, 1, lda} : AView{a, lda, 1};
  const BView bv = layout == MatmulLayout::ABt ? BView{b, 1, ldb} : BView{b, ldb, 1};
  const std::size_t block = std::min(k, kDepthBlock);
  std::vector<float> packed(matmul_packed_size(n, block));
  for (std::size_t p0 = 0; p0 < k; p0 += kDepthBlock) {
    const std::size_t p1 = std::min(k, p0 + kDepthBlock);
    pack_b(bv, p0, p1, n, kPanel * (p1 - p0), packed.data());
    panel_product(av, packed.data(), kPanel * (p1 - p0), c, ldc, m, n, p0, p1, accumulate || p0 > 0, false);
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
