#pragma once
// The odometer of a mapping's steps as the closed-form counts (model/fills.cpp,
// model/multicast.cpp) walk it: its loops (every TemporalMap and each level's fold loop, its first
// SpatialMap, level by level, outermost first), which dimension group each loop moves, and the
// "cut" of a transition class (the loop that advances; -1 for the first step). Also the scratch
// slots both walks keep per directive position so that walking allocates nothing once warm.

#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "spec/semantics_walk.hpp"

namespace metronome {

struct OdometerLoop {
  std::size_t level = 0;
  std::size_t position = 0;  // index in the level's directive list (the first SpatialMap for folds)
  DimMask group = 0;         // the dimension group its directive moves
};

class Odometer {
 public:
  Odometer(const std::vector<LevelPlan>& plans, const std::vector<DimMask>& groups) {
    std::size_t directives = 0;
    for (const LevelPlan& p : plans) directives += p.directives.size();
    loops_.reserve(directives);
    for (std::size_t l = 0; l < plans.size(); ++l) {
      const LevelPlan& p = plans[l];
      for (std::size_t i = 0; i < p.directives.size(); ++i) {
        if (p.directives[i].kind != MapKind::Temporal && static_cast<int>(i) != p.first_spatial)
          continue;
        DimMask group = 0;
        for (DimMask g : groups)
          if (g & dim_bit(base_dim(p.directives[i].dim))) group = g;
        loops_.push_back({l, i, group});
      }
    }
  }

  const std::vector<OdometerLoop>& loops() const { return loops_; }

  // Whether directive (l, i) is the loop that advances at `cut`.
  bool is_cut(int cut, std::size_t l, std::size_t i) const {
    if (cut < 0) return false;
    const OdometerLoop& loop = loops_[static_cast<std::size_t>(cut)];
    return loop.level == l && loop.position == i;
  }
  // Whether directive (l, i) lies inside the advancing loop (it wraps); every directive does for
  // the first step.
  bool past_cut(int cut, std::size_t l, std::size_t i) const {
    if (cut < 0) return true;
    const OdometerLoop& loop = loops_[static_cast<std::size_t>(cut)];
    return l > loop.level || (l == loop.level && i > loop.position);
  }
  // A group's sums for a cut depend only on how many of its loops lie before the cut, unless the
  // cut is its own loop: cuts with equal keys share one walk of the group.
  std::array<std::int64_t, 4> group_cut_key(DimMask group, std::int64_t group_index,
                                            int cut) const {
    const bool owned = cut >= 0 && loops_[static_cast<std::size_t>(cut)].group == group;
    std::int64_t before = 0;
    for (int i = 0; i < cut; ++i)
      if (loops_[static_cast<std::size_t>(i)].group == group) ++before;
    return {group_index, before, cut < 0 ? 1 : 0, owned ? cut : -1};
  }

 private:
  std::vector<OdometerLoop> loops_;
};

// Whether a SpatialMap on a dimension of `mask` follows `position` in the level: it tells the
// level's units apart by their index (kAllDimsMask: any SpatialMap).
inline bool later_spatial(const LevelPlan& p, std::size_t position, DimMask mask) {
  for (std::size_t j = position + 1; j < p.directives.size(); ++j)
    if (p.directives[j].kind == MapKind::Spatial && (mask & dim_bit(base_dim(p.directives[j].dim))))
      return true;
  return false;
}

// Sums per (group, cut) key (Odometer::group_cut_key): a few dozen per count, so a list searched
// in order costs less than a tree map and its allocation per entry. Values are returned by copy:
// adding may move the list.
template <typename Value>
class GroupCutCache {
 public:
  using Key = std::array<std::int64_t, 4>;
  template <typename Compute>
  Value get(const Key& key, const Compute& compute) {
    for (const auto& [k, v] : entries_)
      if (k == key) return v;
    Value v = compute();
    if (entries_.empty()) entries_.reserve(32);
    entries_.emplace_back(key, v);
    return v;
  }

 private:
  std::vector<std::pair<Key, Value>> entries_;
};

// Periodicity of a level's fold loop: every SpatialMap of the level from `first` on moves with
// it (0: none).
inline std::int64_t fold_period(const LayerGeometry& geometry, const LevelPlan& p,
                                std::size_t first) {
  std::int64_t period = 1;
  for (std::size_t j = first; j < p.directives.size(); ++j) {
    const ResolvedDirective& d = p.directives[j];
    if (d.kind != MapKind::Spatial) continue;
    const std::int64_t q = state_period(geometry, d.dim, d.offset, p.units);
    period = (q == 0 || period == 0) ? 0 : std::lcm(period, q);
  }
  return period;
}

// Scratch kept per thread so that its storage outlives one count: a count takes the thread's
// instance unless another count on the same thread holds it (a count started inside a count),
// which then gets its own. T is default-constructible scratch, written before it is read.
template <typename T>
class ThreadScratch {
 public:
  ThreadScratch() {
    Pool& pool = thread_pool();
    if (!pool.busy) {
      pool.busy = true;
      object_ = &pool.object;
    } else {
      object_ = &own_.emplace();
    }
  }
  ~ThreadScratch() {
    if (!own_) thread_pool().busy = false;
  }
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;

  T& operator*() { return *object_; }
  T* operator->() { return object_; }

 private:
  struct Pool {
    T object;
    bool busy = false;
  };
  static Pool& thread_pool() {
    thread_local Pool pool;
    return pool;
  }

  std::optional<T> own_;
  T* object_ = nullptr;
};

// One Slot per directive position of the flattened nest, plus one per level end. A recursion
// only ever moves to later positions, so a slot is never reused while in use. Slots are scratch,
// kept per thread (ThreadScratch).
template <typename Slot>
class PositionSlots {
 public:
  explicit PositionSlots(const std::vector<LevelPlan>& plans) {
    base_.reserve(plans.size());
    std::size_t base = 0;
    for (const LevelPlan& p : plans) {
      base_.push_back(base);
      base += p.directives.size() + 1;
    }
    if (slots_->size() < base + 1) slots_->resize(base + 1);
  }

  Slot& at(std::size_t level, std::size_t position) { return (*slots_)[base_[level] + position]; }

 private:
  std::vector<std::size_t> base_;
  ThreadScratch<std::vector<Slot>> slots_;
};

}  // namespace metronome
