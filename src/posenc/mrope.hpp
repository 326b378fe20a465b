// Multimodal RoPE (Qwen2-VL, Qwen2.5-VL, Qwen3-VL): three position streams (t, h, w) per token, each
// frequency j < d_rot/2 turned by one of them. Qwen2/2.5-VL give contiguous sections (the first
// section[0] frequencies follow t, the next section[1] h, the last section[2] w); Qwen3-VL interleaves
// (h at j ≡ 1, w at j ≡ 2 (mod 3) while j < 3·section[axis], t elsewhere).
// Positions are [3, seq] (shared by every batch row) or [batch, 3, seq]: batch first like every posenc
// tensor, where Hugging Face's position_ids are (3, batch, seq).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

struct MropeSection {
  std::array<std::int64_t, 3> sizes{};  // t, h, w; they sum to d_rot/2
  bool interleaved = false;
};

// SHAPE_MISMATCH unless the sizes are >= 0 and sum to half.
void check_mrope_section(const MropeSection& section, std::int64_t half);

// The stream (0 = t, 1 = h, 2 = w) of each frequency j < half (a checked section).
std::vector<std::uint8_t> mrope_axes(const MropeSection& section, std::size_t half);

// The position streams of one call: 3·seq or batch·3·seq entries (SHAPE_MISMATCH, at construction),
// none negative (BAD_POSITION, require_values).
class MropePositions {
 public:
  MropePositions(Span<const std::int32_t> positions, std::int64_t batch, std::int64_t seq);
  void require_values() const;
  bool per_batch() const { return per_batch_; }
  std::int64_t distinct_rows() const { return per_batch_ ? batch_ : 1; }
  std::int64_t at(std::int64_t row, int axis, std::int64_t s) const {
    return positions_[static_cast<std::size_t>(((per_batch_ ? row * 3 : 0) + axis) * seq_ + s)];
  }
  std::int64_t max() const;

 private:
  Span<const std::int32_t> positions_;
  std::int64_t batch_, seq_;
  bool per_batch_;
};

// Fills cos/sin rows ([count, half] each) of sequence indices s0 … s0+count−1 of position row `row`:
// frequency j at its stream's position, exactly (float64 angles, as sincos_at). Frequencies are grouped
// by stream once, so a row costs three sincos_at calls.
class MropeAngles {
 public:
  MropeAngles(const std::vector<double>& inv_freq, const MropeSection& section);
  void fill(const MropePositions& positions, std::size_t row, std::size_t s0, std::size_t count, float* c,
            float* s) const;

 private:
  std::size_t half_;
  std::array<std::vector<double>, 3> freq_;           // each stream's frequencies
  std::array<std::vector<std::size_t>, 3> index_;     // and where they sit among the d_rot/2
};

}  // namespace posenc
