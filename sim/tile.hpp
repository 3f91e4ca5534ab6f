#pragma once
// One PE's step as the PE core executes it (sim/pe.hpp's PeStep): from the PE's final chunks and
// MAC box of an array step (sim/step_plan.hpp's PeSlot) to its tile (the words it holds, per
// tensor) and its MAC list (operands as positions in the tile lists).
//
// The tile is the chunk product of model/README.md's table (the model's TileShape::coordinates),
// so the simulator's L1 contents and the model's fill counts describe the same words:
//   input   Nc x Cc x Yc x Xc           the input rows/cols the unit is given, needed or not
//   weight  Kc x Cc x Rc x Sc           DSCONV K == C: (Kc ∩ Cc) x Rc x Sc;
//                                       DSCONV K == 1: Kc x Cc x Rc x Sc of Weight[1][C][R][S]
//                                       (= Cc x Rc x Sc of Weight[C][R][S], empty when Kc is)
//   output  Nc x OCc x Y'c x X'c        OCc = Kc; DSCONV K == C: Kc ∩ Cc; DSCONV K == 1: Cc
//                                       (empty when Kc is); Y'c, X'c the box's oy/ox ranges
//                                       (LayerGeometry::fitting_outputs: the outputs whose
//                                       windows fit in Yc, Xc with Rc, Sc)
// In box terms the weight tile is the box's k x c x r x s ranges (MacBox keeps k = [0, 1) and
// c = Kc ∩ Cc for DSCONV K == C) and the output tile is n x (k, or c for DSCONV) x oy x ox.
// Each list holds flat indices (sim/tensors.hpp's TensorLayout) in ascending order, each once:
// the product is enumerated in row-major order of the tensor's own layout.
//
// MAC order (output stationary): outputs in row-major order of the output tile, and for each
// output all its MACs back to back with the reduction innermost:
//   CONV/GEMM: n, k, y', x' | c, r, s        DSCONV: n, c, y', x' | r, s
// (last-listed fastest), so consecutive MACs accumulate into the same partial sum and the
// weight and input positions advance by one along s.
//
// Cost: positions come from interval arithmetic (no hashing, no lookups); the lists are written
// in place, reusing the capacity of the vectors handed in (resize, then fill). Measured (release,
// one core): VGG16 conv1_2 with kcp_ws on 256 PEs, 205.5 M PE-steps of 19 tile words and 9 MACs
// each: build_tile ~22 ns per PE-step (4.6 s in all), build ~55 ns (11 s in all, i.e. ~6 ns per
// MAC written); StepPlan's own walk of that layer takes another ~7 s.

#include <array>
#include <cstdint>

#include "sim/global_buffer.hpp"
#include "sim/pe.hpp"
#include "sim/tensors.hpp"
#include "spec/layer.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome::sim {

// The coordinate ranges of a PE's tile per tensor, in the order of the tensor's layout:
// input (n, c, y, x), weight (k, c, r, s), output (n, k or c, y', x').
struct TileRanges {
  PerTensor<std::array<Interval, 4>> range;
  std::int64_t words(Tensor t) const;  // product of the lengths
  // The same words of every tensor (ranges equal, or both empty). Inline: the controller asks it
  // for every PE of every array step.
  bool same_words(const TileRanges& other) const {
    const auto empty = [](const std::array<Interval, 4>& r) {
      return r[0].empty() || r[1].empty() || r[2].empty() || r[3].empty();
    };
    for (Tensor t : kAllTensors)
      if (range[t] != other.range[t] && !(empty(range[t]) && empty(other.range[t]))) return false;
    return true;
  }
};

class TileBuilder {
 public:
  explicit TileBuilder(const Layer& layer);

  const LayerGeometry& geometry() const { return geometry_; }
  const TensorLayout& layout() const { return layout_; }

  // The tile's ranges; `box` must be geometry().box(chunks) (as in a StepPlan's PeSlot).
  TileRanges ranges(const UnitChunks& chunks, const MacBox& box) const;
  // The tile only (no MACs). Throws std::logic_error when a tensor's tile has more than 2^32
  // words (positions would not fit PeMac's uint32).
  void build_tile(const UnitChunks& chunks, const MacBox& box, WorkingSet& out) const;
  // Tile and MAC list (box.volume() MACs, each MAC of the box once, in the order above).
  void build(const UnitChunks& chunks, const MacBox& box, PeStep& out) const;
  // The same from the ranges (`t` must be ranges(chunks, box)).
  void build_tile(const TileRanges& t, WorkingSet& out) const { fill_tile(t, out); }
  void build(const TileRanges& t, const MacBox& box, PeStep& out) const;

 private:
  void fill_tile(const TileRanges& t, WorkingSet& out) const;

  LayerGeometry geometry_;
  TensorLayout layout_;
  std::int64_t stride_y_ = 1, stride_x_ = 1;
};

}  // namespace metronome::sim
