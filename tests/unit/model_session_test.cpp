// ModelSession (model/model.hpp) reuses the hardware-independent part of evaluations: its
// records must be exactly evaluate_layer's, and errors must come back alike on every call.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "spec/metrics.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

const std::string kRoot = METRONOME_SOURCE_DIR;

std::vector<Mapping> library_dataflows() {
  std::vector<Mapping> dataflows;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/configs/dataflows"))
    dataflows.push_back(load_dataflow(e.path().string()));
  return dataflows;
}

// ResNet-50 repeats layer shapes under other names, and two hardware descriptions with the same
// PE count share the analysis: every record through one session equals a fresh evaluation.
TEST(ModelSession, RecordsEqualFreshEvaluations) {
  const std::vector<Mapping> dataflows = library_dataflows();
  const Workload net = load_workload(kRoot + "/configs/networks/resnet50.m");
  std::vector<Hardware> hardware;
  for (const char* name : {"edge-256", "maestro-default", "mesh-64", "bus-64"})
    hardware.push_back(load_hardware(kRoot + "/configs/hardware/" + name + ".yaml"));
  ModelSession session;
  std::size_t evaluations = 0;
  for (const Hardware& hw : hardware)
    for (const Layer& layer : net.layers)
      for (const Mapping& df : dataflows) {
        for (NocModel noc : {NocModel::Simple, NocModel::Contention}) {
          // The contention estimate is slow: a few layers on one hardware suffice.
          if (noc == NocModel::Contention &&
              (&hw != &hardware.front() || layer.name.rfind("res2a", 0) != 0))
            continue;
          ModelOptions options;
          options.noc_model = noc;
          const Metrics fresh = evaluate_layer(layer, df, hw, options);
          const Metrics reused = session.evaluate(layer, df, hw, options);
          ++evaluations;
          ASSERT_EQ(to_json(reused).dump(), to_json(fresh).dump())
              << hw.name << " " << layer.name << " " << df.name;
        }
      }
  // Most evaluations found their analysis done (23 shapes of 53 layers; PE counts repeat).
  EXPECT_GT(session.reused(), evaluations / 2);
}

TEST(ModelSession, InvalidMappingsAndErrorsComeBackAlike) {
  Hardware hw = load_hardware(kRoot + "/configs/hardware/edge-256.yaml");
  ModelSession session;
  const Mapping gap = parse_dataflow("TemporalMap(1,2) K;\nSpatialMap(1,1) C;\n", "gap.m");
  const Layer small = testing_layers::conv(4, 2, 1, 1, 2, 2);
  for (int i = 0; i < 2; ++i) {
    const Metrics m = session.evaluate(small, gap, hw);
    EXPECT_EQ(m.status, RecordStatus::InvalidMapping);
    EXPECT_EQ(to_json(m).dump(), to_json(evaluate_layer(small, gap, hw)).dump());
  }
  // K and C spread together couple them in one coverage table, too large here: the analysis
  // throws, and throws again (nothing half-done is kept).
  const Mapping coupled = parse_dataflow("SpatialMap(1,1) K;\nSpatialMap(1,1) C;\n", "kc.m");
  const Layer wide = testing_layers::conv(4096, 4096, 1, 1, 1, 1);
  std::string first;
  try {
    session.evaluate(wide, coupled, hw);
  } catch (const InputError& e) {
    first = e.what();
  }
  ASSERT_FALSE(first.empty());
  std::string again;
  try {
    session.evaluate(wide, coupled, hw);
  } catch (const InputError& e) {
    again = e.what();
  }
  EXPECT_EQ(again, first);
}

}  // namespace
}  // namespace metronome
