#include "model/array_state.hpp"

#include <algorithm>

namespace metronome::contention {

std::vector<LoopRef> odometer_loops(const std::vector<LevelPlan>& plans) {
  std::vector<LoopRef> loops;
  for (std::size_t l = 0; l < plans.size(); ++l)
    for (std::size_t i = 0; i < plans[l].directives.size(); ++i) {
      const ResolvedDirective& d = plans[l].directives[i];
      if (d.kind == MapKind::Temporal || static_cast<int>(i) == plans[l].first_spatial)
        loops.push_back({l, i, base_dim(d.dim)});
    }
  return loops;
}

ArrayState::ArrayState(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans)
    : geometry_(geometry), plans_(plans) {
  std::size_t loop = 0;
  for (const LevelPlan& p : plans_) {
    loop_base_.push_back(loop);
    for (std::size_t i = 0; i < p.directives.size(); ++i)
      if (p.directives[i].kind == MapKind::Temporal || static_cast<int>(i) == p.first_spatial)
        ++loop;
  }
}

void ArrayState::pe_chunks(const IndexChooser& choose, std::vector<UnitChunks>& pes) const {
  std::vector<UnitChunks> entries{geometry_.whole_layer()}, next;
  for (std::size_t l = 0; l < plans_.size(); ++l) {
    next.clear();
    for (std::size_t e = 0; e < entries.size(); ++e) apply_level(l, entries[e], e, choose, next);
    entries.swap(next);
  }
  pes.swap(entries);
}

void ArrayState::apply_level(std::size_t l, const UnitChunks& entry, std::size_t entry_index,
                             const IndexChooser& choose, std::vector<UnitChunks>& out) const {
  const LevelPlan& p = plans_[l];
  const std::int64_t spread_units = p.first_spatial >= 0 ? p.units : 1;
  std::vector<UnitChunks> units(1, entry);
  units[0].rows_from_outputs = units[0].cols_from_outputs = false;
  std::int64_t fold = -1;
  std::size_t loop = loop_base_[l];
  for (std::size_t i = 0; i < p.directives.size(); ++i) {
    const ResolvedDirective& d = p.directives[i];
    if (d.kind == MapKind::Temporal) {
      std::int64_t trips = 1;
      for (const UnitChunks& u : units)
        trips = std::max(
            trips, chunk_count(geometry_.parent_interval(u, d.dim).length(), d.size, d.offset));
      const std::int64_t index = choose(loop++, trips, entry_index);
      for (UnitChunks& u : units) split(u, d, index);
    } else if (fold >= 0) {
      spread(units, d, fold, spread_units);
    } else {
      std::int64_t most = 1;
      for (std::size_t j = i; j < p.directives.size(); ++j) {
        const ResolvedDirective& s = p.directives[j];
        if (s.kind != MapKind::Spatial) continue;
        most = std::max(most, chunk_count(geometry_.parent_interval(units[0], s.dim).length(),
                                          s.size, s.offset));
      }
      const std::int64_t folds = (most + spread_units - 1) / spread_units;
      fold = choose(loop++, folds, entry_index);
      const UnitChunks shared = units[0];
      units.assign(static_cast<std::size_t>(spread_units), shared);
      spread(units, d, fold, spread_units);
    }
  }
  for (UnitChunks& u : units) geometry_.finish_level(u);
  for (std::int64_t k = 0; k < p.units; ++k)
    out.push_back(units[spread_units == 1 ? 0 : static_cast<std::size_t>(k)]);
}

void ArrayState::split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
  const Interval parent = geometry_.parent_interval(u, d.dim);
  const std::int64_t n = chunk_count(parent.length(), d.size, d.offset);
  geometry_.assign(
      u, d.dim, index >= 0 && index < n ? chunk_at(parent, d.size, d.offset, index) : Interval{});
}

void ArrayState::spread(std::vector<UnitChunks>& units, const ResolvedDirective& d,
                        std::int64_t fold, std::int64_t level_units) const {
  for (std::size_t u = 0; u < units.size(); ++u)
    split(units[u], d, fold * level_units + static_cast<std::int64_t>(u));
}

}  // namespace metronome::contention
