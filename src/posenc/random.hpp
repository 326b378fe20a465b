// Seeded random numbers that are bit-identical on every build (native g++/clang, wasm-simd, wasm-scalar):
// splitmix64 (Steele, Lea and Flood 2014) for integers and uniforms, Marsaglia's polar method for normals.
// std::normal_distribution differs between standard libraries and libm's log may differ in the last bit,
// so the normals use their own log from + − × ÷ only.
#pragma once
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

// splitmix64's output function: a bijective mix of 64 bits, also usable as a stateless hash.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  static constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() { return mix64(state_ += kGolden); }

 private:
  std::uint64_t state_;
};

// The top 53 bits of z as a double in [0, 1); every value is exactly representable.
inline double unit_interval(std::uint64_t z) { return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0); }

// A seeded stream of integers for the trainer and its tasks: splitmix64 again, on a state derived from
// (seed, stream), so a seed names the same batches and positions natively and in both wasm builds.
// The state is mixed: a linear one (seed · golden + …) made seed s + 1 the stream of seed s one draw
// later, so batches at consecutive seeds were shifted copies of each other.
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed, std::uint64_t stream = 0)
      : state_(mix64(seed * SplitMix64::kGolden + stream * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull)) {}
  std::uint64_t next() { return mix64(state_ += SplitMix64::kGolden); }
  // Uniform in [0, n), n >= 1 (64-bit multiply-shift; its bias is below 2^-32 for the n used here).
  std::int64_t below(std::int64_t n) {
    const auto r = static_cast<unsigned __int128>(next()) * static_cast<std::uint64_t>(n);
    return static_cast<std::int64_t>(r >> 64);
  }
  double unit() { return unit_interval(next()); }

 private:
  std::uint64_t state_;
};

// out[i] ~ N(0, stddev²), a deterministic function of (seed, stream, i); streams keep tables apart.
void fill_random_normal(Span<float> out, double stddev, std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace posenc
