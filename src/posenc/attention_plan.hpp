// The validated form of an sdpa call (attention.hpp): every option checked (coded errors before anything is
// allocated or written) and resolved to plain values the kernel reads, and the keys each query row can see.
// sdpa_backward shares the key visibility and the default scale.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/span.hpp"

namespace posenc {

// Keys [lo, hi) a query can see before key padding and masks; lo == hi when none.
struct KeyRange {
  std::int64_t lo, hi;
};

// The visibility rules that bound a row's key range: causal, sliding window, chunks.
struct KeyVisibility {
  std::int64_t k_len = 1;
  bool causal = false;
  std::int64_t window = 0, chunk = 0;      // 0: none
  std::vector<std::int64_t> chunk_origin;  // per batch row: the first real key (used when chunk)

  // The range of the query at absolute position pos in batch row b.
  KeyRange keys(std::int64_t b, std::int64_t pos) const;
};

// The validated call: every option resolved to plain values the row loop reads.
struct AttentionProblem {
  AttentionShape shape;
  std::int64_t kv_heads, group, key_stride;  // group: query heads per kv head
  float scale;
  std::int64_t q_offset;
  const float* bias;  // null when absent
  bool bias_has_batch;
  bool alibi;
  AlibiMode alibi_mode;
  std::vector<float> slopes;
  const std::uint8_t* key_padding;  // [B, K] or null
  const float* mask_additive;       // null when absent
  const std::uint8_t* mask_keep;    // null when absent
  std::array<std::int64_t, 4> mask_stride;  // elements per step of b, h, i, j; 0 on broadcast dims
  KeyVisibility visibility;
  const float* sinks;               // [H] or null
  std::optional<QueryTemperature> temperature;
  bool softcap;
  float cap;
};

// Checks an sdpa call (NON_FINITE, BAD_HEADS, BAD_SIZE, OUT_OF_RANGE, SHAPE_MISMATCH, BAD_POSITION) and
// resolves its options.
AttentionProblem plan_attention(Span<const float> q, Span<const float> k, Span<const float> v,
                                const AttentionShape& shape, Span<float> out, Span<float> probs,
                                const SdpaOptions& options);

// The scale applied to q·k: the option when given, else 1/√head_dim.
float attention_scale(const std::optional<double>& scale, std::int64_t head_dim);

}  // namespace posenc
