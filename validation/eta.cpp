#include "validation/eta.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace metronome::validation {

EtaEstimate::EtaEstimate(std::vector<Job> jobs, std::size_t parallel)
    : jobs_(std::move(jobs)),
      done_(jobs_.size(), 0),
      fraction_done_(jobs_.size(), 0.0),
      parallel_(std::max<std::size_t>(1, parallel)) {}

void EtaEstimate::finished(std::size_t index, double seconds) {
  if (index >= jobs_.size()) throw std::out_of_range("EtaEstimate: no such job");
  if (done_[index] != 0) return;
  done_[index] = 1;
  const auto macs = static_cast<double>(std::max<std::int64_t>(0, jobs_[index].macs));
  if (macs <= 0 || !(seconds >= 0)) return;  // nothing to learn a speed from
  Rate& kind = by_kind_[jobs_[index].kind];
  kind.seconds += seconds;
  kind.macs += macs;
  all_.seconds += seconds;
  all_.macs += macs;
}

void EtaEstimate::progress(std::size_t index, double fraction) {
  if (index >= jobs_.size()) throw std::out_of_range("EtaEstimate: no such job");
  fraction_done_[index] = std::clamp(fraction, 0.0, 1.0);
}

std::optional<double> EtaEstimate::remaining_seconds() const {
  if (all_.macs <= 0) return std::nullopt;
  const double overall = all_.seconds / all_.macs;
  double seconds = 0;
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    if (done_[i] != 0) continue;
    const auto it = by_kind_.find(jobs_[i].kind);
    const double per_mac = it != by_kind_.end() ? it->second.seconds / it->second.macs : overall;
    seconds += static_cast<double>(std::max<std::int64_t>(0, jobs_[i].macs)) * per_mac *
               (1.0 - fraction_done_[i]);
  }
  return seconds / static_cast<double>(parallel_);
}

}  // namespace metronome::validation
