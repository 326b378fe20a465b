// Tensor shapes and their element counts. Every count goes through element_count, so an overflowing or
// unaddressable shape is a BAD_SIZE error before anything is allocated or read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace posenc {

// Attention-side tensor shape [batch, heads, seq, head_dim] (row-major).
struct Bhsd {
  std::int64_t batch = 1;
  std::int64_t heads = 1;
  std::int64_t seq = 1;
  std::int64_t head_dim = 1;
};

// Elements in a shape, throwing BAD_SIZE when the product exceeds what one float32 buffer can hold here
// (every buffer stays addressable by a 32-bit wasm pointer).
std::size_t element_count(std::initializer_list<std::int64_t> dims);
std::size_t element_count(const Bhsd& shape);

// BAD_SIZE unless every dimension is >= 1; `prefix` names the tensor ("q" gives "q.batch").
void require_sizes(const Bhsd& shape, const char* prefix = nullptr);

}  // namespace posenc
