#include "posenc/mrope.hpp"

#include <algorithm>
#include <string>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"

namespace posenc {

void check_mrope_section(const MropeSection& section, std::int64_t half) {
  const auto& n = section.sizes;
  const std::string shown = "[" + std::to_string(n[0]) + ", " + std::to_string(n[1]) + ", " + std::to_string(n[2]) + "]";
  if (n[0] < 0 || n[1] < 0 || n[2] < 0 || n[0] + n[1] + n[2] != half) {
    fail(ErrorCode::ShapeMismatch,
         "mrope_section must be 3 sizes >= 0 summing to d_rot/2 = " + std::to_string(half) + ", got " + shown);
  }
}

std::vector<std::uint8_t> mrope_axes(const MropeSection& section, std::size_t half) {
  std::vector<std::uint8_t> axes(half, 0);
  const auto& n = section.sizes;
  if (!section.interleaved) {
    std::fill(axes.begin() + n[0], axes.begin() + n[0] + n[1], std::uint8_t{1});
    std::fill(axes.begin() + n[0] + n[1], axes.end(), std::uint8_t{2});
    return axes;
  }
  for (std::size_t j = 0; j < half; ++j) {
    const auto jj = static_cast<std::int64_t>(j);
    if (j % 3 == 1 && jj < 3 * n[1]) axes[j] = 1;
    else if (j % 3 == 2 && jj < 3 * n[2]) axes[j] = 2;
  }
  return axes;
}

MropePositions::MropePositions(Span<const std::int32_t> positions, std::int64_t batch, std::int64_t seq)
    : positions_(positions), batch_(batch), seq_(seq) {
  const auto n = static_cast<std::int64_t>(positions.size());
  if (n != 3 * seq && n != batch * 3 * seq) {
    fail(ErrorCode::ShapeMismatch, "M-RoPE positions must be [3, seq] (" + std::to_string(3 * seq) +
                                       " entries) or [batch, 3, seq] (" + std::to_string(batch * 3 * seq) +
                                       "): the t, h, w streams, got " + std::to_string(n) + " entries");
  }
  per_batch_ = n == batch * 3 * seq && batch > 1;
}

void MropePositions::require_values() const {
  const auto& positions = positions_;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] < 0) {
      fail(ErrorCode::BadPosition, "positions[" + std::to_string(i) + "] must be >= 0, got " + std::to_string(positions[i]));
    }
  }
}

std::int64_t MropePositions::max() const { return *std::max_element(positions_.begin(), positions_.end()); }

MropeAngles::MropeAngles(const std::vector<double>& inv_freq, const MropeSection& section) : half_(inv_freq.size()) {
  const auto axes = mrope_axes(section, half_);
  for (std::size_t j = 0; j < half_; ++j) {
    freq_[axes[j]].push_back(inv_freq[j]);
    index_[axes[j]].push_back(j);
  }
}

void MropeAngles::fill(const MropePositions& positions, std::size_t row, std::size_t s0, std::size_t count, float* c,
                       float* s) const {
  std::vector<float> sin_a(half_), cos_a(half_);
  for (std::size_t i = 0; i < count; ++i) {
    for (int a = 0; a < 3; ++a) {
      const std::size_t n = freq_[a].size();
      if (n == 0) continue;
      const auto p = positions.at(static_cast<std::int64_t>(row), a, static_cast<std::int64_t>(s0 + i));
      sincos_at(static_cast<double>(p), freq_[a].data(), n, sin_a.data(), cos_a.data());
      for (std::size_t k = 0; k < n; ++k) {
        s[i * half_ + index_[a][k]] = sin_a[k];
        c[i * half_ + index_[a][k]] = cos_a[k];
      }
    }
  }
}

}  // namespace posenc
