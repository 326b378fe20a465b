#include "posenc/shapes.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include "posenc/error.hpp"

namespace posenc {

std::size_t element_count(std::initializer_list<std::int64_t> dims) {
  constexpr double kLimit = static_cast<double>(std::numeric_limits<std::int32_t>::max()) / 4;
  double product = 1;
  std::size_t count = 1;
  for (std::int64_t d : dims) {
    product *= static_cast<double>(d);
    count *= static_cast<std::size_t>(d);
  }
  if (product > kLimit) {
    fail(ErrorCode::BadSize, "the result would have " + format_number(product) +
                                 " elements, more than the 536870911 a float32 buffer can hold here");
  }
  return count;
}

std::size_t element_count(const Bhsd& shape) {
  return element_count({shape.batch, shape.heads, shape.seq, shape.head_dim});
}

void require_sizes(const Bhsd& shape, const char* prefix) {
  // The names are built only for a message: this runs on every call.
  if (shape.batch >= 1 && shape.heads >= 1 && shape.seq >= 1 && shape.head_dim >= 1) return;
  const std::string p = prefix ? std::string(prefix) + "." : std::string();
  require_size((p + "batch").c_str(), shape.batch);
  require_size((p + "heads").c_str(), shape.heads);
  require_size((p + "seq").c_str(), shape.seq);
  require_size((p + "head_dim").c_str(), shape.head_dim);
}

}  // namespace posenc
