// How a C++ exception reaches JS. Every export runs inside a catch (held_error.hpp) that keeps the exception
// here and raises a flag in wasm memory; after each call JS reads the flag and, when it is up, takes the
// code and then the message C++ built (the message releases the exception).
#include <exception>
#include <new>
#include <stdexcept>

#include "exports.hpp"
#include "held_error.hpp"
#include "posenc/error.hpp"

namespace posenc::bindings {

namespace {
std::exception_ptr held;
std::int32_t held_flag = 0;
}  // namespace

void hold_current_exception() noexcept {
  held = std::current_exception();  // a reference count, no allocation
  held_flag = 1;
}

std::uintptr_t heldErrorFlag() { return reinterpret_cast<std::uintptr_t>(&held_flag); }

std::string takeExceptionCode() {
  try {
    std::rethrow_exception(held);
  } catch (const Error& e) {
    return e.code_name();
  } catch (const std::bad_alloc&) {  // sizes too large for memory or for a vector are still sizes
    return "BAD_SIZE";
  } catch (const std::length_error&) {
    return "BAD_SIZE";
  } catch (...) {
    return "INTERNAL";
  }
}

std::string takeExceptionMessage() {
  std::string message = "an exception that is not a std::exception";
  try {
    std::rethrow_exception(held);
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  held = nullptr;
  held_flag = 0;
  return message;
}

}  // namespace posenc::bindings
