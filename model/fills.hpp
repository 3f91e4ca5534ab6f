#pragma once
// Closed-form count of the words each PE must receive (fills) and send (drains) when its L1
// keeps exactly the tiles of its current step: per PE and tensor, sum over its steps t of
// |T_t \ T_{t-1}| (with T_{-1} empty). See model/README.md, "Fills".
//
// The per-PE step sequence is an odometer over the loops of every level. Grouping the
// dimensions into independent groups (Y with R, X with S, the dimensions spatially mapped at one
// level) makes every sum over "all transitions where loop j advances" a product of per-group
// sums, so the cost depends on the number of loops and chunk shapes, not on the layer's size.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "spec/dims.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

// The part of a tensor's tile a unit holds (words), per tensor:
//   input  = Nc x Cc x Yc x Xc
//   weight = Kc x Cc x Rc x Sc      (DSCONV with K = C: (Kc n Cc) x Rc x Sc)
//   output = Nc x Kc x Y'c x X'c    (Y'c: the outputs whose windows fit; DSCONV K = C: Kc n Cc)
struct Tile {
  std::array<Interval, 4> range{};
  std::size_t size = 0;

  const Interval* begin() const { return range.data(); }
  const Interval* end() const { return range.data() + size; }
  const Interval& operator[](std::size_t i) const { return range[i]; }
  std::int64_t volume() const;
  std::int64_t overlap(const Tile& other) const;  // words both tiles hold
};

struct TileShape {
  // Interval of every tensor coordinate, for tile volumes and intersections.
  static Tile coordinates(const LayerGeometry& g, const UnitChunks& u, Tensor t);
  // coordinates(g, u, t)[i] alone (walks that look at one coordinate per group).
  static Interval coordinate(const LayerGeometry& g, const UnitChunks& u, Tensor t, std::size_t i);
  // coordinates(), with the input's rows (columns) narrowed to those some MAC of the unit reads
  // (its fitting outputs' windows), where they are an interval (no gaps between windows).
  static Tile read_coordinates(const LayerGeometry& g, const UnitChunks& u, Tensor t);
  // The dimension whose chunk coordinate i is as it is (u.chunk[d]), if it is one.
  static std::optional<Dim> plain_dim(const LayerGeometry& g, Tensor t, std::size_t i);
};

// Steps of one kind: the transitions in which loop `loop` advances (inner loops reset), or the
// very first step (loop == -1).
struct TransitionClass {
  int loop = -1;
  std::int64_t per_pe_count = 0;  // how many such transitions one PE (unit 0s) makes
  PerTensor<std::int64_t> words;  // words filled, summed over all PEs
};

// One dimension group's part of a transition class: summed over the class's transitions and the
// group's leaves, the new tile's part in the group (fresh) and its overlap with the previous
// tile's (kept; 0 for the first step). The class's words are prod_g fresh - prod_g kept, times
// the units of levels without SpatialMap.
struct GroupPart {
  PerTensor<std::int64_t> fresh, kept;
};

struct FillCounts {
  PerTensor<std::int64_t> words;                    // total over all transitions and PEs
  std::vector<TransitionClass> classes;             // first step, then one per loop
  PerTensor<std::int64_t> max_tile;                 // largest tile a PE holds, words
  std::int64_t leaves = 0;                          // PEs covered (product of units used)
  std::vector<DimMask> groups;                      // dimension_groups of the plans counted
  std::vector<std::vector<GroupPart>> group_parts;  // per class, per group (as `groups`)
};

// Total length of a union of intervals (reorders `intervals`).
std::int64_t interval_union_length(std::vector<Interval>& intervals);

// The dimensions each tile coordinate (TileShape order) of tensor `t` depends on (a fixed-size
// list: the counts ask for it per count and tensor).
struct CoordinateDims {
  std::array<DimMask, 4> dims{};
  std::size_t count = 0;

  std::size_t size() const { return count; }
  DimMask operator[](std::size_t i) const { return dims[i]; }
  const DimMask* begin() const { return dims.data(); }
  const DimMask* end() const { return dims.data() + count; }
};
CoordinateDims tile_coordinate_dims(Tensor t, const LayerGeometry& geometry);

// The mapping's independent dimension groups: Y with R, X with S, K with C on depth-wise layers,
// and the dimensions spatially mapped at one level. Loops of different groups never change each
// other's chunks, so the states of a whole walk are the product of the groups' states.
std::vector<DimMask> dimension_groups(const LayerGeometry& geometry,
                                      const std::vector<LevelPlan>& plans);

// Counts fills over the first `depth` levels (depth = plans.size() for PEs; 1 for the top
// level's units, whose "tiles" are the chunks a top-level unit holds).
// `read_rows_only`: tiles as TileShape::read_coordinates (L2's tiles at a cut of the top level:
// it holds the words the PE tiles of an iteration name, which are the rows and columns their
// MACs read, not the whole of the unit's chunk).
FillCounts count_fills(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
                       std::size_t depth, bool read_rows_only = false);

// The top level `level` cut after its first `cut` directives with its units side by side as one
// unit: past the first SpatialMap L2 holds the union of the units' chunks, and where that map's
// chunks overlap or touch (offset <= size) the union of fold f's chunks f*N .. f*N+N-1 (N units)
// is one interval, chunk f of TemporalMap((N-1)*offset + size, N*offset), which has as many
// chunks as the map has folds. count_fills(geometry, {plan}, 1) of the result is what L2 newly
// holds from one iteration to the next, including the words a unit needs that another unit held
// in the iteration before (input rows that consecutive folds of output rows share). nullopt where
// the union is not one such map: no or two SpatialMaps in the cut, gaps between chunks, a later
// map of the same dimension in the cut (it splits each unit's chunk), gaps between the input rows
// (columns) of consecutive output rows (columns), or a map of the input rows, columns or filter
// taps (the outputs whose windows fit in a union of such chunks are more than the union of the
// units' outputs).
std::optional<LevelPlan> units_side_by_side(const LayerGeometry& geometry, const LevelPlan& level,
                                            std::size_t cut);

}  // namespace metronome
