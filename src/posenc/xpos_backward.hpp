// Gradient of xpos_apply (xpos.hpp). Shapes: dy, dx [batch, heads, seq, head_dim]; options are the forward's.
// Forward, per pair j of a row at position n: (u, v) ↦ s·R(n·inv_j)(u, v) with s = ζ_j^(±(n−c)/B); so
// dx += s·R(n·inv_j)ᵀ dy. Gradients are added.
#pragma once

#include "posenc/span.hpp"
#include "posenc/xpos.hpp"

namespace posenc {

void xpos_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const XposOptions& options = {});

}  // namespace posenc
