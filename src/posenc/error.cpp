#include "posenc/error.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace posenc {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::NonFinite: return "NON_FINITE";
    case ErrorCode::BadHeads: return "BAD_HEADS";
    case ErrorCode::BadSize: return "BAD_SIZE";
    case ErrorCode::OddDim: return "ODD_DIM";
    case ErrorCode::RotDim: return "ROT_DIM";
    case ErrorCode::OutOfRange: return "OUT_OF_RANGE";
    case ErrorCode::ShapeMismatch: return "SHAPE_MISMATCH";
    case ErrorCode::BadPosition: return "BAD_POSITION";
  }
  return "UNKNOWN";
}

Error::Error(ErrorCode code, const std::string& message) : std::invalid_argument(message), code_(code) {}

void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", value);
    // Prefer the shortest form that reads back as the same double.
    for (int digits = 1; digits < 17; ++digits) {
      char shorter[40];
      std::snprintf(shorter, sizeof shorter, "%.*g", digits, value);
      if (std::strtod(shorter, nullptr) == value) return shorter;
    }
  }
  return buf;
}

void require_finite(const char* name, double value) {
  if (!std::isfinite(value)) fail(ErrorCode::NonFinite, std::string(name) + " must be finite, got " + format_number(value));
}

namespace {
template <class T>
void require_finite_list(const char* name, Span<const T> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail(ErrorCode::NonFinite, std::string(name) + "[" + std::to_string(i) + "] must be finite, got " +
                                     format_number(static_cast<double>(values[i])));
    }
  }
}
}  // namespace

void require_finite_entries(const char* name, Span<const float> values) { require_finite_list(name, values); }
void require_finite_entries(const char* name, Span<const double> values) { require_finite_list(name, values); }

void require_heads(const char* name, std::int64_t value) {
  if (value < 1) fail(ErrorCode::BadHeads, std::string(name) + " must be a positive integer, got " + std::to_string(value));
}

void require_size(const char* name, std::int64_t value) {
  if (value < 1) fail(ErrorCode::BadSize, std::string(name) + " must be a positive integer, got " + std::to_string(value));
}

void require_even(const char* name, std::int64_t value) {
  if (value % 2 != 0) fail(ErrorCode::OddDim, std::string(name) + " must be even, got " + std::to_string(value));
}

void require_position(const char* name, std::int64_t value) {
  if (value < 0 || value > kMaxPosition) {
    fail(ErrorCode::BadPosition,
         std::string(name) + " must be an integer in [0, 2147483647], got " + std::to_string(value));
  }
}

void require_length(const char* name, std::size_t got, std::size_t expected) {
  if (got != expected) {
    fail(ErrorCode::ShapeMismatch, std::string(name) + " must have " + std::to_string(expected) +
                                       " elements for the given shape, got " + std::to_string(got));
  }
}

void require_range(bool ok, const char* name, double value, const char* rule) {
  if (!ok) fail_range(name, value, rule);
}

void fail_range(const char* name, double value, const char* rule) {
  fail(ErrorCode::OutOfRange, std::string(name) + " must " + rule + ", got " + format_number(value));
}

void fail_allocation(const char* what, std::size_t count) {
  fail(ErrorCode::BadSize, std::string(what) + " must fit in memory, got a request for " + std::to_string(count) +
                               " elements that could not be allocated");
}

}  // namespace posenc
