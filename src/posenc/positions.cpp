#include "posenc/positions.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "posenc/error.hpp"

namespace posenc {

std::int64_t PositionRows::batch_seq() const {
  if (batch_ < 1 || seq_ < 1 || batch_ > std::numeric_limits<std::int64_t>::max() / seq_) return -1;
  return batch_ * seq_;
}

void PositionRows::require_shape() const {
  const auto n = static_cast<std::int64_t>(positions_.size());
  if (n != 0 && n != seq_ && n != batch_seq()) {
    fail(ErrorCode::ShapeMismatch, "positions must have seq = " + std::to_string(seq_) + " or batch*seq = " +
                                       format_number(static_cast<double>(batch_) * static_cast<double>(seq_)) +
                                       " entries, got " + std::to_string(n));
  }
}

void PositionRows::require_values() const {
  if (positions_.empty()) {
    require_position("offset", offset_);
    if (seq_ - 1 > kMaxPosition - offset_) {  // offset + seq − 1 > 2^31 − 1, without overflowing
      fail(ErrorCode::BadPosition, "offset + seq - 1 must be at most 2^31-1 = 2147483647, got " +
                                       std::to_string(offset_) + " + " + std::to_string(seq_) + " - 1");
    }
    return;
  }
  for (std::size_t i = 0; i < positions_.size(); ++i) {
    if (positions_[i] < 0) {
      fail(ErrorCode::BadPosition,
           "positions[" + std::to_string(i) + "] must be >= 0, got " + std::to_string(positions_[i]));
    }
  }
}

std::int64_t PositionRows::max() const {
  if (positions_.empty()) return offset_ + seq_ - 1;
  return *std::max_element(positions_.begin(), positions_.end());
}

PositionRows validate_bhsd_positions(Span<const float> x, Span<float> out, const Bhsd& shape,
                                     Span<const std::int32_t> positions, std::int64_t offset) {
  PositionRows pos(positions, offset, shape.batch, shape.seq);
  pos.require_shape();
  const std::size_t n = element_count(shape);
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  pos.require_values();
  return pos;
}

void require_window(std::int64_t offset, std::int64_t seq, std::int64_t max_len) {
  require_position("offset", offset);
  if (seq > max_len - offset) {  // offset + seq > max_len, without overflowing
    fail(ErrorCode::BadPosition, "offset + seq must be at most max_len = " + std::to_string(max_len) + ", got " +
                                     std::to_string(offset) + " + " + std::to_string(seq));
  }
}

std::int64_t resolve_q_offset(std::optional<std::int64_t> q_offset, std::int64_t q_len, std::int64_t k_len) {
  if (q_offset) {
    require_position("q_offset", *q_offset);
    return *q_offset;
  }
  const std::int64_t offset = k_len - q_len;
  if (offset < 0) {
    fail(ErrorCode::BadPosition, "q_offset (default k_len - q_len) must be >= 0, got " + std::to_string(offset) +
                                     " for q_len " + std::to_string(q_len) + " > k_len " + std::to_string(k_len));
  }
  return offset;
}

}  // namespace posenc
