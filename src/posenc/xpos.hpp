// xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer"): RoPE whose pairs also scale by ζ_j^(±(n−c)/B), so q̃_n·k̃_m decays
// with n − m and does not depend on the centre c.
#pragma once
#include <cstdint>
#include <string>

#include "posenc/rope_kernel.hpp"
#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

enum class XposRole { Query, Key };
XposRole parse_xpos_role(const std::string& role);  // "q" | "k", else OUT_OF_RANGE

struct XposOptions {
  XposRole role = XposRole::Query;
  Span<const std::int32_t> positions;  // (seq,) or (batch, seq); empty: offset + s
  std::int64_t offset = 0;
  double base = 10000.0;
  double gamma = 0.4;
  double scale_base = 512.0;
  double center = 0.0;
  RopeLayout layout = RopeLayout::Interleaved;
};

// x, out: [batch, heads, seq, head_dim] (out may be x); head_dim even. OUT_OF_RANGE when some
// |(n−c)/B · ln ζ_j| > 80 (a scale past e^80 would leave no float32 room for the result). Computed in
// float64 per pair, so the result is within float32 rounding of the exact value at any scale.
void xpos_apply(Span<const float> x, const Bhsd& shape, Span<float> out, const XposOptions& options = {});

// Gradient of xpos_apply. Shapes: dy, dx [batch, heads, seq, head_dim]; options are the forward's.
// Forward, per pair j of a row at position n: (u, v) ↦ s·R(n·inv_j)(u, v) with s = ζ_j^(±(n−c)/B); so
// dx += s·R(n·inv_j)ᵀ dy. Gradients are added.
void xpos_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const XposOptions& options = {});

}  // namespace posenc
