// The model's multicast count (model/multicast.hpp) against a word-by-word count done here: every
// PE's step sequence is walked, and per step index the words each PE newly needs are put in one
// set per tensor (a word several PEs need at the same step is sent once).

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "model/fills.hpp"
#include "model/multicast.hpp"
#include "spec/layer.hpp"
#include "spec/semantics.hpp"
#include "spec/semantics_walk.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

using testing_layers::conv;
using Point = std::array<std::int64_t, 4>;

using testing_layers::smap;
using testing_layers::tmap;

bool inside(const Tile& tile, const Point& p) {
  for (std::size_t i = 0; i < tile.size; ++i)
    if (p[i] < tile.range[i].lo || p[i] >= tile.range[i].hi) return false;
  return tile.size > 0;
}

// Every point of `tile` not in `before`, into `into`.
void add_new_words(const Tile& tile, const Tile* before, std::set<Point>& into) {
  Point p{};
  std::function<void(std::size_t)> rec = [&](std::size_t i) {
    if (i == tile.size) {
      if (before == nullptr || !inside(*before, p)) into.insert(p);
      return;
    }
    for (p[i] = tile.range[i].lo; p[i] < tile.range[i].hi; ++p[i]) rec(i + 1);
  };
  rec(0);
}

// Per tensor, sum over step indices of |union over PEs of the new words|; nullopt when the PEs'
// sequences differ in length (their steps do not line up by index).
std::optional<PerTensor<std::int64_t>> word_by_word(const Layer& layer,
                                                    const ResolvedMapping& mapping) {
  const LayerGeometry g(layer);
  const std::vector<LevelPlan> plans = plan_levels(mapping);
  std::map<std::vector<std::size_t>, std::vector<PerTensor<Tile>>> sequences;
  testing_layers::for_each_pe_step(g, plans,
                                   [&](const std::vector<std::size_t>& path, const UnitChunks& u) {
                                     PerTensor<Tile> tiles;
                                     for (Tensor t : kAllTensors)
                                       tiles[t] = TileShape::coordinates(g, u, t);
                                     sequences[path].push_back(tiles);
                                   });
  const std::size_t steps = sequences.begin()->second.size();
  for (const auto& [pe, seq] : sequences)
    if (seq.size() != steps) return std::nullopt;
  PerTensor<std::int64_t> words;
  for (std::size_t k = 0; k < steps; ++k)
    for (Tensor t : kAllTensors) {
      std::set<Point> needed;
      for (const auto& [pe, seq] : sequences)
        add_new_words(seq[k][t], k > 0 ? &seq[k - 1][t] : nullptr, needed);
      words[t] += static_cast<std::int64_t>(needed.size());
    }
  return words;
}

MulticastWords multicast_of(const Layer& layer, const ResolvedMapping& mapping) {
  const LayerGeometry g(layer);
  const std::vector<LevelPlan> plans = plan_levels(mapping);
  return count_multicast_words(g, plans, count_fills(g, plans, plans.size()));
}

// Returns whether the closed form claimed exactness for both inputs and weights (the tensors
// L2 multicasts; outputs are never claimed).
bool expect_same(const Layer& layer, const ResolvedMapping& mapping, const std::string& what) {
  const MulticastWords m = multicast_of(layer, mapping);
  EXPECT_FALSE(m.exact[Tensor::Output]) << what;
  const auto ref = word_by_word(layer, mapping);
  for (Tensor t : {Tensor::Input, Tensor::Weight}) {
    if (!m.exact[t]) continue;
    EXPECT_TRUE(ref.has_value()) << what << ": exact, but the PEs' steps do not line up";
    if (!ref) return false;
    EXPECT_EQ(m.words[t], (*ref)[t]) << what << " tensor " << tensor_name(t);
  }
  return m.exact[Tensor::Input] && m.exact[Tensor::Weight];
}

TEST(ModelMulticast, SlidingWindowsSideBySideShareTheirOverlap) {
  // Three PEs, each one output column of a 1 x 3 filter over X = 5 (stride 1): their input
  // windows [0,3), [1,4), [2,5) overlap, so L2 sends the 5 columns once, not 9 words.
  const ResolvedMapping m{"x", {{3, {smap(MapDim::XOut, 1, 1)}}}, 3};
  const Layer layer = conv(1, 1, 1, 3, 1, 5, 1);
  const MulticastWords w = multicast_of(layer, m);
  ASSERT_TRUE(w.exact[Tensor::Input]);
  EXPECT_EQ(w.words[Tensor::Input], 5);
  EXPECT_EQ(w.words[Tensor::Weight], 3);  // one filter, sent once to all three
  EXPECT_TRUE(expect_same(layer, m, "sliding windows"));
}

// Long sliding loops (grouped into classes of translated states, with the stride's period) and
// two cluster levels spreading one dimension group.
TEST(ModelMulticast, LongStridedLoopsAndNestedClusters) {
  const ResolvedMapping nested{
      "nested",
      {{2, {smap(MapDim::YOut, 4, 4), tmap(MapDim::C, 1, 1), tmap(MapDim::XOut, 1, 1)}},
       {2, {smap(MapDim::YOut, 2, 2), tmap(MapDim::K, 2, 2)}}},
      4};
  EXPECT_TRUE(expect_same(conv(4, 2, 3, 3, 33, 41, 2), nested, "stride 2, nested Y' clusters"));
  EXPECT_TRUE(expect_same(conv(2, 2, 3, 3, 30, 37, 3), nested, "stride 3, nested Y' clusters"));
  const ResolvedMapping sliding{"sliding",
                                {{3,
                                  {smap(MapDim::X, 5, 3), tmap(MapDim::Y, 3, 1),
                                   tmap(MapDim::R, 3, 3), tmap(MapDim::S, 3, 3)}}},
                                3};
  EXPECT_TRUE(expect_same(conv(2, 2, 3, 3, 40, 11, 2), sliding, "Map(3,1) Y over 40 rows"));
  EXPECT_TRUE(expect_same(conv(2, 2, 3, 3, 40, 11, 1), sliding, "stride 1"));
}

// Sibling units whose loops have different trip counts do not step together: not claimed.
TEST(ModelMulticast, MisalignedSiblingsAreNotClaimed) {
  // C = 4 over two units of 3 channels: unit 0 walks its C loop 3 times, unit 1 once.
  const ResolvedMapping m{
      "misaligned", {{2, {smap(MapDim::C, 3, 3)}}, {1, {tmap(MapDim::C, 1, 1)}}}, 2};
  const Layer layer = conv(2, 4, 1, 1, 3, 3, 1);
  const MulticastWords w = multicast_of(layer, m);
  EXPECT_FALSE(w.exact[Tensor::Input]);
  EXPECT_FALSE(w.exact[Tensor::Weight]);
  EXPECT_FALSE(word_by_word(layer, m).has_value());
}

TEST(ModelMulticast, ShippedShapesOfDataflows) {
  const ResolvedMapping kcp{
      "kcp_ws",
      {{2,
        {smap(MapDim::K, 1, 1), tmap(MapDim::C, 4, 4), tmap(MapDim::R, 3, 3), tmap(MapDim::S, 3, 3),
         tmap(MapDim::YOut, 1, 1), tmap(MapDim::XOut, 1, 1)}},
       {4, {smap(MapDim::C, 1, 1)}}},
      8};
  const ResolvedMapping rs = testing_layers::small_row_stationary();
  const ResolvedMapping yxp = testing_layers::small_yx_output_stationary();
  EXPECT_TRUE(expect_same(conv(4, 6, 3, 3, 7, 7, 1), kcp, "kcp_ws"));
  EXPECT_TRUE(expect_same(conv(4, 6, 3, 3, 9, 9, 2), kcp, "kcp_ws stride 2"));
  EXPECT_TRUE(expect_same(conv(2, 3, 3, 3, 9, 9, 2), rs, "rs stride 2"));
  EXPECT_TRUE(expect_same(conv(4, 2, 3, 3, 11, 7, 1), rs, "rs stride 1"));
  EXPECT_TRUE(expect_same(conv(2, 3, 3, 3, 9, 21, 2), yxp, "yxp_os"));
  EXPECT_TRUE(expect_same(conv(5, 5, 3, 3, 7, 7, 1, LayerType::DsConv), yxp, "yxp_os depth-wise"));
}

// Every library dataflow on the small layers of configs/networks/small.m at 64 and 256 PEs (the
// shapes of edge-256 and mesh-64).
TEST(ModelMulticast, LibraryDataflowsOnSmallLayers) {
  const std::string root = METRONOME_SOURCE_DIR;
  const Workload small = load_workload(root + "/configs/networks/small.m");
  int exact = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root + "/configs/dataflows")) {
    if (entry.path().extension() != ".m") continue;
    const Mapping dataflow = load_dataflow(entry.path().string());
    for (const Layer& layer : small.layers)
      for (std::int64_t pes : {64, 256}) {
        Metrics screened;
        if (!screen_record(layer, dataflow, screened)) continue;
        const ResolvedMapping m = resolve_mapping(dataflow, layer, pes);
        if (expect_same(layer, m, dataflow.name + " " + layer.name + " " + std::to_string(pes)))
          ++exact;
      }
  }
  EXPECT_GE(exact, 40);
}

// Random small cases: wherever the closed form claims exactness it equals the word-by-word
// count; it must claim it for most cases.
TEST(ModelMulticast, RandomSmallCases) {
  std::mt19937_64 rng(20261127);
  int exact = 0;
  const int cases = 200;
  for (int i = 0; i < cases; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 7);
    std::ostringstream what;
    what << "case " << i;
    if (expect_same(layer, m, what.str())) ++exact;
  }
  EXPECT_GE(exact, cases / 2);
}

TEST(ModelMulticast, RandomCasesWithManyUnits) {
  std::mt19937_64 rng(20261128);
  int exact = 0;
  const int cases = 120;
  for (int i = 0; i < cases; ++i) {
    const auto [layer, m] = testing_layers::random_small_case(rng, i, 9, 40);
    std::ostringstream what;
    what << "case " << i;
    if (expect_same(layer, m, what.str())) ++exact;
  }
  EXPECT_GE(exact, cases / 2);
}

}  // namespace
}  // namespace metronome
