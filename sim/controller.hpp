#pragma once
// The controller: walks the mapping's array steps (StepPlan), hands every PE its steps, decides
// what L2 holds, and moves words between the cores. It computes no traffic and no time: it
// issues requests to the cores (DRAM, L2, the two networks, the PEs) and every count comes
// from them. Its rules are in sim/DESIGN.md ("Controller"):
//  * L2 retention: a step's words (all PEs' tiles) are fetched into L2 when the step is staged
//    and stay until their room is needed; then the least recently needed word that no staged
//    step needs (and, for outputs, that no PE holds and no partial sum is on its way to) leaves:
//    inputs and weights are discarded, outputs written back to DRAM.
//  * Reads: a PE asks for a word it lacks, for a given step. With multicast, the requests for
//    one step are collected until every PE of the step has gone through its tile; then each word
//    is read once and multicast to the PEs that asked for it (a later request for the same step
//    joins a read L2 has not served yet, else gets its own; other steps never join it: once per
//    step). Without multicast each request is its own read and its own unicast.
//  * Partial sums: the PEs that drop the same output at the same array-step transition form one
//    reduction group (added in the network or, without in-network reduction, by L2).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/dram.hpp"
#include "sim/global_buffer.hpp"
#include "sim/noc.hpp"
#include "sim/overtaking_queues.hpp"
#include "sim/pe.hpp"
#include "sim/ring_queue.hpp"
#include "sim/step_plan.hpp"
#include "sim/tensors.hpp"
#include "sim/tile.hpp"
#include "sim/word_index.hpp"

namespace metronome::sim {

struct ControllerOptions {
  BufferCapacity capacity = BufferCapacity::Enforced;
  std::int64_t lookahead_steps = 16;  // array steps given to PEs ahead of the oldest unfinished
  // Array steps whose words L2 fetches ahead of the oldest unfinished one (so DRAM latency is
  // hidden), and at most this many tile words + MACs held for them.
  std::int64_t l2_lookahead_steps = 1024;
  std::int64_t l2_lookahead_entries = std::int64_t{1} << 21;
  std::int64_t dram_burst_words = 64;  // words per DRAM request
  // Hand a PE whose next step has the same words and MACs as its last one a repeat
  // (PeStep::repeat) instead of the lists again; the same records either way (tested through
  // --cycle-exact, which turns it off, and Pe.RepeatedStepsChangeNothing).
  bool repeat_steps = true;
  // For tests: every run of identical PEs ends at this array step (-1: never).
  std::int64_t end_runs_at_step = -1;
};

// How much runs of identical PEs saved (sim/DESIGN.md, "Runs of identical PEs"); not part of a
// record (the records are the same with runs off), for tests and measurements.
struct PeRunStats {
  std::int64_t followed_steps = 0;  // PE steps a follower took as its run's first PE's
  std::int64_t splits = 0;          // runs begun after the start (a copy of a PE's state each)
};

struct ControllerStats {
  std::int64_t array_steps = 0;           // steps the plan yielded
  std::int64_t empty_steps = 0;           // of which no PE performs a MAC
  std::int64_t l2_evictions = 0;          // words L2 gave up for room (outputs written back)
  std::int64_t output_refetch_words = 0;  // partial sums read back from DRAM
  std::int64_t dram_wait_cycles = 0;      // cycles a PE request waited for a DRAM fill
  std::int64_t max_drift_steps = 0;       // most steps between the fastest and slowest PE
  std::int64_t max_l1_tile_words = 0;     // largest tile a PE was given
  std::int64_t max_l2_step_words = 0;     // largest working set of one array step
};

class Controller {
 public:
  struct Cores {
    Dram& dram;
    GlobalBuffer& l2;
    Network& distribution;
    Network& reduction;
    std::vector<Pe>& pes;
  };

  Controller(const Layer& layer, const ResolvedMapping& mapping, const Hardware& hw,
             LayerTensors& tensors, Cores cores, ControllerOptions options);

  // Between cycles: reads what the cores published at the last commit and acts on it (the
  // inputs of the next evaluate). `cycle` is the cycle about to be evaluated.
  void before_cycle(std::int64_t cycle);

  // Everything finished: every step done, every partial sum in L2, every output written back
  // to DRAM, every core idle.
  bool done() const { return finished_; }
  // Something moved in the last before_cycle (used by the watchdog).
  std::int64_t progress() const { return progress_; }
  // Words still owed to the PEs or to DRAM, for the watchdog's message.
  std::string describe_waits() const;

  const ControllerStats& stats() const { return stats_; }

  // Runs of identical PEs (sim/DESIGN.md, "Runs of identical PEs"): a PE that would be handed the
  // same steps and words as the PE before it shares its state, and the engine evaluates only the
  // first PE of each run. Needs express distribution (every word reaches the run's PEs in the
  // same cycle); only before the first before_cycle(). The records are the same on or off.
  void enable_pe_runs(bool on);
  // Per PE, the PE whose state it shares (itself unless it follows another).
  std::span<const std::uint32_t> pe_leaders() const { return leader_; }
  // The PEs that hold their own state (not followers), ascending: those the engine evaluates.
  std::span<const std::uint32_t> own_pes() const { return own_pes_; }
  const PeRunStats& pe_run_stats() const { return run_stats_; }
  // The output tensor as it stands in DRAM (complete once done()).
  const std::vector<std::int64_t>& dram_output() const { return tensors_.words[Tensor::Output]; }

 private:
  enum class Residency : std::uint8_t { Fetching, Resident, Reserved, WritingBack };
  struct DirEntry {              // 16 bytes: L2 may hold a million words
    std::int64_t last_step = 0;  // last array step whose working set names the word
    std::int32_t pins = 0;       // outputs: PEs holding it + partial sums on their way
    Residency state = Residency::Fetching;
  };
  struct DrainTicket {
    std::int64_t output = 0;
    std::uint64_t tag = 0;
    GroupId group = kNoGroup;
  };
  struct PendingStep {  // the next array step, built but not yet staged
    std::int64_t index = -1;
    std::vector<std::int64_t> pes;  // active PEs
    // Parallel to pes: what each PE's step is made of. The step itself (tile lists, MACs) is
    // built when it is pushed, up to the L2 lookahead later: built when staged, its lists went
    // cold in between (sim/DESIGN.md, "Where a one-MAC step goes").
    struct Recipe {
      TileRanges ranges;
      MacBox box;
      bool repeat = false;
    };
    std::vector<Recipe> recipes;
    std::vector<std::uint64_t> words;  // working set, packed keys, distinct (not sorted)
    // Tile words + MACs of its PE steps (a repeat's: those of the step it repeats).
    std::int64_t entries = 0;
    // Runs of identical PEs: PEs whose step is their run's first PE's (not in `pes`), and the
    // runs [first, end) that begin at this step.
    std::int64_t followers = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> new_runs;
  };
  // A PE's last step built: the next is a repeat (PeStep::repeat) if it has the same words and
  // MACs.
  struct LastTile {
    TileRanges ranges;
    MacBox box;
    std::int64_t entries = 0;
    bool no_mac = false;  // box empty
    bool valid = false;
  };
  struct Reduction {
    std::int64_t output = 0;
    std::int64_t remaining = 0;  // partial sums not yet arrived at L2
    GroupId group = kNoGroup;
  };
  // Users per group id (0: none, the group may be released); ids are small and reused.
  using GroupUsers = std::vector<std::int64_t>;
  static void use_group(GroupUsers& users, GroupId g, std::int64_t uses);
  void unuse_group(Network& net, GroupUsers& users, GroupId g, std::int64_t uses);

  bool build_next();
  void split_runs();
  bool same_run_step(std::size_t a, std::size_t b, bool& a_shareable);
  void visit_follower(std::size_t p, std::size_t leader);
  void take_requests(std::size_t p, const Pe& pe);
  bool try_stage_l2();
  bool try_push();
  void stage_l2(PendingStep& s);
  void push(PendingStep& s);
  // Sorts `leaving` ((output, pe) pairs).
  void register_drains(std::vector<std::pair<std::int64_t, std::int64_t>>& leaving);
  void flush();
  bool make_room(std::int64_t words);
  void compact_evictable();
  void fetch(std::vector<std::uint64_t>& keys);
  void request_read(std::uint64_t key, std::int64_t step, std::span<const std::int64_t> pes);
  void issue_read(std::uint64_t key, std::int64_t step, std::span<const std::int64_t> pes);
  void close_phase(std::int64_t step);
  void note_scanned(std::size_t pe, std::int64_t scanned);
  void note_followers_scanned(std::size_t pe);
  std::int64_t array_step_of(std::size_t pe, std::int64_t local) const;
  void accumulate(std::int64_t output, std::int64_t value);
  void retire_steps();
  void handle_dram();
  void handle_l2();
  void sort_pes(std::vector<std::int64_t>& pes);
  void handle_reduction();
  void handle_pes();
  void inject_distribution();
  void check_finished();

  const Layer& layer_;
  LayerTensors& tensors_;
  Cores c_;
  ControllerOptions options_;
  std::int64_t l2_capacity_;
  bool multicast_;
  SourceLocation hw_where_;
  std::int64_t l2_bytes_, word_bytes_;

  StepPlan plan_;
  StepView view_;
  TileBuilder tiles_;
  PendingStep next_;
  // Storage of PE steps and array steps already used, refilled instead of allocated.
  std::vector<PeStep> spare_steps_;
  std::vector<PendingStep> spare_pending_;
  // Per word of each tensor, the last build_next() (step_stamp_) that listed it.
  PerTensor<std::vector<std::uint32_t>> seen_in_step_;
  std::uint32_t step_stamp_ = 0;
  std::deque<PendingStep> in_l2_;  // staged in L2, not yet given to the PEs
  std::int64_t in_l2_entries_ = 0;
  bool plan_done_ = false;
  bool flushed_ = false;
  bool handed_steps_ = false;  // push() handed some PE a step in this cycle
  bool written_back_ = false;
  bool finished_ = false;

  WordMap<DirEntry> dir_;  // flat: found and walked (compact_evictable) often
  // Outputs written back whose latest partial sum is in DRAM, not L2 (one byte per output word):
  // kept outside the directory, which then only holds what L2 holds or is about to (a run that
  // writes back every output kept an entry per output: ~200 MB on VGG16 conv1_2).
  std::vector<std::uint8_t> outputs_in_dram_;
  std::int64_t l2_committed_ = 0;  // words L2 holds or will hold (fetching, reserved)
  std::int64_t writing_back_ = 0;  // outputs whose Writeback L2 has not answered yet
  // Candidates for eviction, (last_step, key), least first; stale items are skipped when met.
  // A heap on a vector that compact_evictable refills in place, keeping its storage (a new
  // vector per compaction, tens of MB on large layers, took fresh pages each time).
  class EvictableHeap {
   public:
    using Item = std::pair<std::int64_t, std::uint64_t>;
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    const Item& top() const { return items_.front(); }
    void push(Item item) {
      items_.push_back(item);
      std::push_heap(items_.begin(), items_.end(), std::greater<>());
    }
    void pop() {
      std::pop_heap(items_.begin(), items_.end(), std::greater<>());
      items_.pop_back();
    }
    // Replaces the items by those `collect(items)` appends, keeping the storage.
    template <class Collect>
    void refill(Collect collect) {
      items_.clear();
      collect(items_);
      std::make_heap(items_.begin(), items_.end(), std::greater<>());
    }

   private:
    std::vector<Item> items_;
  };
  EvictableHeap evictable_;

  // Array steps staged and not finished by every PE: pending PE steps, from oldest_step_.
  std::deque<std::int64_t> step_pending_;
  // Request phases (multicast only): per staged step, the active PEs that have not yet gone
  // through its tile, and the (word, PE) requests collected for it until they all have.
  std::deque<std::int64_t> phase_pending_;
  std::deque<std::vector<std::pair<std::uint64_t, std::int64_t>>> phase_requests_;
  std::int64_t oldest_step_ = 0;
  // Scratch of close_phase: word -> bucket, the words, per bucket a count then an offset, each
  // request's bucket, PEs.
  WordMap<std::uint32_t> phase_words_;
  std::vector<std::uint64_t> phase_keys_;
  std::vector<std::uint32_t> phase_counts_;
  std::vector<std::uint32_t> phase_buckets_;
  std::vector<std::int64_t> phase_pes_;
  std::int64_t next_stage_index_ = 0;

  // Per PE.
  std::vector<std::vector<std::int64_t>> held_outputs_;  // output tile of its last step
  std::vector<LastTile> last_tile_;
  WorkingSet repeat_tile_;  // scratch: a repeat's words, listed in its array step's working set
  WorkingSet step_tile_;    // scratch: a step's words, listed in its array step's working set
  std::vector<PeStep> push_steps_;               // scratch: an array step's PE steps, built by push
  std::vector<RingQueue<std::int64_t>> pushed_;  // array step of each pushed step
  std::vector<std::int64_t> completed_seen_;
  std::vector<std::int64_t> scanned_seen_;
  std::vector<char> port_changed_;  // handle_pes: PEs whose network ports changed (1 = visit)
  std::vector<RingQueue<DrainTicket>> tickets_;
  std::vector<std::int64_t> credits_;  // drain credits given, not used

  // Runs of identical PEs (sim/DESIGN.md, "Runs of identical PEs"). leader_: as the PEs run
  // (a run's first PE holds the state); build_leader_: as the steps are built (runs split when
  // built and take effect when pushed, PendingStep::new_runs). build_runs_: the runs of more
  // than one PE as built, [first, end).
  bool runs_ = false;
  bool started_ = false;
  std::vector<std::uint32_t> leader_;
  std::vector<std::uint32_t> build_leader_;
  std::vector<std::uint32_t> own_pes_;
  // Per first PE of a run, the PEs of its run: its steps pushed, finished and gone through
  // (pushed_, completed_seen_, scanned_seen_) count for all of them.
  std::vector<std::uint32_t> run_size_;
  std::int64_t run_scanned_from_ = 0;  // handle_pes: the visited first PE's scanned_seen_ before
  std::vector<std::pair<std::uint32_t, std::uint32_t>> build_runs_, runs_scratch_;
  std::vector<TileRanges> run_ranges_;        // scratch of split_runs: ranges per PE, when computed
  std::vector<std::uint32_t> run_ranges_at_;  // the split_runs call that computed them
  std::uint32_t run_ranges_stamp_ = 0;
  // What the last visited first PE of a run received this cycle, for its followers to compare.
  std::vector<Word> leader_words_;
  std::int64_t leader_give_ = 0;
  bool leader_visited_ = false;
  PeRunStats run_stats_;

  // Reads.
  // An L2 read's tag is a slot of read_pes_ (the PEs it is for), reused once L2 has answered:
  // one read per word sent, so a map node and a vector per read were a good part of the
  // controller's cost (malloc/free).
  // Multicast: a read joins only requests of its own array step (L2 sends a word once per step,
  // DESIGN.md), so each read slot keeps its step; a request for another step gets a read of its
  // own, which becomes the word's open read.
  WordMap<std::uint32_t> open_read_;  // key -> tag of its read L2 has not answered (multicast)
  std::vector<std::vector<std::int64_t>> read_pes_;
  std::vector<std::uint64_t> pe_bits_;   // scratch of sort_pes: one bit per PE
  std::vector<std::int64_t> read_step_;  // per slot, like read_pes_
  std::vector<std::uint32_t> free_reads_;
  std::size_t open_reads_ = 0;
  // Reads of words still on their way from DRAM: key -> (array step, PEs) per request.
  std::unordered_map<std::uint64_t, std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>>>
      parked_reads_;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> parked_sums_;  // output -> sums
  struct Send {
    GroupId group;
    std::int64_t value;
    std::uint64_t key;
  };
  OvertakingQueues<Send> to_distribute_;

  // DRAM.
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> bursts_;  // tag -> keys
  std::uint64_t next_burst_ = 0;

  // Reductions in flight, by tag.
  WordMap<Reduction> reductions_;  // by tag (tags are dense: a flat map, no node per sum)
  std::vector<std::pair<std::int64_t, std::int64_t>> leaving_;  // push's scratch
  std::vector<std::int64_t> drain_group_;                       // register_drains' scratch
  std::uint64_t next_tag_ = 0;

  // Words (distribution: deliveries; reduction: open reductions) still referring to a group;
  // a group nobody refers to is released so the networks' group tables stay small.
  GroupUsers distribution_users_, reduction_users_;

  std::int64_t progress_ = 0;
  ControllerStats stats_;
};

}  // namespace metronome::sim
