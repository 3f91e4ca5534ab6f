#pragma once
// The fill count's per-group sums (model/fills.hpp, GroupPart) for a group that is one plain
// dimension: N, or K or C of a layer that is not depth-wise. Its chunks are intervals that only
// tile their parents (no windows, no strides, no other dimension), so the walk keeps an (old, new)
// interval pair per class of units instead of every unit's chunks of every dimension: a map's
// indices and a fold's units fall into runs split at the whole-chunk and chunk counts (a fold
// loop's indices are classed by three numbers per unit class). The sums are those of
// FillCounter's generic walk: tests/unit/model_fills_test.cpp compares the counts with a
// step-by-step walk on hand-made and random mappings.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/odometer.hpp"
#include "spec/dims.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

struct PlainGroupSums {
  PerTensor<std::int64_t> fresh;    // sum over the class's transitions and leaves of the new part
  PerTensor<std::int64_t> kept;     // ... of the part kept from the previous step (0: first step)
  PerTensor<std::int64_t> largest;  // the largest new part seen
  std::int64_t per_pe = 0;          // leaves on the unit-0 path
};

class PlainGroupWalk {
 public:
  // Whether `group` is one plain dimension whose maps this walk takes: at most one SpatialMap of
  // it per level (a second one would spread with the fold's index).
  static bool applies(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
                      DimMask group);

  // Scratch for every group of these plans (kept from earlier plans); bind() picks the group.
  void reset(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
             const Odometer& odometer);

  // A group for which applies().
  void bind(DimMask group);

  // The bound group's sums for the transitions where loop `cut` of the odometer advances (-1: the
  // first step).
  PlainGroupSums sums(int cut);

 private:
  struct Entry {  // a class of units: unit 0 is entry 0 of a level
    Interval old_chunk, new_chunk;
    std::int64_t count = 1;
  };
  struct Map {  // one directive of the dimension at a level
    std::size_t position = 0;
    bool fold = false;
    std::int64_t size = 1, offset = 1;
  };
  enum class Role { Before, Cut, After };

  void level(std::size_t l, Interval old_chunk, Interval new_chunk, bool unit0,
             std::int64_t weight);
  void map(std::size_t l, std::size_t k, bool unit0, std::int64_t weight);
  void leaf(Interval old_chunk, Interval new_chunk, bool unit0, std::int64_t weight);
  Role role(std::size_t l, std::size_t position) const;
  // The entries after map (l, k) at indices (old, new): temporal maps split every entry, the fold
  // spreads the level's shared chunk over its units, as classes.
  void apply(std::size_t l, std::size_t k, std::int64_t old_index, std::int64_t new_index,
             std::vector<Entry>& into);
  void key(const std::vector<Entry>& entries, StateKey& into) const;
  static void put_key(const Entry& e, StateKey& into);
  std::int64_t trips(std::size_t l, std::size_t k, bool old_side) const;

  const LayerGeometry* geometry_ = nullptr;
  const std::vector<LevelPlan>* plans_ = nullptr;
  const Odometer* odometer_ = nullptr;
  Dim dim_ = Dim::N;
  PerTensor<bool> has_;  // tensors with a coordinate in the dimension
  // The bound dimension's maps, level l's at [base_[l], base_[l] + count_[l]).
  std::vector<Map> maps_;
  std::vector<std::size_t> base_, count_;
  // Scratch per position base_[l] + k (k = 0..count_[l]; room for every directive of the level
  // and its end): the entries before map k (k = 0: the level's entry chunk), probes and classes.
  std::vector<std::vector<Entry>> entries_;
  std::vector<std::vector<Entry>> probes_;
  std::vector<KeyedClasses> classes_;
  std::vector<std::vector<IndexClass>> segments_;  // a TemporalMap's runs of equal keys
  std::vector<std::int64_t> cuts_;
  std::vector<IndexClass> unit_runs_;  // a fold's units (apply finishes with them)
  int cut_ = -1;
  PlainGroupSums sums_;
};

}  // namespace metronome
