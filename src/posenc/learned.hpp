// Learned absolute position embedding (GPT-2 wpe, BERT position_embeddings; SPEC §2):
// v = x + scale · table[pos], optional LayerNorm, then dropout.
#pragma once
#include <cstdint>

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

}  // namespace posenc
