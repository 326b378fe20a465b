// Vision RoPE: per-token angle tables (two exact sincos_at calls, one per axis: every style gives the
// first D/4 pairs one axis and the rest the other) fed to the RoPE block driver.
#include "posenc/vision_rope.hpp"

#include <algorithm>
#include <cmath>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"
#include "posenc/rope_kernel.hpp"

namespace posenc {

namespace {

struct StyleName {
  VisionRopeStyle style;
  const char* name;
};
constexpr StyleName kStyles[] = {
    {VisionRopeStyle::Pixtral, "pixtral"}, {VisionRopeStyle::Qwen2Vl, "qwen2vl"}, {VisionRopeStyle::Llama4, "llama4"}};

// The two axes' frequencies, D/4 each: [0] for pairs j < D/4, [1] for the others.
std::vector<double> axis_frequencies(VisionRopeStyle style, std::int64_t head_dim, double base) {
  const auto quarter = static_cast<std::size_t>(head_dim / 4);
  std::vector<double> f(2 * quarter);
  const double d = static_cast<double>(head_dim);
  for (std::size_t k = 0; k < quarter; ++k) {
    const double kk = static_cast<double>(k);
    if (style == VisionRopeStyle::Pixtral) {
      f[k] = std::pow(base, -2.0 * (2 * kk) / d);
      f[quarter + k] = std::pow(base, -2.0 * (2 * kk + 1) / d);
    } else {
      f[k] = f[quarter + k] = std::pow(base, -4.0 * kk / d);
    }
  }
  return f;
}

void check_options(const VisionRopeOptions& o) {
  require_finite("base", o.base);
  require_size("grid[0] (h)", o.grid_h);
  require_size("grid[1] (w)", o.grid_w);
  if (o.style == VisionRopeStyle::Qwen2Vl) require_size("spatial_merge_size", o.spatial_merge_size);
  require_range(o.base > 1, "base", o.base, "be greater than 1");
  if (o.grid_h > kMaxPosition / o.grid_w) {
    fail(ErrorCode::BadSize, "grid h*w must be at most 2^31-1, got " + std::to_string(o.grid_h) + "x" +
                                 std::to_string(o.grid_w));
  }
  if (o.style == VisionRopeStyle::Qwen2Vl &&
      (o.grid_h % o.spatial_merge_size != 0 || o.grid_w % o.spatial_merge_size != 0)) {
    fail(ErrorCode::ShapeMismatch, "grid [" + std::to_string(o.grid_h) + ", " + std::to_string(o.grid_w) +
                                       "]: h and w must be multiples of spatial_merge_size = " +
                                       std::to_string(o.spatial_merge_size) + " for style qwen2vl");
  }
}

}  // namespace

VisionRopeStyle parse_vision_rope_style(const std::string& name) {
  for (const auto& s : kStyles) {
    if (name == s.name) return s.style;
  }
  fail(ErrorCode::OutOfRange, "style must be 'pixtral', 'qwen2vl' or 'llama4', got '" + name + "'");
}

const char* vision_rope_style_name(VisionRopeStyle style) {
  for (const auto& s : kStyles) {
    if (style == s.style) return s.name;
  }
  return "unknown";
}

std::int64_t vision_rope_tokens(const VisionRopeOptions& o) {
  return o.grid_h * o.grid_w + (o.style == VisionRopeStyle::Llama4 ? 1 : 0);
}

std::vector<PatchCoordinate> vision_rope_patches(const VisionRopeOptions& o) {
  check_options(o);
  std::vector<PatchCoordinate> p;
  p.reserve(static_cast<std::size_t>(vision_rope_tokens(o)));
  if (o.style == VisionRopeStyle::Qwen2Vl) {
    const std::int64_t m = o.spatial_merge_size;
    for (std::int64_t by = 0; by < o.grid_h / m; ++by)
      for (std::int64_t bx = 0; bx < o.grid_w / m; ++bx)
        for (std::int64_t i = 0; i < m; ++i)
          for (std::int64_t j = 0; j < m; ++j) p.push_back({by * m + i, bx * m + j});
    return p;
  }
  for (std::int64_t r = 0; r < o.grid_h; ++r)
    for (std::int64_t c = 0; c < o.grid_w; ++c) p.push_back({r, c});
  if (o.style == VisionRopeStyle::Llama4) p.push_back({-1, -1});
  return p;
}

void vision_rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const VisionRopeOptions& o) {
  check_options(o);
  require_sizes(shape);
  if (shape.head_dim % 4 != 0) {
    fail(ErrorCode::OddDim, "head_dim must be a multiple of 4 for 2-D vision RoPE (half of its pairs per axis), got " + std::to_string(shape.head_dim));
  }
  const std::int64_t tokens = vision_rope_tokens(o);
  if (shape.seq != tokens) {
    fail(ErrorCode::ShapeMismatch, "x.shape[2] must be the grid's " + std::to_string(tokens) + " tokens (" +
                                       std::to_string(o.grid_h) + "x" + std::to_string(o.grid_w) +
                                       (o.style == VisionRopeStyle::Llama4 ? " + CLS" : "") + ") for style " +
                                       vision_rope_style_name(o.style) + ", got " + std::to_string(shape.seq));
  }
  const std::size_t n = element_count(shape);
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);

  const auto patches = vision_rope_patches(o);
  const auto freq = axis_frequencies(o.style, shape.head_dim, o.base);
  const auto quarter = static_cast<std::size_t>(shape.head_dim / 4), half = 2 * quarter;
  const bool llama4 = o.style == VisionRopeStyle::Llama4;
  const RopeLayout layout = llama4 ? RopeLayout::Interleaved : RopeLayout::Half;
  rope_rotate_blocked(x, shape, out, static_cast<std::size_t>(shape.head_dim), layout, false, o.inverse,
                      [&](std::size_t, std::size_t s0, std::size_t count, float* c, float* s) {
                        for (std::size_t i = 0; i < count; ++i) {
                          const PatchCoordinate p = patches[s0 + i];
                          float* ci = c + i * half;
                          float* si = s + i * half;
                          if (p.row < 0) {  // llama4's CLS token: angle 0
                            std::fill(ci, ci + half, 1.0f);
                            std::fill(si, si + half, 0.0f);
                            continue;
                          }
                          // llama4 counts from 1 and gives the first pairs the column.
                          const double first = llama4 ? static_cast<double>(p.col + 1) : static_cast<double>(p.row);
                          const double second = llama4 ? static_cast<double>(p.row + 1) : static_cast<double>(p.col);
                          sincos_at(first, freq.data(), quarter, si, ci);
                          sincos_at(second, freq.data() + quarter, quarter, si + quarter, ci + quarter);
                        }
                      });
}

}  // namespace posenc
