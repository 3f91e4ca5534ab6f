#pragma once
// The boundary of a network: where a source (L2 or a PE) injects words and where a sink
// receives them. Both are two-phase queues (sim/DESIGN.md): what the outside does during a
// cycle and what the network does during the same cycle meet only at commit(), so the order in
// which blocks are evaluated within a cycle does not matter.

#include <cstdint>
#include <vector>

#include "sim/noc_link.hpp"
#include "sim/ring_queue.hpp"

namespace metronome::sim {

// A word handed to a sink.
struct Delivery {
  std::int64_t value = 0;
  std::uint64_t tag = 0;
  GroupId group = kNoGroup;
  std::uint32_t contributions = 1;  // partial sums added into `value` (reduction)
  std::int64_t injected_cycle = 0;
  std::int64_t delivered_cycle = 0;  // cycle the network handed it over (visible the next one)
};

// Source -> network. A word pushed in cycle t reaches the network in cycle t + 1.
class InjectPort {
 public:
  explicit InjectPort(std::int64_t capacity_words) : capacity_(capacity_words) {}
  std::int64_t capacity() const { return capacity_; }

  // Source side, as of the last commit minus this cycle's pushes.
  std::int64_t space() const {
    return capacity_ - committed_ - static_cast<std::int64_t>(staged_.size());
  }
  void push(const Flit& flit) { staged_.push_back(flit); }

  // Network side.
  bool empty() const { return queue_.empty(); }
  const Flit& front() const { return queue_.front(); }
  void pop() { queue_.pop_front(); }

  // Returns the number of words that entered the queue; they count as injected in `cycle`.
  std::int64_t commit(std::int64_t cycle) {
    const auto n = static_cast<std::int64_t>(staged_.size());
    for (Flit& f : staged_) f.injected_cycle = cycle;
    for (const Flit& f : staged_) queue_.push_back(f);
    staged_.clear();
    committed_ = static_cast<std::int64_t>(queue_.size());
    return n;
  }
  bool quiet() const { return queue_.empty() && staged_.empty(); }

 private:
  std::int64_t capacity_;
  std::int64_t committed_ = 0;
  RingQueue<Flit> queue_;
  std::vector<Flit> staged_;
};

// Network -> sink. A word delivered in cycle t is visible to the sink in cycle t + 1; a slot
// the sink frees in cycle t is usable by the network in cycle t + 1.
class EjectPort {
 public:
  explicit EjectPort(std::int64_t capacity_words) : capacity_(capacity_words) {}
  std::int64_t capacity() const { return capacity_; }

  // Network side.
  std::int64_t space() const {
    return capacity_ - static_cast<std::int64_t>(visible_.size() + staged_.size());
  }
  void deliver(const Delivery& d) { staged_.push_back(d); }
  void note_stall(std::int64_t cycle) {
    if (last_stall_ != cycle) ++stall_cycles_, last_stall_ = cycle;
  }
  std::int64_t stall_cycles() const { return stall_cycles_; }

  // Sink side.
  const Delivery* peek() const { return popped_ < visible_.size() ? &visible_[popped_] : nullptr; }
  void pop() { ++popped_; }

  // Returns the number of words the sink took this cycle.
  std::int64_t commit() {
    const auto taken = static_cast<std::int64_t>(popped_);
    visible_.pop_front(popped_);
    popped_ = 0;
    for (const Delivery& d : staged_) visible_.push_back(d);
    staged_.clear();
    return taken;
  }
  bool quiet() const { return visible_.empty() && staged_.empty(); }

 private:
  std::int64_t capacity_;
  RingQueue<Delivery> visible_;
  std::vector<Delivery> staged_;
  std::size_t popped_ = 0;
  std::int64_t stall_cycles_ = 0;
  std::int64_t last_stall_ = -1;
};

}  // namespace metronome::sim
