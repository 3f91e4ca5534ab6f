#include "model/tile_union.hpp"

#include <algorithm>
#include <unordered_set>

#include "model/fills.hpp"

namespace metronome {
namespace {

// Collects the interval of input coordinate `coordinate` (TileShape order) of every leaf state,
// walking only the coordinate's dimension group. States of a level that repeat exactly (equal
// keys against the layer's origin) lead to the same leaves and are walked once.
class InputLeaves {
 public:
  InputLeaves(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans, DimMask group,
              std::size_t coordinate)
      : geometry_(geometry),
        plans_(plans),
        walks_(geometry, plans),
        group_(group),
        coordinate_(coordinate),
        origin_(geometry.whole_layer()),
        seen_(plans.size()) {}

  std::vector<Interval>& run() {
    level(0, origin_);
    return leaves_;
  }

 private:
  void level(std::size_t l, const UnitChunks& entry) {
    walks_.walk(l, entry, group_, [&](const std::vector<UnitChunks>& units, std::int64_t) {
      for (const UnitChunks& u : units) {
        if (l + 1 == plans_.size()) {
          leaves_.push_back(TileShape::coordinates(geometry_, u, Tensor::Input)[coordinate_]);
          continue;
        }
        key_.clear();
        append_state_key(key_, geometry_, origin_, u, group_);
        if (seen_[l + 1].insert(key_).second) level(l + 1, u);
      }
      return true;
    });
  }

  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& plans_;
  LevelWalks walks_;
  DimMask group_;
  std::size_t coordinate_;
  UnitChunks origin_;
  std::vector<std::unordered_set<StateKey, StateKeyHash>> seen_;  // per level, entry states
  StateKey key_;
  std::vector<Interval> leaves_;
};

}  // namespace

PerTensor<std::int64_t> union_of_pe_tiles(const LayerGeometry& geometry,
                                          const std::vector<LevelPlan>& plans) {
  const UnitChunks whole = geometry.whole_layer();
  PerTensor<std::int64_t> words;
  for (Tensor t : kAllTensors) words[t] = TileShape::coordinates(geometry, whole, t).volume();
  // Every MAC coordinate takes every value of N, K, C, R, S and the outputs, and a stride-1
  // axis uses every input row (col), so the leaves (which hold every MAC) name every word of
  // those coordinates. Only a strided input axis can leave rows unnamed.
  constexpr std::size_t kInputRow = 2, kInputCol = 3;  // TileShape order: n, c, y, x
  std::vector<std::size_t> strided;
  if (geometry.stride(Dim::Y) > 1) strided.push_back(kInputRow);
  if (geometry.stride(Dim::X) > 1) strided.push_back(kInputCol);
  if (strided.empty()) return words;

  const std::vector<DimMask> groups = dimension_groups(geometry, plans);
  const CoordinateDims input_dims = tile_coordinate_dims(Tensor::Input, geometry);
  auto group_of = [&](DimMask dims) {
    DimMask joined = 0;
    for (DimMask g : groups)
      if (g & dims) joined |= g;
    return joined;
  };
  // The union of the tiles is the product of per-coordinate unions when no group moves a
  // strided coordinate together with another input coordinate (the others take every value, so
  // only the strided ones need their own group); otherwise keep the whole tensor (an upper bound).
  for (std::size_t i : strided)
    for (std::size_t j = 0; j < input_dims.size(); ++j)
      if (j != i && (group_of(input_dims[i]) & group_of(input_dims[j]))) return words;
  const Tile all = TileShape::coordinates(geometry, whole, Tensor::Input);
  for (std::size_t i : strided) {
    InputLeaves walk(geometry, plans, group_of(input_dims[i]), i);
    words[Tensor::Input] =
        words[Tensor::Input] / all[i].length() * interval_union_length(walk.run());
  }
  return words;
}

}  // namespace metronome
