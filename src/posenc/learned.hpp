// Learned absolute position embedding (GPT-2 wpe, BERT position_embeddings):
// v = x + scale · table[pos], optional LayerNorm, then dropout.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "posenc/dropout.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct LearnedForwardOptions {
  std::int64_t offset = 0;
  Span<const std::int32_t> positions;  // (seq,) or (batch, seq); empty: offset + s
  double scale = 1.0;
  bool use_ln = false;
  Span<const float> gamma;  // (d,) or empty for 1s
  Span<const float> beta;   // (d,) or empty for 0s
  double eps = 1e-5;
  DropoutOptions dropout{0.0, false, {}, 0};
};

// x, out: [batch, seq, d] (out may be x); table: [max_len, table_width], table_width must equal d.
void learned_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                     Span<const float> table, std::int64_t max_len, std::int64_t table_width, Span<float> out,
                     const LearnedForwardOptions& options = {});

// The seed's module: a learned table (max_len, dim) with optional scale, LayerNorm and a clipped relative bias table
// (2·max_distance+1, num_heads). Initialised N(0, 0.02²) from `seed` like GPT-2, or loaded.
class LearnedPositionalEmbedding {
 public:
  struct Config {
    std::int64_t dim = 0;
    std::int64_t max_len = 512;
    double dropout = 0.1;
    double scale = 1.0;
    bool layer_norm = false;
    bool relative = false;
    std::int64_t num_heads = 8;
    std::int64_t max_distance = 16;
    std::uint64_t seed = 0;
  };
  explicit LearnedPositionalEmbedding(const Config& config);
  void forward(Span<const float> x, std::int64_t batch, std::int64_t seq, Span<float> out, std::int64_t offset = 0,
               Span<const std::int32_t> positions = {});
  // out: [num_heads, q_len, k_len]; only with relative = true (else SHAPE_MISMATCH).
  void relative_bias(std::int64_t q_len, std::int64_t k_len, std::optional<std::int64_t> q_offset, Span<float> out) const;
  void train(bool on = true) { training_ = on; }
  bool training() const { return training_; }
  const Config& config() const { return config_; }
  // State: table (max_len, dim); gamma, beta (dim,) with layer_norm; relative (2K+1, heads) with relative.
  std::vector<float>& table() { return table_; }
  std::vector<float>& gamma() { return gamma_; }
  std::vector<float>& beta() { return beta_; }
  std::vector<float>& relative_table() { return relative_; }

 private:
  Config config_;
  std::uint64_t calls_ = 0;
  bool training_ = true;
  std::vector<float> table_, gamma_, beta_, relative_;
};

// Gradient of learned_forward. Shapes: dy, x, dx [batch, seq, d]; table, d_table
// [max_len, table_width] (table_width = d); d_gamma, d_beta (d,) when use_ln (empty: not wanted).
// Forward: v = x + scale·table[pos]; y = LayerNorm(v) if use_ln; then dropout. So, with g the gradient at v:
//   dx += g,  d_table[pos] += scale·g (a scatter-add: rows used by several (b, s) collect every one),
//   d_gamma, d_beta from layer_norm_backward. Dropout's keep mask (given or drawn from its seed) is reapplied.
struct LearnedGradients {
  Span<float> dx;       // [batch, seq, d]
  Span<float> d_table;  // [max_len, table_width]
  Span<float> d_gamma;  // (d,) or empty
  Span<float> d_beta;   // (d,) or empty
};

void learned_backward(Span<const float> dy, Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                      Span<const float> table, std::int64_t max_len, std::int64_t table_width,
                      const LearnedGradients& grads, const LearnedForwardOptions& options = {});

}  // namespace posenc
