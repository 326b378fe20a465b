// AdamW (Loshchilov & Hutter 2019: weight decay decoupled from the gradient's moments) with a linear warm-up
// then cosine decay of the learning rate, and global-norm gradient clipping. Float64 where sums are formed,
// in a fixed order, so a run is the same bits each time on one build.
#pragma once
#include <cstdint>
#include <vector>

#include "posenc/span.hpp"

namespace posenc {

struct AdamWOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.01;        // applied to the parameters a decay mask selects (matrices, embeddings)
  std::int64_t warmup_steps = 0;     // learning rate rises linearly over these steps
  std::int64_t total_steps = 1000;   // cosine decay ends here, at min_learning_rate_ratio · learning_rate
  double min_learning_rate_ratio = 0.1;
  double clip_norm = 1.0;            // global gradient-norm ceiling; 0 disables clipping
};

// NON_FINITE, BAD_SIZE (total_steps), OUT_OF_RANGE (rates, betas in [0, 1), eps > 0, warm-up, ratio, clip ≥ 0).
void validate_adamw(const AdamWOptions& options);

// The learning rate of step `step` (0-based): (step + 1)/warmup · lr during the warm-up, then
// lr_min + (lr − lr_min)·(1 + cos(π·t))/2 with t the fraction of the decay done (held at 1 past total_steps).
double learning_rate_at(const AdamWOptions& options, std::int64_t step);

// √Σ g², summed in float64 in index order.
double gradient_norm(Span<const float> grads);

// Scales grads so their global norm is at most clip_norm (given their norm); returns the factor used (1 if none).
double clip_gradients(Span<float> grads, double norm, double clip_norm);

class AdamW {
 public:
  AdamW(const AdamWOptions& options, std::size_t size);

  // One step: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², θ ← θ − lr·(m̂/(√v̂ + eps) + wd·θ·decay),
  // with bias-corrected m̂, v̂. decay: one 0/1 flag per parameter.
  void update(Span<float> params, Span<const float> grads, Span<const std::uint8_t> decay, double learning_rate);

  // Takes over another AdamW's moments and step count (same size), so that training continues to the same
  // bits. SHAPE_MISMATCH (sizes), OUT_OF_RANGE (steps < 0, a second moment < 0), NON_FINITE; nothing changes
  // on an error.
  void restore(Span<const float> first_moment, Span<const float> second_moment, std::int64_t steps);

  std::int64_t steps() const { return steps_; }
  const AdamWOptions& options() const { return options_; }
  Span<const float> first_moment() const { return m_; }
  Span<const float> second_moment() const { return v_; }

 private:
  AdamWOptions options_;
  std::vector<float> m_, v_;
  std::int64_t steps_ = 0;
};

}  // namespace posenc
