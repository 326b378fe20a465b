#include "posenc/random.hpp"

#include <cmath>

// Fused multiply-adds round differently from a multiply then an add; keep them out so that hosts with FMA
// (x86-64 -march=native) produce the same bits as wasm, which has none.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace posenc {

namespace {

// Uniform in (−1, 1) with 53 bits; every value is exactly representable.
double symmetric_unit(SplitMix64& rng) { return unit_interval(rng.next()) * 2.0 - 1.0; }

// ln x for 0 < x ≤ 1 from exact operations: x = m·2^k with m ∈ [√½, √2), ln m = 2·atanh(t), t = (m−1)/(m+1),
// |t| ≤ 0.172, so 12 odd terms of the atanh series reach double precision.
double portable_log(double x) {
  int k = 0;
  double m = std::frexp(x, &k);  // exact
  if (m < 0.70710678118654752) {
    m *= 2;
    --k;
  }
  const double t = (m - 1) / (m + 1), t2 = t * t;
  double series = 0;
  for (int j = 23; j >= 1; j -= 2) series = series * t2 + 1.0 / j;
  return static_cast<double>(k) * 0.69314718055994531 + 2 * t * series;
}

}  // namespace

void fill_random_normal(Span<float> out, double stddev, std::uint64_t seed, std::uint64_t stream) {
  SplitMix64 rng(SplitMix64(seed).next() ^ (stream * 0xD6E8FEB86659FD93ull));
  for (std::size_t i = 0; i < out.size(); i += 2) {
    double u, v, s;
    do {
      u = symmetric_unit(rng);
      v = symmetric_unit(rng);
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double f = std::sqrt(-2 * portable_log(s) / s);  // sqrt is correctly rounded everywhere
    out[i] = static_cast<float>(stddev * u * f);
    if (i + 1 < out.size()) out[i + 1] = static_cast<float>(stddev * v * f);
  }
}

}  // namespace posenc
