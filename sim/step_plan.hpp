#pragma once
// The first part of the simulator's controller: the array's steps under lockstep
// (docs/semantics.md, "Steps (lockstep)"), generated one at a time.
//
// For a layer and a resolved mapping, StepPlan walks every level's loop nest (TemporalMaps and
// the fold loop, in directive order, with the chunk rules of spec/semantics_walk.hpp) and yields,
// for each array step t, for every PE either "no step" (its own sequence is shorter than the
// array's at that point) or its final UnitChunks and the MAC box they give
// (LayerGeometry::box). Nothing is materialised beyond one step: memory is a few chunk vectors
// per cluster, independent of the number of steps.
//
// PE index: the mixed-radix combination of the unit indices of all levels, top level most
// significant. With units U_0 (top) .. U_{L-1} (innermost) and unit indices u_0 .. u_{L-1},
//   pe = (((u_0 * U_1 + u_1) * U_2 + u_2) ... ) * U_{L-1} + u_{L-1},
// so the PEs of one innermost cluster are consecutive. There are prod U_l PEs
// (ResolvedMapping::pes_used). A level with several units and no SpatialMap gives every unit the
// same chunks.
//
// Lockstep: a level's iteration lasts max over its units of the steps of their child sequence;
// in array step t of that iteration unit u takes its child step t if it has one, else its PEs
// have no step. At the innermost level every iteration is one step.
//
// Cost: incremental. A directive reads and writes only its own group of chunk fields (N; K; C;
// Y with R and Y'; X with S and X'; K and C together for channel-tied DSCONV), so when the walk
// moves only the directives whose input or index changed are redone, only for the units they
// split, and a PE slot gets only the chunk fields and box coordinates that changed (groups alike
// for a whole innermost cluster are compared once and written with one store per PE). A step in
// which only an innermost TemporalMap moves costs a few stores per PE; `PeSlot::changed` tells
// consumers which PEs' chunks moved at all. For this, `next` needs the view it filled last
// (see StepView).

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome::sim {

// What one PE does in one array step.
struct PeSlot {
  bool active = false;  // false: no step for this PE (chunks stale, box empty)
  // Active, and the chunks differ from the PE's previous active step of this walk (always true in
  // its first active step after construction or reset()). When false and active, chunks, box and
  // macs are those of the PE's previous active step: whatever a consumer derived from them (tile,
  // MAC list) is still valid.
  bool changed = false;
  UnitChunks chunks;      // the PE's final chunks (after every level), when active
  MacBox box;             // LayerGeometry::box(chunks); empty when not active
  std::int64_t macs = 0;  // box.volume()
};

// One array step. `pes` is indexed by PE index and reused between steps: StepPlan::next only
// rewrites what changed since the step the view holds, so consumers must not modify `pes` (copy
// a slot instead). A view that does not hold this walk's previous step (a fresh view, one filled
// by another plan or walk, or copied from an older step) is rewritten in full.
struct StepView {
  std::int64_t index = 0;           // array step t, from 0
  std::vector<PeSlot> pes;          // size pe_count()
  std::int64_t max_box_volume = 0;  // MACs of the step's busiest PE
  std::int64_t active_pes = 0;      // PEs that have a step
  std::int64_t changed_pes = 0;     // PEs with `changed` set
  bool any_mac() const { return max_box_volume > 0; }
  // Bookkeeping of StepPlan: the walk whose step `index` the view holds (0: none).
  std::uint64_t walk_id = 0;
};

class StepPlan {
 public:
  StepPlan(const Layer& layer, const ResolvedMapping& mapping);
  ~StepPlan();
  StepPlan(const StepPlan&) = delete;
  StepPlan& operator=(const StepPlan&) = delete;

  const LayerGeometry& geometry() const { return geometry_; }
  std::int64_t pe_count() const { return pe_count_; }
  std::size_t levels() const { return units_.size(); }
  // Units per level, top first.
  const std::vector<std::int64_t>& units_per_level() const { return units_; }
  // PE index of unit indices (top first, one per level); see the header comment.
  std::int64_t pe_index(std::span<const std::int64_t> unit_indices) const;

  // Fills `view` with the next array step; false (view untouched) when the walk is over. Fastest
  // with the same view every time (then only what changed is rewritten).
  bool next(StepView& view);
  // Starts again from step 0.
  void reset();

 private:
  class Cursor;
  struct Node;
  struct Leaf;

  void start(std::size_t level, std::size_t node, const UnitChunks& entry);
  void start_children(std::size_t level, std::size_t node);
  bool step(std::size_t level, std::size_t node, StepView& view);
  void emit(std::size_t node, StepView& view);
  void write_inactive(std::size_t node, StepView& view, bool chunks);
  void box_part(const UnitChunks& chunks, unsigned group, MacBox& box);

  // The last outputs computed per axis (Y, X) from a window, input and output-limit chunk:
  // sibling clusters mostly ask for the same ones in a step.
  struct AxisMemo {
    Interval window, in, limit, outputs;
    bool valid = false;
  };

  LayerGeometry geometry_;
  std::vector<LevelPlan> plans_;
  std::vector<std::int64_t> units_;
  std::int64_t pe_count_ = 1;
  std::vector<std::vector<Node>> nodes_;  // per level, node j = prefix of unit indices above
  std::vector<Leaf> leaves_;              // per innermost node: what its PEs' slots hold
  std::int64_t next_index_ = 0;
  std::uint64_t walk_id_ = 0;
  bool refresh_ = false;  // the view being filled is rewritten in full
  AxisMemo axis_memo_[2];
};

}  // namespace metronome::sim
