// KVCache (kv_cache.hpp): the cache's storage is sdpa's strided K/V layout, regrown by doubling.
#include "posenc/kv_cache.hpp"

#include <algorithm>
#include <string>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"

namespace posenc {

KVCache::KVCache(std::int64_t batch, std::int64_t kv_heads, std::int64_t head_dim, std::int64_t v_dim,
                 std::int64_t initial_capacity)
    : batch_(batch), kv_heads_(kv_heads), head_dim_(head_dim), v_dim_(v_dim) {
  require_heads("kv_heads", kv_heads);
  require_size("batch", batch);
  require_size("head_dim", head_dim);
  require_size("v_dim", v_dim);
  if (initial_capacity < 0) {
    fail(ErrorCode::BadSize, "initial_capacity must be >= 0, got " + std::to_string(initial_capacity));
  }
  if (initial_capacity > 0) grow(initial_capacity);
}

void KVCache::append(Span<const float> k, Span<const float> v, std::int64_t n) {
  require_size("n", n);
  require_length("k", k.size(), element_count({batch_, kv_heads_, n, head_dim_}));
  require_length("v", v.size(), element_count({batch_, kv_heads_, n, v_dim_}));
  if (n > kMaxPosition - length_) {
    fail(ErrorCode::BadPosition, "length + n must be <= 2147483647, got " + std::to_string(length_) + " + " +
                                     std::to_string(n));
  }
  if (length_ + n > capacity_) grow(length_ + n);
  const std::int64_t heads = batch_ * kv_heads_;
  for (std::int64_t bh = 0; bh < heads; ++bh) {
    std::copy_n(k.data() + bh * n * head_dim_, n * head_dim_, keys_.data() + (bh * capacity_ + length_) * head_dim_);
    std::copy_n(v.data() + bh * n * v_dim_, n * v_dim_, values_.data() + (bh * capacity_ + length_) * v_dim_);
  }
  length_ += n;
}

// Doubling keeps the total copy work of n appends O(n); each head's filled rows move to its new slot.
void KVCache::grow(std::int64_t needed) {
  std::int64_t capacity = capacity_ > 0 ? capacity_ : std::max<std::int64_t>(needed, 16);
  while (capacity < needed) capacity = std::min<std::int64_t>(2 * capacity, kMaxPosition);
  const std::int64_t heads = batch_ * kv_heads_;
  std::vector<float> keys(element_count({heads, capacity, head_dim_}));
  std::vector<float> values(element_count({heads, capacity, v_dim_}));
  for (std::int64_t bh = 0; bh < heads; ++bh) {
    std::copy_n(keys_.data() + bh * capacity_ * head_dim_, length_ * head_dim_, keys.data() + bh * capacity * head_dim_);
    std::copy_n(values_.data() + bh * capacity_ * v_dim_, length_ * v_dim_, values.data() + bh * capacity * v_dim_);
  }
  keys_.swap(keys);
  values_.swap(values);
  capacity_ = capacity;
}

}  // namespace posenc
