#pragma once
// One directed network link (sim/DESIGN.md, "Network-on-chip"): a bandwidth limiter, a
// pipeline of `latency` cycles and the input buffer of the router downstream, with credit-based
// flow control. Plain C++; used by sim/noc.hpp.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "sim/ring_queue.hpp"

namespace metronome::sim {

inline constexpr std::int64_t kUnbounded = std::numeric_limits<std::int64_t>::max();

using GroupId = std::uint32_t;
inline constexpr GroupId kNoGroup = std::numeric_limits<GroupId>::max();
inline constexpr std::uint32_t kNoHop = std::numeric_limits<std::uint32_t>::max();

// One word travelling through a network, with what routers need to route, add or deliver it.
struct Flit {
  std::int64_t value = 0;
  std::uint64_t tag = 0;            // caller's id (reduction: the output the partial sum is for)
  GroupId group = kNoGroup;         // multicast destinations or reduction contributors
  std::uint32_t contributions = 1;  // partial sums added into `value`
  std::int64_t injected_cycle = 0;  // cycle it entered the network (merged: the earliest)
  // Where the word is: the index of its node's entry in its group's hops (GroupTable::hop_at),
  // set by the router that sent it, so the next router need not search; kNoHop: search.
  std::uint32_t hop = kNoHop;
};

// A bandwidth as an exact fraction num/den words per cycle (den <= 2^20), so fractional
// bandwidths accumulate credit without rounding drift. `unlimited`: no limit.
struct Rate {
  std::int64_t num = 1;
  std::int64_t den = 1;
  bool unlimited = false;
};
Rate to_rate(double words_per_cycle);

struct LinkStats {
  std::string name;                 // "l2->r0"
  double words_per_cycle = 0;       // bandwidth; infinity when unlimited
  std::int64_t latency_cycles = 0;  // cycles from sending a word to its arrival downstream
  std::int64_t buffer_words = 0;    // downstream input buffer (credits); kUnbounded if none
  std::int64_t words = 0;           // words carried
  std::int64_t busy_cycles = 0;     // cycles in which at least one word was sent
  // Cycles in which a word at the head of an upstream input wanted this link and was not sent:
  std::int64_t stall_cycles_output_blocked = 0;  // bandwidth used up or arbitration lost
  std::int64_t stall_cycles_no_credit = 0;       // downstream buffer full (back-pressure)

  // words / (cycles x bandwidth); 0 for an unlimited link or no cycles.
  double utilization(std::int64_t cycles) const;
};

class Link {
 public:
  // `buffer_words`: capacity of the downstream input buffer, counting words in flight (the
  // upstream router starts with that many credits).
  Link(std::string name, double words_per_cycle, std::int64_t latency_cycles,
       std::int64_t buffer_words, bool reported);

  // Upstream side. Bandwidth, with the convention of the other sim/ cores: call
  // has_bandwidth() in every cycle in which a word waits for the link and a credit is there to
  // send it. A run of such consecutive cycles is a busy period; after its k-th cycle the link
  // may have sent floor(k x rate) words. Any other cycle ends the period and banks nothing, so
  // a word on an idle link of rate b < 1 waits ceil(1 / b) - 1 cycles (its serialization) before
  // it is sent. Unlimited: no limit.
  // (Inline: asked for every word at every router.)
  bool has_bandwidth(std::int64_t cycle) {
    if (rate_.unlimited) return true;
    if (cycle != refilled_at_) {
      // Continue the busy period or start a new one; the cap only guards against a caller that
      // asks without sending (never more than one cycle's worth plus a word).
      tokens_ = cycle == refilled_at_ + 1 ? std::min(tokens_ + rate_.num, rate_.num + rate_.den)
                                          : rate_.num;
      refilled_at_ = cycle;
    }
    return tokens_ >= rate_.den;
  }
  bool has_credit() const { return credits_ > 0; }
  void send(const Flit& flit, std::int64_t cycle) {
    if (!rate_.unlimited) tokens_ -= rate_.den;
    if (credits_ != kUnbounded) --credits_;
    fifo_.push_back(Slot{cycle + latency_, flit});
    ++stats_.words;
    if (last_busy_ != cycle) {
      last_busy_ = cycle;
      ++stats_.busy_cycles;
    }
  }

  // Downstream side: the input buffer. A word sent in cycle t is ready in cycle t + latency.
  bool head_ready(std::int64_t cycle) const {
    return !fifo_.empty() && fifo_.front().ready_cycle <= cycle;
  }
  const Flit& head() const { return fifo_.front().flit; }
  // Frees the head's slot; its credit reaches the upstream router at commit() (usable in the
  // next cycle). Returns true on the first pop of a cycle, so the network commits this link.
  bool pop() {
    fifo_.pop_front();
    if (credits_ == kUnbounded) return false;
    return returned_++ == 0;
  }
  void commit();

  // Express networks (Network::enable_express): a word that crosses the link in `cycle` without
  // ever waiting, counted as send() counts it but not queued (nothing downstream reads it).
  void count_express(std::int64_t cycle) {
    ++stats_.words;
    if (last_busy_ != cycle) {
      last_busy_ = cycle;
      ++stats_.busy_cycles;
    }
  }
  // Words the link can send in every cycle of a busy period (floor of its rate); kUnbounded
  // when unlimited.
  std::int64_t words_every_cycle() const {
    return rate_.unlimited ? kUnbounded : rate_.num / rate_.den;
  }
  std::int64_t latency() const { return latency_; }
  std::int64_t buffer_words() const { return stats_.buffer_words; }

  bool empty() const { return fifo_.empty(); }
  std::size_t size() const { return fifo_.size(); }
  bool reported() const { return reported_; }
  void note_stall(bool no_credit, std::int64_t cycle);
  const LinkStats& stats() const { return stats_; }

 private:
  struct Slot {
    std::int64_t ready_cycle;
    Flit flit;
  };
  RingQueue<Slot> fifo_;
  Rate rate_;
  std::int64_t latency_;
  std::int64_t credits_;
  std::int64_t returned_ = 0;
  std::int64_t tokens_ = 0;  // bandwidth credit of the busy period, in 1/rate_.den words
  std::int64_t refilled_at_ = -1;
  std::int64_t last_busy_ = -1;
  std::int64_t last_stall_ = -1;
  bool reported_;
  LinkStats stats_;
};

// The buffer depth used when none is configured: enough for a link of `words_per_cycle` and
// `latency` to run at full rate under credit flow control, including the store-and-forward wait
// of a fractional rate: 2 x ceil(rate) x (latency + 1) + 2; unbounded for an unlimited rate.
std::int64_t auto_buffer_words(double words_per_cycle, std::int64_t latency_cycles);

}  // namespace metronome::sim
