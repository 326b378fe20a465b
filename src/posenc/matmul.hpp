// Single-precision matrix products C = op(A)·op(B), written (or added) into C: the dense work of the
// tiny transformer's linear layers and of attention's backward pass.
// Shapes (row-major, leading dimension = row length unless given):
//   AB   A [m, k],  B [k, n]  → C [m, n]
//   ABt  A [m, k],  B [n, k]  → C [m, n]      (B transposed: x·Wᵀ, q·kᵀ)
//   AtB  A [k, m],  B [k, n]  → C [m, n]      (A transposed: the weight gradient xᵀ·dy)
#pragma once
#include <cstddef>
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

enum class MatmulLayout { AB, ABt, AtB };

struct MatmulShape {
  std::int64_t m = 1;
  std::int64_t n = 1;
  std::int64_t k = 1;
};

// Checked form: sizes and lengths validated (BAD_SIZE, SHAPE_MISMATCH) before C is touched.
// accumulate = false: C = op(A)·op(B); true: C += op(A)·op(B).
void matmul(Span<const float> a, Span<const float> b, Span<float> c, const MatmulShape& shape, MatmulLayout layout,
            bool accumulate = false);

// The kernel without checks, for callers that own their buffers (sub-matrices through the leading dimensions
// lda, ldb, ldc: the distance between consecutive rows of A, B and C as stored). Summation order depends only
// on (m, n, k, layout), so results are reproducible bit for bit on one build.
void matmul_unchecked(const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c, std::size_t ldc,
                      std::size_t m, std::size_t n, std::size_t k, MatmulLayout layout, bool accumulate);

// Packed B, for a B that several products read (attention's keys and values: every block of query rows reads
// them): op(B) [k, n] in column panels of w = matmul_panel_width() columns, panel c (columns [c·w, c·w + w))
// at packed + c·w·k, its k rows one after another (w floats each); columns past n are zeros. layout: AB
// (B [k, n], ldb ≥ n) or ABt (B [n, k], ldb ≥ k). matmul_packed_size(n, k) floats.
std::size_t matmul_panel_width();
std::size_t matmul_packed_size(std::size_t n, std::size_t k);
void matmul_pack_b(const float* b, std::size_t ldb, std::size_t n, std::size_t k, MatmulLayout layout, float* packed);

// C = A [m, k] · packed B (accumulate: C +=) on the same kernel as matmul_unchecked, whole panels at a time:
// n rounded up to the panel width columns of C are written (ldc must leave room for them). packed points at
// row 0 of the first panel used and panel_stride is the distance between panels (w·k of matmul_pack_b's k),
// so a product may use a column range (from panel c: packed + c·panel_stride) and a depth range (from row p:
// packed + p·w) of a larger packing.
void matmul_packed_unchecked(const float* a, std::size_t lda, const float* packed, std::size_t panel_stride, float* c,
                             std::size_t ldc, std::size_t m, std::size_t n, std::size_t k, bool accumulate);

// Multiply-adds in one product (m·n·k): the benchmark's FLOP count is twice this.
inline double matmul_multiply_adds(const MatmulShape& s) {
  return static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
}

}  // namespace posenc
