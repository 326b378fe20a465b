// Positions: where each row of a tensor sits. A sequence at `offset` holds positions offset … offset+seq−1;
// explicit `positions` are (seq,) shared by every batch row, or (batch, seq). Attention-side calls align
// query row i at q_offset + i, by default k_len − q_len (bottom-right, as in KV-cache decoding).
// Checks are split so that a caller keeps the error order: the length of `positions` is SHAPE_MISMATCH,
// their values BAD_POSITION.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

class PositionRows {
 public:
  PositionRows(Span<const std::int32_t> positions, std::int64_t offset, std::int64_t batch, std::int64_t seq)
      : positions_(positions), offset_(offset), batch_(batch), seq_(seq) {}

  void require_shape() const;   // SHAPE_MISMATCH unless empty, seq or batch·seq entries
  void require_values() const;  // BAD_POSITION: negative, or offset + seq − 1 above 2^31 − 1

  bool consecutive() const { return positions_.empty(); }  // offset + s
  std::int64_t offset() const { return offset_; }
  // Per batch row only when positions are (batch, seq); otherwise one row of positions serves all.
  bool per_batch() const { return static_cast<std::int64_t>(positions_.size()) == batch_seq() && batch_ > 1; }
  std::int64_t distinct_rows() const { return per_batch() ? batch_ : 1; }
  std::int64_t at(std::int64_t row, std::int64_t s) const {
    if (positions_.empty()) return offset_ + s;
    return positions_[static_cast<std::size_t>((per_batch() ? row * seq_ : 0) + s)];
  }
  std::int64_t max() const;  // the largest position (after validation)
  std::int64_t batch_seq() const;  // batch · seq, or −1 when that overflows (or a size is not positive)

 private:
  Span<const std::int32_t> positions_;
  std::int64_t offset_, batch_, seq_;
};

// The common tail of validating an in-place-capable [batch, heads, seq, head_dim] call (RoPE, xPos):
// positions' shape, then x and out lengths, then the position values.
PositionRows validate_bhsd_positions(Span<const float> x, Span<float> out, const Bhsd& shape,
                                     Span<const std::int32_t> positions, std::int64_t offset);

// BAD_POSITION unless rows offset … offset+seq−1 lie in a table of max_len rows.
void require_window(std::int64_t offset, std::int64_t seq, std::int64_t max_len);

// q_offset or its default k_len − q_len; BAD_POSITION when negative.
std::int64_t resolve_q_offset(std::optional<std::int64_t> q_offset, std::int64_t q_len, std::int64_t k_len);

}  // namespace posenc
