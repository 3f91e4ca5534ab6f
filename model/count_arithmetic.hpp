#pragma once
// Overflow-checked arithmetic for the closed-form counts (fills, multicast), the fast path inline:
// these run per state of every walk. An overflow throws InputError naming what was counted.

#include <cstdint>

#include "spec/error.hpp"

namespace metronome::count_arithmetic {

inline std::int64_t mul(std::int64_t a, std::int64_t b, const char* what = "traffic count") {
  std::int64_t r = 0;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  return checked_mul(a, b, SourceLocation{}, what);
}

inline std::int64_t add(std::int64_t a, std::int64_t b, const char* what = "traffic count") {
  std::int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return checked_add(a, b, SourceLocation{}, what);
}

}  // namespace metronome::count_arithmetic
