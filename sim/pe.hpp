#pragma once
// A processing element: an L1 scratchpad of `pe.l1_bytes / word_bytes` real words, a local
// partial-sum store (output words in L1) and `pe.macs_per_cycle` multipliers doing int64 MACs on
// words present in L1. The controller hands it steps (the words the step holds and the MACs it
// performs); which words are kept, requested, evicted or drained follows from L1 contents by the
// replacement rule in sim/DESIGN.md ("Memories and PE cores").

#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "sim/global_buffer.hpp"
#include "sim/ring_queue.hpp"
#include "sim/word_index.hpp"
#include "spec/hardware.hpp"
#include "spec/metrics.hpp"

namespace metronome::sim {

// One MAC, its operands given as positions in the step's tile lists (not flat indices), so that
// the PE resolves each tile word to its L1 entry once per step, not once per MAC:
//   word tile.words[Output][output] += tile.words[Input][input] * tile.words[Weight][weight]
struct PeMac {
  std::uint32_t input = 0;
  std::uint32_t weight = 0;
  std::uint32_t output = 0;
};

struct PeStep {
  WorkingSet tile;          // the words the PE holds during the step (ascending, distinct)
  std::vector<PeMac> macs;  // performed in this order
  // The same tile and MAC list as the step pushed before it (tile and macs left empty): a PE
  // idle in a run of array steps keeps one tile and is handed it again and again; the PE does
  // nothing per word for it (sim/DESIGN.md, "Repeated steps").
  bool repeat = false;
};

struct PeStats {
  LevelTraffic l1;  // L1 word reads / writes per tensor
  std::int64_t macs = 0;
  std::int64_t busy_cycles = 0;                 // at least one MAC performed
  std::int64_t waiting_for_input_cycles = 0;    // work left, operands requested but not arrived
  std::int64_t output_backpressure_cycles = 0;  // blocked by outputs that cannot leave
  std::int64_t idle_cycles = 0;                 // nothing to compute
  PerTensor<std::int64_t> requested_words;      // words asked of the network (input, weight)
  std::int64_t drained_words = 0;               // partial sums sent out
  std::int64_t steps = 0;                       // steps begun
  std::int64_t peak_words = 0;                  // most L1 words in use at once
};

class Pe {
 public:
  explicit Pe(const Hardware& hw, std::int64_t id = 0,
              BufferCapacity capacity = BufferCapacity::Enforced);

  std::int64_t id() const { return id_; }
  std::int64_t capacity_words() const { return capacity_words_; }
  // Takes `other`'s whole state, keeping its own id: a PE that had received exactly what `other`
  // received would be in that state (sim/DESIGN.md, "Runs of identical PEs").
  void copy_state_from(const Pe& other) {
    const std::int64_t id = id_;
    *this = other;
    id_ = id;
    spent_.clear();  // storage only
  }

  // --- between cycles (seen by the next evaluate) ---
  // Queues a step. Throws InputError when its tile exceeds the L1 capacity (naming the numbers),
  // logic_error when a MAC names a position outside the tile, or a repeat follows no step or
  // lists words or MACs.
  void push_step(PeStep step);
  // Queues an empty step: every partial sum still held is drained.
  void push_flush() { push_step(PeStep{}); }
  // Moves the storage of steps the PE has finished with into `into` (their contents are stale),
  // so that a caller building many steps can refill them instead of allocating.
  void take_spent_steps(std::vector<PeStep>& into);
  // A word the PE requested arrives from the distribution network.
  void deliver(const Word& word);
  // The reduction network frees room for `words` more partial sums (credits).
  void add_drain_credits(std::int64_t words);

  // --- per cycle ---
  void evaluate(std::int64_t cycle);
  void commit();

  // --- quiet cycles (sim/DESIGN.md, "Quiet PEs") ---
  // With skipping on, a PE whose evaluation changed nothing once the words that arrived were
  // stored (no MAC, no request, no partial sum sent, no step begun or finished, no word acquired;
  // the prefetch pass may have moved without asking for a word, and then the next pass does
  // nothing) falls asleep at its commit: the next evaluation would change nothing, nor would any
  // later one until deliver(), push_step() or add_drain_credits() changes its inputs, and those
  // wake it (a repeat pushed while it waits for words is passed over at once, asleep). An engine
  // evaluates and commits only PEs that are not asleep; the cycles a PE slept are counted, in the
  // category of its last evaluated cycle, when it is next evaluated or at settle(). Off wakes the
  // PE (it is evaluated every cycle from then on).
  void set_skip_quiet_cycles(bool on) {
    skip_quiet_ = on;
    if (!on) wake();
  }
  bool asleep() const { return asleep_; }
  // Asleep at `cycle`: not to be evaluated then. A PE busy with the MACs of a step whose words
  // are all present, asking for nothing and sending nothing, sleeps through the cycles its MACs
  // take (sim/DESIGN.md, "Busy PEs"): it is due again at the cycle after its last MAC, unless an
  // input wakes it first; the MACs of the cycles slept are done when it is next evaluated.
  bool asleep_at(std::int64_t cycle) const { return asleep_ && cycle < due_at_; }
  // The cycle a busy PE asleep is due (kNever for a quiet one).
  std::int64_t due_at() const { return asleep_ ? due_at_ : kNever; }
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  // The prefetch pass's shortcuts over queued steps the last pass went through (skip_known_prefix
  // and refetch_evicted in sim/pe.cpp; on by default). Off, the pass reads every queued step word
  // by word: the same requests in the same cycles (tested), slower. `refetched_steps()`: steps
  // refetch_evicted went through.
  void set_prefetch_shortcuts(bool on) { prefetch_shortcuts_ = on; }
  std::int64_t refetched_steps() const { return refetched_steps_; }
  // Repeats passed over asleep (push_step, a PE waiting for words) and finished without
  // beginning them one by one (a run of them behind a step without MACs): for the tests.
  std::int64_t repeats_passed_asleep() const { return repeats_passed_asleep_; }
  std::int64_t repeats_finished_at_once() const { return repeats_finished_at_once_; }
  // Counts the cycles slept before `cycle` (the first cycle not yet evaluated) into stats(); the
  // PE sleeps on.
  void settle(std::int64_t cycle);
  // stats() with the cycles slept before `cycle` counted.
  PeStats stats_through(std::int64_t cycle) const;

  // Published by the last commit(): words requested and partial sums sent in that cycle.
  std::span<const WordKey> requests() const { return requests_; }
  // Parallel to requests(): the step each word is for, numbered from 0 in the order the steps
  // were pushed (the current step for its own words, a queued step for words fetched ahead).
  std::span<const std::int64_t> request_steps() const { return request_steps_; }
  // The highest step number whose tile the PE has gone through, asking for every word it lacked
  // (or queueing it until L1 has room); -1 before the first. Lets a controller merge the
  // requests of several PEs for one step into one multicast.
  std::int64_t scanned_through() const { return scanned_through_; }
  std::span<const Word> drained() const { return drained_; }

  // No step left, nothing in flight, nothing to drain.
  bool done() const;
  std::int64_t queued_steps() const;  // steps pushed and not begun
  std::int64_t steps_completed() const { return steps_completed_; }
  std::int64_t used_words() const;       // L1 words occupied (held, in flight or waiting to drain)
  bool holds(const WordKey& key) const;  // present in L1
  std::int64_t value(const WordKey& key) const;  // of a present word; uncounted
  const PeStats& stats() const { return stats_; }
  // Its last evaluation did a MAC (of that cycle: not counting the MACs of a busy sleep it ended).
  bool computed() const { return last_kind_ == CycleKind::Busy; }

 private:
  enum class State : std::uint8_t { Waiting, InFlight, Present };
  struct Entry {
    std::int64_t value = 0;
    std::uint64_t step = 0;  // the step whose tile holds it; kPrefetched for a queued step's
    State state = State::Waiting;
    std::int64_t fetched_for = 0;  // kPrefetched: the step (numbered as pushed) it came for
  };

  void push_repeat(PeStep step);
  bool parked() const;
  void begin_step();
  void finish_step();
  void acquire_waiting();
  void prefetch();
  void skip_known_prefix();
  bool refetch_evicted(std::size_t j);
  void pass_known_prefix(std::size_t known);
  void keep_named(std::size_t j, Tensor t);
  void leave_step(std::size_t j);
  bool dropped_between(const WordKey& key, std::size_t from, std::size_t to) const;
  std::int64_t free_words() const;
  bool current_complete() const;
  std::int64_t compute();
  template <bool kCheck>
  std::int64_t run_macs(std::size_t end);
  static void count_macs(PeStats& stats, std::int64_t macs);
  // MACs a busy sleep from asleep_from_ has done by `cycle` (not yet performed).
  std::int64_t macs_slept_through(std::int64_t cycle) const;
  enum class CycleKind : std::uint8_t { Busy, WaitingForInput, OutputBackpressure, Idle };
  CycleKind count_cycle(std::int64_t macs_done);
  static void count_cycles(PeStats& stats, CycleKind kind, std::int64_t cycles);
  // What evaluate() may change, compared before and after to tell a quiet cycle, but the
  // prefetch pass (whose fields are left out: a pass that asked for no word ended at the
  // queue's end or blocked for room, so the next pass does nothing; sim/DESIGN.md, "Quiet PEs").
  struct Progress {
    std::uint64_t step_serial;
    std::int64_t steps_completed, waiting_words, current_missing;
    std::size_t next_mac;
    bool has_current;
    bool operator==(const Progress&) const = default;
  };
  Progress progress() const;

  std::int64_t id_;
  std::int64_t capacity_words_;
  std::int64_t macs_per_cycle_;
  BufferCapacity capacity_mode_;
  SourceLocation where_;
  std::int64_t l1_bytes_;
  std::int64_t word_bytes_;

  // L1: entries in a pool (slots reused through free_slots_), found by key through a flat
  // index; slot numbers stay valid while the word is held, so slot_ can keep them.
  Entry* find_entry(std::uint64_t packed) {
    const std::uint32_t s = l1_index_.find(packed);
    return s == WordIndex::kNone ? nullptr : &pool_[s];
  }
  const Entry* find_entry(std::uint64_t packed) const {
    const std::uint32_t s = l1_index_.find(packed);
    return s == WordIndex::kNone ? nullptr : &pool_[s];
  }
  // The slot of `packed`, inserting a default entry if absent (second: inserted).
  std::pair<std::uint32_t, bool> emplace_entry(std::uint64_t packed);
  void erase_entry(std::uint64_t packed);

  WordIndex l1_index_;
  std::vector<Entry> pool_;
  std::vector<std::uint32_t> free_slots_;
  std::int64_t waiting_words_ = 0;  // entries without a slot yet
  RingQueue<WordKey> waiting_;      // current step's words waiting for a slot, in order
  RingQueue<Word> drain_;           // partial sums evicted, still occupying L1 until sent
  std::int64_t drain_credits_ = 0;

  RingQueue<PeStep> steps_;  // pushed, not begun
  // Copies of the queued steps' input and weight lists, back to back in one array: the passes
  // over queued tiles (prefetch, skip_known_prefix, dropped_before) run at every step, and
  // reading one heap block per list of every queued step was the PE's main cost (cache misses).
  struct QueuedLists {
    std::size_t input, weight, end;  // offsets counted from the first word ever queued
    std::int64_t tile_words;         // |tile|, all tensors
    std::int64_t prefetched = 0;     // L1 words fetched ahead for this step (first to name them)
    bool repeat = false;             // PeStep::repeat (its lists are the step's before it)
    // Its input [0] and weight [1] lists equal those of the step pushed before it (a stationary
    // tensor): the running intersection kept_ does not change there.
    bool same_as_before[2] = {false, false};
    // Smallest and largest index and signature() of the input [0] and weight [1] lists (lo >
    // hi when empty): skip_known_prefix tells most lists apart from others without reading
    // queued_words_.
    std::int64_t lo[2], hi[2];
    std::uint64_t sig[2];
  };
  void begin_repeat(const QueuedLists& lists);
  void enter_step(const QueuedLists& lists, bool repeat);
  void finish_queued_repeats();
  void check_nothing_fetched_for_repeat(const QueuedLists& lists, std::int64_t step) const;
  // Bit (index mod 64) of every word: lists with disjoint signatures share no word. Tiles are
  // windows of nearby indices, so those a few positions apart have disjoint signatures even
  // where their index ranges overlap.
  static std::uint64_t signature(std::span<const std::int64_t> words) {
    std::uint64_t sig = 0;
    for (const std::int64_t w : words)
      sig |= std::uint64_t{1} << (static_cast<std::uint64_t>(w) & 63);
    return sig;
  }
  // Whether queued step j's list of `t` (input or weight) may share a word with `other`, whose
  // signature is `other_sig`.
  bool queued_may_meet(std::size_t j, Tensor t, std::span<const std::int64_t> other,
                       std::uint64_t other_sig) const {
    const QueuedLists& q = queued_lists_[j];
    const int f = t == Tensor::Input ? 0 : 1;
    return !other.empty() && q.lo[f] <= other.back() && other.front() <= q.hi[f] &&
           (q.sig[f] & other_sig) != 0;
  }
  QueuedLists queue_lists(const WorkingSet& tile);
  std::span<const std::int64_t> list_of(const QueuedLists& q, Tensor t) const {
    const std::size_t b = (t == Tensor::Input ? q.input : q.weight) - queued_base_;
    const std::size_t e = (t == Tensor::Input ? q.weight : q.end) - queued_base_;
    return std::span<const std::int64_t>(queued_words_.data() + b, e - b);
  }
  RingQueue<QueuedLists> queued_lists_;  // parallel to steps_
  // The lists of the step begun last (current_), kept in queued_words_ until the next begins:
  // a repeat pushed while no step is queued shares them.
  QueuedLists current_lists_{};
  std::vector<std::int64_t> queued_words_;
  std::size_t queued_base_ = 0;  // offset of queued_words_[0]
  std::span<const std::int64_t> queued(std::size_t j, Tensor t) const {
    return list_of(queued_lists_[j], t);
  }
  PeStep current_;
  std::vector<PeStep> spent_;  // storage of finished steps, for take_spent_steps (bounded)
  WorkingSet previous_tile_;   // the tile of the step before current_ (its storage reused)
  PerTensor<std::vector<std::uint32_t>> slot_;  // current tile position -> its L1 entry (pool_)
  PerTensor<std::vector<std::uint32_t>> previous_slot_;  // the same for previous_tile_
  bool has_current_ = false;
  bool pushed_any_ = false;  // a repeat needs a step before it
  std::uint64_t step_serial_ = 0;
  std::size_t next_mac_ = 0;
  std::int64_t current_missing_ = 0;  // words of the current tile not present yet
  std::int64_t steps_completed_ = 0;
  std::size_t prefetch_step_ = 0;  // cursor over the queued steps' tiles
  bool prefetch_doomed_ = false;   // this pass met a held word an earlier queued step drops
  bool prefetch_blocked_ = false;  // this pass stopped at the cursor for want of L1 room
  // Queued steps at the front whose words are all in L1 but for evicted_ (skip_known_prefix).
  std::size_t known_prefix_ = 0;
  // Queued steps at the front whose every word the last pass held or asked for (refetch_evicted).
  std::size_t covered_ = 0;
  bool prefetch_shortcuts_ = true;
  std::int64_t refetched_steps_ = 0;
  std::int64_t repeats_passed_asleep_ = 0, repeats_finished_at_once_ = 0;
  PerTensor<std::vector<std::int64_t>> evicted_;  // inputs/weights the last begin_step dropped
  // The current tile's inputs and weights that every queued step the prefetch pass went through
  // names (ascending; kept while the pass is not doomed): a current-tile word met later that is
  // not in it is dropped in between and asked for again.
  // Until a pass narrows it, the intersection is the current tile itself (kept_is_tile_), read
  // there instead of copied at every step (most passes never narrow it).
  PerTensor<std::vector<std::int64_t>> kept_;
  PerTensor<bool> kept_is_tile_{};
  const std::vector<std::int64_t>& kept(Tensor t) const {
    return kept_is_tile_[t] ? current_.tile.words[t] : kept_[t];
  }
  std::size_t prefetch_tensor_ = 0;
  std::size_t prefetch_index_ = 0;
  // The reserve (sim/DESIGN.md, "Pe"): words fetched ahead stay until their step begins, so a
  // word may be fetched ahead for the cursor's step only if every queued step before it still
  // finds room for its whole tile next to the words fetched ahead for later steps.
  std::int64_t prefetched_words_ = 0;  // sum of queued_lists_[j].prefetched
  std::int64_t prefetch_prefix_ = 0;   // the same over the steps before the cursor
  std::int64_t prefetch_room_ = 0;     // words the cursor's step may still fetch ahead
  std::int64_t slack(std::size_t j, std::int64_t fetched_through_j) const;
  void pass_step(std::size_t j);

  std::vector<Word> inbox_words_;

  std::vector<WordKey> next_requests_, requests_;
  std::vector<std::int64_t> next_request_steps_, request_steps_;
  std::int64_t scanned_through_ = -1;
  std::vector<Word> next_drained_, drained_;
  PeStats stats_;

  bool skip_quiet_ = false;
  bool quiet_ = false;            // the last evaluate() changed nothing
  bool busy_quiet_ = false;       // the last evaluate() changed nothing but MACs, with more to come
  bool busy_sleep_ = false;       // asleep busy: the cycles slept do MACs, performed at the wake
  std::int64_t due_at_ = kNever;  // a busy sleep ends by this cycle
  bool asleep_ = false;           // not evaluated until woken
  bool slept_ = false;            // cycles from asleep_from_ on are not counted yet
  std::int64_t evaluated_cycle_ = 0;
  std::int64_t asleep_from_ = 0;
  CycleKind last_kind_ = CycleKind::Idle;
  void wake() { asleep_ = false; }
};

}  // namespace metronome::sim
