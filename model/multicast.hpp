#pragma once
// Words L2 reads and sends when the distribution network multicasts (DESIGN.md: "L2 sends a word
// once per step however many PEs need it"): per array step t, every word some PE newly needs,
// once, i.e. sum over t of |union over PEs of (T_t \ T_{t-1})|, per tensor. Sibling tiles that
// overlap in part (sliding windows side by side, rows of a row-stationary array) share the words
// they have in common; the share rule of the fill counts (fills / share) only sees identical
// tiles. See model/README.md, "Multicast".
//
// Closed form, per transition class of model/fills.hpp (the loop that advances): with the
// dimension groups g of the mapping, a PE's tile is a product of per-group parts, and the PEs are
// the product of the groups' unit indices, so a word x is newly needed by some PE iff every group
// part x_g lies in the union C_g of the group's new parts and, for some group, in the union N_g of
// (new part \ old part):  |union| = prod_g |C_g| - prod_g (|C_g| - |N_g|),  and sums over the
// transitions of a class factor into per-group sums. Each group is walked once per class with all
// of its units side by side (translated configurations grouped as in the fill counts).

#include <cstdint>
#include <vector>

#include "model/fills.hpp"
#include "spec/dims.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

struct MulticastWords {
  // Per tensor: computed (exact). Always false for outputs (they are reduced, not multicast);
  // false where a tensor's tile has two coordinates in one dimension group (the product rule
  // does not apply), and for every tensor when sibling units walk a loop with different trip
  // counts (their steps do not line up). `words` and `classes` hold meaningless values for a
  // tensor that is not exact.
  PerTensor<bool> exact;
  PerTensor<std::int64_t> words;                 // total over the layer
  std::vector<PerTensor<std::int64_t>> classes;  // per transition class, FillCounts::classes order
};

// `fills`: count_fills over all levels of `plans`; a group without spatial units has one state
// for all PEs, so its union sums are the fill counts' (walked only for the groups with units).
MulticastWords count_multicast_words(const LayerGeometry& geometry,
                                     const std::vector<LevelPlan>& plans, const FillCounts& fills);

}  // namespace metronome
