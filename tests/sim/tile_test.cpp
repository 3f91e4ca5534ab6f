// sim/tile.hpp: a PE's step (tile and MAC list) from its chunks and MAC box. On small layers and
// the library dataflows every step of a StepPlan walk is built and checked: tiles sorted and
// distinct, their sizes those of the model's tile table (model/README.md), every MAC of the box
// once in the documented order with positions pointing at the right words, and the MACs,
// evaluated through the tile positions on real tensors, reproduce the reference convolution.

#include "sim/tile.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/step_plan.hpp"
#include "sim/tensors.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome::sim {
namespace {

using testing_layers::conv;

Mapping library_dataflow(const std::string& name) {
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path() / "../../configs/dataflows" / (name + ".m");
  return load_dataflow(file.string());
}

// The tile sizes of model/README.md's table, written from the chunks (the model's
// TileShape::coordinates; not linked here, sim tests only link spec and sim).
PerTensor<std::int64_t> table_tile_words(const LayerGeometry& g, const UnitChunks& u) {
  const Interval k = u.chunk[Dim::K], c = u.chunk[Dim::C];
  const Interval kc = intersect(k, c);
  const Interval out_channel =
      !g.depthwise() ? k : (g.channel_tied() ? kc : (k.empty() ? Interval{} : c));
  PerTensor<std::int64_t> w;
  w[Tensor::Input] =
      u.chunk[Dim::N].length() * c.length() * u.chunk[Dim::Y].length() * u.chunk[Dim::X].length();
  w[Tensor::Weight] = (g.channel_tied() ? kc.length() : k.length() * c.length()) *
                      u.chunk[Dim::R].length() * u.chunk[Dim::S].length();
  w[Tensor::Output] = u.chunk[Dim::N].length() * out_channel.length() *
                      g.fitting_outputs(u, Dim::Y).length() * g.fitting_outputs(u, Dim::X).length();
  return w;
}

struct WalkTotals {
  std::int64_t builds = 0;
  std::int64_t macs = 0;
  std::int64_t steps = 0;
};

// Builds every active PE's step of the walk and checks it; accumulates the MACs through the
// tile positions into `out` (wrapping arithmetic, as the PE does).
void walk_and_check(const Layer& layer, const ResolvedMapping& mapping, const LayerTensors& tensors,
                    std::vector<std::int64_t>& out, WalkTotals& totals) {
  StepPlan plan(layer, mapping);
  const TileBuilder builder(layer);
  const LayerGeometry& g = builder.geometry();
  const TensorLayout& L = builder.layout();
  const bool ds = g.depthwise();
  const std::int64_t sy = layer.stride_y, sx = layer.stride_x;
  const auto& in_v = tensors.words[Tensor::Input];
  const auto& w_v = tensors.words[Tensor::Weight];
  out.assign(static_cast<std::size_t>(layer.tensor_words(Tensor::Output)), 0);

  StepView view;
  PeStep step;
  WorkingSet tile_only;
  while (plan.next(view)) {
    ++totals.steps;
    for (std::size_t p = 0; p < view.pes.size(); ++p) {
      const PeSlot& slot = view.pes[p];
      if (!slot.active) continue;
      ++totals.builds;
      builder.build(slot.chunks, slot.box, step);
      builder.build_tile(slot.chunks, slot.box, tile_only);
      const std::string where = "step " + std::to_string(view.index) + " PE " + std::to_string(p);
      EXPECT_EQ(tile_only.words, step.tile.words) << where;

      const PerTensor<std::int64_t> expected_words = table_tile_words(g, slot.chunks);
      const TileRanges ranges = builder.ranges(slot.chunks, slot.box);
      for (Tensor t : kAllTensors) {
        const std::vector<std::int64_t>& words = step.tile.words[t];
        EXPECT_EQ(static_cast<std::int64_t>(words.size()), expected_words[t])
            << where << " " << tensor_name(t);
        EXPECT_EQ(ranges.words(t), expected_words[t]) << where << " " << tensor_name(t);
        for (std::size_t i = 0; i < words.size(); ++i) {
          ASSERT_GE(words[i], 0) << where;
          ASSERT_LT(words[i], layer.tensor_words(t)) << where;
          if (i > 0) {
            ASSERT_LT(words[i - 1], words[i]) << where << " " << tensor_name(t);
          }
        }
      }

      ASSERT_EQ(static_cast<std::int64_t>(step.macs.size()), slot.box.volume()) << where;
      totals.macs += slot.box.volume();
      if (slot.box.volume() == 0) continue;
      const auto& ti = step.tile.words[Tensor::Input];
      const auto& tw = step.tile.words[Tensor::Weight];
      const auto& to = step.tile.words[Tensor::Output];
      const auto& b = slot.box.range;
      std::size_t m = 0;
      // The documented order: outputs (n, k, y', x'; DSCONV n, c, y', x') outermost, then the
      // reduction (c, r, s; DSCONV r, s).
      const auto check_mac = [&](std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t r,
                                 std::int64_t s, std::int64_t oy, std::int64_t ox) {
        const PeMac& mac = step.macs[m++];
        ASSERT_LT(mac.input, ti.size());
        ASSERT_LT(mac.weight, tw.size());
        ASSERT_LT(mac.output, to.size());
        const std::int64_t i = L.input_index(n, c, oy * sy + r, ox * sx + s);
        const std::int64_t w = L.weight_index(k, c, r, s);
        const std::int64_t o = L.output_index(n, ds ? c : k, oy, ox);
        ASSERT_EQ(ti[mac.input], i) << where << " MAC " << m - 1;
        ASSERT_EQ(tw[mac.weight], w) << where << " MAC " << m - 1;
        ASSERT_EQ(to[mac.output], o) << where << " MAC " << m - 1;
        auto& acc = out[static_cast<std::size_t>(to[mac.output])];
        acc = static_cast<std::int64_t>(
            static_cast<std::uint64_t>(acc) +
            static_cast<std::uint64_t>(in_v[static_cast<std::size_t>(ti[mac.input])]) *
                static_cast<std::uint64_t>(w_v[static_cast<std::size_t>(tw[mac.weight])]));
      };
      for (std::int64_t n = b[0].lo; n < b[0].hi; ++n)
        for (std::int64_t k = b[1].lo; k < b[1].hi; ++k) {
          if (ds) {
            for (std::int64_t c = b[2].lo; c < b[2].hi; ++c)
              for (std::int64_t oy = b[5].lo; oy < b[5].hi; ++oy)
                for (std::int64_t ox = b[6].lo; ox < b[6].hi; ++ox)
                  for (std::int64_t r = b[3].lo; r < b[3].hi; ++r)
                    for (std::int64_t s = b[4].lo; s < b[4].hi; ++s)
                      check_mac(n, k, c, r, s, oy, ox);
          } else {
            for (std::int64_t oy = b[5].lo; oy < b[5].hi; ++oy)
              for (std::int64_t ox = b[6].lo; ox < b[6].hi; ++ox)
                for (std::int64_t c = b[2].lo; c < b[2].hi; ++c)
                  for (std::int64_t r = b[3].lo; r < b[3].hi; ++r)
                    for (std::int64_t s = b[4].lo; s < b[4].hi; ++s)
                      check_mac(n, k, c, r, s, oy, ox);
          }
        }
      EXPECT_EQ(m, step.macs.size());
    }
  }
}

// Every step checked; on a valid mapping the MACs reproduce the reference output.
void check_mapping(const std::string& name, const Layer& layer, const ResolvedMapping& mapping) {
  SCOPED_TRACE(name);
  const LayerTensors tensors = make_tensors(layer, 2024);
  std::vector<std::int64_t> expected, got;
  reference_output(layer, tensors, expected);
  WalkTotals t;
  walk_and_check(layer, mapping, tensors, got, t);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_GT(t.builds, 0);
  const SemanticsReport report = analyze_mapping(layer, mapping);
  EXPECT_EQ(t.macs, report.performed_macs);
  EXPECT_EQ(t.steps, report.steps);
  const FunctionalCheck check = compare_outputs(layer, expected, got);
  if (report.valid()) {
    EXPECT_TRUE(check.pass) << check.message;
  } else {
    // Duplicated or missing MACs (the semantics examples' probes): the output is wrong.
    EXPECT_FALSE(check.pass) << report.missing_macs << " missing, " << report.duplicated_macs
                             << " duplicated MACs";
  }
}

struct NamedLayer {
  const char* name;
  Layer layer;
};

std::vector<NamedLayer> small_layers() {
  return {
      {"conv 4x4x3x3 8x8", conv(4, 4, 3, 3, 8, 8)},
      {"conv stride 2 padded", conv(3, 2, 3, 3, 9, 8, 2, LayerType::Conv, 1)},
      {"conv 1x1", conv(5, 3, 1, 1, 4, 5)},
      {"dsconv K=C", conv(5, 5, 3, 3, 6, 7, 1, LayerType::DsConv)},
      {"dsconv K=1 stride 2", conv(1, 5, 3, 3, 7, 7, 2, LayerType::DsConv)},
      {"gemm", conv(6, 7, 1, 1, 5, 1, 1, LayerType::Gemm)},
  };
}

TEST(Tile, LibraryDataflowsOnSmallLayers) {
  for (const char* dataflow : {"kcp_ws", "ckp_ws", "xp_ws", "yxp_os", "rs", "tpu_ws"}) {
    const Mapping mapping = library_dataflow(dataflow);
    for (const NamedLayer& l : small_layers()) {
      const std::int64_t pes = 64;
      check_mapping(std::string(dataflow) + " on " + l.name, l.layer,
                    resolve_mapping(mapping, l.layer, pes));
    }
  }
}

// Mappings that split Y/X into overlapping chunks (input tiles with rows or cols no MAC needs,
// empty steps), several levels and Y'/X' maps under Y maps.
TEST(Tile, HandWrittenMappings) {
  const char* const rs_fixed = R"(
TemporalMap(2,2) K; TemporalMap(4,4) C; TemporalMap(Sz(R),Sz(R)) R; SpatialMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(Sz(R),P);
SpatialMap(1,1) Y; SpatialMap(1,1) R; TemporalMap(Sz(S),Sz(S)) S;)";
  const char* const yxp_os_3x3 = R"(
TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R), 1) Y; TemporalMap(10,8) X;
Cluster(8, P);
SpatialMap(Sz(S), 1) X; TemporalMap(Sz(R), Sz(R)) R; TemporalMap(Sz(R), Sz(R)) S;)";
  const char* const three_level = R"(
SpatialMap(1,1) K; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C;
Cluster(4,P);
SpatialMap(1,1) R; TemporalMap(Sz(S),Sz(S)) S;)";
  const char* const probe_yprime = R"(
TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(1,1) R; TemporalMap(2,2) Y';
TemporalMap(1,1) X';
Cluster(3,P);
SpatialMap(1,1) Y;)";
  const char* const dsconv_k_and_c = R"(
SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y;
Cluster(2,P);
SpatialMap(Sz(S),1) X; TemporalMap(Sz(S),Sz(S)) S;)";
  const char* const gemm_tiles = R"(
TemporalMap(4,4) C; SpatialMap(2,2) K;
Cluster(3,P);
SpatialMap(1,1) Y; TemporalMap(2,2) C;)";
  const char* const big_tiles = R"(
TemporalMap(2,2) K; TemporalMap(3,3) C; TemporalMap(5,3) Y; TemporalMap(6,4) X;
Cluster(2,P);
SpatialMap(1,1) K;)";
  struct Case {
    const char* name;
    Layer layer;
    std::int64_t pes;
    const char* text;
  };
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  const Layer s2 = conv(2, 3, 3, 3, 9, 9, 2);
  const std::vector<Case> cases = {
      {"rs_fixed b", b, 16, rs_fixed},
      {"yxp_os_3x3 b", b, 16, yxp_os_3x3},
      {"yxp_os_3x3 s2", s2, 16, yxp_os_3x3},
      {"three_level b", b, 64, three_level},
      {"three_level s2", s2, 64, three_level},
      {"probe_Yprime s2", s2, 16, probe_yprime},
      {"dsconv K=C k and c", conv(5, 5, 3, 3, 6, 7, 1, LayerType::DsConv), 8, dsconv_k_and_c},
      {"gemm tiles", conv(6, 7, 1, 1, 5, 1, 1, LayerType::Gemm), 12, gemm_tiles},
      {"big tiles b", b, 2, big_tiles},
      {"big tiles s2", s2, 2, big_tiles},
  };
  for (const Case& c : cases)
    check_mapping(c.name, c.layer,
                  resolve_mapping(parse_dataflow(c.text, "test.m"), c.layer, c.pes));
}

// A hand-computed step: conv K=2 C=2 R=S=3 on 5x5, chunks Kc=[1,2) Cc=[0,2) Rc=[0,3) Sc=[1,3)
// Yc=[1,4) Xc=[0,5): outputs whose windows fit are y' = 1 and x' in [0,3).
TEST(Tile, HandComputedStep) {
  const Layer layer = conv(2, 2, 3, 3, 5, 5);
  const TileBuilder builder(layer);
  UnitChunks u = builder.geometry().whole_layer();
  u.chunk[Dim::K] = {1, 2};
  u.chunk[Dim::S] = {1, 3};
  u.chunk[Dim::Y] = {1, 4};
  const MacBox box = builder.geometry().box(u);
  PeStep step;
  builder.build(u, box, step);
  std::vector<std::int64_t> input, weight;
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t y = 1; y < 4; ++y)
      for (std::int64_t x = 0; x < 5; ++x) input.push_back(c * 25 + y * 5 + x);
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t r = 0; r < 3; ++r)
      for (std::int64_t s = 1; s < 3; ++s) weight.push_back(18 + c * 9 + r * 3 + s);
  EXPECT_EQ(step.tile.words[Tensor::Input], input);
  EXPECT_EQ(step.tile.words[Tensor::Weight], weight);
  EXPECT_EQ(step.tile.words[Tensor::Output], (std::vector<std::int64_t>{12, 13, 14}));
  ASSERT_EQ(step.macs.size(), 3u * 2 * 3 * 2);
  // First MAC: output (k=1, y'=1, x'=0), c=0, r=0, s=1: input (0, 1, 1) at position 1,
  // weight (1, 0, 0, 1) at position 0. Then s=2, then r=1 (input row 2: position 5 + 1).
  EXPECT_EQ(step.macs[0].input, 1u);
  EXPECT_EQ(step.macs[0].weight, 0u);
  EXPECT_EQ(step.macs[0].output, 0u);
  EXPECT_EQ(step.macs[1].input, 2u);
  EXPECT_EQ(step.macs[1].weight, 1u);
  EXPECT_EQ(step.macs[2].input, 6u);
  EXPECT_EQ(step.macs[2].weight, 2u);
  // MAC 6: c = 1, r = 0, s = 1: input position 15 + 1, weight position 6.
  EXPECT_EQ(step.macs[6].input, 16u);
  EXPECT_EQ(step.macs[6].weight, 6u);
  // The 12 MACs of one output are consecutive; MAC 12 starts x' = 1.
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(step.macs[i].output, 0u);
  EXPECT_EQ(step.macs[12].output, 1u);
  EXPECT_EQ(step.macs[12].input, 2u);
}

TEST(Tile, DepthwiseWeightAndOutputTiles) {
  // K == C: weight (Kc ∩ Cc) x Rc x Sc, outputs of channels Kc ∩ Cc.
  const Layer tied = conv(4, 4, 3, 3, 5, 5, 1, LayerType::DsConv);
  const TileBuilder t(tied);
  UnitChunks u = t.geometry().whole_layer();
  u.chunk[Dim::K] = {1, 3};
  u.chunk[Dim::C] = {2, 4};
  WorkingSet ws;
  t.build_tile(u, t.geometry().box(u), ws);
  EXPECT_EQ(ws.words[Tensor::Weight].size(), 9u);
  EXPECT_EQ(ws.words[Tensor::Weight].front(), 2 * 9);
  EXPECT_EQ(ws.words[Tensor::Input].size(), 2u * 25);  // Cc, needed by a MAC or not
  EXPECT_EQ(ws.words[Tensor::Output],
            (std::vector<std::int64_t>{18, 19, 20, 21, 22, 23, 24, 25, 26}));
  // K == 1: Weight[C][R][S] over Cc; nothing when Kc is empty (an idle unit).
  const Layer single = conv(1, 4, 3, 3, 5, 5, 1, LayerType::DsConv);
  const TileBuilder s(single);
  UnitChunks v = s.geometry().whole_layer();
  v.chunk[Dim::C] = {1, 3};
  s.build_tile(v, s.geometry().box(v), ws);
  EXPECT_EQ(ws.words[Tensor::Weight].size(), 18u);
  EXPECT_EQ(ws.words[Tensor::Weight].front(), 9);
  EXPECT_EQ(ws.words[Tensor::Output].size(), 18u);
  v.chunk[Dim::K] = {};
  s.build_tile(v, s.geometry().box(v), ws);
  EXPECT_TRUE(ws.words[Tensor::Weight].empty());
  EXPECT_TRUE(ws.words[Tensor::Output].empty());
  EXPECT_EQ(ws.words[Tensor::Input].size(), 2u * 25);
}

TEST(Tile, ReusesCapacity) {
  const Layer layer = conv(4, 4, 3, 3, 8, 8);
  const TileBuilder builder(layer);
  UnitChunks whole = builder.geometry().whole_layer();
  PeStep step;
  builder.build(whole, builder.geometry().box(whole), step);
  const PeMac* macs = step.macs.data();
  const std::int64_t* inputs = step.tile.words[Tensor::Input].data();
  UnitChunks part = whole;
  part.chunk[Dim::K] = {0, 1};
  part.chunk[Dim::Y] = {2, 6};
  builder.build(part, builder.geometry().box(part), step);
  EXPECT_EQ(step.macs.data(), macs);
  EXPECT_EQ(step.tile.words[Tensor::Input].data(), inputs);
  EXPECT_EQ(step.macs.size(), static_cast<std::size_t>(1 * 4 * 9 * 2 * 6));
}

TEST(Tile, RefusesTilesBeyondUint32Positions) {
  // A whole-layer input tile of 65536 x 257 x 257 words (> 2^32): refused before allocating.
  const Layer layer = conv(1, 65536, 1, 1, 257, 257);
  const TileBuilder builder(layer);
  const UnitChunks whole = builder.geometry().whole_layer();
  WorkingSet ws;
  EXPECT_THROW(builder.build_tile(whole, builder.geometry().box(whole), ws), std::logic_error);
}

}  // namespace
}  // namespace metronome::sim
