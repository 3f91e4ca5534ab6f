#pragma once
// Tracing a simulation (sim/DESIGN.md, "Tracing"): observers of the engine (CycleObserver,
// sim/engine.hpp) that record what happened in every cycle, for `metronome simulate --trace`
// and `--vcd`.
//
// * ChromeTraceWriter: a Chrome trace-event JSON file (open in Perfetto or chrome://tracing):
//   per-PE state spans, per-link busy spans and counters, 1 trace microsecond = 1 cycle, at most
//   `max_events` span/counter events per file.
// * VcdWriter: a value change dump of the main signals, 1 ns = 1 cycle.
// * ObserverFanout: hands every call to several observers (both files at once).
//
// All of them only read the engine; with no observer attached the engine does not change at
// all. Writers stream to an std::ostream the caller opened (and checks afterwards); several runs
// (one Engine each) may go to one writer one after another.

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.hpp"

namespace metronome::sim {

// What a PE did in one evaluated cycle: the classification of PeStats (exactly one per cycle).
// The values are the 2-bit codes of the VCD.
enum class PeState : std::uint8_t {
  Idle = 0,                // nothing to compute
  Busy = 1,                // >= 1 MAC
  WaitingForInput = 2,     // work left, operands requested but not arrived
  OutputBackpressure = 3,  // blocked by partial sums that cannot leave
};
std::string_view pe_state_name(PeState state);  // "idle", "busy", ... (PeStats's field names)

// One NoC link a tracer follows: a link the network reports (NocStats::links).
struct TracedLink {
  Direction network = Direction::Distribution;
  std::size_t index = 0;  // in Network::links()
  std::string name;       // "l2->r0"
};

// Reads, once per cycle, what changed in the engine's counters since the previous cycle: the
// state of every PE (which of its four cycle counters grew), its MACs, words and busy cycles of
// every reported link, deliveries per network, and the current L2 queue, DRAM bus and words
// inside each network. Cost per cycle: O(PEs + links), only when an observer uses it.
class CycleSampler {
 public:
  // Takes the engine's PEs (and reported links, if `links`); all counts from now.
  void start(const Engine& engine, bool links = true);
  void sample(const Engine& engine);  // after a cycle: that cycle's values

  std::span<const PeState> pe_states() const { return pe_state_; }
  std::span<const std::int64_t> pe_macs() const { return pe_macs_; }  // this cycle, per PE
  std::int64_t macs() const { return macs_; }                         // this cycle, all PEs
  const std::vector<TracedLink>& links() const { return links_; }
  std::span<const std::int64_t> link_words() const { return link_words_; }  // this cycle
  // Whether the link sent >= 1 word this cycle (its busy_cycles grew).
  std::span<const std::uint8_t> link_busy() const { return link_busy_; }
  std::int64_t delivered(Direction network) const { return delivered_[slot(network)]; }
  std::int64_t words_held(Direction network) const { return held_[slot(network)]; }
  std::int64_t l2_queued_requests() const { return l2_queued_; }
  bool dram_busy() const { return dram_busy_; }

 private:
  struct PeCounters {
    std::int64_t busy = 0, waiting = 0, backpressure = 0, idle = 0, macs = 0;
  };
  struct LinkCounters {
    std::int64_t words = 0, busy_cycles = 0;
  };
  static std::size_t slot(Direction d) { return d == Direction::Distribution ? 0 : 1; }

  std::vector<PeCounters> pe_prev_;
  std::vector<PeState> pe_state_;
  std::vector<std::int64_t> pe_macs_;
  std::int64_t macs_ = 0;
  std::vector<TracedLink> links_;
  std::vector<LinkCounters> link_prev_;
  std::vector<std::int64_t> link_words_;
  std::vector<std::uint8_t> link_busy_;
  std::int64_t delivered_prev_[2] = {0, 0};
  std::int64_t delivered_[2] = {0, 0};
  std::int64_t held_[2] = {0, 0};
  std::int64_t l2_queued_ = 0;
  std::int64_t dram_busy_prev_ = 0;
  bool dram_busy_ = false;
};

inline constexpr std::int64_t kDefaultTraceMaxEvents = 2'000'000;

// Chrome trace-event format ("JSON object format"): {"traceEvents": [...], "otherData": {...}}.
// Per run (one Engine), three processes: "PEs" (a thread per PE: complete "X" spans named
// busy / waiting_for_input / output_backpressure / idle, consecutive cycles of one state merged;
// busy spans carry their MACs; counter "MACs per cycle"), "links" (a thread per reported link
// that carried words, named as in NocStats, distribution links first: "busy" spans of
// consecutive cycles with >= 1 word sent, carrying their words; counters "words in network" and
// "words delivered per cycle" per network) and "memory" (counters "L2 queued requests" and
// "DRAM busy"). Counters are written when they change. ts and dur count cycles (1 us = 1 cycle).
//
// Size bound: at most `max_events` X/C events in the file (over all runs; "M" metadata and one
// truncation marker per file come on top). When the next event would not fit (keeping room to
// close the open spans), recording stops at that cycle N: open spans end at N, an instant event
// "trace truncated" marks N, and otherData says so ("truncated_at_cycle").
class ChromeTraceWriter : public CycleObserver {
 public:
  explicit ChromeTraceWriter(std::ostream& out, std::int64_t max_events = kDefaultTraceMaxEvents);
  ~ChromeTraceWriter() override;  // close()s if the caller did not
  ChromeTraceWriter(const ChromeTraceWriter&) = delete;
  ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;

  // Names the next run (its processes get it as a label), e.g. "conv3x3 / kcp_ws".
  void set_run_label(std::string label) { label_ = std::move(label); }

  void start(const Engine& engine) override;
  void on_cycle(const Engine& engine, std::int64_t cycle) override;
  void finish(const Engine& engine, bool completed) override;

  // Ends the document (otherData with the time unit, the runs and the truncation note).
  // Idempotent; nothing is written after it.
  void close();

  std::int64_t events() const { return events_; }  // X/C events written
  bool truncated() const { return truncated_at_ >= 0; }
  std::int64_t truncated_at_cycle() const { return truncated_at_; }  // -1 when not truncated

 private:
  int pid(int which) const { return 3 * run_ + which + 1; }  // 0 PEs, 1 links, 2 memory
  bool reserve();  // room for one more event beside the open spans' closing events
  void truncate(std::int64_t cycle);
  void close_spans(std::int64_t end);
  void write_pe_span(std::size_t pe, std::int64_t end);
  void write_link_span(std::size_t link, std::int64_t end);
  void counter(int which, std::string_view name, std::string_view key_a, std::int64_t a,
               std::string_view key_b, std::int64_t b, std::int64_t cycle);
  void write_metadata(const Engine& engine);
  void begin_event();
  void flush(std::size_t above);  // writes the buffer out when it holds more than `above` bytes

  std::ostream& out_;
  std::string buf_;  // events not yet written to out_
  std::int64_t max_events_;
  std::int64_t events_ = 0;
  std::int64_t open_ = 0;  // spans begun and not written
  bool first_event_ = true;
  bool closed_ = false;
  bool exhausted_ = false;  // the budget ran out: later runs record nothing
  std::int64_t truncated_at_ = -1;
  int truncated_run_ = -1;
  std::string truncated_note_;
  std::vector<std::string> run_notes_;

  // The current run.
  int run_ = -1;
  bool in_run_ = false;
  bool recording_ = false;
  bool run_started_recording_ = false;
  std::string label_;
  std::int64_t last_cycle_ = -1;
  CycleSampler sampler_;
  static constexpr std::uint8_t kNoSpan = 0xff;
  std::vector<std::uint8_t> pe_span_state_;  // PeState of the open span, or kNoSpan
  std::vector<std::int64_t> pe_span_start_;
  std::vector<std::int64_t> pe_span_macs_;
  std::vector<std::uint8_t> link_span_open_;
  std::vector<std::int64_t> link_span_start_;
  std::vector<std::int64_t> link_span_words_;
  static constexpr std::int64_t kUnset = -1;
  std::int64_t last_macs_ = kUnset, last_held_[2] = {kUnset, kUnset},
               last_delivered_[2] = {kUnset, kUnset}, last_l2_ = kUnset, last_dram_ = kUnset;
};

// Value change dump (IEEE 1364 VCD) of the main signals, timescale 1 ns = 1 cycle: the state of
// the first `max_pes` PEs (2-bit codes of PeState), MACs in the cycle, words delivered in the
// cycle and words inside the network per network, L2 queued requests, DRAM busy, and the run
// number. Only changes are written. Several runs follow one another in time (run r starts where
// run r - 1 ended); all runs must have the same number of PEs.
class VcdWriter : public CycleObserver {
 public:
  explicit VcdWriter(std::ostream& out, std::int64_t max_pes = 64);
  ~VcdWriter() override;  // close()s if the caller did not
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

  void set_run_label(std::string label) { label_ = std::move(label); }

  void start(const Engine& engine) override;
  void on_cycle(const Engine& engine, std::int64_t cycle) override;
  void finish(const Engine& engine, bool completed) override;
  void close();  // writes the final time stamp; idempotent

 private:
  struct Signal {
    std::string id;
    int width = 1;
    std::int64_t value = -1;  // last written; -1 before the first
  };
  void write_header(std::size_t pes);
  void set(std::size_t signal, std::int64_t value);
  void advance_time(std::int64_t time);

  std::ostream& out_;
  std::int64_t max_pes_;
  bool header_written_ = false;
  bool closed_ = false;
  std::size_t pes_ = 0;         // PEs of the runs
  std::size_t traced_pes_ = 0;  // signals for the first traced_pes_ of them
  std::vector<Signal> signals_;
  std::size_t first_scalar_ = 0;  // index of the signal after the PE states
  std::vector<char> changed_;
  std::string label_;
  int run_ = -1;
  std::int64_t offset_ = 0;  // time of the current run's cycle 0
  std::int64_t last_cycle_ = -1;
  std::int64_t time_written_ = -1;
  std::int64_t end_time_ = 0;
  std::string pending_;  // value changes of the current time step
  CycleSampler sampler_;
};

// Several observers as one, called in the order given.
class ObserverFanout : public CycleObserver {
 public:
  explicit ObserverFanout(std::vector<CycleObserver*> observers)
      : observers_(std::move(observers)) {}
  void start(const Engine& engine) override {
    for (CycleObserver* o : observers_) o->start(engine);
  }
  void on_cycle(const Engine& engine, std::int64_t cycle) override {
    for (CycleObserver* o : observers_) o->on_cycle(engine, cycle);
  }
  void finish(const Engine& engine, bool completed) override {
    for (CycleObserver* o : observers_) o->finish(engine, completed);
  }
  bool samples_pe_cycles() const override {
    for (const CycleObserver* o : observers_)
      if (o->samples_pe_cycles()) return true;
    return false;
  }
  bool samples_network() const override {
    for (const CycleObserver* o : observers_)
      if (o->samples_network()) return true;
    return false;
  }

 private:
  std::vector<CycleObserver*> observers_;
};

}  // namespace metronome::sim
