// posenc::Error — the one exception type, and the argument checks that throw it.
// Codes and their order follow SPEC.md §10; every message names the argument, the value and the rule.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace posenc {

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

constexpr std::int64_t kMaxPosition = 2147483647;  // 2^31 - 1, SPEC §0

[[noreturn]] void fail(ErrorCode code, const std::string& message);

// Formats a number for a message: integers without a fraction, NaN and Infinity spelled out.
std::string format_number(double value);

// Each check throws with a message like "d must be even, got 7".
void require_finite(const char* name, double value);                        // NON_FINITE
void require_finite_entries(const char* name, const float* values, std::size_t n);  // NON_FINITE, names the index
void require_heads(const char* name, std::int64_t value);                   // BAD_HEADS unless >= 1
void require_size(const char* name, std::int64_t value);                    // BAD_SIZE unless >= 1
void require_even(const char* name, std::int64_t value);                    // ODD_DIM
void require_position(const char* name, std::int64_t value);                // BAD_POSITION unless in [0, 2^31-1]
void require_length(const char* name, std::size_t got, std::size_t expected);  // SHAPE_MISMATCH
// OUT_OF_RANGE unless the condition holds; `rule` completes "<name> must …".
void require_range(bool ok, const char* name, double value, const char* rule);

// Elements in a shape, throwing BAD_SIZE when the product overflows what memory can hold.
std::size_t element_count(std::initializer_list<std::int64_t> dims);

}  // namespace posenc
