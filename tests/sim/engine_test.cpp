// The whole simulator (controller, memories, networks, PEs) on small layers, in process with the
// plain cycle loop. The central property: reuse is found, not assumed — the L1 fills the PEs
// count while running equal a per-step set difference of the tiles computed here, and changing
// the order of two TemporalMaps changes both the same way. Also: the output is right, MACs are
// exact, runs are deterministic, and bad buffer sizes are refused.

#include "sim/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/simulate.hpp"
#include "sim/step_plan.hpp"
#include "sim/tensors.hpp"
#include "sim/tile.hpp"
#include "spec/hardware.hpp"
#include "spec/metrics.hpp"
#include "spec/workload_parser.hpp"
#include "tests/sim/engine_testbench.hpp"

namespace metronome::sim {
namespace {

using testbench::conv_layer;
using testbench::machine;
using testbench::mapping_text;

// Σ over PEs and steps of |T_t \ T_{t-1}| per tensor, from the step plan's tiles: what a PE
// that keeps exactly its step's tile must receive (inputs, weights) or drain (outputs).
PerTensor<std::int64_t> set_difference_fills(const Layer& layer, const ResolvedMapping& mapping) {
  StepPlan plan(layer, mapping);
  TileBuilder tiles(layer);
  StepView view;
  std::vector<WorkingSet> previous(static_cast<std::size_t>(plan.pe_count()));
  PerTensor<std::int64_t> fills{};
  WorkingSet tile;
  while (plan.next(view)) {
    for (std::size_t p = 0; p < view.pes.size(); ++p) {
      if (!view.pes[p].active) continue;
      tiles.build_tile(view.pes[p].chunks, view.pes[p].box, tile);
      for (Tensor t : kAllTensors) {
        std::vector<std::int64_t> fresh;
        std::set_difference(tile.words[t].begin(), tile.words[t].end(),
                            previous[p].words[t].begin(), previous[p].words[t].end(),
                            std::back_inserter(fresh));
        fills[t] += static_cast<std::int64_t>(fresh.size());
      }
      previous[p] = tile;
    }
  }
  return fills;
}

struct SimRun {
  EngineCounts counts;
  FunctionalCheck check;
};

SimRun run(const Layer& layer, const Mapping& mapping, const Hardware& hw) {
  const ResolvedMapping resolved = resolve_mapping(mapping, layer, hw.pe.count);
  Engine engine(layer, resolved, hw, SimOptions{});
  run_plain(engine);
  std::vector<std::int64_t> expected;
  reference_output(layer, engine.tensors(), expected);
  return SimRun{engine.counts(), compare_outputs(layer, expected, engine.output())};
}

// Weight stationary over K, sliding windows walked with Y' and X' (the order under test).
std::string sliding(const char* first, const char* second) {
  return std::string(
             "SpatialMap(1,1) K;\nTemporalMap(4,4) C;\nTemporalMap(Sz(R),Sz(R)) R;\n"
             "TemporalMap(Sz(S),Sz(S)) S;\nTemporalMap(1,1) ") +
         first + ";\nTemporalMap(1,1) " + second + ";\n";
}

TEST(Engine, L1FillsEqualTheTilesSetDifference) {
  const Layer layer = conv_layer(8, 4, 3, 10, 7);
  const Hardware hw = machine(8);
  const Mapping mapping = mapping_text(sliding("Y'", "X'"));
  const PerTensor<std::int64_t> fills =
      set_difference_fills(layer, resolve_mapping(mapping, layer, hw.pe.count));
  const SimRun r = run(layer, mapping, hw);
  EXPECT_TRUE(r.check.pass) << r.check.message;
  EXPECT_EQ(r.counts.macs, layer.macs());
  EXPECT_EQ(r.counts.l1.tensor[Tensor::Input].writes, fills[Tensor::Input]);
  EXPECT_EQ(r.counts.l1.tensor[Tensor::Weight].writes, fills[Tensor::Weight]);
  EXPECT_EQ(r.counts.pe_totals.drained_words, fills[Tensor::Output]);
  // Weights are stationary: each PE receives its filter once.
  EXPECT_EQ(fills[Tensor::Weight], 8 * 4 * 3 * 3);
}

TEST(Engine, SwappingTwoTemporalMapsChangesTheFillsAsPredicted) {
  const Layer layer = conv_layer(8, 4, 3, 10, 7);  // 8 x 5 outputs: the orders differ
  const Hardware hw = machine(8);
  const Mapping rows_outer = mapping_text(sliding("Y'", "X'"));
  const Mapping cols_outer = mapping_text(sliding("X'", "Y'"));
  const auto predicted_rows =
      set_difference_fills(layer, resolve_mapping(rows_outer, layer, hw.pe.count));
  const auto predicted_cols =
      set_difference_fills(layer, resolve_mapping(cols_outer, layer, hw.pe.count));
  // Hand check: a 4 x 3 x 3 input window; a step along the inner axis brings 4 x 3 new words.
  // Y' outer: 8 rows x (36 + 4 x 12) per PE; X' outer: 5 columns x (36 + 7 x 12).
  EXPECT_EQ(predicted_rows[Tensor::Input], 8 * 8 * (36 + 4 * 12));
  EXPECT_EQ(predicted_cols[Tensor::Input], 8 * 5 * (36 + 7 * 12));
  const SimRun a = run(layer, rows_outer, hw);
  const SimRun b = run(layer, cols_outer, hw);
  EXPECT_TRUE(a.check.pass) << a.check.message;
  EXPECT_TRUE(b.check.pass) << b.check.message;
  EXPECT_EQ(a.counts.l1.tensor[Tensor::Input].writes, predicted_rows[Tensor::Input]);
  EXPECT_EQ(b.counts.l1.tensor[Tensor::Input].writes, predicted_cols[Tensor::Input]);
}

// Every library dataflow on a few layer shapes and every topology: outputs right, MACs exact,
// fills equal to the set difference.
TEST(Engine, LibraryDataflowsOnEveryTopology) {
  const std::string dir = std::string(METRONOME_SOURCE_DIR) + "/configs/dataflows/";
  std::vector<Layer> layers = {conv_layer(6, 5, 3, 8, 9), conv_layer(4, 6, 3, 9, 9, 2),
                               conv_layer(5, 7, 1, 4, 5)};
  Layer dw = conv_layer(1, 6, 3, 6, 6);
  dw.type = LayerType::DsConv;
  layers.push_back(dw);
  for (const char* name : {"kcp_ws", "ckp_ws", "rs", "tpu_ws", "xp_ws", "yxp_os"}) {
    const Mapping mapping = load_dataflow(dir + name + ".m");
    for (Topology topology :
         {Topology::Bus, Topology::Crossbar, Topology::Tree, Topology::Mesh, Topology::Systolic}) {
      const Hardware hw = machine(64, topology);
      for (const Layer& layer : layers) {
        const std::string what = std::string(name) + " on " + std::string(topology_name(topology)) +
                                 ", layer K" + std::to_string(layer.size[Dim::K]);
        const SimRun r = run(layer, mapping, hw);
        const auto fills =
            set_difference_fills(layer, resolve_mapping(mapping, layer, hw.pe.count));
        EXPECT_TRUE(r.check.pass) << what << ": " << r.check.message;
        EXPECT_EQ(r.counts.macs, layer.macs()) << what;
        EXPECT_EQ(r.counts.l1.tensor[Tensor::Input].writes, fills[Tensor::Input]) << what;
        EXPECT_EQ(r.counts.l1.tensor[Tensor::Weight].writes, fills[Tensor::Weight]) << what;
        EXPECT_EQ(r.counts.pe_totals.drained_words, fills[Tensor::Output]) << what;
      }
    }
  }
}

TEST(Engine, RunsAreDeterministic) {
  const Layer layer = conv_layer(6, 5, 3, 8, 9);
  const Hardware hw = machine(16, Topology::Mesh);
  const Mapping mapping =
      load_dataflow(std::string(METRONOME_SOURCE_DIR) + "/configs/dataflows/rs.m");
  const SimRun a = run(layer, mapping, hw);
  const SimRun b = run(layer, mapping, hw);
  EXPECT_EQ(a.counts.cycles, b.counts.cycles);
  EXPECT_EQ(a.counts.l1, b.counts.l1);
  EXPECT_EQ(a.counts.l2.traffic, b.counts.l2.traffic);
  EXPECT_EQ(a.counts.distribution.link_words, b.counts.distribution.link_words);
}

// Siblings drift apart as far as the controller's lookahead allows, and the run reports how far
// (max_drift_steps): PEs with a short step (the clipped last C tile leaves some idle) run ahead of
// the others up to lookahead - 1 steps past the oldest unfinished one.
TEST(Engine, DriftIsCountedAndBoundedByTheLookahead) {
  const Layer layer = conv_layer(2, 70, 3, 6, 6);  // C tiles of 64 and 6 channels
  const Hardware hw = machine(64, Topology::Mesh);
  const Mapping mapping =
      load_dataflow(std::string(METRONOME_SOURCE_DIR) + "/configs/dataflows/kcp_ws.m");
  const ResolvedMapping resolved = resolve_mapping(mapping, layer, hw.pe.count);
  std::vector<std::int64_t> drift;
  for (const std::int64_t lookahead : {2, 4, 16}) {
    SimOptions options;
    options.lookahead_steps = lookahead;
    Engine engine(layer, resolved, hw, options);
    run_plain(engine);
    drift.push_back(engine.counts().controller.max_drift_steps);
    EXPECT_LE(drift.back(), lookahead - 1) << "lookahead " << lookahead;
  }
  EXPECT_GT(drift[0], 0);
  EXPECT_LT(drift[0], drift[1]);
  EXPECT_LT(drift[1], drift[2]);
}

TEST(Engine, MulticastSendsEachWordOncePerStep) {
  // Every PE of the cluster needs the same input window: with multicast L2 reads it once.
  const Layer layer = conv_layer(8, 4, 3, 10, 7);
  Hardware hw = machine(8);
  const Mapping mapping = mapping_text(sliding("Y'", "X'"));
  const SimRun with = run(layer, mapping, hw);
  hw.noc.distribution.multicast = false;
  const SimRun without = run(layer, mapping, hw);
  const std::int64_t fills = with.counts.l1.tensor[Tensor::Input].writes;
  EXPECT_EQ(without.counts.l2.traffic.tensor[Tensor::Input].reads, fills);
  EXPECT_EQ(with.counts.l2.traffic.tensor[Tensor::Input].reads, fills / 8);
  // L2 injects one word per read; the network delivers one copy per PE that asked either way.
  const auto reads = [](const SimRun& r) {
    return r.counts.l2.traffic.tensor[Tensor::Input].reads +
           r.counts.l2.traffic.tensor[Tensor::Weight].reads;
  };
  EXPECT_EQ(with.counts.distribution.words_injected, reads(with));
  EXPECT_EQ(without.counts.distribution.words_injected, reads(without));
  EXPECT_EQ(with.counts.distribution.words_delivered, without.counts.distribution.words_delivered);
}

TEST(Engine, InNetworkReductionDeliversOneWordPerOutput) {
  // C across 4 PEs: every output gets 4 partial sums.
  const Layer layer = conv_layer(2, 4, 1, 3, 3);
  Hardware hw = machine(4);
  const Mapping mapping = mapping_text(
      "TemporalMap(1,1) K;\nSpatialMap(1,1) C;\nTemporalMap(1,1) Y';\nTemporalMap(1,1) X';\n");
  const SimRun in_network = run(layer, mapping, hw);
  hw.noc.reduction.in_network = false;
  const SimRun at_l2 = run(layer, mapping, hw);
  EXPECT_TRUE(in_network.check.pass) << in_network.check.message;
  EXPECT_TRUE(at_l2.check.pass) << at_l2.check.message;
  const std::int64_t outputs = layer.tensor_words(Tensor::Output);
  EXPECT_EQ(in_network.counts.reduction.words_delivered, outputs);
  EXPECT_EQ(at_l2.counts.reduction.words_delivered, 4 * outputs);
  EXPECT_EQ(at_l2.counts.l2.read_modify_writes, 3 * outputs);
  EXPECT_EQ(in_network.counts.l2.read_modify_writes, 0);
}

TEST(Engine, L2SmallerThanAStepIsRefused) {
  const Layer layer = conv_layer(8, 4, 3, 10, 7);
  Hardware hw = machine(8);
  hw.l2.bytes = 16;
  const Mapping mapping = mapping_text(sliding("Y'", "X'"));
  const ResolvedMapping resolved = resolve_mapping(mapping, layer, hw.pe.count);
  Engine engine(layer, resolved, hw, SimOptions{});
  try {
    run_plain(engine);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds its capacity of 16 words"), std::string::npos)
        << e.what();
  }
}

TEST(Engine, TightL2StillComputesTheRightOutput) {
  // C outermost: every input channel revisits all 320 outputs, but L2 has room for a few steps
  // only, so it writes partial sums back to DRAM and fetches them again.
  const Layer layer = conv_layer(8, 4, 3, 10, 7);
  Hardware hw = machine(8);
  hw.l2.bytes = 300;  // one step needs 9 + 72 + 8 words
  const Mapping mapping = mapping_text(
      "SpatialMap(1,1) K;\nTemporalMap(1,1) C;\nTemporalMap(Sz(R),Sz(R)) R;\n"
      "TemporalMap(Sz(S),Sz(S)) S;\nTemporalMap(1,1) Y';\nTemporalMap(1,1) X';\n");
  const SimRun r = run(layer, mapping, hw);
  EXPECT_TRUE(r.check.pass) << r.check.message;
  EXPECT_GT(r.counts.controller.l2_evictions, 0);
  EXPECT_LE(r.counts.l2.peak_words, 300);
  EXPECT_GT(r.counts.controller.output_refetch_words, 0);
  EXPECT_EQ(r.counts.dram.traffic.tensor[Tensor::Output].reads,
            r.counts.controller.output_refetch_words);
}

// Runs of identical PEs (sim/DESIGN.md, "Runs of identical PEs"): a PE handed the same steps as
// its neighbour shares its state and is not evaluated. The record is the same with runs off and
// with --cycle-exact; and the runs are there where PEs idle alike (xp_ws and yxp_os on layers
// narrower than the array), and not where every PE differs or words reach PEs in different
// cycles (no express distribution).
TEST(Engine, RunsOfIdenticalPesChangeNothing) {
  const std::string dir = std::string(METRONOME_SOURCE_DIR) + "/configs/dataflows/";
  Hardware hw;  // edge-256's defaults on 64 PEs: express distribution (32-word links, 32 reads)
  hw.pe.count = 64;
  Layer dw = conv_layer(1, 6, 3, 6, 6);
  dw.type = LayerType::DsConv;
  struct Case {
    Layer layer;
    const char* dataflow;
    bool runs;  // some PEs follow others
  };
  const std::vector<Case> cases = {
      {conv_layer(4, 3, 3, 9, 12), "xp_ws", true},    // 10 of 64 PEs busy, 54 hold the weights
      {conv_layer(6, 5, 1, 7, 7), "xp_ws", true},     // 1-MAC steps: the idle PEs wait for words
      {conv_layer(4, 6, 3, 9, 9, 2), "xp_ws", true},  // strided
      {dw, "xp_ws", true},
      {conv_layer(3, 4, 3, 6, 11), "yxp_os", true},  // 4 of 8 clusters busy
      {conv_layer(6, 5, 3, 8, 9), "kcp_ws", false},  // every PE's step differs
      {conv_layer(6, 5, 3, 8, 9), "rs", false},
  };
  std::int64_t followed = 0;
  for (const Case& c : cases) {
    const Mapping mapping = load_dataflow(dir + c.dataflow + ".m");
    const std::string what = std::string(c.dataflow) + ", layer K" +
                             std::to_string(c.layer.size[Dim::K]) + " C" +
                             std::to_string(c.layer.size[Dim::C]);
    const auto record = [&](bool runs, bool cycle_exact, std::int64_t end_runs_at = -1) {
      SimOptions options;
      options.pe_runs = runs;
      options.cycle_exact = cycle_exact;
      options.end_runs_at_step = end_runs_at;
      nlohmann::json j = to_json(simulate_layer(c.layer, mapping, hw, options));
      j.erase("wall_seconds");
      j.erase("sim_cycles_per_second");
      return j;
    };
    const nlohmann::json with_runs = record(true, false);
    EXPECT_EQ(with_runs["functional_check"], "pass") << what;
    EXPECT_EQ(with_runs, record(false, false)) << what;
    EXPECT_EQ(with_runs, record(false, true)) << what;
    // Runs ending mid-layer: their PEs take the shared state and bookkeeping from there.
    for (std::int64_t step : {1, 7, 40})
      EXPECT_EQ(with_runs, record(true, false, step)) << what << ", runs ending at step " << step;

    Engine engine(c.layer, resolve_mapping(mapping, c.layer, hw.pe.count), hw, SimOptions{});
    const std::size_t runs_at_start = engine.controller().own_pes().size();
    run_plain(engine);
    const PeRunStats& stats = engine.controller().pe_run_stats();
    // Runs never merge, and each split begins one run.
    const std::size_t runs_at_end = engine.controller().own_pes().size();
    EXPECT_EQ(runs_at_end, runs_at_start + static_cast<std::size_t>(stats.splits)) << what;
    if (c.runs) {
      EXPECT_GT(stats.followed_steps, 500) << what;
      EXPECT_LT(runs_at_end, static_cast<std::size_t>(hw.pe.count)) << what;
    } else {
      EXPECT_EQ(stats.followed_steps, 0) << what;
      EXPECT_EQ(runs_at_end, static_cast<std::size_t>(hw.pe.count)) << what;
    }
    EXPECT_GT(stats.splits, 0) << what;
    followed += stats.followed_steps;
  }
  EXPECT_GT(followed, 20000);

  // Words reach a mesh's PEs in different cycles: no runs.
  Hardware mesh = hw;
  mesh.noc.distribution.topology = Topology::Mesh;
  const Layer narrow = conv_layer(4, 3, 3, 9, 12);
  Engine engine(narrow, resolve_mapping(load_dataflow(dir + "xp_ws.m"), narrow, mesh.pe.count),
                mesh, SimOptions{});
  run_plain(engine);
  EXPECT_EQ(engine.controller().pe_run_stats().followed_steps, 0);
}

TEST(Engine, WordsForABusyRowDoNotHoldBackTheOtherRows) {
  // Depth-wise, every PE its own channel: L2 sends each PE its own words, over its row's link
  // (mesh: one L2 link per row, 1 word per cycle). L2 reads the words of several steps ahead of
  // the links, so hundreds wait for a row at a time; words for the other rows must pass them.
  // mesh-64 with 1-word links, MobileNetV2 bneck6_1_dw's shape with 64 channels: 1,944 words
  // over the busiest row link; 3,346 cycles when the controller looked at only the first 64
  // waiting words, 2,662 since.
  Layer layer = conv_layer(1, 64, 3, 14, 14, 2);
  layer.type = LayerType::DsConv;
  Hardware hw = load_hardware(std::string(METRONOME_SOURCE_DIR) + "/configs/hardware/mesh-64.yaml");
  hw.noc.distribution.link_words_per_cycle = 1;
  hw.noc.reduction.link_words_per_cycle = 1;
  const Mapping mapping =
      load_dataflow(std::string(METRONOME_SOURCE_DIR) + "/configs/dataflows/kcp_ws.m");
  const SimRun r = run(layer, mapping, hw);
  EXPECT_TRUE(r.check.pass) << r.check.message;
  std::int64_t busiest = 0;
  for (const auto& link : r.counts.distribution.links)
    if (link.name.rfind("l2->", 0) == 0) busiest = std::max(busiest, link.words);
  ASSERT_GT(busiest, 0);
  EXPECT_LT(static_cast<double>(r.counts.cycles), 1.5 * static_cast<double>(busiest))
      << busiest << " words over the busiest row link";
}

}  // namespace
}  // namespace metronome::sim
