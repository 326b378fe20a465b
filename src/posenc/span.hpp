// Span: a pointer and a length, so every kernel can check the sizes it is handed (C++17 has no std::span).
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

namespace posenc {

template <class T>
class Span {
 public:
  Span() = default;
  Span(T* data, std::size_t size) : data_(data), size_(size) {}
  // Any contiguous container (std::vector, std::array, another Span) converts implicitly.
  template <class C, class = std::enable_if_t<!std::is_same<std::decay_t<C>, Span>::value &&
                                              std::is_convertible<decltype(std::declval<C&>().data()), T*>::value>>
  Span(C&& c) : data_(c.data()), size_(c.size()) {}  // NOLINT(google-explicit-constructor)

  T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace posenc
