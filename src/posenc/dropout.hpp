// Inverted dropout: y = x · keep / (1 − p) in train mode, the identity otherwise.
#pragma once
#include <cstdint>

#include "posenc/span.hpp"

namespace posenc {

struct DropoutOptions {
  double p = 0.0;
  bool train = false;
  Span<const std::uint8_t> keep_mask;  // 0/1 per element; when empty, drawn from `seed`
  std::uint64_t seed = 0;
};

// Throws unless p ∈ [0, 1] is finite and a given keep_mask has n elements.
void validate_dropout(const DropoutOptions& options, std::size_t n);

// True when the options change values (train mode and p > 0).
bool dropout_active(const DropoutOptions& options);

// Whether element i is kept: a counter-based hash of (seed, i), so the mask is the same on every
// build and for every chunking of the work.
bool dropout_keep(std::uint64_t seed, std::uint64_t index, double p);

// The seed of a module's n-th train-mode call: a fresh mask per call, reproducible from (seed, call).
std::uint64_t dropout_call_seed(std::uint64_t seed, std::uint64_t call);

// Applies dropout to y in place (validated already); `first` is y[0]'s index in the whole tensor.
void dropout_in_place(Span<float> y, const DropoutOptions& options, std::size_t first = 0);

// out = dropout(x); out may be x. Validates first.
void dropout(Span<const float> x, Span<float> out, const DropoutOptions& options);

// Gradient of inverted dropout (dropout.hpp). Forward: y = x · keep / (1 − p) in train mode, identity
// otherwise; the map is diagonal, so dx += dy · keep / (1 − p) with the same keep (the caller's keep_mask, or
// the mask drawn from options.seed, which dropout_keep reproduces). dy, dx: n elements; gradients are added.
void dropout_backward(Span<const float> dy, Span<float> dx, const DropoutOptions& options);

}  // namespace posenc
