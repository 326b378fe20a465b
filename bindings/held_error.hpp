// Exports never throw into JS: guard<F> runs F inside a catch that holds the exception for JS to take
// (errors.cpp) and returns a default value. Built with wasm exception handling, the catch costs nothing
// until something throws, and calls inside it stay direct calls (JS-emulated exceptions routed every call
// made under a try or a destructor through a JS trampoline).
#pragma once
#include <type_traits>
#include <utility>

namespace posenc::bindings {

void hold_current_exception() noexcept;

// Runs call(); a throw is held for JS and the caller gets R's default value.
template <class R, class Call>
R run_held(Call&& call) {
  try {
    return call();
  } catch (...) {
    hold_current_exception();
  }
  if constexpr (!std::is_void_v<R>) return R{};
}

template <auto F>
struct Guarded;

template <class R, class... A, R (*F)(A...)>
struct Guarded<F> {
  static R call(A... a) {
    return run_held<R>([&]() -> R { return F(std::forward<A>(a)...); });
  }
};

// A member function becomes a free function of the object (Embind binds both alike).
template <class R, class C, class... A, R (C::*F)(A...)>
struct Guarded<F> {
  static R call(C& c, A... a) {
    return run_held<R>([&]() -> R { return (c.*F)(std::forward<A>(a)...); });
  }
};

template <auto F>
inline constexpr auto guard = &Guarded<F>::call;

}  // namespace posenc::bindings
