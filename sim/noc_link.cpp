#include "sim/noc_link.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace metronome::sim {

namespace {
constexpr std::int64_t kMaxDenominator = std::int64_t{1} << 20;
// Above this a bandwidth is no limit at all for any buffer the simulator builds.
constexpr double kEffectivelyUnlimited = 1099511627776.0;  // 2^40 words per cycle
}  // namespace

// Best rational approximation with a denominator up to 2^20 (continued fractions): exact for
// every bandwidth written with a few decimals (0.4 = 2/5, 2.5 = 5/2, 1/1024).
Rate to_rate(double words_per_cycle) {
  if (!std::isfinite(words_per_cycle) || words_per_cycle >= kEffectivelyUnlimited)
    return {1, 1, true};
  std::int64_t h_prev = 0, h = 1, k_prev = 1, k = 0;
  double v = words_per_cycle;
  for (int i = 0; i < 64; ++i) {
    const double a = std::floor(v);
    const auto ai = static_cast<std::int64_t>(a);
    const std::int64_t h_next = ai * h + h_prev;
    const std::int64_t k_next = ai * k + k_prev;
    if (k_next > kMaxDenominator) break;
    h_prev = std::exchange(h, h_next);
    k_prev = std::exchange(k, k_next);
    const double frac = v - a;
    if (std::abs(static_cast<double>(h) / static_cast<double>(k) - words_per_cycle) <=
            1e-12 * words_per_cycle ||
        frac < 1e-12)
      break;
    v = 1.0 / frac;
  }
  if (k == 0 || h == 0) {  // below 1/2^20 words per cycle (spec's minimum is 1/1024)
    h = 1;
    k = kMaxDenominator;
  }
  return {h, k, false};
}

double LinkStats::utilization(std::int64_t cycles) const {
  if (cycles <= 0 || !std::isfinite(words_per_cycle) || words_per_cycle <= 0) return 0;
  return static_cast<double>(words) / (static_cast<double>(cycles) * words_per_cycle);
}

std::int64_t auto_buffer_words(double words_per_cycle, std::int64_t latency_cycles) {
  const Rate r = to_rate(words_per_cycle);
  if (r.unlimited) return kUnbounded;
  const std::int64_t per_cycle = (r.num + r.den - 1) / r.den;
  const std::int64_t latency = std::min<std::int64_t>(latency_cycles, std::int64_t{1} << 32);
  const double words =
      2.0 * static_cast<double>(per_cycle) * static_cast<double>(latency + 1) + 2.0;
  if (words >= static_cast<double>(std::int64_t{1} << 62)) return kUnbounded;
  return static_cast<std::int64_t>(words);
}

Link::Link(std::string name, double words_per_cycle, std::int64_t latency_cycles,
           std::int64_t buffer_words, bool reported)
    : rate_(to_rate(words_per_cycle)),
      latency_(latency_cycles),
      credits_(buffer_words),
      reported_(reported) {
  stats_.name = std::move(name);
  stats_.words_per_cycle = words_per_cycle;
  stats_.latency_cycles = latency_cycles;
  stats_.buffer_words = buffer_words;
}

void Link::commit() {
  credits_ += returned_;
  returned_ = 0;
}

void Link::note_stall(bool no_credit, std::int64_t cycle) {
  if (last_stall_ == cycle) return;
  last_stall_ = cycle;
  if (no_credit)
    ++stats_.stall_cycles_no_credit;
  else
    ++stats_.stall_cycles_output_blocked;
}

}  // namespace metronome::sim
