#include "sim/controller.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace metronome::sim {
namespace {

Tensor tensor_of(std::uint64_t packed) {
  return unpack_key(packed).tensor;
}

std::uint64_t packed_output(std::int64_t index) {
  return pack_key(WordKey{Tensor::Output, index});
}

}  // namespace

Controller::Controller(const Layer& layer, const ResolvedMapping& mapping, const Hardware& hw,
                       LayerTensors& tensors, Cores cores, ControllerOptions options)
    : layer_(layer),
      tensors_(tensors),
      c_(cores),
      options_(options),
      l2_capacity_(hw.l2_words()),
      multicast_(hw.noc.distribution.multicast),
      hw_where_(hw.where),
      l2_bytes_(hw.l2.bytes),
      word_bytes_(hw.word_bytes),
      plan_(layer, mapping),
      tiles_(layer) {
  const std::size_t pes = c_.pes.size();
  if (static_cast<std::int64_t>(pes) < plan_.pe_count())
    throw std::logic_error("controller: fewer PE cores than the mapping uses");
  held_outputs_.resize(pes);
  last_tile_.resize(pes);
  pushed_.resize(pes);
  completed_seen_.assign(pes, 0);
  scanned_seen_.assign(pes, -1);
  tickets_.resize(pes);
  credits_.assign(pes, 0);
  leader_.resize(pes);
  for (std::size_t p = 0; p < pes; ++p) leader_[p] = static_cast<std::uint32_t>(p);
  build_leader_ = leader_;
  own_pes_ = leader_;
  run_size_.assign(pes, 1);
  for (Tensor t : kAllTensors) seen_in_step_[t].assign(tensors_.words[t].size(), 0);
  outputs_in_dram_.assign(tensors_.words[Tensor::Output].size(), 0);
  if (options_.lookahead_steps < 1) options_.lookahead_steps = 1;
  if (options_.dram_burst_words < 1) options_.dram_burst_words = 1;
}

// ---------------------------------------------------------------------------------------------
// Runs of identical PEs

void Controller::enable_pe_runs(bool on) {
  if (on == runs_) return;
  if (started_) throw std::logic_error("controller: runs of PEs switched after the start");
  if (on && !c_.distribution.express())
    throw std::logic_error("controller: runs of PEs need express distribution");
  runs_ = on;
  for (std::size_t p = 0; p < leader_.size(); ++p) leader_[p] = static_cast<std::uint32_t>(p);
  build_runs_.clear();
  own_pes_ = leader_;
  if (on) {
    // At the start every PE is in the same state; a run also needs its words delivered in the
    // same cycles, so PEs at different depths of the distribution tree begin new runs.
    const auto n = static_cast<std::size_t>(plan_.pe_count());
    for (std::size_t p = 1; p < n; ++p)
      if (c_.distribution.express_offset(static_cast<std::int64_t>(p)) ==
          c_.distribution.express_offset(static_cast<std::int64_t>(leader_[p - 1])))
        leader_[p] = leader_[p - 1];
    for (std::size_t q = 0; q < n;) {
      std::size_t e = q + 1;
      while (e < n && leader_[e] == q) ++e;
      if (e - q > 1)
        build_runs_.emplace_back(static_cast<std::uint32_t>(q), static_cast<std::uint32_t>(e));
      q = e;
    }
    run_ranges_.resize(n);
    run_ranges_at_.assign(n, 0);
  }
  build_leader_ = leader_;
  own_pes_.clear();
  run_size_.assign(leader_.size(), 0);
  for (std::size_t p = 0; p < leader_.size(); ++p) {
    if (leader_[p] == p) own_pes_.push_back(static_cast<std::uint32_t>(p));
    ++run_size_[leader_[p]];
  }
}

// Whether PE b would be handed the same step as PE a (its neighbour in a run), and both steps
// are ones a run can share: no MAC and no output (a run holds no values of its own).
// `a_shareable`: a's step is known to have no output (set once found).
bool Controller::same_run_step(std::size_t a, std::size_t b, bool& a_shareable) {
  const PeSlot& x = view_.pes[a];
  const PeSlot& y = view_.pes[b];
  if (x.active != y.active) return false;
  if (!x.active) return true;  // neither has a step
  if (x.macs != 0 || y.macs != 0) return false;
  // Unchanged since their last step, when they were in one run: still the same, still no output.
  if (!x.changed && !y.changed) return true;
  // The same chunks and box: the same tile (the ranges depend on nothing else).
  // (Bytewise: Interval is two int64_t, no padding; the memberwise == costs ~3x as much here.)
  static_assert(sizeof(Interval) == 2 * sizeof(std::int64_t));
  if (a_shareable && std::memcmp(&x.chunks.chunk, &y.chunks.chunk, sizeof(x.chunks.chunk)) == 0 &&
      std::memcmp(&x.box.range, &y.box.range, sizeof(x.box.range)) == 0)
    return true;
  const auto ranges = [&](std::size_t p) -> const TileRanges& {
    if (run_ranges_at_[p] != run_ranges_stamp_) {
      run_ranges_[p] = tiles_.ranges(view_.pes[p].chunks, view_.pes[p].box);
      run_ranges_at_[p] = run_ranges_stamp_;
    }
    return run_ranges_[p];
  };
  const TileRanges& rx = ranges(a);
  a_shareable = rx.words(Tensor::Output) == 0;
  return a_shareable && rx.same_words(ranges(b));
}

// Before a step is built: a run whose PEs would be handed different steps, or steps with MACs or
// outputs, splits where neighbours differ. The new runs take effect when the step is pushed.
void Controller::split_runs() {
  if (++run_ranges_stamp_ == 0) {
    std::fill(run_ranges_at_.begin(), run_ranges_at_.end(), 0);
    run_ranges_stamp_ = 1;
  }
  runs_scratch_.clear();
  const bool end_all = view_.index == options_.end_runs_at_step;
  for (const auto& [q, e] : build_runs_) {
    std::uint32_t first = q;
    const auto close = [&](std::uint32_t end) {
      if (first != q) {
        next_.new_runs.emplace_back(first, end);
        // Its steps so far were q's: the repeat test compares with q's last step.
        last_tile_[first] = last_tile_[q];
        for (std::uint32_t m = first; m < end; ++m) build_leader_[m] = first;
      }
      if (end - first > 1) runs_scratch_.emplace_back(first, end);
    };
    bool shareable = false;  // the step of p - 1 (p's of the last pair found the same)
    for (std::uint32_t p = q + 1; p < e; ++p) {
      if (!end_all && same_run_step(p - 1, p, shareable)) continue;
      close(p);
      first = p;
      shareable = false;
    }
    close(e);
  }
  std::swap(build_runs_, runs_scratch_);
}

// ---------------------------------------------------------------------------------------------
// Steps

bool Controller::build_next() {
  if (plan_done_) return false;
  if (!plan_.next(view_)) {
    plan_done_ = true;
    return false;
  }
  next_.index = view_.index;
  next_.pes.clear();
  next_.recipes.clear();
  next_.words.clear();
  next_.entries = 0;
  next_.followers = 0;
  next_.new_runs.clear();
  if (!build_runs_.empty()) split_runs();
  if (++step_stamp_ == 0) {  // wrapped: forget every stamp
    for (Tensor t : kAllTensors) std::fill(seen_in_step_[t].begin(), seen_in_step_[t].end(), 0);
    step_stamp_ = 1;
  }
  ++stats_.array_steps;
  if (!view_.any_mac()) ++stats_.empty_steps;
  // Each word once (PEs share most of theirs), without sorting: only the order of the words
  // fetched matters (stage_l2 sorts those), the rest is counted or set per word.
  const auto list_words = [&](const WorkingSet& tile) {
    for (Tensor t : kAllTensors) {
      std::vector<std::uint32_t>& seen = seen_in_step_[t];
      for (std::int64_t index : tile.words[t]) {
        std::uint32_t& stamp = seen[static_cast<std::size_t>(index)];
        if (stamp == step_stamp_) continue;
        stamp = step_stamp_;
        next_.words.push_back(pack_key({t, index}));
      }
    }
  };
  const TileRanges* listed = nullptr;  // the words of the last PE listed
  std::int64_t leader_entries = 0;     // of the last PE given a step (a run's first PE)
  for (std::size_t p = 0; p < view_.pes.size(); ++p) {
    const PeSlot& slot = view_.pes[p];
    if (!slot.active) continue;
    if (build_leader_[p] != p) {
      // Its step is its run's first PE's: no step of its own; the L2 lookahead counts it still.
      next_.entries += leader_entries;
      ++next_.followers;
      continue;
    }
    const std::int64_t entries_before = next_.entries;
    next_.pes.push_back(static_cast<std::int64_t>(p));
    LastTile& last = last_tile_[p];
    const TileRanges ranges = tiles_.ranges(slot.chunks, slot.box);
    // A PE idle through array steps (an idle unit of a spatial map keeps the stationary
    // tensor's tile) gets the same step again: a repeat, which neither side lists word by word.
    // The same MACs: boxes equal, or both empty (no MAC: slot.macs is the box's volume).
    const bool no_mac = slot.macs == 0;
    const bool same_macs = no_mac ? last.no_mac : !last.no_mac && slot.box.range == last.box.range;
    const bool repeat =
        options_.repeat_steps && last.valid && same_macs && ranges.same_words(last.ranges);
    next_.recipes.push_back({ranges, slot.box, repeat});
    if (repeat) {
      next_.entries += last.entries;
      // Its words are listed unless the last PE listed had the same (idle neighbours).
      if (listed == nullptr || !ranges.same_words(*listed)) {
        tiles_.build_tile(ranges, repeat_tile_);
        list_words(repeat_tile_);
        listed = &last.ranges;
      }
    } else {
      tiles_.build_tile(ranges, step_tile_);
      stats_.max_l1_tile_words = std::max(stats_.max_l1_tile_words, step_tile_.size());
      last = LastTile{ranges, slot.box, step_tile_.size() + slot.box.volume(), no_mac, true};
      next_.entries += last.entries;
      list_words(step_tile_);
      listed = &last.ranges;
    }
    leader_entries = next_.entries - entries_before;
  }
  stats_.max_l2_step_words =
      std::max(stats_.max_l2_step_words, static_cast<std::int64_t>(next_.words.size()));
  return true;
}

// Brings the next array step's words into L2 if the L2 lookahead and L2's room allow; false
// otherwise.
bool Controller::try_stage_l2() {
  if (next_.index < 0 && !build_next()) return false;
  if (next_.index - oldest_step_ >= options_.l2_lookahead_steps ||
      in_l2_entries_ >= options_.l2_lookahead_entries)
    return false;

  const bool enforced = options_.capacity == BufferCapacity::Enforced;
  const auto needed = static_cast<std::int64_t>(next_.words.size());
  if (enforced && needed > l2_capacity_) {
    PerTensor<std::int64_t> per{};
    for (std::uint64_t k : next_.words) ++per[tensor_of(k)];
    throw InputError(
        hw_where_,
        fmt::format("array step {}: L2 working set of {} words (input {}, weight {}, output {}) "
                    "exceeds its capacity of {} words (l2.bytes {} / word_bytes {})",
                    next_.index, needed, per[Tensor::Input], per[Tensor::Weight],
                    per[Tensor::Output], l2_capacity_, l2_bytes_, word_bytes_),
        "a mapping whose per-step working set fits L2, or --unbounded-buffers");
  }
  std::int64_t new_words = 0;
  for (std::uint64_t key : next_.words) {
    const DirEntry* e = dir_.find(key);
    if (e == nullptr) {
      ++new_words;
    } else if (e->state == Residency::WritingBack) {
      return false;  // wait until its value is back in DRAM, then fetch it again
    }
  }
  if (enforced && new_words > l2_capacity_ - l2_committed_) {
    // Outputs this step names stay: L2 would write one back only to fetch it again, and the
    // step, staged meanwhile, would find it gone when it is handed out. Naming them now (as
    // stage_l2 does) leaves their entries in the eviction heap stale.
    for (std::uint64_t key : next_.words)
      if (tensor_of(key) == Tensor::Output)
        if (DirEntry* e = dir_.find(key); e != nullptr) e->last_step = next_.index;
  }
  if (enforced && new_words > l2_capacity_ - l2_committed_ &&
      !make_room(new_words - (l2_capacity_ - l2_committed_))) {
    const bool nothing_pending =
        in_l2_.empty() && oldest_step_ == next_.index && reductions_.size() == 0;
    if (nothing_pending)
      throw InputError(
          hw_where_,
          fmt::format("array step {}: L2 must hold its working set of {} words while {} words "
                      "of partial sums are still held by PEs, {} words in all, but its "
                      "capacity is {} words (l2.bytes {} / word_bytes {})",
                      next_.index, needed, l2_committed_, needed + l2_committed_, l2_capacity_,
                      l2_bytes_, word_bytes_),
          "a mapping whose per-step working set fits L2, or --unbounded-buffers");
    return false;
  }
  stage_l2(next_);
  in_l2_entries_ += next_.entries;
  in_l2_.push_back(std::move(next_));
  next_.index = -1;  // no next step built (its vectors refilled by build_next)
  if (!spare_pending_.empty()) {
    next_ = std::move(spare_pending_.back());
    spare_pending_.pop_back();
    next_.index = -1;
  }
  return true;
}

// Hands the oldest step whose words are in L2 to its PEs, if it is within the PE lookahead.
bool Controller::try_push() {
  if (in_l2_.empty() || in_l2_.front().index - oldest_step_ >= options_.lookahead_steps)
    return false;
  PendingStep& s = in_l2_.front();
  in_l2_entries_ -= s.entries;
  push(s);
  spare_pending_.push_back(std::move(s));
  in_l2_.pop_front();
  return true;
}

void Controller::stage_l2(PendingStep& s) {
  const std::int64_t t = s.index;
  std::vector<std::uint64_t> to_fetch;
  for (std::uint64_t key : s.words) {
    const auto [entry, inserted] = dir_.try_emplace(key);
    DirEntry& e = *entry;
    const bool output = tensor_of(key) == Tensor::Output;
    if (inserted) {
      std::uint8_t* in_dram =
          output ? &outputs_in_dram_[static_cast<std::size_t>(unpack_key(key).index)] : nullptr;
      // An output starts as a zero partial sum, unless one was written back: read it back first.
      const bool fetch_back = in_dram != nullptr && *in_dram != 0;
      e.state = output && !fetch_back ? Residency::Reserved : Residency::Fetching;
      if (!output || fetch_back) to_fetch.push_back(key);
      if (fetch_back) *in_dram = 0;
      ++l2_committed_;
    }
    e.last_step = t;
    if (!output) evictable_.push({t, key});
  }
  compact_evictable();
  std::sort(to_fetch.begin(), to_fetch.end());  // s.words is not sorted; bursts go in key order
  fetch(to_fetch);
  ++progress_;
}

void Controller::push(PendingStep& s) {
  const std::int64_t t = s.index;
  // Runs that begin at this step: their first PE takes the state it shared so far (that of its
  // old run's first PE, who gets this step only below).
  for (const auto& [first, end] : s.new_runs) {
    const std::uint32_t old = leader_[first];
    if (old != first) {
      c_.pes[first].copy_state_from(c_.pes[old]);
      // A follower's steps pushed, finished and gone through are its first PE's (kept there).
      pushed_[first] = pushed_[old];
      completed_seen_[first] = completed_seen_[old];
      scanned_seen_[first] = scanned_seen_[old];
      own_pes_.insert(std::lower_bound(own_pes_.begin(), own_pes_.end(), first), first);
    }
    for (std::uint32_t m = first; m < end; ++m) leader_[m] = first;
    run_size_[old] -= end - first;
    run_size_[first] = end - first;
    ++run_stats_.splits;
  }
  std::vector<PeStep>& steps = push_steps_;  // moved to the PEs below: empty again after
  steps.resize(s.recipes.size());
  for (std::size_t i = 0; i < s.recipes.size(); ++i) {
    const PendingStep::Recipe& r = s.recipes[i];
    PeStep& step = steps[i];
    step.repeat = r.repeat;
    if (r.repeat) {  // no lists, no MACs
      for (Tensor tensor : kAllTensors) step.tile.words[tensor].clear();
      step.macs.clear();
      continue;
    }
    if (!spare_steps_.empty()) {
      step = std::move(spare_steps_.back());
      spare_steps_.pop_back();
      step.repeat = false;
    }
    tiles_.build(r.ranges, r.box, step);
  }
  // Outputs a PE starts holding pin their L2 word; those it stops holding drain.
  std::vector<std::pair<std::int64_t, std::int64_t>>& leaving = leaving_;  // (output, pe)
  leaving.clear();
  for (std::size_t i = 0; i < s.pes.size(); ++i) {
    if (steps[i].repeat) continue;  // the same outputs
    const std::int64_t p = s.pes[i];
    const std::vector<std::int64_t>& now = steps[i].tile.words[Tensor::Output];
    std::vector<std::int64_t>& before = held_outputs_[static_cast<std::size_t>(p)];
    auto a = before.begin();
    auto b = now.begin();
    while (a != before.end() || b != now.end()) {
      if (b == now.end() || (a != before.end() && *a < *b)) {
        leaving.emplace_back(*a++, p);
      } else if (a == before.end() || *b < *a) {
        ++dir_.at(packed_output(*b++)).pins;
      } else {
        ++a, ++b;
      }
    }
    before = now;
  }
  register_drains(leaving);

  const auto pes = static_cast<std::int64_t>(s.pes.size()) + s.followers;
  step_pending_.push_back(pes);
  phase_pending_.push_back(pes);
  phase_requests_.emplace_back();
  std::int64_t followers = 0;
  for (std::size_t i = 0; i < s.pes.size(); ++i) {
    const auto p = static_cast<std::size_t>(s.pes[i]);
    c_.pes[p].push_step(std::move(steps[i]));
    pushed_[p].push_back(t);
    followers += run_size_[p] - 1;
  }
  if (followers != s.followers)
    throw std::logic_error(
        fmt::format("controller: array step {} built for {} followers, pushed to {}", t,
                    s.followers, followers));
  run_stats_.followed_steps += followers;
  handed_steps_ = handed_steps_ || !s.pes.empty();
  next_stage_index_ = t + 1;
  ++progress_;
}

// Partial sums of one output that several PEs drop at the same transition form one reduction.
void Controller::register_drains(std::vector<std::pair<std::int64_t, std::int64_t>>& leaving) {
  std::sort(leaving.begin(), leaving.end());
  std::vector<std::int64_t>& group = drain_group_;
  for (std::size_t i = 0; i < leaving.size();) {
    const std::int64_t output = leaving[i].first;
    group.clear();
    for (; i < leaving.size() && leaving[i].first == output; ++i)
      group.push_back(leaving[i].second);
    const GroupId g = c_.reduction.group(group);
    const std::uint64_t tag = next_tag_++;
    *reductions_.try_emplace(tag).first =
        Reduction{output, static_cast<std::int64_t>(group.size()), g};
    use_group(reduction_users_, g, 1);
    for (std::int64_t p : group)
      tickets_[static_cast<std::size_t>(p)].push_back(DrainTicket{output, tag, g});
  }
}

// After the last step: every PE gives up the partial sums it still holds.
void Controller::flush() {
  std::vector<std::pair<std::int64_t, std::int64_t>> leaving;
  for (std::size_t p = 0; p < held_outputs_.size(); ++p) {
    if (held_outputs_[p].empty()) continue;
    for (std::int64_t o : held_outputs_[p]) leaving.emplace_back(o, static_cast<std::int64_t>(p));
    held_outputs_[p].clear();
  }
  register_drains(leaving);
  std::vector<bool> flushes(c_.pes.size(), false);
  for (const auto& [o, p] : leaving) flushes[static_cast<std::size_t>(p)] = true;
  for (std::size_t p = 0; p < flushes.size(); ++p) {
    if (!flushes[p]) continue;
    c_.pes[p].push_flush();
    pushed_[p].push_back(-1);
    last_tile_[p].valid = false;
  }
  flushed_ = true;
  ++progress_;
}

void Controller::retire_steps() {
  // A run's steps finish together: its first PE's count for all its PEs.
  for (const std::uint32_t p : own_pes_) {
    const std::int64_t done = c_.pes[p].steps_completed();
    while (completed_seen_[p] < done) {
      const std::int64_t t = pushed_[p].front();
      pushed_[p].pop_front();
      ++completed_seen_[p];
      if (t < 0) continue;
      step_pending_[static_cast<std::size_t>(t - oldest_step_)] -= run_size_[p];
      stats_.max_drift_steps = std::max(stats_.max_drift_steps, t - oldest_step_);
      ++progress_;
    }
  }
  while (!step_pending_.empty() && step_pending_.front() == 0) {
    if (phase_pending_.front() != 0)
      throw std::logic_error("controller: a step finished before all its PEs asked for words");
    step_pending_.pop_front();
    phase_pending_.pop_front();
    phase_requests_.pop_front();
    ++oldest_step_;
  }
}

// ---------------------------------------------------------------------------------------------
// L2 room

// The eviction heap holds stale entries (a word is pushed again whenever a step names it);
// rebuilding it from the directory when it outgrows it keeps its size bounded.
void Controller::compact_evictable() {
  if (2 * evictable_.size() <= 3 * dir_.size() + 4096) return;
  // Whatever the heap's layout, it pops its items in their (total) order, and equal items are
  // identical, so what make_room sees does not depend on dir_'s order.
  evictable_.refill([&](std::vector<EvictableHeap::Item>& live) {
    dir_.for_each([&](std::uint64_t key, const DirEntry& e) {
      const bool output = tensor_of(key) == Tensor::Output;
      if (output ? (e.state == Residency::Resident && e.pins == 0)
                 : (e.state == Residency::Resident || e.state == Residency::Fetching))
        live.emplace_back(e.last_step, key);
    });
  });
}

// Frees `words` words of L2 by the retention rule; false if it cannot yet.
bool Controller::make_room(std::int64_t words) {
  while (words > 0 && !evictable_.empty()) {
    const auto [step, key] = evictable_.top();
    // Inputs and weights of unfinished steps stay (they may still be on their way from DRAM).
    if (step >= oldest_step_ && tensor_of(key) != Tensor::Output) return false;
    DirEntry* found = dir_.find(key);
    if (found == nullptr || found->state != Residency::Resident || found->last_step != step) {
      evictable_.pop();  // stale entry
      continue;
    }
    DirEntry& e = *found;
    if (tensor_of(key) == Tensor::Output) {
      if (e.pins > 0) {
        evictable_.pop();  // pushed again when its last partial sum arrives
        continue;
      }
      // A staged step not yet handed out names it: its PEs will hold it (push pins it). The heap
      // is ordered by step, so no later word may go either.
      if (step >= next_stage_index_) return false;
      evictable_.pop();
      c_.l2.submit(L2Request{L2Op::Writeback, unpack_key(key), 0, key});
      e.state = Residency::WritingBack;
      ++writing_back_;
    } else {
      evictable_.pop();
      c_.l2.submit(L2Request{L2Op::Discard, unpack_key(key), 0, key});
      dir_.erase(key);
    }
    --l2_committed_;
    ++stats_.l2_evictions;
    --words;
    ++progress_;
  }
  return words <= 0;
}

void Controller::fetch(std::vector<std::uint64_t>& keys) {
  // One DRAM request per burst of words of one tensor.
  std::stable_sort(keys.begin(), keys.end(),
                   [](std::uint64_t a, std::uint64_t b) { return tensor_of(a) < tensor_of(b); });
  for (std::size_t i = 0; i < keys.size();) {
    const Tensor t = tensor_of(keys[i]);
    std::vector<std::uint64_t> burst;
    for (; i < keys.size() && tensor_of(keys[i]) == t &&
           static_cast<std::int64_t>(burst.size()) < options_.dram_burst_words;
         ++i)
      burst.push_back(keys[i]);
    const std::uint64_t tag = next_burst_++;
    c_.dram.submit(DramRequest{DramOp::Read, t, static_cast<std::int64_t>(burst.size()), tag});
    bursts_.emplace(tag, std::move(burst));
  }
}

// ---------------------------------------------------------------------------------------------
// Word movement

void Controller::request_read(std::uint64_t key, std::int64_t step,
                              std::span<const std::int64_t> pes) {
  const DirEntry* e = dir_.find(key);
  if (e == nullptr || (e->state != Residency::Fetching && e->state != Residency::Resident))
    throw std::logic_error(
        fmt::format("controller: PE {} asked for {}, which L2 neither holds "
                    "nor fetches",
                    pes.front(), word_name(unpack_key(key))));
  if (e->state == Residency::Fetching)
    parked_reads_[key].emplace_back(step, std::vector<std::int64_t>(pes.begin(), pes.end()));
  else
    issue_read(key, step, pes);
}

void Controller::issue_read(std::uint64_t key, std::int64_t step,
                            std::span<const std::int64_t> pes) {
  if (multicast_) {
    if (const std::uint32_t* open = open_read_.find(key);
        open != nullptr && read_step_[*open] == step) {
      std::vector<std::int64_t>& members = read_pes_[*open];
      members.insert(members.end(), pes.begin(), pes.end());
      return;
    }
  }
  std::uint32_t tag;
  if (!free_reads_.empty()) {
    tag = free_reads_.back();
    free_reads_.pop_back();
  } else {
    tag = static_cast<std::uint32_t>(read_pes_.size());
    read_pes_.emplace_back();
    read_step_.emplace_back();
  }
  read_step_[tag] = step;
  ++open_reads_;
  c_.l2.submit(L2Request{L2Op::Read, unpack_key(key), 0, tag});
  if (multicast_) *open_read_.try_emplace(key).first = tag;
  read_pes_[tag].assign(pes.begin(), pes.end());
}

// Every PE of the step has asked for what it lacks: one read per word, for all who asked.
void Controller::close_phase(std::int64_t step) {
  auto& requests = phase_requests_[static_cast<std::size_t>(step - oldest_step_)];
  // Reads go out in word order; the PEs of one read may be in any order (L2's answer sorts
  // them), so group by word and sort the distinct words only, not every (word, PE) request.
  phase_words_.clear();
  phase_keys_.clear();
  phase_counts_.clear();
  phase_buckets_.clear();
  for (const auto& [key, pe] : requests) {
    const auto [bucket, inserted] = phase_words_.try_emplace(key);
    if (inserted) {
      *bucket = static_cast<std::uint32_t>(phase_keys_.size());
      phase_keys_.push_back(key);
      phase_counts_.push_back(0);
    }
    ++phase_counts_[*bucket];
    phase_buckets_.push_back(*bucket);
  }
  // Counting sort of the PEs by word, in request order within a word.
  std::vector<std::uint32_t>& start = phase_counts_;
  std::uint32_t offset = 0;
  for (std::uint32_t& c : start) offset += std::exchange(c, offset);
  phase_pes_.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i)
    phase_pes_[start[phase_buckets_[i]]++] = requests[i].second;
  // start[b] is now the end of word b's PEs.
  std::vector<std::uint32_t> order(phase_keys_.size());
  for (std::uint32_t b = 0; b < order.size(); ++b) order[b] = b;
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return phase_keys_[a] < phase_keys_[b]; });
  for (const std::uint32_t b : order) {
    const std::uint32_t begin = b == 0 ? 0 : start[b - 1];
    request_read(phase_keys_[b], step,
                 std::span<const std::int64_t>(phase_pes_).subspan(begin, start[b] - begin));
  }
  requests.clear();
}

void Controller::accumulate(std::int64_t output, std::int64_t value) {
  const std::uint64_t key = packed_output(output);
  DirEntry& e = dir_.at(key);
  switch (e.state) {
    case Residency::Fetching:
      parked_sums_[output].push_back(value);
      return;
    case Residency::Reserved:
      e.state = Residency::Resident;
      [[fallthrough]];
    case Residency::Resident:
      c_.l2.submit(L2Request{L2Op::Accumulate, unpack_key(key), value, key});
      return;
    default:
      throw std::logic_error(
          fmt::format("controller: partial sum for output[{}], which L2 has "
                      "given up",
                      output));
  }
}

void Controller::handle_dram() {
  for (const DramCompletion& done : c_.dram.completions()) {
    ++progress_;
    if (done.op != DramOp::Read) continue;
    auto burst = bursts_.find(done.tag);
    for (std::uint64_t key : burst->second) {
      const WordKey word = unpack_key(key);
      DirEntry& e = dir_.at(key);
      const std::int64_t value = tensors_.words[word.tensor][static_cast<std::size_t>(word.index)];
      c_.l2.submit(L2Request{L2Op::Write, word, value, key});
      e.state = Residency::Resident;
      if (word.tensor == Tensor::Output) {
        ++stats_.output_refetch_words;
        if (auto sums = parked_sums_.find(word.index); sums != parked_sums_.end()) {
          for (std::int64_t v : sums->second)
            c_.l2.submit(L2Request{L2Op::Accumulate, word, v, key});
          parked_sums_.erase(sums);
        }
        if (e.pins == 0) evictable_.push({e.last_step, key});
      }
      if (auto waiting = parked_reads_.find(key); waiting != parked_reads_.end()) {
        for (const auto& [step, pes] : waiting->second) issue_read(key, step, pes);
        parked_reads_.erase(waiting);
      }
    }
    bursts_.erase(burst);
  }
}

// Ascending PE numbers, as std::sort would leave them: through a bitmap of the PEs (a read's
// PEs are up to the whole array, gathered in request order), unless a PE is listed twice.
void Controller::sort_pes(std::vector<std::int64_t>& pes) {
  if (pes.size() < 16) {
    std::sort(pes.begin(), pes.end());
    return;
  }
  pe_bits_.assign((c_.pes.size() + 63) / 64, 0);
  for (std::int64_t p : pes) {
    std::uint64_t& word = pe_bits_[static_cast<std::size_t>(p) / 64];
    const std::uint64_t bit = std::uint64_t{1} << (static_cast<std::size_t>(p) % 64);
    if ((word & bit) != 0) {  // twice: keep both, as a sort does
      std::sort(pes.begin(), pes.end());
      return;
    }
    word |= bit;
  }
  std::size_t out = 0;
  for (std::size_t w = 0; w < pe_bits_.size(); ++w)
    for (std::uint64_t bits = pe_bits_[w]; bits != 0; bits &= bits - 1)
      pes[out++] =
          static_cast<std::int64_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
}

void Controller::handle_l2() {
  std::int64_t written_back = 0;
  for (const L2Response& r : c_.l2.responses()) {
    ++progress_;
    if (r.op == L2Op::Read) {
      const auto tag = static_cast<std::uint32_t>(r.tag);
      std::vector<std::int64_t>& pes = read_pes_[tag];
      const std::uint64_t key = pack_key(r.key);
      if (const std::uint32_t* open = open_read_.find(key); open != nullptr && *open == tag)
        open_read_.erase(key);
      sort_pes(pes);
      const GroupId g = c_.distribution.group(pes);
      use_group(distribution_users_, g, static_cast<std::int64_t>(pes.size()));
      to_distribute_.push(c_.distribution.l2_queues_for(g), Send{g, r.value, key});
      pes.clear();  // the slot keeps its capacity for the next read
      free_reads_.push_back(tag);
      --open_reads_;
    } else if (r.op == L2Op::Writeback) {
      tensors_.words[Tensor::Output][static_cast<std::size_t>(r.key.index)] = r.value;
      dir_.erase(pack_key(r.key));
      outputs_in_dram_[static_cast<std::size_t>(r.key.index)] = 1;
      --writing_back_;
      ++written_back;
    }
  }
  if (written_back > 0) c_.dram.submit(DramRequest{DramOp::Write, Tensor::Output, written_back, 0});
}

void Controller::handle_reduction() {
  while (const Delivery* d = c_.reduction.peek(kL2Endpoint)) {
    ++progress_;
    Reduction* found = reductions_.find(d->tag);
    if (found == nullptr)
      throw std::logic_error(
          fmt::format("controller: a partial sum of no reduction (tag {})", d->tag));
    Reduction& r = *found;
    accumulate(r.output, d->value);
    const std::uint64_t key = packed_output(r.output);
    DirEntry& e = dir_.at(key);
    e.pins -= static_cast<std::int32_t>(d->contributions);
    if (e.pins == 0 && e.state == Residency::Resident) evictable_.push({e.last_step, key});
    r.remaining -= d->contributions;
    if (r.remaining <= 0) {
      unuse_group(c_.reduction, reduction_users_, r.group, 1);
      reductions_.erase(d->tag);
    }
    c_.reduction.pop(kL2Endpoint);
  }
}

// The requests PE p published at its last commit (`pe`: its state, its run's first PE's for a
// follower).
void Controller::take_requests(std::size_t p, const Pe& pe) {
  const auto at = static_cast<std::int64_t>(p);
  const std::span<const WordKey> requests = pe.requests();
  const std::span<const std::int64_t> request_steps = pe.request_steps();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::uint64_t key = pack_key(requests[i]);
    const std::int64_t step = array_step_of(leader_[p], request_steps[i]);
    const std::int64_t phase = step - oldest_step_;
    if (multicast_ && phase >= 0 && phase_pending_[static_cast<std::size_t>(phase)] > 0)
      phase_requests_[static_cast<std::size_t>(phase)].emplace_back(key, at);
    else
      request_read(key, step, std::span<const std::int64_t>(&at, 1));
    ++progress_;
  }
}

void Controller::handle_pes() {
  // A PE that published nothing at its last commit (no request, no partial sum, no step newly
  // gone through: a quiet PE asleep, sim/DESIGN.md "Quiet PEs", or a busy one between its
  // requests) needs a visit only if a word reached it or its partial sums' queue freed room.
  if (port_changed_.size() != c_.pes.size()) port_changed_.assign(c_.pes.size(), 1);
  for (const std::uint32_t p : c_.distribution.pe_ports_changed()) port_changed_[p] = 1;
  for (const std::uint32_t p : c_.reduction.pe_ports_changed()) port_changed_[p] = 1;
  const bool followers = own_pes_.size() != c_.pes.size();
  for (std::size_t p = 0; p < c_.pes.size(); ++p) {
    if (followers && leader_[p] != p) {
      // A follower (its run's first PE was visited just before it): most cycles nothing reached
      // the run and nothing left it.
      if (leader_visited_ || port_changed_[p] != 0) visit_follower(p, leader_[p]);
      if (p + 1 == leader_.size() || leader_[p + 1] != leader_[p])
        note_followers_scanned(leader_[p]);
      continue;
    }
    Pe& pe = c_.pes[p];
    // The first PE of a run: what it receives, its followers must receive too.
    const bool leads = followers && p + 1 < leader_.size() && leader_[p + 1] == p;
    if (leads) run_scanned_from_ = scanned_seen_[p];
    if (port_changed_[p] == 0 && pe.requests().empty() && pe.drained().empty()) {
      // Nothing reached it or left it; its drain credits stand (they change with its reduction
      // port or its partial sums only). At most some steps newly gone through (a parked PE).
      if (pe.scanned_through() != scanned_seen_[p]) note_scanned(p, pe.scanned_through());
      if (leads) leader_visited_ = false;
      continue;
    }
    port_changed_[p] = 0;
    const auto at = static_cast<std::int64_t>(p);
    pe.take_spent_steps(spare_steps_);
    if (leads) leader_words_.clear();
    while (const Delivery* d = c_.distribution.peek(at)) {
      const Word word{unpack_key(d->tag), d->value};
      pe.deliver(word);
      if (leads) leader_words_.push_back(word);
      unuse_group(c_.distribution, distribution_users_, d->group, 1);
      c_.distribution.pop(at);
      ++progress_;
    }
    if (!pe.requests().empty()) take_requests(p, pe);
    note_scanned(p, pe.scanned_through());
    for (const Word& w : pe.drained()) {
      DrainTicket& ticket = tickets_[p].front();
      if (ticket.output != w.key.index || w.key.tensor != Tensor::Output)
        throw std::logic_error(fmt::format("controller: PE {} drained {}, expected output[{}]", p,
                                           word_name(w.key), ticket.output));
      c_.reduction.inject(at, ticket.group, w.value, ticket.tag);
      tickets_[p].pop_front();
      --credits_[p];
      ++progress_;
    }
    const std::int64_t give = c_.reduction.injection_space(at) - credits_[p];
    if (give > 0) {
      pe.add_drain_credits(give);
      credits_[p] += give;
    }
    if (leads) {
      leader_visited_ = true;
      leader_give_ = give;
    }
  }
  // Spare step storage: enough to refill every PE's lookahead; more only holds memory (at the
  // end of a run nothing is built while the PEs keep handing steps back).
  const std::size_t keep = c_.pes.size() * static_cast<std::size_t>(options_.lookahead_steps + 1);
  if (spare_steps_.size() > keep) spare_steps_.resize(keep);
}

// A follower is visited as its own PE would be, in its place in PE order, with its run's first
// PE's state: the same requests (so it joins the same reads: only its run's PEs come between
// them) and credits; its steps pushed, finished and gone through are counted at its first PE
// (run_size_), whose bookkeeping it takes when it leaves. What reaches it must be what reached
// that PE in this cycle; anything else is a fault of the runs, not of the layer.
void Controller::visit_follower(std::size_t p, std::size_t leader) {
  const Pe& pe = c_.pes[leader];
  const bool visited = port_changed_[p] != 0 || !pe.requests().empty() || !pe.drained().empty();
  if (visited != leader_visited_)
    throw std::logic_error(fmt::format(
        "controller: PE {} and PE {}, whose state it shares, were not visited alike", p, leader));
  if (!visited) return;
  port_changed_[p] = 0;
  const auto at = static_cast<std::int64_t>(p);
  std::size_t i = 0;
  while (const Delivery* d = c_.distribution.peek(at)) {
    if (i >= leader_words_.size() || !(leader_words_[i] == Word{unpack_key(d->tag), d->value}))
      throw std::logic_error(fmt::format(
          "controller: PE {} received {}, not what PE {}, whose state it shares, received", p,
          word_name(unpack_key(d->tag)), leader));
    ++i;
    unuse_group(c_.distribution, distribution_users_, d->group, 1);
    c_.distribution.pop(at);
    ++progress_;
  }
  if (i != leader_words_.size())
    throw std::logic_error(
        fmt::format("controller: PE {} received {} words, PE {}, whose state it shares, {}", p, i,
                    leader, leader_words_.size()));
  if (!pe.requests().empty()) take_requests(p, pe);
  if (!pe.drained().empty())
    throw std::logic_error(fmt::format("controller: PE {} drained in a run", leader));
  const std::int64_t give = c_.reduction.injection_space(at) - credits_[p];
  if (give != leader_give_)
    throw std::logic_error(
        fmt::format("controller: PE {} would be given {} drain credits, PE {}, whose state it "
                    "shares, {}",
                    p, give, leader, leader_give_));
  if (give > 0) credits_[p] += give;
}

// PE p has gone through its steps up to `scanned` (its numbering): each array step whose PEs
// all have closes its multicast phase.
void Controller::note_scanned(std::size_t p, std::int64_t scanned) {
  while (scanned_seen_[p] < scanned) {
    const std::int64_t step = array_step_of(p, ++scanned_seen_[p]);
    if (step < 0) continue;
    const std::int64_t phase = step - oldest_step_;
    if (--phase_pending_[static_cast<std::size_t>(phase)] == 0) close_phase(step);
  }
}

// The followers of the run PE p leads went through the steps p went through in this cycle
// (from run_scanned_from_): counted after the last of them, where the last would have counted
// them, so that a phase closes after their requests joined it, as it would have.
void Controller::note_followers_scanned(std::size_t p) {
  for (std::int64_t local = run_scanned_from_ + 1; local <= scanned_seen_[p]; ++local) {
    const std::int64_t step = array_step_of(p, local);
    if (step < 0) continue;
    const std::int64_t phase = step - oldest_step_;
    if ((phase_pending_[static_cast<std::size_t>(phase)] -= run_size_[p] - 1) == 0)
      close_phase(step);
  }
}

// The array step of a PE's step number (counted from 0 in push order); -1 for a flush.
std::int64_t Controller::array_step_of(std::size_t pe, std::int64_t local) const {
  const std::int64_t at = local - completed_seen_[pe];
  if (at < 0 || at >= static_cast<std::int64_t>(pushed_[pe].size()))
    throw std::logic_error(
        fmt::format("controller: PE {} refers to its step {}, which is not "
                    "queued",
                    pe, local));
  return pushed_[pe][static_cast<std::size_t>(at)];
}

void Controller::use_group(GroupUsers& users, GroupId g, std::int64_t uses) {
  if (g >= users.size()) users.resize(static_cast<std::size_t>(g) + 1, 0);
  users[g] += uses;
}

void Controller::unuse_group(Network& net, GroupUsers& users, GroupId g, std::int64_t uses) {
  // No users: a single-PE copy of an expanded unicast, never released.
  if (g >= users.size() || users[g] == 0) return;
  if ((users[g] -= uses) > 0) return;
  users[g] = 0;
  net.release_group(g);
}

// Words L2 has read enter the distribution network in order, except that a word whose links
// are full does not hold back the words behind it that take other links (L2 keeps a queue per
// link where it has several).
void Controller::inject_distribution() {
  to_distribute_.drain(
      [&](const Send& s) { return c_.distribution.injection_space(kL2Endpoint, s.group) > 0; },
      [&](const Send& s) {
        c_.distribution.inject(kL2Endpoint, s.group, s.value, s.key);
        ++progress_;
      });
}

void Controller::check_finished() {
  // A PE handed a step this cycle is not done before its next evaluation, even when it began and
  // finished a repeat at once (Pe::push_step).
  if (finished_ || !flushed_ || handed_steps_) return;
  for (std::size_t p = 0; p < c_.pes.size(); ++p)
    if (!c_.pes[leader_[p]].done()) return;
  if (reductions_.size() != 0 || !parked_sums_.empty()) return;
  if (!written_back_) {
    // Every partial sum is in: write the outputs L2 holds back to DRAM.
    std::vector<std::uint64_t> outputs;
    dir_.for_each([&](std::uint64_t key, const DirEntry& e) {
      if (tensor_of(key) == Tensor::Output &&
          (e.state == Residency::Resident || e.state == Residency::Fetching))
        outputs.push_back(key);
    });
    if (std::any_of(outputs.begin(), outputs.end(),
                    [&](std::uint64_t k) { return dir_.at(k).state == Residency::Fetching; }))
      return;
    std::sort(outputs.begin(), outputs.end());
    for (std::uint64_t key : outputs) {
      c_.l2.submit(L2Request{L2Op::Writeback, unpack_key(key), 0, key});
      dir_.at(key).state = Residency::WritingBack;
      --l2_committed_;
      ++writing_back_;
    }
    written_back_ = true;
    ++progress_;
    return;
  }
  if (writing_back_ > 0) return;
  if (c_.l2.idle() && c_.dram.idle() && c_.distribution.idle() && c_.reduction.idle() &&
      to_distribute_.empty())
    finished_ = true;
}

void Controller::before_cycle(std::int64_t /*cycle*/) {
  started_ = true;
  progress_ = 0;
  handed_steps_ = false;
  handle_dram();
  handle_l2();
  handle_reduction();
  handle_pes();
  retire_steps();
  while (try_stage_l2()) {
  }
  while (try_push()) {
  }
  if (plan_done_ && next_.index < 0 && in_l2_.empty() && !flushed_) flush();
  inject_distribution();
  if (!parked_reads_.empty()) ++stats_.dram_wait_cycles;
  check_finished();
}

std::string Controller::describe_waits() const {
  std::int64_t busy_pes = 0, queued = 0;
  for (std::size_t p = 0; p < c_.pes.size(); ++p) {
    const Pe& pe = c_.pes[leader_[p]];
    if (!pe.done()) ++busy_pes, queued += pe.queued_steps();
  }
  const std::int64_t phase_waits = phase_pending_.empty() ? 0 : phase_pending_.front();
  const std::size_t phase_requests = phase_requests_.empty() ? 0 : phase_requests_.front().size();
  return fmt::format(
      "{} PEs unfinished ({} steps queued); oldest unfinished array step {} ({} PEs have not "
      "asked for its words yet, {} requests held for its multicast), next to stage {}; "
      "{} words wait for DRAM fills; {} L2 reads open; {} reductions in flight; {} L2 requests "
      "queued; DRAM {} ({} words queued); {} words wait to enter the distribution network; {} "
      "outputs being written back; distribution network {}, reduction network {}",
      busy_pes, queued, oldest_step_, phase_waits, phase_requests, next_stage_index_,
      parked_reads_.size(), open_reads_, reductions_.size(), c_.l2.queued_requests(),
      c_.dram.idle() ? "idle" : "busy", c_.dram.queued_words(), to_distribute_.size(),
      writing_back_, c_.distribution.idle() ? "idle" : "busy",
      c_.reduction.idle() ? "idle" : "busy");
}

}  // namespace metronome::sim
