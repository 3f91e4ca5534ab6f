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
      for (const UnitChunks& u : units) trips = std::max(trips, directive_chunks(geometry_, u, d));
      const std::int64_t index = choose(loop++, trips, entry_index);
      for (UnitChunks& u : units) take_chunk(geometry_, u, d, index);
    } else if (fold >= 0) {
      spread_chunks(geometry_, units, d, fold, spread_units);
    } else {
      const std::int64_t folds = fold_count(geometry_, units[0], p.directives, i, spread_units);
      fold = choose(loop++, folds, entry_index);
      const UnitChunks shared = units[0];
      units.assign(static_cast<std::size_t>(spread_units), shared);
      spread_chunks(geometry_, units, d, fold, spread_units);
    }
  }
  for (UnitChunks& u : units) geometry_.finish_level(u);
  for (std::int64_t k = 0; k < p.units; ++k)
    out.push_back(units[spread_units == 1 ? 0 : static_cast<std::size_t>(k)]);
}

}  // namespace metronome::contention
