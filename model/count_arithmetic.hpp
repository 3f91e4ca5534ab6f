#pragma once
// Overflow-checked arithmetic for the closed-form counts (fills, multicast) and the record's
// counts built from them (model.cpp), the fast path inline: these run per state of every walk.
// An overflow throws InputError naming what was counted.

#include <cstdint>
#include <string>

#include "spec/error.hpp"
#include "spec/metrics.hpp"

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

// a * b / d (d > 0), exact whenever the quotient fits: the product is taken in 128 bits.
inline std::int64_t mul_div(std::int64_t a, std::int64_t b, std::int64_t d, const char* what) {
  std::int64_t r = 0;
  if (!__builtin_mul_overflow(a, b, &r)) return r / d;
  __extension__ using Wide = __int128;  // (__extension__: a GNU type, no -Wpedantic warning)
  const Wide q = static_cast<Wide>(a) * b / d;
  if (q > INT64_MAX || q < INT64_MIN)
    throw InputError(SourceLocation{},
                     std::string(what) + " overflows a 64-bit integer (" + std::to_string(a) +
                         " x " + std::to_string(b) + " / " + std::to_string(d) + ")",
                     "smaller sizes");
  return static_cast<std::int64_t>(q);
}

// Each level's totals are sums of the record's counts (LevelTraffic::reads and writes add them
// in tensor order, the table adds the two, the energies use them): every partial sum must fit.
inline void check_level_totals(const Traffic& traffic) {
  struct Level {
    const LevelTraffic& counts;
    const char* reads;
    const char* writes;
    const char* accesses;
  };
  for (const Level& level : {Level{traffic.l1, "the count of L1 reads", "the count of L1 writes",
                                   "the count of L1 accesses"},
                             Level{traffic.l2, "the count of L2 reads", "the count of L2 writes",
                                   "the count of L2 accesses"},
                             Level{traffic.dram, "the count of DRAM reads",
                                   "the count of DRAM writes", "the count of DRAM accesses"}}) {
    std::int64_t reads = 0, writes = 0;
    for (Tensor t : kAllTensors) {
      reads = add(reads, level.counts.tensor[t].reads, level.reads);
      writes = add(writes, level.counts.tensor[t].writes, level.writes);
    }
    add(reads, writes, level.accesses);
  }
}

}  // namespace metronome::count_arithmetic
