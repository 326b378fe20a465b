#include "posenc/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "posenc/error.hpp"

namespace posenc {

void validate_adamw(const AdamWOptions& o) {
  require_finite("learning_rate", o.learning_rate);
  require_finite("beta1", o.beta1);
  require_finite("beta2", o.beta2);
  require_finite("eps", o.eps);
  require_finite("weight_decay", o.weight_decay);
  require_finite("min_learning_rate_ratio", o.min_learning_rate_ratio);
  require_finite("clip_norm", o.clip_norm);
  require_size("total_steps", o.total_steps);
  require_range(o.learning_rate > 0, "learning_rate", o.learning_rate, "be greater than 0");
  require_range(o.beta1 >= 0 && o.beta1 < 1, "beta1", o.beta1, "be in [0, 1)");
  require_range(o.beta2 >= 0 && o.beta2 < 1, "beta2", o.beta2, "be in [0, 1)");
  require_range(o.eps > 0, "eps", o.eps, "be greater than 0");
  require_range(o.weight_decay >= 0, "weight_decay", o.weight_decay, "be at least 0");
  require_range(o.warmup_steps >= 0, "warmup_steps", static_cast<double>(o.warmup_steps), "be at least 0");
  require_range(o.min_learning_rate_ratio >= 0 && o.min_learning_rate_ratio <= 1, "min_learning_rate_ratio",
                o.min_learning_rate_ratio, "be in [0, 1]");
  require_range(o.clip_norm >= 0, "clip_norm", o.clip_norm, "be at least 0 (0 disables clipping)");
}

double learning_rate_at(const AdamWOptions& o, std::int64_t step) {
  if (step < o.warmup_steps) return o.learning_rate * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const double span = static_cast<double>(std::max<std::int64_t>(1, o.total_steps - o.warmup_steps));
  const double t = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  const double low = o.learning_rate * o.min_learning_rate_ratio;
  return low + (o.learning_rate - low) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * t));
}

double gradient_norm(Span<const float> grads) {
  double s = 0;
  for (float g : grads) s += static_cast<double>(g) * g;
  return std::sqrt(s);
}

double clip_gradients(Span<float> grads, double norm, double clip_norm) {
  if (clip_norm <= 0 || !(norm > clip_norm)) return 1.0;
  const double factor = clip_norm / norm;
  const auto f = static_cast<float>(factor);
  for (float& g : grads) g *= f;
  return factor;
}

AdamW::AdamW(const AdamWOptions& options, std::size_t size) : options_(options), m_(size, 0.0f), v_(size, 0.0f) {
  validate_adamw(options);
}

void AdamW::update(Span<float> params, Span<const float> grads, Span<const std::uint8_t> decay, double learning_rate) {
  require_length("params", params.size(), m_.size());
  require_length("grads", grads.size(), m_.size());
  require_length("decay", decay.size(), m_.size());
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  const auto fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
  const auto step_size = static_cast<float>(learning_rate / c1);
  const auto inv_c2 = static_cast<float>(1.0 / c2);
  const auto eps = static_cast<float>(options_.eps);
  const auto shrink = static_cast<float>(learning_rate * options_.weight_decay);
  for (std::size_t i = 0; i < m_.size(); ++i) {
    const float g = grads[i];
    m_[i] = fb1 * m_[i] + (1.0f - fb1) * g;
    v_[i] = fb2 * v_[i] + (1.0f - fb2) * g * g;
    float p = params[i];
    if (decay[i]) p -= shrink * p;
    p -= step_size * m_[i] / (std::sqrt(v_[i] * inv_c2) + eps);
    params[i] = p;
  }
}

void AdamW::restore(Span<const float> first_moment, Span<const float> second_moment, std::int64_t steps) {
  require_length("first_moment", first_moment.size(), m_.size());
  require_length("second_moment", second_moment.size(), v_.size());
  require_range(steps >= 0, "steps", static_cast<double>(steps), "be at least 0");
  require_finite_entries("first_moment", first_moment);
  require_finite_entries("second_moment", second_moment);
  for (std::size_t i = 0; i < v_.size(); ++i) {
    if (!(second_moment[i] >= 0)) {
      fail_range(("second_moment[" + std::to_string(i) + "]").c_str(), second_moment[i], "be at least 0 (a mean of squares)");
    }
  }
  std::copy(first_moment.begin(), first_moment.end(), m_.begin());
  std::copy(second_moment.begin(), second_moment.end(), v_.begin());
  steps_ = steps;
}

}  // namespace posenc
