#include "posenc/dropout_backward.hpp"

#include <vector>

#include "posenc/error.hpp"
#include "posenc/simd.hpp"

namespace posenc {

void dropout_backward(Span<const float> dy, Span<float> dx, const DropoutOptions& options) {
  validate_dropout(options, dy.size());
  require_length("dx", dx.size(), dy.size());
  // dropout_in_place applies exactly the forward's factors, so the gradient is the forward of dy.
  std::vector<float> scaled(dy.begin(), dy.end());
  dropout_in_place(scaled, options);
  const std::size_t n = dy.size(), end = simd::vector_end(n);
  std::size_t i = 0;
  for (; i < end; i += simd::kWidth) simd::store(dx.data() + i, simd::load(dx.data() + i) + simd::load(scaled.data() + i));
  for (; i < n; ++i) dx[i] += scaled[i];
}

}  // namespace posenc
