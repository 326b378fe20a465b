// The per-row steps of attention between the raw scores q·k and the weighted sum of values: the scores
// finished (scale, soft-capping, bias, ALiBi, masks, key padding) and turned into softmax numerators.
#pragma once
#include <cstdint>

#include "posenc/attention_plan.hpp"

namespace posenc {

// Per-row inputs of finish_softmax beyond the raw scores.
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

// Finishes one row's raw scores over keys [lo, hi) (s[0] is key lo) into stable softmax numerators in place
// and returns 1/Σ. Finished: softcap(scale·s) + bias + alibi + additive mask, then −∞ where the keep-mask
// or the key padding hides the key (Gemma 2 caps before anything is added). A sink logit (GPT-OSS; −∞ when
// none) joins the maximum and the sum. When nothing is finite it returns 0 and every numerator is 0, so
// the row's output and probs are zeros, never NaN. Rows with only a scale and ALiBi take one pass that
// finishes the scores and keeps their maximum, then a second for the numerators. *first: the numerators
// before s[*first] are exactly 0 (hi − lo when all are), whole vectors of them found before computing their
// exponentials.
float finish_softmax(float* s, std::int64_t lo, std::int64_t hi, const RowTerms& t, const AttentionProblem& p,
                     float sink, std::int64_t* first);

}  // namespace posenc
