// The model's closed-form fill counts against a step-by-step count done here: every PE's step
// sequence is walked in order and |T_t \ T_{t-1}| is summed per tensor.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "model/fills.hpp"
#include "spec/layer.hpp"
#include "spec/semantics_walk.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

using testing_layers::conv;

using testing_layers::smap;
using testing_layers::tmap;

// Written out here rather than calling Tile::volume / Tile::overlap, which the model uses.
std::int64_t volume(const Tile& c) {
  std::int64_t v = 1;
  for (std::size_t i = 0; i < c.size; ++i) v *= c.range[i].length();
  return v;
}

std::int64_t overlap(const Tile& a, const Tile& b) {
  std::int64_t v = 1;
  for (std::size_t i = 0; i < a.size; ++i) {
    const std::int64_t lo = std::max(a.range[i].lo, b.range[i].lo);
    const std::int64_t hi = std::min(a.range[i].hi, b.range[i].hi);
    v *= hi > lo ? hi - lo : 0;
  }
  return v;
}

struct Reference {
  PerTensor<std::int64_t> words;
  PerTensor<std::int64_t> max_tile;
};

// Walks every level with all dimensions; PEs are identified by their unit path.
Reference step_by_step(const Layer& layer, const ResolvedMapping& mapping) {
  const LayerGeometry g(layer);
  const std::vector<LevelPlan> plans = plan_levels(mapping);
  Reference ref;
  std::map<std::vector<std::size_t>, PerTensor<Tile>> last;
  testing_layers::for_each_pe_step(
      g, plans, [&](const std::vector<std::size_t>& path, const UnitChunks& u) {
        auto [it, first] = last.try_emplace(path);
        for (Tensor t : kAllTensors) {
          const Tile tile = TileShape::coordinates(g, u, t);
          ref.words[t] += volume(tile) - (first ? 0 : overlap(tile, it->second[t]));
          ref.max_tile[t] = std::max(ref.max_tile[t], volume(tile));
          it->second[t] = tile;
        }
      });
  // Levels without SpatialMap have identical units, walked once above: every one is a PE.
  for (const LevelPlan& p : plans)
    if (p.first_spatial < 0)
      for (Tensor t : kAllTensors) ref.words[t] *= p.units;
  return ref;
}

void expect_same(const Layer& layer, const ResolvedMapping& mapping, const std::string& what) {
  const Reference ref = step_by_step(layer, mapping);
  const FillCounts fills =
      count_fills(LayerGeometry(layer), plan_levels(mapping), mapping.levels.size());
  for (Tensor t : kAllTensors) {
    EXPECT_EQ(fills.words[t], ref.words[t]) << what << " tensor " << tensor_name(t);
    EXPECT_EQ(fills.max_tile[t], ref.max_tile[t]) << what << " tensor " << tensor_name(t);
  }
}

TEST(ModelFills, KcpWsOnStridedLayer) {
  const ResolvedMapping kcp{
      "kcp_ws",
      {{1,
        {smap(MapDim::K, 1, 1), tmap(MapDim::C, 64, 64), tmap(MapDim::R, 3, 3),
         tmap(MapDim::S, 3, 3), tmap(MapDim::Y, 3, 1), tmap(MapDim::X, 3, 1)}},
       {8,
        {smap(MapDim::C, 1, 1), tmap(MapDim::Y, 3, 1), tmap(MapDim::X, 3, 1), tmap(MapDim::R, 3, 3),
         tmap(MapDim::S, 3, 3)}}},
      8};
  expect_same(conv(2, 3, 3, 3, 9, 9, 2), kcp, "kcp_ws stride 2");
  expect_same(conv(4, 4, 3, 3, 8, 8, 1), kcp, "kcp_ws stride 1");
}

TEST(ModelFills, HandWorkedWeightStationary) {
  // One PE, K=2 C=1 R=S=1 Y=1 X=3: weights change once per k (2 fills), inputs are refilled
  // for every x of every k (6), outputs one per (k, x) (6).
  const ResolvedMapping m{"ws", {{1, {tmap(MapDim::K, 1, 1), tmap(MapDim::X, 1, 1)}}}, 1};
  const FillCounts f = count_fills(LayerGeometry(conv(2, 1, 1, 1, 1, 3, 1)), plan_levels(m), 1);
  EXPECT_EQ(f.words[Tensor::Weight], 2);
  EXPECT_EQ(f.words[Tensor::Input], 6);
  EXPECT_EQ(f.words[Tensor::Output], 6);
  // Sliding 3-wide windows over X=5 with offset 1 re-use two of three columns.
  const ResolvedMapping slide{"slide", {{1, {tmap(MapDim::X, 3, 1)}}}, 1};
  const FillCounts s = count_fills(LayerGeometry(conv(1, 1, 1, 3, 1, 5, 1)), plan_levels(slide), 1);
  EXPECT_EQ(s.words[Tensor::Input], 3 + 1 + 1);
  EXPECT_EQ(s.words[Tensor::Weight], 3);
  EXPECT_EQ(s.words[Tensor::Output], 3);
}

TEST(ModelFills, RowStationaryAndOutputMaps) {
  const ResolvedMapping rs = testing_layers::small_row_stationary();
  expect_same(conv(2, 3, 3, 3, 9, 9, 2), rs, "rs stride 2");
  expect_same(conv(4, 2, 3, 3, 11, 7, 1), rs, "rs stride 1");
}

TEST(ModelFills, EdgeChunksFoldsAndDepthwise) {
  const ResolvedMapping yxp = testing_layers::small_yx_output_stationary();
  expect_same(conv(2, 3, 3, 3, 9, 21, 2), yxp, "yxp_os edge chunks");
  const ResolvedMapping ck{
      "ck",
      {{3, {tmap(MapDim::C, 4, 3), smap(MapDim::K, 2, 2), tmap(MapDim::Y, 2, 1)}},
       {4, {smap(MapDim::C, 1, 1), tmap(MapDim::K, 1, 1)}}},
      12};
  expect_same(conv(7, 10, 1, 1, 5, 3, 1), ck, "overlapping C tiles, folds");
  expect_same(conv(5, 5, 3, 3, 7, 7, 1, LayerType::DsConv), ck, "depth-wise K = C");
}

TEST(ModelFills, PlainFoldWithAShortLastChunk) {
  // K = 20 in chunks of 3 over 8 units: 6 whole chunks, one of 2, one unit idle; C in chunks of 4
  // over 3 units below (the fold's short chunk and idle unit are unit classes of their own).
  const ResolvedMapping m{"k_fold",
                          {{8, {smap(MapDim::K, 3, 3), tmap(MapDim::C, 5, 5)}},
                           {3, {smap(MapDim::C, 2, 2), tmap(MapDim::K, 1, 1)}}},
                          24};
  expect_same(conv(20, 10, 1, 1, 3, 3, 1), m, "K fold with a short chunk");
  expect_same(conv(23, 7, 1, 1, 2, 2, 1), m, "K fold, C short too");
}

// Random small cases: the closed form must equal the walk for any mapping, valid or not.
TEST(ModelFills, RandomSmallCases) {
  std::mt19937_64 rng(20261126);
  for (int i = 0; i < 150; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 8);
    std::ostringstream what;
    what << "case " << i;
    expect_same(layer, m, what.str());
  }
}

// The same with up to 40 units at the top level: units are classed (spread_classes), and those
// past a map's chunk count idle.
TEST(ModelFills, RandomCasesWithManyUnits) {
  std::mt19937_64 rng(20261128);
  for (int i = 0; i < 120; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 9, 40);
    std::ostringstream what;
    what << "case " << i;
    expect_same(layer, m, what.str());
  }
}

// count_fills over the top level alone with read_rows_only (L2's tiles) against a walk of the top
// level's units summing |T_t \ T_(t-1)| of TileShape::read_coordinates.
TEST(ModelFills, ReadRowsOnlyCountsTheRowsTheUnitsMacsRead) {
  std::mt19937_64 rng(20261130);
  int narrower = 0;
  for (int i = 0; i < 600; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 12, i % 2 == 0 ? 3 : 12);
    const LayerGeometry g(layer);
    const std::vector<LevelPlan> plans = plan_levels(m);
    PerTensor<std::int64_t> expected{};
    std::map<std::size_t, PerTensor<Tile>> last;
    walk_level(g, plans[0], g.whole_layer(), kAllDimsMask,
               [&](const std::vector<UnitChunks>& units) {
                 for (std::size_t u = 0; u < units.size(); ++u) {
                   UnitChunks finished = units[u];
                   g.finish_level(finished);
                   auto [it, first] = last.try_emplace(u);
                   for (Tensor t : kAllTensors) {
                     const Tile tile = TileShape::read_coordinates(g, finished, t);
                     expected[t] += volume(tile) - (first ? 0 : overlap(tile, it->second[t]));
                     it->second[t] = tile;
                     if (t == Tensor::Input &&
                         volume(tile) < volume(TileShape::coordinates(g, finished, t)))
                       ++narrower;
                   }
                 }
                 return true;
               });
    if (plans[0].first_spatial < 0)
      for (Tensor t : kAllTensors) expected[t] *= plans[0].units;
    const FillCounts fills = count_fills(g, plans, 1, true);
    for (Tensor t : kAllTensors)
      EXPECT_EQ(fills.words[t], expected[t]) << "case " << i << " " << tensor_name(t);
  }
  EXPECT_GT(narrower, 100);  // the cases do narrow tiles
}

// units_side_by_side against the union of the units' tiles walked here: at every cut past the top
// level's SpatialMap where it gives a plan, its fill count must be sum_t |U_t \ U_(t-1)| with U_t
// the union over the top level's units of their tiles in iteration t, word by word, and its first
// class U_0's size.
using Word = std::array<std::int64_t, 4>;
std::set<Word> words_of(const Tile& tile) {
  std::set<Word> words;
  Word w{};
  std::function<void(std::size_t)> rec = [&](std::size_t i) {
    if (i == tile.size) {
      words.insert(w);
      return;
    }
    for (w[i] = tile.range[i].lo; w[i] < tile.range[i].hi; ++w[i]) rec(i + 1);
  };
  if (volume(tile) > 0) rec(0);
  return words;
}

// Returns how many cuts were compared.
int expect_union_fills(const Layer& layer, const ResolvedMapping& mapping,
                       const std::string& what) {
  const LayerGeometry g(layer);
  const std::vector<LevelPlan> plans = plan_levels(mapping);
  const LevelPlan& top = plans.front();
  int compared = 0;
  for (std::size_t cut = 1; cut <= top.directives.size(); ++cut) {
    const std::optional<LevelPlan> one = units_side_by_side(g, top, cut);
    if (!one) continue;
    LevelPlan outer = top;
    outer.directives.resize(cut);
    PerTensor<std::int64_t> expected{}, first{};
    PerTensor<std::set<Word>> before;
    bool first_iteration = true;
    walk_level(g, outer, g.whole_layer(), kAllDimsMask, [&](const std::vector<UnitChunks>& units) {
      for (Tensor t : kAllTensors) {
        std::set<Word> now;
        for (UnitChunks u : units) {
          g.finish_level(u);
          const std::set<Word> words = words_of(TileShape::coordinates(g, u, t));
          now.insert(words.begin(), words.end());
        }
        for (const Word& w : now) expected[t] += before[t].count(w) ? 0 : 1;
        if (first_iteration) first[t] = static_cast<std::int64_t>(now.size());
        before[t] = std::move(now);
      }
      first_iteration = false;
      return true;
    });
    const FillCounts fills = count_fills(g, {*one}, 1);
    for (Tensor t : kAllTensors) {
      EXPECT_EQ(fills.words[t], expected[t]) << what << " cut " << cut << " " << tensor_name(t);
      EXPECT_EQ(fills.classes.front().words[t], first[t])
          << what << " cut " << cut << " " << tensor_name(t);
    }
    ++compared;
  }
  return compared;
}

TEST(ModelFills, FoldsOfOutputRowsShareInputRowsInL2) {
  // K2 C1 3x3 on 10x4, two units one output row each inside a loop over K: per K, L2 newly holds
  // rows 0-3, then 2 new rows per fold (4, 2, 2, 2 rows of 4 words): the 40-word input per K.
  const ResolvedMapping m{
      "rows",
      {{2,
        {tmap(MapDim::K, 1, 1), smap(MapDim::YOut, 1, 1), tmap(MapDim::XOut, 2, 2),
         tmap(MapDim::R, 3, 3), tmap(MapDim::S, 3, 3)}}},
      2};
  const Layer layer = conv(2, 1, 3, 3, 10, 4, 1);
  EXPECT_EQ(expect_union_fills(layer, m, "rows"), 4);
  const std::optional<LevelPlan> one =
      units_side_by_side(LayerGeometry(layer), plan_levels(m)[0], 2);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(count_fills(LayerGeometry(layer), {*one}, 1).words[Tensor::Input], 2 * 40);
  // Two SpatialMaps, gaps between chunks, a map of the input rows: no single map.
  for (const ResolvedDirective& second :
       {smap(MapDim::K, 1, 1), smap(MapDim::Y, 2, 2), smap(MapDim::YOut, 1, 2)}) {
    const LevelPlan plan{2, {second, smap(MapDim::YOut, 1, 1)}, 0};
    EXPECT_FALSE(units_side_by_side(LayerGeometry(layer), plan, 2).has_value());
  }
  EXPECT_FALSE(
      units_side_by_side(LayerGeometry(layer), LevelPlan{2, {smap(MapDim::YOut, 1, 2)}, 0}, 1));
  EXPECT_FALSE(
      units_side_by_side(LayerGeometry(layer), LevelPlan{2, {smap(MapDim::Y, 2, 1)}, 0}, 1));
  // Stride 2 with 1x1 windows, or 3x3 windows taken a row at a time: consecutive output rows'
  // input rows leave a row between them.
  EXPECT_FALSE(units_side_by_side(LayerGeometry(conv(2, 1, 1, 1, 10, 4, 2)),
                                  LevelPlan{2, {smap(MapDim::YOut, 1, 1)}, 0}, 1));
  EXPECT_FALSE(
      units_side_by_side(LayerGeometry(conv(2, 1, 3, 3, 10, 4, 2)),
                         LevelPlan{2, {tmap(MapDim::R, 1, 1), smap(MapDim::YOut, 1, 1)}, 0}, 2));
  EXPECT_TRUE(units_side_by_side(LayerGeometry(conv(2, 1, 3, 3, 10, 4, 2)),
                                 LevelPlan{2, {tmap(MapDim::R, 3, 3), smap(MapDim::YOut, 1, 1)}, 0},
                                 2));
}

// The map that stands for N units side by side has one chunk per fold of the SpatialMap.
TEST(ModelFills, TheUnitsSideBySideMapHasOneChunkPerFold) {
  for (std::int64_t length = 1; length < 60; ++length)
    for (std::int64_t size = 1; size < 12; ++size)
      for (std::int64_t offset = 1; offset <= size; ++offset)
        for (std::int64_t units = 1; units < 20; ++units) {
          const std::int64_t folds = (chunk_count(length, size, offset) + units - 1) / units;
          ASSERT_EQ(chunk_count(length, (units - 1) * offset + size, units * offset), folds)
              << length << " " << size << " " << offset << " " << units;
        }
}

TEST(ModelFills, UnitsSideBySideHoldTheUnionOfTheirTiles) {
  std::mt19937_64 rng(20261129);
  int compared = 0;
  for (int i = 0; i < 800; ++i) {
    // Few units (several folds on these small layers) and many (idle units past the chunks).
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 12, i % 2 == 0 ? 3 : 12);
    std::ostringstream what;
    what << "case " << i;
    compared += expect_union_fills(layer, m, what.str());
  }
  EXPECT_GT(compared, 200);
}

}  // namespace
}  // namespace metronome
