#pragma once
// The array's state at chosen loop indices, for the contention-aware estimate
// (model/contention.cpp): every PE's chunks when each loop of the odometer sits at an index
// someone chose, with the directive rules of docs/semantics.md (spec/semantics_walk).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "spec/semantics_walk.hpp"

namespace metronome::contention {

// The loops of the odometer, outermost first: every TemporalMap and each level's fold loop (its
// first SpatialMap), level by level (the order of FillCounts::classes).
struct LoopRef {
  std::size_t level = 0;
  std::size_t position = 0;
  Dim dim = Dim::N;
};

std::vector<LoopRef> odometer_loops(const std::vector<LevelPlan>& plans);

// Picks the index of loop `loop` (odometer order) given its trip count for the cluster being
// built; `entry` numbers the clusters of the loop's level (0 is the first PE's).
using IndexChooser =
    std::function<std::int64_t(std::size_t loop, std::int64_t trips, std::size_t entry)>;

// Chunks of every PE for chosen loop indices. PE number: the mixed-radix number of its unit
// indices, top level most significant, so the PEs of one innermost cluster are consecutive. An
// index beyond a cluster's own trip count leaves its units idle (empty chunks), as in lockstep.
class ArrayState {
 public:
  ArrayState(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans);

  void pe_chunks(const IndexChooser& choose, std::vector<UnitChunks>& pes) const;

 private:
  void apply_level(std::size_t l, const UnitChunks& entry, std::size_t entry_index,
                   const IndexChooser& choose, std::vector<UnitChunks>& out) const;

  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& plans_;
  std::vector<std::size_t> loop_base_;
};

}  // namespace metronome::contention
