// The chunk rules every walk shares (spec/semantics_walk.hpp): which chunk a directive gives a
// unit, when a unit is left idle, and how many folds a level's fold loop takes.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "spec/semantics_walk.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

using testing_layers::conv;
using testing_layers::smap;
using testing_layers::tmap;

TEST(ChunkRules, TakeChunkGivesTheIndexedChunkAndIdlesOutsideTheRange) {
  const LayerGeometry geometry(conv(10, 4, 1, 1, 4, 4));
  const ResolvedDirective k4 = tmap(MapDim::K, 4, 4);  // chunks [0,4) [4,8) [8,10)
  EXPECT_EQ(directive_chunks(geometry, geometry.whole_layer(), k4), 3);
  for (std::int64_t index : {0, 1, 2}) {
    UnitChunks u = geometry.whole_layer();
    EXPECT_TRUE(take_chunk(geometry, u, k4, index));
    EXPECT_EQ(u.chunk[Dim::K].lo, 4 * index);
    EXPECT_EQ(u.chunk[Dim::K].hi, index == 2 ? 10 : 4 * index + 4);
  }
  for (std::int64_t index : {-1, 3, 100}) {
    UnitChunks u = geometry.whole_layer();
    EXPECT_FALSE(take_chunk(geometry, u, k4, index)) << index;
    EXPECT_EQ(u.chunk[Dim::K].length(), 0) << index;
  }
}

TEST(ChunkRules, SpreadGivesUnitUChunkFoldTimesUnitsPlusU) {
  const LayerGeometry geometry(conv(10, 4, 1, 1, 4, 4));
  const ResolvedDirective k1 = smap(MapDim::K, 1, 1);
  std::vector<UnitChunks> units(4, geometry.whole_layer());
  spread_chunks(geometry, units, k1, 2, 4);  // fold 2 of 4 units: chunks 8, 9, then idle
  EXPECT_EQ(units[0].chunk[Dim::K].lo, 8);
  EXPECT_EQ(units[1].chunk[Dim::K].lo, 9);
  EXPECT_EQ(units[2].chunk[Dim::K].length(), 0);
  EXPECT_EQ(units[3].chunk[Dim::K].length(), 0);
}

TEST(ChunkRules, FoldCountTakesTheMostChunksOfTheLaterSpatialMaps) {
  const LayerGeometry geometry(conv(10, 6, 1, 1, 4, 4));
  // Temporal maps and SpatialMaps before `first` do not count; K gives 10 chunks, C 6.
  const std::vector<ResolvedDirective> level{smap(MapDim::C, 1, 1), tmap(MapDim::Y, 1, 1),
                                             smap(MapDim::K, 1, 1), smap(MapDim::C, 1, 1)};
  const UnitChunks whole = geometry.whole_layer();
  EXPECT_EQ(fold_count(geometry, whole, level, 2, 4), 3);  // ceil(10 / 4)
  EXPECT_EQ(fold_count(geometry, whole, level, 3, 4), 2);  // ceil(6 / 4)
  EXPECT_EQ(fold_count(geometry, whole, level, 4, 4), 1);  // no SpatialMap left
  std::vector<const ResolvedDirective*> pointers;
  for (const ResolvedDirective& d : level) pointers.push_back(&d);
  EXPECT_EQ(fold_count(geometry, whole, pointers, 2, 5), 2);
}

}  // namespace
}  // namespace metronome
