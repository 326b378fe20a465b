// LearnedPositionalEmbedding::relative_bias: the module's clipped relative bias (SPEC §2) from its owned
// (2K+1, num_heads) table. Kept apart from learned_module.cpp so the module links without relative.cpp.
#include "posenc/error.hpp"
#include "posenc/modules.hpp"
#include "posenc/relative.hpp"

namespace posenc {

void LearnedPositionalEmbedding::relative_bias(std::int64_t q_len, std::int64_t k_len,
                                               std::optional<std::int64_t> q_offset, Span<float> out) const {
  if (!config_.relative) {
    fail(ErrorCode::ShapeMismatch, "relative_bias needs a module built with relative = true, got relative = false");
  }
  clipped_relative_bias(relative_, 2 * config_.max_distance + 1,
                        config_.num_heads, config_.num_heads, config_.max_distance, q_len, k_len, q_offset, out);
}

}  // namespace posenc
