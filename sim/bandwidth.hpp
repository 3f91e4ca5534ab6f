#pragma once
// Fractional bandwidth without drift, shared by every block that moves words at a configured
// rate (sim/DESIGN.md, "Memories and PE cores").

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace metronome::sim {

// A count that stands for "no limit" (unlimited or absurdly large rates).
inline constexpr std::int64_t kNoLimit = std::int64_t{1} << 62;

// Words a port moving `rate` words per cycle may have moved by the end of `cycle` in a busy
// period that began at `start`: floor(cycles * rate), by multiplication so that fractional rates
// do not drift; kNoLimit for unlimited rates.
inline std::int64_t cumulative_allowance(std::int64_t start, std::int64_t cycle, double rate) {
  const double x = static_cast<double>(cycle - start + 1) * rate;
  if (!(x < static_cast<double>(kNoLimit))) return kNoLimit;
  return static_cast<std::int64_t>(std::floor(x + 1e-12 * std::max(1.0, x)));
}

}  // namespace metronome::sim
