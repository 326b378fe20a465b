// Sinusoidal positional encoding (Vaswani et al. 2017, "Attention Is All You Need" §3.5), interleaved
// sin/cos layout: PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = base^(−2i/d).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "posenc/angles.hpp"
#include "posenc/dropout.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct SinusoidalTableOptions {
  double base = 10000.0;
  std::int64_t start = 0;
  std::optional<std::int64_t> count;  // default max_len − start
  SincosSteps* steps = nullptr;        // angle steps kept by the caller across calls (else made per call)
};

// Rows start … start+count−1 of the (max_len, d) table, without building the rest: out is (count, d).
void sinusoidal_table(std::int64_t max_len, std::int64_t d, Span<float> out, const SinusoidalTableOptions& options = {});
std::vector<float> sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options = {});

// The rows a table call makes, after its checks: the first row and how many.
struct TableRange {
  std::int64_t start, count;
};
// sinusoidal_table's checks, in the reporting order.
TableRange validate_sinusoidal_table(std::int64_t max_len, std::int64_t d, const SinusoidalTableOptions& options);

// Rows [first, first+rows) of the table (interleaved sin/cos) into out ([rows, d]); angles made by a
// SincosRows over freq = inverse_frequencies(d, base) prepared for at least that range.
void sinusoidal_rows(std::int64_t first, std::int64_t rows, std::int64_t d, const SincosRows& angles, float* out);

struct SinusoidalForwardOptions {
  std::int64_t max_len = 5000;
  std::int64_t offset = 0;
  double base = 10000.0;
  DropoutOptions dropout{0.1, false, {}, 0};
};

// x, out: [batch, seq, d] (out may be x). y[b,s,:] = x[b,s,:] + PE[offset+s, :], then dropout.
void sinusoidal_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d, Span<float> out,
                        const SinusoidalForwardOptions& options = {});

// The seed's PyTorch module: owns the (max_len, dim) `pe` buffer, built once at construction; forward adds
// rows offset … offset+seq−1 to every batch row, then, in train mode, dropout with a fresh mask per call
// drawn from (seed, call counter).
class SinusoidalPositionalEncoding {
 public:
  SinusoidalPositionalEncoding(std::int64_t dim, std::int64_t max_len = 5000, double dropout = 0.1,
                               double base = 10000.0, std::uint64_t seed = 0);
  // x, out: [batch, seq, dim] (out may be x).
  void forward(Span<const float> x, std::int64_t batch, std::int64_t seq, Span<float> out, std::int64_t offset = 0);
  void train(bool on = true) { training_ = on; }
  bool training() const { return training_; }
  const std::vector<float>& table() const { return table_; }  // the `pe` buffer, (max_len, dim)
  std::int64_t dim() const { return dim_; }
  std::int64_t max_len() const { return max_len_; }

 private:
  std::int64_t dim_, max_len_;
  double p_;
  std::uint64_t seed_, calls_ = 0;  // each train-mode call draws a fresh mask
  bool training_ = true;
  std::vector<float> table_;
};

}  // namespace posenc
