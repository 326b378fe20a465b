// Gradient of rope_forward (rope.hpp). Shapes: dy, dx [batch, heads, seq, head_dim]; options are the
// forward's (d_rot, base, layout, positions/offset, scaling, inverse).
// Forward, per pair: (u, v) ↦ a·R(θ)(u, v) on the first d_rot dims, the rest passed through; so
// dx += a·R(θ)ᵀ dy on those dims (the transpose, not the inverse, which would divide by a) and dx += dy on the
// rest. With inverse = true the forward is R(−θ)/a and the gradient R(θ)·dy/a.
#pragma once

#include "posenc/rope.hpp"
#include "posenc/span.hpp"

namespace posenc {

void rope_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const RopeForwardOptions& options = {});

}  // namespace posenc
