#include "sim/pe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

#include "sim/bandwidth.hpp"

namespace metronome::sim {
namespace {

constexpr std::uint64_t kPrefetched = std::numeric_limits<std::uint64_t>::max();

// Two's-complement wrapping multiply-accumulate (no undefined behaviour on overflow).
std::int64_t mac(std::int64_t acc, std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(acc) +
                                   static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}

// Whether two ascending lists may share a word: a quick test that spares most merges, since the
// tiles of queued steps often lie in index ranges of their own (sliding windows).
bool ranges_overlap(std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  return !a.empty() && !b.empty() && a.front() <= b.back() && b.front() <= a.back();
}

// kept := kept ∩ words (both ascending).
void intersect_into(std::vector<std::int64_t>& kept, std::span<const std::int64_t> words) {
  if (!ranges_overlap(kept, words)) {
    kept.clear();
    return;
  }
  std::size_t out = 0;
  std::size_t w = 0;
  for (std::int64_t x : kept) {
    while (w < words.size() && words[w] < x) ++w;
    if (w < words.size() && words[w] == x) kept[out++] = x;
  }
  kept.resize(out);
}

}  // namespace

Pe::Pe(const Hardware& hw, std::int64_t id, BufferCapacity capacity)
    : id_(id),
      capacity_words_(hw.word_bytes > 0 ? hw.l1_words() : 0),
      macs_per_cycle_(hw.pe.macs_per_cycle),
      capacity_mode_(capacity),
      where_(hw.where),
      l1_bytes_(hw.pe.l1_bytes),
      word_bytes_(hw.word_bytes) {
  if (hw.word_bytes < 1)
    throw InputError(where_, fmt::format("word_bytes: {} is out of range", hw.word_bytes),
                     "at least 1");
  if (macs_per_cycle_ < 1 || macs_per_cycle_ > kMaxMacsPerCycle)
    throw InputError(where_, fmt::format("pe.macs_per_cycle: {} is out of range", macs_per_cycle_),
                     fmt::format("1 to {}", kMaxMacsPerCycle));
}

void Pe::push_step(PeStep step) {
  if (step.repeat) {
    push_repeat(std::move(step));
    return;
  }
  const std::int64_t n = step.tile.size();
  if (capacity_mode_ == BufferCapacity::Enforced && n > capacity_words_)
    throw InputError(
        where_,
        fmt::format("PE {}: L1 working set of {} words (input {}, weight {}, output {}) exceeds "
                    "its capacity of {} words (pe.l1_bytes {} / word_bytes {})",
                    id_, n, step.tile.words[Tensor::Input].size(),
                    step.tile.words[Tensor::Weight].size(), step.tile.words[Tensor::Output].size(),
                    capacity_words_, l1_bytes_, word_bytes_),
        "a mapping whose per-PE working set fits, or --unbounded-buffers");
  // Eviction drains partial sums in list order and the prefetch merges sorted lists, so every
  // list must be ascending and distinct (TileBuilder writes them so).
  for (Tensor t : kAllTensors) {
    const std::vector<std::int64_t>& words = step.tile.words[t];
    if (std::adjacent_find(words.begin(), words.end(), std::greater_equal<>()) != words.end())
      throw std::logic_error(fmt::format("PE {}: a step's {} list is not ascending and distinct",
                                         id_, tensor_name(t)));
  }
  const auto positions = [&](Tensor t) { return step.tile.words[t].size(); };
  for (const PeMac& m : step.macs)
    if (m.input >= positions(Tensor::Input) || m.weight >= positions(Tensor::Weight) ||
        m.output >= positions(Tensor::Output))
      throw std::logic_error(
          fmt::format("PE {}: a MAC names tile positions ({}, {}, {}) outside "
                      "its step's tile",
                      id_, m.input, m.weight, m.output));
  QueuedLists q = queue_lists(step.tile);
  if (pushed_any_) {
    const QueuedLists& before = queued_lists_.empty() ? current_lists_ : queued_lists_.back();
    for (Tensor t : {Tensor::Input, Tensor::Weight}) {
      const std::span<const std::int64_t> a = list_of(q, t), b = list_of(before, t);
      q.same_as_before[t == Tensor::Input ? 0 : 1] =
          std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
  }
  queued_lists_.push_back(q);
  steps_.push_back(std::move(step));
  pushed_any_ = true;
  wake();
}

// The step pushed before a repeat is the last queued one or, with none queued, current_ (the
// last begun; beginning a repeat leaves current_ as it is); the repeat shares its lists.
void Pe::push_repeat(PeStep step) {
  if (!pushed_any_)
    throw std::logic_error(fmt::format("PE {}: a repeated step follows no step", id_));
  if (step.tile.size() != 0 || !step.macs.empty())
    throw std::logic_error(fmt::format("PE {}: a repeated step lists words or MACs", id_));
  QueuedLists q = queued_lists_.empty() ? current_lists_ : queued_lists_.back();
  q.prefetched = 0;
  q.repeat = true;
  q.same_as_before[0] = q.same_as_before[1] = true;
  if (parked()) {
    // The next evaluation would begin and finish the repeat and do nothing else (sim/DESIGN.md,
    // "Repeated steps"): done here, the PE needs no evaluation for it.
    begin_repeat(q);
    finish_step();
    return;
  }
  queued_lists_.push_back(q);
  steps_.push_back(std::move(step));
  if (asleep_ && !busy_sleep_ && has_current_ && !current_complete()) {
    // Asleep, its step waiting for words: the evaluation a wake would cause does nothing but
    // the prefetch pass over the repeat, which asks for no word (sim/DESIGN.md, "Waiting
    // repeats"). Done here, the PE sleeps on.
    const std::size_t asked = next_requests_.size();
    prefetch();
    if (next_requests_.size() != asked)
      throw std::logic_error(fmt::format("PE {}: a repeated step asked for a word", id_));
    ++repeats_passed_asleep_;
    return;
  }
  wake();
}

// Idle with nothing under way, for a repeat without MACs (it repeats current_'s): no step (the
// last one finished), none queued, no word arrived or waiting for room, no partial sum to send.
// Asleep, such a PE counts its cycles as idle, which is what an evaluation that only begins and
// finishes the repeat counts.
bool Pe::parked() const {
  return skip_quiet_ && !has_current_ && steps_.empty() && current_.macs.empty() &&
         inbox_words_.empty() && waiting_.empty() && drain_.empty() &&
         (!asleep_ || last_kind_ == CycleKind::Idle);
}

// Copies a queued tile's input and weight lists to the end of queued_words_.
Pe::QueuedLists Pe::queue_lists(const WorkingSet& tile) {
  QueuedLists q;
  q.input = queued_base_ + queued_words_.size();
  const std::vector<std::int64_t>& in = tile.words[Tensor::Input];
  const std::vector<std::int64_t>& wt = tile.words[Tensor::Weight];
  queued_words_.insert(queued_words_.end(), in.begin(), in.end());
  q.weight = queued_base_ + queued_words_.size();
  queued_words_.insert(queued_words_.end(), wt.begin(), wt.end());
  q.end = queued_base_ + queued_words_.size();
  q.tile_words = tile.size();
  for (const auto& [f, words] : {std::pair<int, const std::vector<std::int64_t>*>{0, &in},
                                 std::pair<int, const std::vector<std::int64_t>*>{1, &wt}}) {
    q.lo[f] = words->empty() ? std::numeric_limits<std::int64_t>::max() : words->front();
    q.hi[f] = words->empty() ? std::numeric_limits<std::int64_t>::min() : words->back();
    q.sig[f] = signature(*words);
  }
  return q;
}

void Pe::take_spent_steps(std::vector<PeStep>& into) {
  for (PeStep& s : spent_) into.push_back(std::move(s));
  spent_.clear();
}

void Pe::deliver(const Word& word) {
  inbox_words_.push_back(word);
  wake();
}

void Pe::add_drain_credits(std::int64_t words) {
  if (words < 0) throw std::logic_error("negative drain credits");
  wake();
  drain_credits_ = std::min(kNoLimit, drain_credits_ + std::min(words, kNoLimit));
}

std::int64_t Pe::free_words() const {
  if (capacity_mode_ == BufferCapacity::Unbounded) return kNoLimit;
  return capacity_words_ - used_words();
}

std::int64_t Pe::used_words() const {
  return static_cast<std::int64_t>(l1_index_.size()) - waiting_words_ +
         static_cast<std::int64_t>(drain_.size());
}

bool Pe::current_complete() const {
  return has_current_ && next_mac_ == current_.macs.size() && current_missing_ == 0;
}

std::int64_t Pe::queued_steps() const {
  return static_cast<std::int64_t>(steps_.size());
}

bool Pe::done() const {
  return (!has_current_ || current_complete()) && steps_.empty() && drain_.empty() &&
         inbox_words_.empty();
}

bool Pe::holds(const WordKey& key) const {
  const Entry* e = find_entry(pack_key(key));
  return e != nullptr && e->state == State::Present;
}

std::int64_t Pe::value(const WordKey& key) const {
  const Entry* e = find_entry(pack_key(key));
  if (e == nullptr || e->state != State::Present)
    throw std::logic_error(fmt::format("PE {} does not hold {}", id_, word_name(key)));
  return e->value;
}

std::pair<std::uint32_t, bool> Pe::emplace_entry(std::uint64_t packed) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
  } else {
    slot = static_cast<std::uint32_t>(pool_.size());
    if (slot == WordIndex::kNone) throw std::length_error("PE: too many L1 entries");
  }
  const WordIndex::Inserted r = l1_index_.insert(packed, slot);
  if (!r.inserted) return {r.slot, false};
  if (!free_slots_.empty())
    free_slots_.pop_back();
  else
    pool_.emplace_back();
  pool_[slot] = Entry{};
  return {slot, true};
}

void Pe::erase_entry(std::uint64_t packed) {
  const std::uint32_t slot = l1_index_.erase(packed);
  if (slot != WordIndex::kNone) free_slots_.push_back(slot);
}

// What beginning a step does whatever its tile: the queue's front (`lists`, taken off the
// queue) becomes the current step; the prefetch pass starts again from the queue's front.
void Pe::enter_step(const QueuedLists& lists, bool repeat) {
  // The queued steps the last prefetch pass went through entirely (every word held, in flight
  // or requested), renumbered for the queue without its front.
  // Only the steps it declared gone through (scanned_through_): past a doomed word the pass went
  // on fetching, but those steps still need the check.
  const std::int64_t declared = scanned_through_ - stats_.steps;  // queued index after the pop
  known_prefix_ =
      prefetch_step_ > 0 && declared > 0
          ? std::min<std::size_t>(prefetch_step_ - 1, static_cast<std::size_t>(declared))
          : 0;
  covered_ = prefetch_step_ > 0 ? prefetch_step_ - 1 : 0;
  prefetched_words_ -= lists.prefetched;
  current_lists_ = lists;
  // Drop the copies of steps begun before current_ once they are half the array (amortized O(1)
  // per word).
  const std::size_t head = current_lists_.input;
  if (const std::size_t dead = head - queued_base_; dead > 0 && 2 * dead >= queued_words_.size()) {
    queued_words_.erase(queued_words_.begin(),
                        queued_words_.begin() + static_cast<std::ptrdiff_t>(dead));
    queued_base_ = head;
  }
  has_current_ = true;
  if (!repeat) ++step_serial_;
  ++stats_.steps;
  scanned_through_ = std::max(scanned_through_, stats_.steps - 1);  // missing words now wait
  next_mac_ = 0;
  current_missing_ = 0;
  prefetch_step_ = 0;
  prefetch_doomed_ = false;
  for (Tensor t : {Tensor::Input, Tensor::Weight}) kept_is_tile_[t] = true;  // (a repeat's too)
  prefetch_blocked_ = false;
  prefetch_tensor_ = 0;
  prefetch_index_ = 0;
  prefetch_prefix_ = 0;
  prefetch_room_ = kNoLimit;
}

// A repeat holds what the step before it held (current_, its slots and entries, finished: every
// word present): nothing enters or leaves L1, no word is fetched ahead for it (the step before
// names all its words first), and current_ and its entries' step_serial_ stay.
void Pe::begin_repeat(const QueuedLists& lists) {
  enter_step(lists, true);
  check_nothing_fetched_for_repeat(lists, stats_.steps - 1);
  for (Tensor t : kAllTensors) evicted_[t].clear();
}

void Pe::check_nothing_fetched_for_repeat(const QueuedLists& lists, std::int64_t step) const {
  if (lists.prefetched != 0)
    throw std::logic_error(fmt::format(
        "PE {}: step {} repeats the step before it, yet {} words were fetched ahead for it", id_,
        step, lists.prefetched));
}

// The replacement rule: the new step's words that are present stay, the others are requested
// (outputs start as a zero partial sum), and every word the step does not hold leaves L1 --
// partial sums into the drain queue, inputs and weights dropped.
void Pe::begin_step() {
  const QueuedLists lists = queued_lists_.front();
  queued_lists_.pop_front();
  if (lists.repeat) {
    steps_.pop_front();
    begin_repeat(lists);
    return;
  }
  // L1 holds exactly the previous tile's words and words fetched ahead, so the words that leave
  // are among the previous tile's: walk its lists instead of the whole of L1.
  std::swap(previous_tile_, current_.tile);
  std::swap(previous_slot_, slot_);  // the previous tile's entries: no lookups to find them
  // current_ now holds storage nobody needs (the tile before last, the last MAC list): keep it
  // for the caller to refill (a few; tests that never take them do not accumulate them).
  constexpr std::size_t kMaxSpent = 64;
  if (spent_.size() < kMaxSpent && (current_.macs.capacity() > 0 || previous_tile_.size() > 0))
    spent_.push_back(std::move(current_));
  current_ = std::move(steps_.front());
  steps_.pop_front();
  enter_step(lists, false);
  const std::int64_t fetched_ahead = lists.prefetched;

  std::int64_t claimed = 0;  // words fetched ahead for this step
  for (Tensor t : kAllTensors) {
    slot_[t].clear();
    // Words of the previous tile too (most, as tiles overlap) are found by merging the sorted
    // lists, through the slots kept for it (no entry leaves before the loop below), not looked up.
    const std::vector<std::int64_t>& before = previous_tile_.words[t];
    std::size_t b = 0;
    for (std::int64_t index : current_.tile.words[t]) {
      const WordKey key{t, index};
      while (b < before.size() && before[b] < index) ++b;
      const auto [slot, inserted] = b < before.size() && before[b] == index
                                        ? std::pair(previous_slot_[t][b], false)
                                        : emplace_entry(pack_key(key));
      Entry& e = pool_[slot];
      slot_[t].push_back(slot);  // entries of the tile stay put until the next step begins
      if (inserted) {
        e = Entry{0, step_serial_, State::Waiting};
        waiting_.push_back(key);
        ++waiting_words_;
        ++current_missing_;
        continue;
      }
      if (e.step == step_serial_)
        throw std::logic_error(fmt::format("PE {}: step lists {} twice", id_, word_name(key)));
      claimed += e.step == kPrefetched ? 1 : 0;
      e.step = step_serial_;
      if (e.state != State::Present) ++current_missing_;
    }
  }
  // The reserve counts on it: a word fetched ahead is counted for the first queued step naming it.
  if (claimed != fetched_ahead)
    throw std::logic_error(fmt::format("PE {}: step {} found {} words fetched ahead, not {}", id_,
                                       stats_.steps - 1, claimed, fetched_ahead));

  for (Tensor t : kAllTensors) {
    evicted_[t].clear();
    const std::vector<std::int64_t>& words = previous_tile_.words[t];
    // Parallel to words: no entry leaves L1 before this loop, so the slots are still theirs.
    const std::vector<std::uint32_t>& slots = previous_slot_[t];
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::int64_t index = words[i];
      const WordKey key{t, index};
      const Entry* e = &pool_[slots[i]];
      // Kept: in the new tile (or, never for a previous tile's word, fetched ahead).
      if (e->step == step_serial_ || e->step == kPrefetched) continue;
      if (e->state != State::Present)
        throw std::logic_error(
            fmt::format("PE {}: {} evicted before it arrived", id_, word_name(key)));
      // Partial sums drain in index order (the tile lists are ascending).
      if (t == Tensor::Output)
        drain_.push_back(Word{key, e->value});
      else
        evicted_[t].push_back(index);  // ascending, as the tile list
      erase_entry(pack_key(key));
    }
  }
}

// The repeats at the queue's front, right after a step without MACs began and finished in this
// evaluation: each would begin and finish at once too (nothing to compute, every word present),
// and as no prefetch pass ran since the last enter_step, beginning one would reset nothing that
// is not reset already (the cursor is at 0, so no known prefix; kept_ the tile; the queued
// words' head the same, a repeat sharing the lists of the step before). Only the counts move.
void Pe::finish_queued_repeats() {
  while (!steps_.empty() && queued_lists_.front().repeat) {
    const QueuedLists& lists = queued_lists_.front();
    check_nothing_fetched_for_repeat(lists, stats_.steps);
    current_lists_ = lists;
    queued_lists_.pop_front();
    steps_.pop_front();
    ++stats_.steps;
    ++steps_completed_;
    scanned_through_ = std::max(scanned_through_, stats_.steps - 1);
    known_prefix_ = covered_ = 0;
    for (Tensor t : kAllTensors) evicted_[t].clear();
    ++repeats_finished_at_once_;
  }
}

void Pe::finish_step() {
  has_current_ = false;
  ++steps_completed_;
}

void Pe::acquire_waiting() {
  while (!waiting_.empty() && free_words() > 0) {
    const WordKey key = waiting_.front();
    waiting_.pop_front();
    Entry* found = find_entry(pack_key(key));
    if (found == nullptr) throw std::logic_error("PE: a waiting word has no L1 entry");
    Entry& e = *found;
    --waiting_words_;
    if (key.tensor == Tensor::Output) {
      e.state = State::Present;  // a fresh partial sum: zero, no transfer
      e.value = 0;
      --current_missing_;
    } else {
      e.state = State::InFlight;
      next_requests_.push_back(key);
      next_request_steps_.push_back(stats_.steps - 1);
      ++stats_.requested_words[key.tensor];
    }
  }
}

// While the current step runs, request the queued steps' missing inputs and weights, in step
// order, into free L1 words (never before the current step's own words have room). A word
// fetched ahead stays until the step that names it begins, so it must not take the room a queued
// step before it needs to begin (the reserve, prefetch_room_): a word is fetched ahead for queued
// step k only while every queued step i < k keeps |tile_i| + (words fetched ahead for steps
// after i) <= capacity. Otherwise step i could never hold its whole tile (typically its new
// partial sums, which are never fetched ahead) and the PE would stall for good; so the reserve
// only ever stops a prefetch that would have deadlocked.
//
// A queued step counts as gone through (scanned_through) once every word of its tile is present
// to stay, in flight or requested. A word the current step holds but an earlier queued step does
// not name will be dropped when that step begins and asked for again then, so a step with such
// a word is not gone through yet; neither is any step after it (the count is contiguous).
void Pe::prefetch() {
  if (!has_current_ || !waiting_.empty()) return;
  // Stopped for want of room (free words or the reserve) at the cursor last time, and still no
  // room: the pass would stop at the same word again (nothing else enters L1 between steps, and
  // the reserve only grows when a step begins).
  if (prefetch_blocked_ && (free_words() <= 0 || prefetch_room_ <= 0)) return;
  prefetch_blocked_ = false;
  if (known_prefix_ > 0) {
    if (prefetch_shortcuts_ && prefetch_step_ == 0 && prefetch_tensor_ == 0 && prefetch_index_ == 0)
      skip_known_prefix();
    known_prefix_ = 0;
  }
  for (; prefetch_step_ < steps_.size();
       leave_step(prefetch_step_), ++prefetch_step_, prefetch_tensor_ = 0) {
    if (!prefetch_doomed_)
      scanned_through_ =
          std::max(scanned_through_, stats_.steps + static_cast<std::int64_t>(prefetch_step_) - 1);
    // A repeat names the words of the step before it, which this pass went through (or the
    // current tile, for the front): each is in the current tile or has an L1 entry, so the loop
    // would ask for none, and it cannot doom a pass that the step before did not (the same
    // words, and a word fetched ahead for an earlier step is dropped in between only if it was
    // before).
    if (prefetch_shortcuts_ && queued_lists_[prefetch_step_].repeat && prefetch_tensor_ == 0 &&
        prefetch_index_ == 0)
      continue;  // the step is gone through
    if (prefetch_shortcuts_ && prefetch_doomed_ && prefetch_step_ < covered_ &&
        prefetch_tensor_ == 0 && prefetch_index_ == 0 && refetch_evicted(prefetch_step_)) {
      ++refetched_steps_;
      continue;  // the step is gone through
    }
    for (; prefetch_tensor_ < kNumTensors; ++prefetch_tensor_, prefetch_index_ = 0) {
      const Tensor t = kAllTensors[prefetch_tensor_];
      if (t == Tensor::Output) continue;
      const std::span<const std::int64_t> words = queued(prefetch_step_, t);
      // The current tile's words are all held (entries stay until the next step begins): found
      // by merging with its list, sorted like `words`, instead of an L1 lookup each.
      const std::vector<std::int64_t>& tile = current_.tile.words[t];
      const std::vector<std::int64_t>& kept = this->kept(t);
      std::size_t in_tile = 0, in_kept = 0;
      if (prefetch_index_ < words.size()) {
        const std::int64_t from = words[prefetch_index_];
        in_tile = static_cast<std::size_t>(std::lower_bound(tile.begin(), tile.end(), from) -
                                           tile.begin());
        in_kept = static_cast<std::size_t>(std::lower_bound(kept.begin(), kept.end(), from) -
                                           kept.begin());
      }
      for (; prefetch_index_ < words.size(); ++prefetch_index_) {
        const WordKey key{t, words[prefetch_index_]};
        while (in_tile < tile.size() && tile[in_tile] < key.index) ++in_tile;
        if (in_tile < tile.size() && tile[in_tile] == key.index) {
          // A held word stays only while consecutive steps name it: a current-tile word that a
          // step the pass went through does not name (not in kept_) leaves L1 first and is asked
          // for again then.
          if (!prefetch_doomed_) {
            while (in_kept < kept.size() && kept[in_kept] < key.index) ++in_kept;
            if (in_kept == kept.size() || kept[in_kept] != key.index) prefetch_doomed_ = true;
          }
          continue;
        }
        const std::uint64_t packed = pack_key(key);
        if (const Entry* held = find_entry(packed); held != nullptr) {
          // Likewise a word fetched ahead for an earlier queued step that a step in between
          // does not name.
          if (!prefetch_doomed_ && held->step == kPrefetched) {
            const auto from = static_cast<std::size_t>(held->fetched_for - stats_.steps);
            if (from < prefetch_step_ && dropped_between(key, from + 1, prefetch_step_))
              prefetch_doomed_ = true;
          }
          continue;
        }
        if (free_words() <= 0 || prefetch_room_ <= 0) {
          prefetch_blocked_ = true;
          return;
        }
        pool_[emplace_entry(packed).first] =
            Entry{0, kPrefetched, State::InFlight,
                  stats_.steps + static_cast<std::int64_t>(prefetch_step_)};
        ++queued_lists_[prefetch_step_].prefetched;
        ++prefetched_words_;
        --prefetch_room_;
        next_requests_.push_back(key);
        next_request_steps_.push_back(stats_.steps + static_cast<std::int64_t>(prefetch_step_));
        ++stats_.requested_words[t];
      }
    }
  }
  if (!prefetch_doomed_)
    scanned_through_ =
        std::max(scanned_through_, stats_.steps + static_cast<std::int64_t>(steps_.size()) - 1);
}

// The start of a pass over queued steps the previous pass went through entirely, with the same
// outcome as the loop in prefetch() but no L1 lookup: every word of those steps is held or in
// flight, so none is asked for, and the "doomed" test (a current-tile word an earlier queued step
// does not name) becomes the running intersection of the current tile with them
// (pass_known_prefix). No word is missing: one would be a word w that the step just begun, T,
// dropped (w was in the previous tile) and that a declared step j names. A pass declares step j
// only after going through the steps before it, T among them, which does not name w; at step j,
// w was a current-tile word missing from the pass's running intersection, or held as fetched
// ahead for a step before T and dropped at T: either way the pass was doomed there and declared
// nothing from j on (a repeat at j names the words of step j - 1, so the same holds for it).
// Until 2026-11-27 this looked for such words in every declared step (find_evicted_hits, ~10 %
// of an rs run); it never found one in the tests, the 519-record oracle or an instrumented run.
void Pe::skip_known_prefix() {
  const std::size_t known = std::min(known_prefix_, steps_.size());
  pass_known_prefix(known);
  for (std::size_t j = 0; j < known; ++j) pass_step(j);
  prefetch_step_ = known;
  prefetch_doomed_ = false;
}

// The loop of prefetch() over queued step j, when the pass is doomed and the last pass went
// through step j (j < covered_). Then every word of step j is held (present, in flight or fetched
// ahead; nothing leaves L1 between steps) but the inputs and weights the last begin_step()
// evicted, and a doomed pass does nothing with held words: the loop would only ask again for the
// evicted words step j names that this pass has not asked for yet, in scan order (input, then
// weight, ascending). Done here from evicted_ without reading step j's list word by word. Returns
// false, having done nothing, when those requests would not all find room (the loop then stops at
// the right word).
bool Pe::refetch_evicted(std::size_t j) {
  std::int64_t needed = 0;
  const auto named = [&](Tensor t, std::int64_t index) {
    const std::span<const std::int64_t> word(&index, 1);
    if (!queued_may_meet(j, t, word, signature(word))) return false;
    const std::span<const std::int64_t> words = queued(j, t);
    return std::binary_search(words.begin(), words.end(), index) &&
           find_entry(pack_key(WordKey{t, index})) == nullptr;
  };
  // Most queued steps name none of the evicted words (their lists' ranges or signatures tell):
  // then no word needs looking up.
  bool may_name[2];
  for (Tensor t : {Tensor::Input, Tensor::Weight}) {
    const std::vector<std::int64_t>& gone = evicted_[t];  // ascending
    const bool may = queued_may_meet(j, t, gone, signature(gone));
    may_name[t == Tensor::Input ? 0 : 1] = may;
    if (!may) continue;
    for (const std::int64_t index : gone) needed += named(t, index) ? 1 : 0;
  }
  if (needed == 0) return true;
  if (free_words() < needed || prefetch_room_ < needed) return false;
  const std::int64_t step = stats_.steps + static_cast<std::int64_t>(j);
  for (Tensor t : {Tensor::Input, Tensor::Weight}) {
    if (!may_name[t == Tensor::Input ? 0 : 1]) continue;
    for (const std::int64_t gone : evicted_[t]) {
      if (!named(t, gone)) continue;
      const WordKey key{t, gone};
      pool_[emplace_entry(pack_key(key)).first] = Entry{0, kPrefetched, State::InFlight, step};
      ++queued_lists_[j].prefetched;
      ++prefetched_words_;
      --prefetch_room_;
      next_requests_.push_back(key);
      next_request_steps_.push_back(step);
      ++stats_.requested_words[t];
    }
  }
  return true;
}

// Whether some queued step in [from, to) does not name the word (it leaves L1 before step `to`).
bool Pe::dropped_between(const WordKey& key, std::size_t from, std::size_t to) const {
  for (std::size_t j = from; j < to; ++j) {
    const std::span<const std::int64_t> words = queued(j, key.tensor);
    if (!std::binary_search(words.begin(), words.end(), key.index)) return true;
  }
  return false;
}

// Goes through the first `known` queued steps: scanned_through_ and kept_, the running
// intersection of the current tile with them. None of them is "doomed" (names a current-tile
// word that an earlier queued step does not name): the last pass declared them gone through,
// and a word w of the current tile T named by step j but not by an earlier step i was, during
// the last pass, either a word of that pass's tile -- then it was missing from that pass's
// intersection at step j, which was doomed -- or fetched ahead for T's step, the queue's front
// then -- then at step j it was a word fetched ahead for an earlier step that step i in between
// does not name, doomed too. Either way the last pass would not have declared step j.
// (Pe.PrefetchShortcutsChangeNothing compares with passes that read every step.)
void Pe::pass_known_prefix(std::size_t known) {
  // (scanned_through_ needs nothing here: the loop of prefetch() that follows declares the
  // steps before its cursor, `known`, gone through first.)
  for (Tensor t : {Tensor::Input, Tensor::Weight}) {
    const std::vector<std::int64_t>& tile = current_.tile.words[t];
    const std::uint64_t tile_sig = signature(tile);
    const int f = t == Tensor::Input ? 0 : 1;
    for (std::size_t j = 0; j < known && !kept(t).empty(); ++j) {
      if (queued_lists_[j].same_as_before[f]) continue;  // as keep_named (shortcuts are on here)
      if (!queued_may_meet(j, t, tile, tile_sig)) {      // no tile word: none kept
        kept_[t].clear();
        kept_is_tile_[t] = false;
        break;
      }
      keep_named(j, t);
    }
  }
}

// kept_[t] := kept_[t] ∩ the words queued step j names. kept_ lies within the words of the step
// before it (the passes intersect in step order, from the current tile), so a list equal to that
// step's (a stationary tensor, a repeat) changes nothing.
void Pe::keep_named(std::size_t j, Tensor t) {
  if (prefetch_shortcuts_ && queued_lists_[j].same_as_before[t == Tensor::Input ? 0 : 1]) return;
  const std::vector<std::int64_t>& kept = this->kept(t);
  const std::span<const std::int64_t> words = queued(j, t);
  // The same for the word-by-word pass (shortcuts off): nothing leaves a stationary intersection.
  if (kept.size() == words.size() && std::equal(words.begin(), words.end(), kept.begin())) return;
  if (kept_is_tile_[t]) {  // narrowed for the first time since the step began: tile ∩ words
    std::vector<std::int64_t>& out = kept_[t];
    out.clear();
    if (ranges_overlap(kept, words))
      std::set_intersection(kept.begin(), kept.end(), words.begin(), words.end(),
                            std::back_inserter(out));
    kept_is_tile_[t] = false;
    return;
  }
  intersect_into(kept_[t], words);
}

// Words queued step j may still see fetched ahead for later steps, given `fetched_through_j`
// words fetched ahead for steps 0..j, before it could not hold its whole tile (>= 0 by the
// reserve).
std::int64_t Pe::slack(std::size_t j, std::int64_t fetched_through_j) const {
  if (capacity_mode_ == BufferCapacity::Unbounded) return kNoLimit;
  return capacity_words_ - queued_lists_[j].tile_words - (prefetched_words_ - fetched_through_j);
}

// The prefetch cursor leaves queued step j: later steps' words fetched ahead must leave it room.
void Pe::pass_step(std::size_t j) {
  prefetch_prefix_ += queued_lists_[j].prefetched;
  prefetch_room_ = std::min(prefetch_room_, slack(j, prefetch_prefix_));
}

// The prefetch cursor leaves queued step j: the reserve (pass_step) and, while the pass is not
// doomed, the running intersection of the current tile with the steps passed (kept_).
void Pe::leave_step(std::size_t j) {
  pass_step(j);
  if (prefetch_doomed_) return;
  for (Tensor t : {Tensor::Input, Tensor::Weight}) keep_named(j, t);
}

Pe::Progress Pe::progress() const {
  return {step_serial_,     steps_completed_, waiting_words_,
          current_missing_, next_mac_,        has_current_};
}

PeStats Pe::stats_through(std::int64_t cycle) const {
  PeStats s = stats_;
  if (slept_ && cycle > asleep_from_) {
    if (busy_sleep_) {
      const std::int64_t n = macs_slept_through(cycle);
      s.macs += n;
      count_macs(s, n);
    }
    count_cycles(s, last_kind_, cycle - asleep_from_);
  }
  return s;
}

void Pe::settle(std::int64_t cycle) {
  if (!slept_ || cycle <= asleep_from_) return;
  if (busy_sleep_) {
    const std::int64_t n =
        run_macs<false>(next_mac_ + static_cast<std::size_t>(macs_slept_through(cycle)));
    stats_.macs += n;
  }
  count_cycles(stats_, last_kind_, cycle - asleep_from_);
  asleep_from_ = cycle;
}

std::int64_t Pe::macs_slept_through(std::int64_t cycle) const {
  const auto left = static_cast<std::int64_t>(current_.macs.size() - next_mac_);
  return std::min(left, (cycle - asleep_from_) * macs_per_cycle_);
}

void Pe::evaluate(std::int64_t cycle) {
  if (slept_) {  // woken: the cycles slept were like the last one evaluated
    settle(cycle);
    slept_ = false;
  }
  asleep_ = busy_sleep_ = false;  // (a busy PE is evaluated when due, asleep)
  due_at_ = kNever;
  evaluated_cycle_ = cycle;
  next_requests_.clear();
  next_request_steps_.clear();
  next_drained_.clear();

  for (const Word& w : inbox_words_) {
    Entry* e = find_entry(pack_key(w.key));
    if (e == nullptr || e->state != State::InFlight)
      throw std::logic_error(
          fmt::format("PE {} received {}, which it did not request", id_, word_name(w.key)));
    e->state = State::Present;
    e->value = w.value;
    ++stats_.l1.tensor[w.key.tensor].writes;
    if (has_current_ && e->step == step_serial_) --current_missing_;
  }
  inbox_words_.clear();
  // After storing the words that arrived; only needed to tell a quiet cycle.
  const Progress before = skip_quiet_ ? progress() : Progress{};

  if (current_complete()) finish_step();
  while (!has_current_ && !steps_.empty()) {
    begin_step();
    if (!current_complete()) break;
    finish_step();
    if (skip_quiet_ && current_.macs.empty()) finish_queued_repeats();
  }

  for (; drain_credits_ > 0 && !drain_.empty(); --drain_credits_) {
    next_drained_.push_back(drain_.front());
    drain_.pop_front();
    ++stats_.l1.tensor[Tensor::Output].reads;
    ++stats_.drained_words;
  }
  acquire_waiting();
  prefetch();
  stats_.peak_words = std::max(stats_.peak_words, used_words());

  const std::int64_t done_macs = has_current_ ? compute() : 0;
  stats_.macs += done_macs;
  last_kind_ = count_cycle(done_macs);
  // Quiet: the rest of this evaluation (after the words that arrived were stored) changed
  // nothing but maybe the prefetch pass, which asked for no word, so the next evaluation would
  // change nothing, nor would any later one until an input changes.
  quiet_ = skip_quiet_ && done_macs == 0 && next_requests_.empty() && next_drained_.empty() &&
           progress() == before;
  // Busy and otherwise quiet: every word of the step present (so no word waits for a slot and
  // every MAC can run), MACs left, nothing asked for or sent. Until the last MAC, each evaluation
  // would store no word, finish no step, drain nothing (credits or partial sums ran out here),
  // acquire nothing and find the prefetch pass where this one left it (sim/DESIGN.md, "Busy
  // PEs"): only the MACs move, which nothing outside the PE sees before the step ends.
  busy_quiet_ = skip_quiet_ && done_macs > 0 && current_missing_ == 0 &&
                next_mac_ < current_.macs.size() && next_requests_.empty() && next_drained_.empty();
}

// Up to macs_per_cycle MACs of the current step, in order, stopping at the first whose operands
// are not all present.
std::int64_t Pe::compute() {
  const std::size_t end =
      std::min(current_.macs.size(), next_mac_ + static_cast<std::size_t>(macs_per_cycle_));
  // Every tile word present: no checks per MAC.
  return current_missing_ == 0 ? run_macs<false>(end) : run_macs<true>(end);
}

// The current step's MACs up to position `end`, in order; `kCheck`: stopping at the first whose
// operands are not all present.
template <bool kCheck>
std::int64_t Pe::run_macs(std::size_t end) {
  const std::vector<PeMac>& macs = current_.macs;
  // Entries by tile position (pool_ does not grow while MACs run).
  Entry* const pool = pool_.data();
  const std::uint32_t* in = slot_[Tensor::Input].data();
  const std::uint32_t* wt = slot_[Tensor::Weight].data();
  const std::uint32_t* out = slot_[Tensor::Output].data();
  const std::size_t first = next_mac_;
  for (; next_mac_ < end; ++next_mac_) {
    const PeMac& m = macs[next_mac_];
    Entry& o = pool[out[m.output]];
    const Entry& i = pool[in[m.input]];
    const Entry& w = pool[wt[m.weight]];
    if constexpr (kCheck)
      if (i.state != State::Present || w.state != State::Present || o.state != State::Present)
        break;
    o.value = mac(o.value, i.value, w.value);
  }
  const auto n = static_cast<std::int64_t>(next_mac_ - first);
  count_macs(stats_, n);
  return n;
}

void Pe::count_macs(PeStats& stats, std::int64_t macs) {
  stats.l1.tensor[Tensor::Input].reads += macs;
  stats.l1.tensor[Tensor::Weight].reads += macs;
  stats.l1.tensor[Tensor::Output].reads += macs;  // read-accumulate
  stats.l1.tensor[Tensor::Output].writes += macs;
}

Pe::CycleKind Pe::count_cycle(std::int64_t done_macs) {
  CycleKind kind = CycleKind::Idle;
  if (done_macs > 0) {
    kind = CycleKind::Busy;
  } else {
    const bool work = (has_current_ && !current_complete()) || !steps_.empty();
    const bool drain_blocked = !drain_.empty();  // credits ran out this cycle
    if (work)
      kind = waiting_words_ > 0 && drain_blocked ? CycleKind::OutputBackpressure
                                                 : CycleKind::WaitingForInput;
    else if (drain_blocked)
      kind = CycleKind::OutputBackpressure;
  }
  count_cycles(stats_, kind, 1);
  return kind;
}

void Pe::count_cycles(PeStats& stats, CycleKind kind, std::int64_t cycles) {
  switch (kind) {
    case CycleKind::Busy:
      stats.busy_cycles += cycles;
      return;
    case CycleKind::WaitingForInput:
      stats.waiting_for_input_cycles += cycles;
      return;
    case CycleKind::OutputBackpressure:
      stats.output_backpressure_cycles += cycles;
      return;
    case CycleKind::Idle:
      stats.idle_cycles += cycles;
      return;
  }
}

void Pe::commit() {
  requests_.swap(next_requests_);
  request_steps_.swap(next_request_steps_);
  drained_.swap(next_drained_);
  if (quiet_) {  // published nothing: asleep from the next cycle on
    asleep_ = slept_ = true;
    asleep_from_ = evaluated_cycle_ + 1;
  } else if (busy_quiet_) {  // due at the cycle after its last MAC
    asleep_ = slept_ = busy_sleep_ = true;
    asleep_from_ = evaluated_cycle_ + 1;
    const auto left = static_cast<std::int64_t>(current_.macs.size() - next_mac_);
    due_at_ = asleep_from_ + (left + macs_per_cycle_ - 1) / macs_per_cycle_;
  }
}

}  // namespace metronome::sim
