// posenc::Error — the one exception type, and the argument checks that throw it. Every message is complete
// as a user reads it: the argument, the value it had and the rule it broke ("d must be even, got 7").
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "posenc/span.hpp"

namespace posenc {

// In the order a call reports them: when several arguments are bad, the earliest code here wins.
enum class ErrorCode { NonFinite, BadHeads, BadSize, OddDim, RotDim, OutOfRange, ShapeMismatch, BadPosition };

// "NON_FINITE", "BAD_HEADS", … — the string JavaScript sees as Error.code.
const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::invalid_argument {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }
  const char* code_name() const noexcept { return error_code_name(code_); }

 private:
  ErrorCode code_;
};

constexpr std::int64_t kMaxPosition = 2147483647;  // 2^31 - 1: positions are int32 everywhere
// The largest multiplier option (sdpa scale, learned scale, RoPE attention factor or its inverse): far
// enough inside float32 that a product with data of ordinary size stays finite.
constexpr double kMaxMultiplier = 1e6;

[[noreturn]] void fail(ErrorCode code, const std::string& message);

// Formats a number for a message: integers without a fraction, NaN and Infinity spelled out.
std::string format_number(double value);

// Each check throws with a message like "d must be even, got 7".
void require_finite(const char* name, double value);                       // NON_FINITE
void require_finite_entries(const char* name, Span<const float> values);   // NON_FINITE naming "name[i]"
void require_finite_entries(const char* name, Span<const double> values);  // NON_FINITE naming "name[i]"
void require_heads(const char* name, std::int64_t value);                  // BAD_HEADS unless >= 1
void require_size(const char* name, std::int64_t value);                   // BAD_SIZE unless >= 1
void require_even(const char* name, std::int64_t value);                   // ODD_DIM
void require_position(const char* name, std::int64_t value);               // BAD_POSITION unless in [0, 2^31-1]
void require_length(const char* name, std::size_t got, std::size_t expected);  // SHAPE_MISMATCH
// OUT_OF_RANGE unless the condition holds; `rule` completes "<name> must …".
void require_range(bool ok, const char* name, double value, const char* rule);
// The same error, unconditionally: for a check on a hot path whose name or rule is built only when it fails.
[[noreturn]] void fail_range(const char* name, double value, const char* rule);

// BAD_SIZE for an allocation the machine refused: what failed and how many elements it asked for.
[[noreturn]] void fail_allocation(const char* what, std::size_t count);

// A vector of n value-initialised elements, or BAD_SIZE naming `what` when memory runs out.
template <class T>
std::vector<T> allocate(const char* what, std::size_t n) {
  try {
    return std::vector<T>(n);
  } catch (const std::bad_alloc&) {
    fail_allocation(what, n);
  } catch (const std::length_error&) {
    fail_allocation(what, n);
  }
}

// Grows (or shrinks) v to n elements, or BAD_SIZE naming `what` when memory runs out.
template <class T>
void resize_or_fail(std::vector<T>& v, const char* what, std::size_t n) {
  try {
    v.resize(n);
  } catch (const std::bad_alloc&) {
    fail_allocation(what, n);
  } catch (const std::length_error&) {
    fail_allocation(what, n);
  }
}

}  // namespace posenc
