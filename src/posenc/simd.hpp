// The one place that talks to xsimd. Kernels use posenc::simd::Floats (a batch of float lanes) and the
// free functions below, stride by kWidth and finish with a scalar tail.
// POSENC_SIMD=0 builds the truly scalar variant (the wasm-scalar package and older engines): Floats is
// then one plain float, so the same kernel source compiles to code with no SIMD instructions at all.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#ifndef POSENC_SIMD
#define POSENC_SIMD 1
#endif

#if POSENC_SIMD
#include <xsimd/xsimd.hpp>
#endif

namespace posenc::simd {

#if POSENC_SIMD

using Floats = xsimd::batch<float>;
inline constexpr std::size_t kWidth = Floats::size;
inline const char* arch_name() { return xsimd::default_arch::name(); }

inline Floats load(const float* p) { return Floats::load_unaligned(p); }
inline void store(float* p, const Floats& v) { v.store_unaligned(p); }
inline Floats splat(float v) { return Floats(v); }
inline Floats fma(const Floats& a, const Floats& b, const Floats& c) { return xsimd::fma(a, b, c); }
inline Floats fms(const Floats& a, const Floats& b, const Floats& c) { return xsimd::fms(a, b, c); }
inline Floats max(const Floats& a, const Floats& b) { return xsimd::max(a, b); }
// xsimd's float exp limits: 0 at or below the lower one, +∞ at or above its negation.
inline constexpr float kExpLowerLimit = -88.3762626647949f;
#if defined(__wasm_simd128__)
namespace detail {
// xsimd 13's float exp step for step (Cody–Waite reduction by k·ln 2, the same degree-5 polynomial, ·2^k,
// 0 below its lower limit), bit for bit, without the three parts its wasm backend leaves slow: the
// float→int conversion of k (four scalar lanes), the rounding of k (an 8-op sign/magnitude sequence) and
// ≤ (two compares and an or). k is rounded by adding 1.5·2^23 (round-half-even, as nearbyint, for
// |a·log2 e| < 2^22; beyond that a is past either limit and a select replaces the result), and that sum's
// low bits hold k, so 2^k's exponent field is (bits + 127) << 23. The upper limit is the caller's.
inline v128_t exp_below_upper_limit(v128_t a) {
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(1.442695040888963407359924681001892137426645954152986f), a), magic);
  const v128_t k = wasm_f32x4_sub(t, magic);
  v128_t x = wasm_f32x4_sub(a, wasm_f32x4_mul(k, wasm_f32x4_splat(0x1.63p-1f)));  // ln 2, high part (0x3f318000)
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(k, wasm_f32x4_splat(-0x1.bd0106p-13f)));   // ln 2, low part (0xb95e8083)
  v128_t y = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(0x1.6ef19ep-10f)), wasm_f32x4_splat(0x1.131b16p-7f));
  y = wasm_f32x4_add(wasm_f32x4_mul(x, y), wasm_f32x4_splat(0x1.5552aep-5f));
  y = wasm_f32x4_add(wasm_f32x4_mul(x, y), wasm_f32x4_splat(0x1.55534ap-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(x, y), wasm_f32x4_splat(0.5f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, wasm_f32x4_mul(x, x)), x), wasm_f32x4_splat(1.0f));
  y = wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127)), 23));
  return wasm_v128_andnot(y, wasm_f32x4_le(a, wasm_f32x4_splat(kExpLowerLimit)));
}
}  // namespace detail
inline Floats exp(const Floats& a) {
  return wasm_v128_bitselect(wasm_f32x4_splat(std::numeric_limits<float>::infinity()), detail::exp_below_upper_limit(a),
                             wasm_f32x4_ge(a, wasm_f32x4_splat(-kExpLowerLimit)));
}
// exp of x ≤ 0 (or NaN), softmax's shifted scores: the same bits as exp there, without the test for the
// upper limit no such x reaches. exp_all_zero(x): exp is exactly 0 on every lane (each is at or below
// exp's lower limit, where it returns 0), so a softmax can skip them.
inline Floats exp_nonpositive(const Floats& x) { return detail::exp_below_upper_limit(x); }
inline bool exp_all_zero(const Floats& x) { return wasm_i32x4_all_true(wasm_f32x4_le(x, wasm_f32x4_splat(kExpLowerLimit))); }
#else
inline Floats exp(const Floats& v) { return xsimd::exp(v); }
inline Floats exp_nonpositive(const Floats& v) { return xsimd::exp(v); }
inline bool exp_all_zero(const Floats& x) { return xsimd::all(x <= Floats(kExpLowerLimit)); }
#endif
inline Floats tanh(const Floats& v) { return xsimd::tanh(v); }
inline void sincos(const Floats& v, Floats& s, Floats& c) {
  auto sc = xsimd::sincos(v);
  s = sc.first;
  c = sc.second;
}
inline float reduce_add(const Floats& v) { return xsimd::reduce_add(v); }
inline float reduce_max(const Floats& v) { return xsimd::reduce_max(v); }
// Lane interleaving for pair-wise kernels (interleaved RoPE): zip_lo(a, b) = [a0, b0, a1, b1, …] from
// the low halves, zip_hi the same from the high halves.
inline constexpr bool kHasPairs = kWidth % 2 == 0;
inline Floats zip_lo(const Floats& a, const Floats& b) { return xsimd::zip_lo(a, b); }
inline Floats zip_hi(const Floats& a, const Floats& b) { return xsimd::zip_hi(a, b); }
// unzip_even(a, b) = [a0, a2, …, b0, b2, …], unzip_odd(a, b) = [a1, a3, …, b1, b3, …]: the inverse of
// zip_lo/zip_hi, so interleaved pairs can be handled as two plain vectors.
namespace detail {
template <unsigned Odd>
struct UnzipIndex {
  static constexpr unsigned get(unsigned i, unsigned) { return 2 * i + Odd; }
};
}  // namespace detail
inline Floats unzip_even(const Floats& a, const Floats& b) {
  return xsimd::shuffle(a, b, xsimd::make_batch_constant<std::uint32_t, Floats::arch_type, detail::UnzipIndex<0>>());
}
inline Floats unzip_odd(const Floats& a, const Floats& b) {
  return xsimd::shuffle(a, b, xsimd::make_batch_constant<std::uint32_t, Floats::arch_type, detail::UnzipIndex<1>>());
}
inline Floats abs(const Floats& v) { return xsimd::abs(v); }
// Lane i holds the sum of rows[i]'s lanes (rows: kWidth batches); one transpose-add instead of kWidth reductions.
// xsimd 13.2's AVX-512 haddp returns lanes 2–5 and 10–13 permuted, so 16-lane builds reduce one by one.
inline Floats hadd_lanes(const Floats* rows) {
  if constexpr (kWidth == 16) {
    alignas(Floats::arch_type::alignment()) float sums[kWidth];
    for (std::size_t i = 0; i < kWidth; ++i) sums[i] = xsimd::reduce_add(rows[i]);
    return Floats::load_aligned(sums);
  } else {
    return xsimd::haddp(rows);
  }
}
// rows[0..kWidth) transposed in place: lane j of rows[i] ↔ lane i of rows[j].
inline void transpose(Floats* rows) { xsimd::transpose(rows, rows + kWidth); }
// start, start+1, …, start+kWidth−1.
inline Floats ramp(float start) {
  alignas(Floats::arch_type::alignment()) float lanes[kWidth];
  for (std::size_t i = 0; i < kWidth; ++i) lanes[i] = start + static_cast<float>(i);
  return Floats::load_aligned(lanes);
}

// Float64 lanes for the exact angle reduction (angles.cpp): loaded, rounded, narrowed to float on store.
using Doubles = xsimd::batch<double>;
inline constexpr std::size_t kDoubleWidth = Doubles::size;
inline Doubles load_doubles(const double* p) { return Doubles::load_unaligned(p); }
inline Doubles splat_double(double v) { return Doubles(v); }
inline Doubles round_nearest(const Doubles& v) { return xsimd::nearbyint(v); }
inline double round_nearest(double v) { return std::nearbyint(v); }
inline void store_as_floats(float* p, const Doubles& v) {
  alignas(Doubles::arch_type::alignment()) double lanes[kDoubleWidth];
  v.store_aligned(lanes);
  for (std::size_t i = 0; i < kDoubleWidth; ++i) p[i] = static_cast<float>(lanes[i]);
}

#else

// One lane. Arithmetic operators come from the implicit conversion to float.
struct Floats {
  float v;
  Floats() = default;
  Floats(float x) : v(x) {}  // NOLINT(google-explicit-constructor)
  operator float() const { return v; }
  Floats& operator+=(const Floats& o) { v += o.v; return *this; }
  Floats& operator-=(const Floats& o) { v -= o.v; return *this; }
  Floats& operator*=(const Floats& o) { v *= o.v; return *this; }
  Floats& operator/=(const Floats& o) { v /= o.v; return *this; }
};
inline constexpr std::size_t kWidth = 1;
inline const char* arch_name() { return "scalar"; }

inline Floats load(const float* p) { return *p; }
inline void store(float* p, const Floats& v) { *p = v.v; }
inline Floats splat(float v) { return v; }
inline Floats fma(const Floats& a, const Floats& b, const Floats& c) { return a.v * b.v + c.v; }
inline Floats fms(const Floats& a, const Floats& b, const Floats& c) { return a.v * b.v - c.v; }
inline Floats max(const Floats& a, const Floats& b) { return a.v > b.v ? a.v : b.v; }
inline Floats exp(const Floats& v) { return std::exp(v.v); }
inline Floats exp_nonpositive(const Floats& v) { return std::exp(v.v); }
// std::exp is 0 below ln(2^−150) ≈ −103.97 (the result rounds to zero); −105 leaves a margin.
inline bool exp_all_zero(const Floats& x) { return x.v <= -105.0f; }
inline Floats tanh(const Floats& v) { return std::tanh(v.v); }
inline void sincos(const Floats& v, Floats& s, Floats& c) {
  s = std::sin(v.v);
  c = std::cos(v.v);
}
inline float reduce_add(const Floats& v) { return v.v; }
inline float reduce_max(const Floats& v) { return v.v; }
// One lane has no partner lane: kernels test kHasPairs and take their scalar path instead.
inline constexpr bool kHasPairs = false;
inline Floats zip_lo(const Floats& a, const Floats&) { return a; }
inline Floats zip_hi(const Floats&, const Floats& b) { return b; }
inline Floats unzip_even(const Floats& a, const Floats&) { return a; }
inline Floats unzip_odd(const Floats&, const Floats& b) { return b; }
inline Floats abs(const Floats& v) { return std::fabs(v.v); }
inline Floats hadd_lanes(const Floats* rows) { return rows[0]; }
inline void transpose(Floats*) {}
inline Floats ramp(float start) { return start; }
using Doubles = double;
inline constexpr std::size_t kDoubleWidth = 1;
inline Doubles load_doubles(const double* p) { return *p; }
inline Doubles splat_double(double v) { return v; }
inline Doubles round_nearest(Doubles v) { return std::nearbyint(v); }
inline void store_as_floats(float* p, Doubles v) { *p = static_cast<float>(v); }

#endif

// Rounds down to a multiple of kWidth: the end of the vector part of a loop over n elements.
inline std::size_t vector_end(std::size_t n) { return n - n % kWidth; }

}  // namespace posenc::simd
