// The per-row steps of attention between the raw scores q·k and the weighted sum of values: the scores
// finished (scale, soft-capping, bias, ALiBi, masks, key padding) and turned into softmax numerators.
#pragma once
#include <cstdint>

#include "posenc/attention_plan.hpp"

namespace posenc {

// Per-row inputs of finish_scores beyond the raw scores.
struct RowTerms {
  float scale;             // scale · query temperature
  const float* bias;       // the row's bias over all k_len keys, or null
  float slope;             // ALiBi slope (when p.alibi)
  std::int64_t pos;        // absolute query position
  const float* additive;   // mask row at key 0, or null
  const std::uint8_t* keep;  // keep-mask row at key 0, or null
  std::int64_t mask_step;  // 0 when the mask broadcasts over keys
  const std::uint8_t* padding;  // key-padding row, or null
};

// Over keys [lo, hi) of one row, s[j − lo] = softcap(scale·s) + bias + alibi + additive mask, then −∞
// where the keep-mask or the key padding hides the key. Gemma 2 caps before anything is added.
void finish_scores(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p);

// Stable softmax numerators in place over [0, n), a sink logit (GPT-OSS; −∞ when none) joining the
// maximum and the sum; returns 1/Σ, or 0 when nothing is finite (then every numerator is set to 0, so
// the row's output and probs are zeros, never NaN).
float softmax_numerators(float* s, std::int64_t n, float sink);

// finish_scores then softmax_numerators over keys [lo, hi) (s[0] is key lo): the same operations on every
// element, so the same bits. Rows with only a scale and ALiBi take one pass that finishes the scores and
// keeps their maximum, and a second for the numerators. *first: the numerators before s[*first] are exactly
// 0 (hi − lo when all are), whole vectors of them found before computing their exponentials.
float finish_softmax(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p,
                     float sink, std::int64_t* first);

}  // namespace posenc
