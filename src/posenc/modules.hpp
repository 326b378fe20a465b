// The seed's four PyTorch modules as classes that own their buffers (register_buffer state):
// each validates on construction, computes in forward, and has a train/eval switch where it drops out.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "posenc/alibi.hpp"
#include "posenc/rope.hpp"
#include "posenc/span.hpp"

namespace posenc {

// Sinusoidal table of (max_len, dim) computed once; forward adds rows offset … offset+seq−1, then dropout.
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

// Learned table (max_len, dim) with optional scale, LayerNorm and a clipped relative bias table
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

// RoPE with a cos/sin cache per position shared by all heads; the cache covers [0, cached_len()) and
// doubles when a forward reaches past it, like the seed's module (never rebuilt for positions it holds).
class RotaryPositionalEmbedding {
 public:
  RotaryPositionalEmbedding(std::int64_t dim, std::int64_t max_len = 2048, double base = 10000.0,
                            RopeLayout layout = RopeLayout::Half, const RopeScaling& scaling = {},
                            std::optional<std::int64_t> max_position_embeddings = std::nullopt);
  // q, k: [batch, heads, seq, dim] rotated in place (or into q_out/k_out, which may alias them).
  void forward(Span<const float> q, const Bhsd& q_shape, Span<float> q_out, Span<const float> k, const Bhsd& k_shape,
               Span<float> k_out, std::int64_t offset = 0, Span<const std::int32_t> positions = {});
  std::int64_t cached_len() const { return cached_len_; }
  std::uint64_t cache_builds() const { return cache_builds_; }  // how many times rows were computed
  const RopeParams& params() const { return params_; }
  RopeLayout layout() const { return layout_; }
  std::int64_t dim() const { return dim_; }
  std::int64_t max_len() const { return max_len_; }
  // The cache, (cached_len, dim/2) each, attention factor applied.
  const std::vector<float>& cos_cache() const { return cos_; }
  const std::vector<float>& sin_cache() const { return sin_; }

 private:
  void ensure_cached(std::int64_t end);
  void rotate(Span<const float> x, const Bhsd& shape, Span<float> out, std::int64_t offset,
              Span<const std::int32_t> positions) const;
  std::int64_t dim_, max_len_;
  RopeLayout layout_;
  RopeParams params_;
  std::int64_t cached_len_ = 0;
  std::uint64_t cache_builds_ = 0;
  std::vector<float> cos_, sin_;
};

// ALiBi with a (num_heads, max_len, max_len) causal bias cache sliced per call, like the seed's.
// Beyond max_len the bias is computed directly (linear in the distance, nothing to learn).
class ALiBiPositionalEncoding {
 public:
  ALiBiPositionalEncoding(std::int64_t num_heads, std::int64_t max_len = 512);
  // out: [num_heads, q_len, k_len], causal form with q_offset = k_len − q_len by default.
  void bias(std::int64_t q_len, std::int64_t k_len, Span<float> out, std::optional<std::int64_t> q_offset = std::nullopt) const;
  const std::vector<double>& slopes() const { return slopes_; }
  std::int64_t num_heads() const { return num_heads_; }
  std::int64_t max_len() const { return max_len_; }

 private:
  std::int64_t num_heads_, max_len_;
  std::vector<double> slopes_;
  std::vector<float> cache_;
};

}  // namespace posenc
