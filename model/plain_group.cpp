#include "model/plain_group.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <span>

#include "model/count_arithmetic.hpp"
#include "model/fills.hpp"
#include "spec/error.hpp"

namespace metronome {

namespace {

using count_arithmetic::add;
using count_arithmetic::mul;

std::optional<Dim> plain_dim(const LayerGeometry& geometry, DimMask group) {
  if (geometry.depthwise()) return std::nullopt;  // K and C move together there
  for (Dim d : {Dim::N, Dim::K, Dim::C})
    if (group == dim_bit(d)) return d;
  return std::nullopt;
}

// Chunk `index` of Map(size, offset) over `parent` as the walks split: none past the map's chunk
// count (the last chunk may already end at the parent's end before chunk_at would run dry).
Interval split(Interval parent, std::int64_t size, std::int64_t offset, std::int64_t index) {
  return index < chunk_count(parent.length(), size, offset) ? chunk_at(parent, size, offset, index)
                                                            : Interval{};
}

// Chunks of Map(size, offset) over a parent of `length` that are whole (not cut short by its end).
std::int64_t whole_chunks(std::int64_t length, std::int64_t size, std::int64_t offset) {
  return length >= size ? (length - size) / offset + 1 : 0;
}

// Indices [first, end) as runs split at the sorted `cuts` (those outside the range ignored):
// the (index, count) of each run, into `runs`.
template <typename Cuts>
void runs_between(std::int64_t first, std::int64_t end, const Cuts& cuts,
                  std::vector<IndexClass>& runs) {
  runs.clear();
  for (const std::int64_t c : cuts) {
    if (c <= first || c > end) continue;
    runs.push_back({first, c - first});
    first = c;
  }
  if (first < end) runs.push_back({first, end - first});
}

}  // namespace

bool PlainGroupWalk::applies(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
                             DimMask group) {
  const std::optional<Dim> d = plain_dim(geometry, group);
  if (!d) return false;
  for (const LevelPlan& p : plans) {
    int spatial = 0;
    for (const ResolvedDirective& r : p.directives)
      if (base_dim(r.dim) == *d && r.kind == MapKind::Spatial) ++spatial;
    if (spatial > 1) return false;
  }
  return true;
}

void PlainGroupWalk::reset(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
                           const Odometer& odometer) {
  geometry_ = &geometry;
  plans_ = &plans;
  odometer_ = &odometer;
  base_.clear();
  std::size_t positions = 0;
  for (const LevelPlan& p : plans) {
    base_.push_back(positions);
    positions += p.directives.size() + 1;
  }
  count_.assign(plans.size(), 0);
  // Grow only: the scratch keeps its storage from one count to the next.
  if (maps_.size() < positions) {
    maps_.resize(positions);
    entries_.resize(positions);
    probes_.resize(positions);
    classes_.resize(positions);
    segments_.resize(positions);
  }
}

void PlainGroupWalk::bind(DimMask group) {
  dim_ = *plain_dim(*geometry_, group);
  for (Tensor t : kAllTensors) {
    const CoordinateDims dims = tile_coordinate_dims(t, *geometry_);
    has_[t] = std::any_of(dims.begin(), dims.end(), [&](DimMask d) { return (d & group) != 0; });
  }
  for (std::size_t l = 0; l < plans_->size(); ++l) {
    const LevelPlan& p = (*plans_)[l];
    count_[l] = 0;
    for (std::size_t i = 0; i < p.directives.size(); ++i) {
      const ResolvedDirective& r = p.directives[i];
      if (base_dim(r.dim) != dim_) continue;
      // A SpatialMap of the group is its level's first (another dimension's would join it).
      maps_[base_[l] + count_[l]++] = {i, r.kind == MapKind::Spatial, r.size, r.offset};
    }
  }
}

PlainGroupSums PlainGroupWalk::sums(int cut) {
  cut_ = cut;
  sums_ = {};
  const Interval whole = geometry_->whole_layer().chunk[dim_];
  level(0, whole, whole, true, 1);
  return sums_;
}

PlainGroupWalk::Role PlainGroupWalk::role(std::size_t l, std::size_t position) const {
  if (cut_ < 0) return Role::After;  // the first step: every loop at index 0
  if (odometer_->is_cut(cut_, l, position)) return Role::Cut;
  return odometer_->past_cut(cut_, l, position) ? Role::After : Role::Before;
}

void PlainGroupWalk::level(std::size_t l, Interval old_chunk, Interval new_chunk, bool unit0,
                           std::int64_t weight) {
  if (l == plans_->size()) {
    leaf(old_chunk, new_chunk, unit0, weight);
    return;
  }
  entries_[base_[l]].assign(1, Entry{old_chunk, new_chunk, 1});
  map(l, 0, unit0, weight);
}

void PlainGroupWalk::map(std::size_t l, std::size_t k, bool unit0, std::int64_t weight) {
  if (k == count_[l]) {
    // The level's end: each class enters the next level (deeper levels use other scratch).
    const std::vector<Entry>& done = entries_[base_[l] + k];
    level(l + 1, done[0].old_chunk, done[0].new_chunk, unit0, weight);
    for (std::size_t e = 1; e < done.size(); ++e)
      level(l + 1, done[e].old_chunk, done[e].new_chunk, false, mul(weight, done[e].count));
    return;
  }
  std::vector<Entry>& next = entries_[base_[l] + k + 1];
  const Role r = role(l, maps_[base_[l] + k].position);
  if (r == Role::After) {  // the loop wraps: its last index to 0
    apply(l, k, trips(l, k, true) - 1, 0, next);
    map(l, k + 1, unit0, weight);
    return;
  }
  // Every index (before the cut) or every advance (at the cut), as classes of equal keys.
  const std::int64_t n = trips(l, k, false);
  const std::int64_t shift = r == Role::Cut ? 1 : 0;
  if (!maps_[base_[l] + k].fold) {
    // A TemporalMap: each entry's chunk a is whole below its whole-chunk count, then at most one
    // is cut short by the parent's end, then none; the new chunk's start is the old one's plus
    // shift x offset throughout. So the keys are constant between those counts.
    std::vector<IndexClass>& runs = segments_[base_[l] + k];
    const Map& m = maps_[base_[l] + k];
    std::vector<std::int64_t>& cuts = cuts_;
    cuts.clear();
    for (const Entry& e : entries_[base_[l] + k]) {
      const std::array<std::pair<Interval, std::int64_t>, 2> sides{
          std::pair{e.old_chunk, std::int64_t{0}}, std::pair{e.new_chunk, shift}};
      for (const auto& [chunk, at] : sides) {
        const std::int64_t length = chunk.length();
        cuts.push_back(whole_chunks(length, m.size, m.offset) - at);
        cuts.push_back(chunk_count(length, m.size, m.offset) - at);
      }
    }
    std::sort(cuts.begin(), cuts.end());
    runs_between(0, n - shift, cuts, runs);
    for (const IndexClass& c : runs) {
      apply(l, k, c.index, c.index + shift, next);
      map(l, k + 1, unit0, mul(weight, c.count));
    }
    return;
  }
  std::vector<Entry>& probe = probes_[base_[l] + k];
  // The fold loop: keys change near the folds where the shared chunk's chunks stop being whole
  // or stop existing (the level's chunk is still shared: one entry).
  const Map& m = maps_[base_[l] + k];
  const std::int64_t units = (*plans_)[l].units;
  const std::int64_t length = entries_[base_[l] + k].front().new_chunk.length();
  const std::int64_t whole = whole_chunks(length, m.size, m.offset) / units;
  const std::int64_t chunks = chunk_count(length, m.size, m.offset) / units;
  const std::array<std::int64_t, 4> breaks{whole - shift, whole + 1 - shift, chunks - shift,
                                           chunks + 1 - shift};
  const std::vector<IndexClass>& classes = index_classes_into(
      classes_[base_[l] + k], n - shift, 1,
      [&](std::int64_t a, StateKey& into) {
        apply(l, k, a, a + shift, probe);
        key(probe, into);
      },
      breaks);
  for (const IndexClass& c : classes) {
    apply(l, k, c.index, c.index + shift, next);
    map(l, k + 1, unit0, mul(weight, c.count));
  }
}

std::int64_t PlainGroupWalk::trips(std::size_t l, std::size_t k, bool old_side) const {
  const Map& m = maps_[base_[l] + k];
  const std::vector<Entry>& entries = entries_[base_[l] + k];
  std::int64_t most = 1;
  for (const Entry& e : entries)
    most = std::max(most,
                    chunk_count((old_side ? e.old_chunk : e.new_chunk).length(), m.size, m.offset));
  if (!m.fold) return most;
  // The fold: the level's chunk is still shared, its chunks spread over the units.
  return (most + (*plans_)[l].units - 1) / (*plans_)[l].units;
}

void PlainGroupWalk::apply(std::size_t l, std::size_t k, std::int64_t old_index,
                           std::int64_t new_index, std::vector<Entry>& into) {
  const Map& m = maps_[base_[l] + k];
  const std::vector<Entry>& from = entries_[base_[l] + k];
  if (!m.fold) {
    into = from;
    for (Entry& e : into) {
      e.old_chunk = split(e.old_chunk, m.size, m.offset, old_index);
      e.new_chunk = split(e.new_chunk, m.size, m.offset, new_index);
    }
    return;
  }
  // The fold: unit u holds chunk fold * U + u of the shared chunk; units past a side's chunk
  // count idle there. Units 1.. come as classes of equal keys.
  const Interval old_parent = from[0].old_chunk, new_parent = from[0].new_chunk;
  const std::int64_t units = (*plans_)[l].units;
  auto unit_at = [&](std::int64_t u) {
    return Entry{split(old_parent, m.size, m.offset, old_index * units + u),
                 split(new_parent, m.size, m.offset, new_index * units + u), 1};
  };
  into.assign(1, unit_at(0));
  if (units < 2) return;
  // Units 1.. as runs of equal keys: a side's chunk is whole below its whole-chunk count, then at
  // most one is cut short, then none; the new chunk's start is the old one's plus a constant.
  std::array<std::int64_t, 4> cuts{};
  std::size_t count = 0;
  const std::array<std::pair<Interval, std::int64_t>, 2> sides{std::pair{old_parent, old_index},
                                                               std::pair{new_parent, new_index}};
  for (const auto& [parent, index] : sides) {
    const std::int64_t length = parent.length();
    cuts[count++] = whole_chunks(length, m.size, m.offset) - index * units;
    cuts[count++] = chunk_count(length, m.size, m.offset) - index * units;
  }
  std::sort(cuts.begin(), cuts.end());
  runs_between(1, units, cuts, unit_runs_);
  for (const IndexClass& run : unit_runs_) {
    Entry e = unit_at(run.index);
    e.count = run.count;
    into.push_back(e);
  }
}

// An entry's sums below depend on its chunks up to translation: their lengths and, when both
// exist, the new chunk's start relative to the old one's.
void PlainGroupWalk::put_key(const Entry& e, StateKey& into) {
  const bool both = !e.old_chunk.empty() && !e.new_chunk.empty();
  into.push_back(e.old_chunk.empty() ? -1 : e.old_chunk.length());
  into.push_back(e.new_chunk.empty() ? -1 : e.new_chunk.length());
  into.push_back(both ? e.new_chunk.lo - e.old_chunk.lo : 0);
}

void PlainGroupWalk::key(const std::vector<Entry>& entries, StateKey& into) const {
  into.clear();
  for (const Entry& e : entries) {
    into.push_back(e.count);
    put_key(e, into);
  }
}

void PlainGroupWalk::leaf(Interval old_chunk, Interval new_chunk, bool unit0, std::int64_t weight) {
  const std::int64_t fresh = new_chunk.length();
  const std::int64_t kept = intersect(old_chunk, new_chunk).length();
  for (Tensor t : kAllTensors) {
    // A tensor without a coordinate in the dimension has the empty product 1 here.
    const std::int64_t f = has_[t] ? fresh : 1, k = has_[t] ? kept : 1;
    sums_.largest[t] = std::max(sums_.largest[t], f);
    sums_.fresh[t] = add(sums_.fresh[t], mul(weight, f));
    if (cut_ >= 0) sums_.kept[t] = add(sums_.kept[t], mul(weight, k));
  }
  if (unit0) sums_.per_pe = add(sums_.per_pe, weight);
}

}  // namespace metronome
