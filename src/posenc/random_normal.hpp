// Seeded N(0, σ²) values that are bit-identical on every build (native g++/clang, wasm-simd, wasm-scalar).
// std::normal_distribution differs between standard libraries and libm's log may differ in the last bit,
// so this uses splitmix64 uniforms, Marsaglia's polar method and its own log from + − × ÷ only.
#pragma once
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

// out[i] ~ N(0, stddev²), a deterministic function of (seed, stream, i); streams keep tables apart.
void fill_random_normal(Span<float> out, double stddev, std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace posenc
