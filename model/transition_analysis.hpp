#pragma once
// One transition of the array, for the contention-aware estimate (model/contention.cpp): which
// words move, to and from which PEs, and through which L2 banks.

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "model/contention.hpp"
#include "model/fills.hpp"
#include "spec/hardware.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome::contention {

// Size of every tile coordinate (TileShape order): the row-major layout of Layer::tensor_words.
std::array<std::int64_t, 4> coordinate_sizes(const LayerGeometry& g, Tensor t);

inline bool inside(const Tile& box, const std::array<std::int64_t, 4>& point) {
  if (box.size == 0) return false;
  for (std::size_t i = 0; i < box.size; ++i)
    if (!box[i].contains(point[i])) return false;
  return true;
}

// Calls f(flat index) for every word of `box` that `minus` does not hold.
template <typename F>
void for_each_word(const Tile& box, const Tile& minus, const std::array<std::int64_t, 4>& sizes,
                   F&& f) {
  if (box.size == 0 || box.volume() == 0) return;
  std::array<Interval, 4> r{};
  for (std::size_t i = 0; i < 4; ++i) r[i] = i < box.size ? box[i] : Interval{0, 1};
  std::array<std::int64_t, 4> p{};
  for (p[0] = r[0].lo; p[0] < r[0].hi; ++p[0])
    for (p[1] = r[1].lo; p[1] < r[1].hi; ++p[1])
      for (p[2] = r[2].lo; p[2] < r[2].hi; ++p[2])
        for (p[3] = r[3].lo; p[3] < r[3].hi; ++p[3]) {
          if (inside(minus, p)) continue;
          f(((p[0] * sizes[1] + p[1]) * sizes[2] + p[2]) * sizes[3] + p[3]);
        }
}

// Traffic of one tensor in one transition, before any scaling.
struct TensorTraffic {
  std::vector<TrafficGroup> groups;   // destination (or contributor) sets and their words
  std::vector<double> bank_accesses;  // L2 accesses per bank
  double pe_words = 0;                // words summed over PEs (fills or drains)
  std::vector<char> pe_active;        // PEs that receive (or send) words
  // Every word L2 reads (or receives), in flat-index order, with its group in `groups`.
  std::vector<std::pair<std::int64_t, std::uint32_t>> packets;
};

class TransitionAnalysis {
 public:
  TransitionAnalysis(const LayerGeometry& geometry, const Hardware& hw);

  const std::array<std::int64_t, 4>& sizes(Tensor t) const { return sizes_[t]; }

  // Words a PE receives (inputs, weights: after \ before) or drains (outputs: before \ after),
  // grouped by the set of PEs that share them: multicast (or reduction) groups. With
  // `merge` false every PE's words form their own group (unicast, or reduction at L2).
  TensorTraffic analyze(Tensor t, const std::vector<UnitChunks>& before,
                        const std::vector<UnitChunks>& after, bool merge) const;

  // Words a transition moves, summed over PEs, without enumerating them.
  double pe_words(Tensor t, const std::vector<UnitChunks>& before,
                  const std::vector<UnitChunks>& after) const;

 private:
  const LayerGeometry& geometry_;
  const Hardware& hw_;
  PerTensor<std::array<std::int64_t, 4>> sizes_;
};

}  // namespace metronome::contention
