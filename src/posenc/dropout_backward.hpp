// Gradient of inverted dropout (dropout.hpp). Forward: y = x · keep / (1 − p) in train mode, identity
// otherwise; the map is diagonal, so dx += dy · keep / (1 − p) with the same keep (the caller's keep_mask, or
// the mask drawn from options.seed, which dropout_keep reproduces). dy, dx: n elements; gradients are added.
#pragma once

#include "posenc/dropout.hpp"
#include "posenc/span.hpp"

namespace posenc {

void dropout_backward(Span<const float> dy, Span<float> dx, const DropoutOptions& options);

}  // namespace posenc
