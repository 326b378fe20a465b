// How a C++ exception reaches JS: a thrown exception arrives in JS as its address; JS reads its code, then
// its message, which frees it (TOOLCHAIN.md §2).
#include <cxxabi.h>

#include <exception>
#include <new>
#include <stdexcept>

#include "exports.hpp"
#include "posenc/error.hpp"

namespace posenc::bindings {

std::string takeExceptionCode(std::uintptr_t p) {
  const auto* e = dynamic_cast<const Error*>(reinterpret_cast<const std::exception*>(p));
  if (e) return e->code_name();
  // Allocation failures the library did not catch itself: a size too large for memory (bad_alloc) or
  // for a vector (length_error) is still a size.
  if (dynamic_cast<const std::bad_alloc*>(reinterpret_cast<const std::exception*>(p))) return "BAD_SIZE";
  if (dynamic_cast<const std::length_error*>(reinterpret_cast<const std::exception*>(p))) return "BAD_SIZE";
  return "INTERNAL";
}

// Reads what() and frees the exception: 1 → 0 references runs its destructor.
std::string takeExceptionMessage(std::uintptr_t p) {
  void* ex = reinterpret_cast<void*>(p);
  std::string message = static_cast<const std::exception*>(ex)->what();
  abi::__cxa_increment_exception_refcount(ex);
  abi::__cxa_decrement_exception_refcount(ex);
  return message;
}

}  // namespace posenc::bindings
