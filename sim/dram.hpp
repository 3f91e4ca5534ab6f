#pragma once
// Off-chip memory: one data bus of `dram.words_per_cycle` words per cycle (fractional and
// unlimited allowed) behind a FIFO of read and write requests, and a fixed, pipelined access
// latency of `dram.latency_cycles`. The timing rule is in sim/DESIGN.md ("Memories and PE
// cores"). Requests carry no values: DRAM holds the layer's tensors, which the caller keeps; a
// completion says when the words of a request are available.

#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <vector>

#include "spec/dims.hpp"
#include "spec/hardware.hpp"
#include "spec/metrics.hpp"

namespace metronome::sim {

enum class DramOp : std::uint8_t { Read, Write };

struct DramRequest {
  DramOp op = DramOp::Read;
  Tensor tensor = Tensor::Input;
  std::int64_t words = 0;  // >= 1
  std::uint64_t tag = 0;   // returned in the completion
};

struct DramCompletion {
  DramOp op = DramOp::Read;
  Tensor tensor = Tensor::Input;
  std::int64_t words = 0;
  std::uint64_t tag = 0;
  std::int64_t submitted_cycle = 0;  // first cycle the request was in the queue
  std::int64_t ready_cycle = 0;      // first cycle a consumer sees the completion
};

struct DramStats {
  LevelTraffic traffic;                // words read / written, per tensor
  std::int64_t requests = 0;           // requests completed
  std::int64_t busy_cycles = 0;        // cycles in which the bus had a request to transfer
  std::int64_t queue_wait_cycles = 0;  // sum over requests of cycles spent behind others
};

inline constexpr std::int64_t kNeverCycle = std::numeric_limits<std::int64_t>::max();

class Dram {
 public:
  explicit Dram(const Hardware& hw);

  // Between cycles: the request joins the queue at the next evaluate(cycle); that cycle is its
  // `submitted_cycle`.
  void submit(const DramRequest& request);

  void evaluate(std::int64_t cycle);
  void commit();

  // Completions published by the last commit(): requests whose ready_cycle is the next cycle.
  std::span<const DramCompletion> completions() const { return completions_; }

  // The earliest cycle >= `now` at which evaluate() can change anything; kNeverCycle when idle.
  // An engine may skip the cycles before it (and only those).
  std::int64_t next_event_cycle(std::int64_t now) const;
  bool idle() const { return inbox_.empty() && queue_.empty() && in_flight_.empty(); }
  std::int64_t queued_words() const;  // words not yet transferred
  const DramStats& stats() const { return stats_; }

 private:
  struct Pending {
    DramRequest request;
    std::int64_t submitted_cycle = 0;
    std::int64_t moved_words = 0;
  };

  double words_per_cycle_;
  std::int64_t latency_cycles_;

  std::vector<DramRequest> inbox_;
  std::deque<Pending> queue_;
  std::deque<DramCompletion> in_flight_;  // transferred, waiting out the latency (in order)
  std::int64_t epoch_start_cycle_ = -1;   // first cycle of the current busy period
  std::int64_t epoch_moved_words_ = 0;
  std::vector<DramCompletion> next_completions_;
  std::vector<DramCompletion> completions_;
  DramStats stats_;
};

}  // namespace metronome::sim
