#include "sim/dram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/bandwidth.hpp"

namespace metronome::sim {

Dram::Dram(const Hardware& hw)
    : words_per_cycle_(hw.dram.words_per_cycle), latency_cycles_(hw.dram.latency_cycles) {
  if (!(words_per_cycle_ >= kMinWordsPerCycle))
    throw InputError(hw.where,
                     fmt::format("dram.words_per_cycle: {} is out of range", words_per_cycle_),
                     fmt::format("at least {} words per cycle, or unlimited", kMinWordsPerCycle));
  if (latency_cycles_ < 0 || latency_cycles_ > kMaxLatencyCycles)
    throw InputError(hw.where,
                     fmt::format("dram.latency_cycles: {} is out of range", latency_cycles_),
                     fmt::format("0 to {} cycles", kMaxLatencyCycles));
}

void Dram::submit(const DramRequest& request) {
  if (request.words < 1)
    throw std::logic_error(fmt::format("DRAM request of {} words", request.words));
  inbox_.push_back(request);
}

void Dram::evaluate(std::int64_t cycle) {
  next_completions_.clear();
  for (const DramRequest& r : inbox_) {
    if (queue_.empty()) {
      epoch_start_cycle_ = cycle;
      epoch_moved_words_ = 0;
    }
    queue_.push_back(Pending{r, cycle, 0});
  }
  inbox_.clear();

  if (!queue_.empty()) {
    ++stats_.busy_cycles;
    std::int64_t allowance =
        cumulative_allowance(epoch_start_cycle_, cycle, words_per_cycle_) - epoch_moved_words_;
    while (!queue_.empty() && allowance > 0) {
      Pending& head = queue_.front();
      const std::int64_t n = std::min(allowance, head.request.words - head.moved_words);
      head.moved_words += n;
      allowance -= n;
      epoch_moved_words_ += n;
      ReadWrite& traffic = stats_.traffic.tensor[head.request.tensor];
      (head.request.op == DramOp::Read ? traffic.reads : traffic.writes) += n;
      if (head.moved_words < head.request.words) break;
      const DramRequest& r = head.request;
      in_flight_.push_back(DramCompletion{r.op, r.tensor, r.words, r.tag, head.submitted_cycle,
                                          cycle + 1 + latency_cycles_});
      queue_.pop_front();
      if (!queue_.empty()) {
        // The next request reaches the head: it waited behind others until the first cycle in
        // which the bus can give it a word (this one if bandwidth is left, else the next).
        const std::int64_t start = allowance > 0 ? cycle : cycle + 1;
        stats_.queue_wait_cycles += start - queue_.front().submitted_cycle;
      }
    }
    if (queue_.empty()) epoch_start_cycle_ = -1;
  }

  // Publish (at commit) every completion whose words are visible from the next cycle on.
  while (!in_flight_.empty() && in_flight_.front().ready_cycle <= cycle + 1) {
    next_completions_.push_back(in_flight_.front());
    ++stats_.requests;
    in_flight_.pop_front();
  }
}

void Dram::commit() {
  completions_.swap(next_completions_);
}

std::int64_t Dram::next_event_cycle(std::int64_t now) const {
  if (!inbox_.empty() || !queue_.empty()) return now;
  if (!in_flight_.empty()) return std::max(now, in_flight_.front().ready_cycle - 1);
  return kNeverCycle;
}

std::int64_t Dram::queued_words() const {
  std::int64_t n = 0;
  for (const DramRequest& r : inbox_) n += r.words;
  for (const Pending& p : queue_) n += p.request.words - p.moved_words;
  return n;
}

}  // namespace metronome::sim
