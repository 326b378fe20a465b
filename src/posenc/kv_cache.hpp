// Per-layer key/value cache for decoding: keys [batch, kv_heads, capacity, head_dim] and values
// [batch, kv_heads, capacity, v_dim], the first length() rows of each head filled. sdpa reads them in
// place (capacity is its key_stride). Capacity doubles when full, so n appends cost O(n) copies in all.
#pragma once
#include <cstdint>
#include <vector>

#include "posenc/span.hpp"

namespace posenc {

class KVCache {
 public:
  // initial_capacity: key rows reserved per head up front (0: grow from the first append).
  KVCache(std::int64_t batch, std::int64_t kv_heads, std::int64_t head_dim, std::int64_t v_dim,
          std::int64_t initial_capacity = 0);

  // k [batch, kv_heads, n, head_dim], v [batch, kv_heads, n, v_dim]: n new positions after length().
  void append(Span<const float> k, Span<const float> v, std::int64_t n);
  // Forgets the keys (length 0), keeping the storage.
  void clear() { length_ = 0; }

  std::int64_t batch() const { return batch_; }
  std::int64_t kv_heads() const { return kv_heads_; }
  std::int64_t head_dim() const { return head_dim_; }
  std::int64_t v_dim() const { return v_dim_; }
  std::int64_t length() const { return length_; }
  std::int64_t capacity() const { return capacity_; }
  Span<const float> keys() const { return keys_; }
  Span<const float> values() const { return values_; }

 private:
  void grow(std::int64_t needed);

  std::int64_t batch_, kv_heads_, head_dim_, v_dim_;
  std::int64_t length_ = 0, capacity_ = 0;
  std::vector<float> keys_, values_;
};

}  // namespace posenc
