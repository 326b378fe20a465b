// A seeded stream of integers for the trainer and the tasks: splitmix64, identical on every build, so a seed
// names the same batches and positions natively and in both wasm builds.
#pragma once
#include <cstdint>

namespace posenc {

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed, std::uint64_t stream = 0)
      : state_(seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n ≥ 1 (the 64-bit multiply-shift; its bias is below 2^-32 for the n used here).
  std::int64_t below(std::int64_t n) {
    const auto r = static_cast<unsigned __int128>(next()) * static_cast<std::uint64_t>(n);
    return static_cast<std::int64_t>(r >> 64);
  }
  // Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  std::uint64_t state_;
};

}  // namespace posenc
