// Sinusoidal positional encoding (Vaswani et al. 2017 §3.5; SPEC §1), interleaved sin/cos layout:
// PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = base^(−2i/d).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "posenc/dropout.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct SinusoidalTableOptions {
  double base = 10000.0;
  std::int64_t start = 0;
  std::optional<std::int64_t> count;  // default max_len − start
};

// Rows start … start+count−1 of the (max_len, d) table, without building the rest: out is (count, d).
void sinusoidal_table(std::int64_t max_len, std::int64_t d, Span<float> out, const SinusoidalTableOptions& options = {});
std::vector<float> sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options = {});

// The same rows made a slice at a time in scratch (as many whole rows as it holds), each handed to
// sink(first_row, rows), rows counted from start, before the next slice overwrites it: a caller copying the
// table elsewhere (the JS binding) streams it through memory once, and the per-call set-up is done once.
using TableSliceSink = std::function<void(std::int64_t first_row, std::int64_t rows)>;
void sinusoidal_table_slices(std::int64_t max_len, std::int64_t d, Span<float> scratch, const TableSliceSink& sink,
                             const SinusoidalTableOptions& options = {});

// The per-pair frequencies ω_i (d/2 of them), in float64.
std::vector<double> sinusoidal_frequencies(std::int64_t d, double base);

struct SinusoidalForwardOptions {
  std::int64_t max_len = 5000;
  std::int64_t offset = 0;
  double base = 10000.0;
  DropoutOptions dropout{0.1, false, {}, 0};
};

// x, out: [batch, seq, d] (out may be x). y[b,s,:] = x[b,s,:] + PE[offset+s, :], then dropout.
void sinusoidal_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d, Span<float> out,
                        const SinusoidalForwardOptions& options = {});

}  // namespace posenc
