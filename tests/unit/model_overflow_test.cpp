// Counts beyond 64 bits: every integer of a model record is exact or the run is refused with an
// InputError naming the count (model/count_arithmetic.hpp), never a wrapped number.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/count_arithmetic.hpp"
#include "model/model.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/input_error_expectations.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome {
namespace {

using testing_errors::expect_error;

const std::string kRoot = METRONOME_SOURCE_DIR;

// The review's reproduction (2^62 MACs: the MAC count fits, L1's reads of them do not).
Layer overflowing_layer() {
  return parse_workload(
             "Network t {\n"
             "  Layer L1 {\n"
             "    Type: CONV\n"
             "    Dimensions { N: 1, K: 2097152, C: 2097152, R: 1, S: 1, Y: 1024, X: 1024 }\n"
             "  }\n"
             "}\n",
             "ovf_traffic.m")
      .layers.front();
}

std::map<std::string, Mapping> library_dataflows() {
  std::map<std::string, Mapping> out;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/configs/dataflows")) {
    Mapping m = load_dataflow(e.path().string());
    out.emplace(m.name, std::move(m));
  }
  return out;
}

Hardware edge_256() {
  return load_hardware(kRoot + "/configs/hardware/edge-256.yaml");
}

// Every integer figure of a record, by name.
std::vector<std::pair<std::string, std::int64_t>> integers(const Metrics& m) {
  std::vector<std::pair<std::string, std::int64_t>> out = {
      {"runtime_cycles", m.runtime_cycles},
      {"macs", m.macs},
      {"steps", m.steps},
      {"empty_steps", m.empty_steps},
      {"noc.ingress_words", m.noc.ingress_words},
      {"noc.egress_words", m.noc.egress_words},
      {"buffer_words_required.l1", m.buffer_words_required.l1},
      {"buffer_words_required.l2", m.buffer_words_required.l2}};
  for (const auto& [name, level] : {std::pair{"dram", &m.traffic.dram},
                                    std::pair{"l2", &m.traffic.l2}, std::pair{"l1", &m.traffic.l1}})
    for (Tensor t : kAllTensors) {
      const std::string at = std::string(name) + "." + std::string(tensor_name(t));
      out.emplace_back(at + ".reads", level->tensor[t].reads);
      out.emplace_back(at + ".writes", level->tensor[t].writes);
    }
  return out;
}

// The count each library dataflow overflows first on the reproduction.
const std::map<std::string, std::string> kFirstOverflow = {
    {"kcp_ws", "the count of L1 output reads"},
    {"ckp_ws", "the count of L1 output reads"},
    {"rs", "the count of L1 output reads"},
    {"tpu_ws", "the count of L1 output reads"},
    {"xp_ws", "the count of L1 output reads"},
    {"yxp_os", "the count of words the PEs receive (L1 input and weight writes)"}};

TEST(ModelOverflow, TrafficBeyond64BitsIsRefusedUnderEveryLibraryDataflow) {
  const Layer layer = overflowing_layer();
  ASSERT_EQ(layer.macs(), std::int64_t{1} << 62);  // passes the MAC count's own check
  const Hardware hw = edge_256();
  const auto dataflows = library_dataflows();
  ASSERT_EQ(dataflows.size(), kFirstOverflow.size());
  ModelSession session;
  for (const auto& [name, mapping] : dataflows)
    for (NocModel noc : {NocModel::Simple, NocModel::Contention}) {
      SCOPED_TRACE(name + (noc == NocModel::Simple ? " simple" : " contention"));
      const ModelOptions options{SemanticsMode::Exact, noc};
      const InputError e = expect_error([&] { evaluate_layer(layer, mapping, hw, options); });
      EXPECT_EQ(e.where().file, "ovf_traffic.m");
      EXPECT_EQ(e.where().line, 2);
      EXPECT_CONTAINS(e.problem(), "layer 'L1' with dataflow '" + name + "'");
      EXPECT_CONTAINS(e.problem(), kFirstOverflow.at(name) + " overflows a 64-bit integer");
      EXPECT_EQ(e.expected(), "smaller sizes");
      // A session refuses it alike, and again when its analysis is reused.
      for (int twice = 0; twice < 2; ++twice) {
        const InputError again =
            expect_error([&] { session.evaluate(layer, mapping, hw, options); });
        EXPECT_EQ(again.problem(), e.problem());
      }
    }
}

TEST(ModelOverflow, TheCliMessageNamesFileLineLayerDataflowAndCount) {
  const InputError e = expect_error(
      [&] { evaluate_layer(overflowing_layer(), library_dataflows().at("xp_ws"), edge_256()); });
  EXPECT_EQ(std::string(e.what()),
            "ovf_traffic.m:2: layer 'L1' with dataflow 'xp_ws' on 'edge-256': the count of L1 "
            "output reads overflows a 64-bit integer (4611686018427387904 + "
            "4611686018427387904) (expected smaller sizes)");
}

// MAESTRO's own counting (--semantics maestro) is exact or refused too: its L1 reads (one per
// operand and partial sum, 3 x 2^62) do not fit. yxp_os is a mapping MAESTRO itself cannot read.
TEST(ModelOverflow, MaestroSemanticsRefusesTheReproductionToo) {
  const Layer layer = overflowing_layer();
  const Hardware hw = edge_256();
  for (const auto& [name, mapping] : library_dataflows()) {
    SCOPED_TRACE(name);
    const InputError e =
        expect_error([&] { evaluate_layer(layer, mapping, hw, {SemanticsMode::Maestro}); });
    EXPECT_CONTAINS(e.problem(), name == "yxp_os"
                                     ? "MAESTRO converts the X' directive"
                                     : "the count of L1 reads overflows a 64-bit integer");
  }
}

// A level total that wraps all the way round to a small positive number is caught as well.
TEST(ModelOverflow, ASumThatWrapsBackToAPositiveValueIsCaught) {
  Traffic traffic;
  traffic.l2.tensor[Tensor::Input].reads = INT64_MAX;
  traffic.l2.tensor[Tensor::Weight].reads = INT64_MAX;
  traffic.l2.tensor[Tensor::Output].reads = 3;  // the three wrap to 1
  const InputError e = expect_error([&] { count_arithmetic::check_level_totals(traffic); });
  EXPECT_CONTAINS(e.problem(), "the count of L2 reads overflows a 64-bit integer");
  traffic.l2.tensor[Tensor::Input].reads = INT64_MAX - 3;
  traffic.l2.tensor[Tensor::Weight].reads = 0;  // reads: INT64_MAX, fits
  traffic.l2.tensor[Tensor::Output].writes = 1;
  EXPECT_CONTAINS(expect_error([&] { count_arithmetic::check_level_totals(traffic); }).problem(),
                  "the count of L2 accesses overflows a 64-bit integer");
  traffic.l2.tensor[Tensor::Output].writes = 0;
  EXPECT_NO_THROW(count_arithmetic::check_level_totals(traffic));
  // 3 x (2^62 + 1) wraps to 2^62 + 3.
  EXPECT_THROW(count_arithmetic::mul(3, (std::int64_t{1} << 62) + 1, "x"), InputError);
  // A quotient that fits is exact even where the product does not.
  EXPECT_EQ(count_arithmetic::mul_div(std::int64_t{1} << 62, 6, 4, "x"),
            3 * (std::int64_t{1} << 61));
  EXPECT_THROW(count_arithmetic::mul_div(std::int64_t{1} << 62, 6, 2, "x"), InputError);
}

// Just below the limit: K spread over 4 PEs, each step one of 2^38 output pixels with all C = 2^20
// channels (2^60 MACs, L1 accesses about 5 x 2^60). Every count has a closed form.
TEST(ModelOverflow, ALargeLayerThatFitsGivesExactCounts) {
  constexpr std::int64_t C = std::int64_t{1} << 20, Y = std::int64_t{1} << 19, X = Y, K = 4;
  Layer layer;
  layer.name = "big";
  layer.type = LayerType::Conv;
  for (Dim d : kAllDims) layer.size[d] = 1;
  layer.size[Dim::K] = K;
  layer.size[Dim::C] = C;
  layer.size[Dim::Y] = Y;
  layer.size[Dim::X] = X;
  layer.validate();
  const Mapping ws = testing_layers::weight_stationary_k();
  // Unlimited bandwidth, no latencies, an L2 that holds the layer.
  Hardware hw = testing_layers::ideal_machine(K);
  hw.pe.l1_bytes = std::int64_t{1} << 40;
  hw.l2.bytes = std::int64_t{1} << 62;
  const Metrics m = evaluate_layer(layer, ws, hw);
  ASSERT_EQ(m.status, RecordStatus::Ok) << m.note;
  const std::int64_t macs = K * C * Y * X, pixels = Y * X;
  ASSERT_EQ(macs, std::int64_t{1} << 60);
  EXPECT_EQ(m.macs, macs);
  EXPECT_EQ(m.steps, pixels);
  EXPECT_EQ(m.runtime_cycles, C * pixels + 9);  // compute + the pipeline's registers
  // L1: one operand per MAC; every step brings a new pixel's C inputs to each PE, the weights
  // come once, every output is drained once.
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Input].reads, macs);
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Input].writes, K * C * pixels);
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Weight].reads, macs);
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Weight].writes, K * C);
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Output].reads, macs + K * pixels);
  EXPECT_EQ(m.traffic.l1.tensor[Tensor::Output].writes, macs);
  // NoC: the 4 PEs share each pixel's inputs (multicast), not their weights or outputs.
  EXPECT_EQ(m.noc.ingress_words, C * pixels + K * C);
  EXPECT_EQ(m.noc.egress_words, K * pixels);
  // L2 and DRAM: every tensor once.
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Input].reads, C * pixels);
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Input].writes, C * pixels);
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Weight].reads, K * C);
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Weight].writes, K * C);
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Output].reads, K * pixels);
  EXPECT_EQ(m.traffic.l2.tensor[Tensor::Output].writes, K * pixels);
  EXPECT_EQ(m.traffic.dram.tensor[Tensor::Input].reads, C * pixels);
  EXPECT_EQ(m.traffic.dram.tensor[Tensor::Weight].reads, K * C);
  EXPECT_EQ(m.traffic.dram.tensor[Tensor::Output].reads, 0);
  EXPECT_EQ(m.traffic.dram.tensor[Tensor::Output].writes, K * pixels);
  EXPECT_EQ(m.buffer_words_required.l1, C + C + 1);
  EXPECT_EQ(m.buffer_words_required.l2, C * pixels + K * C + K * pixels);
  // The level totals (the table's columns) are exact too: 3 reads per MAC plus the drains.
  EXPECT_EQ(m.traffic.l1.reads(), 3 * macs + K * pixels);
  EXPECT_EQ(m.traffic.l1.reads() + m.traffic.l1.writes(),
            4 * macs + K * C * pixels + K * C + K * pixels);
  EXPECT_GT(m.energy_pj.total, 0);
}

// The reproduction with 2^4 fewer output channels and input channels (2^54 MACs) fits under
// every library dataflow, NoC model and semantics: every integer >= 0 and the sums consistent.
TEST(ModelOverflow, ALargeLayerThatFitsGivesPositiveCountsUnderEveryLibraryDataflow) {
  Layer layer = overflowing_layer();
  layer.size[Dim::K] >>= 4;
  layer.size[Dim::C] >>= 4;
  const Hardware hw = edge_256();
  for (const auto& [name, mapping] : library_dataflows())
    for (NocModel noc : {NocModel::Simple, NocModel::Contention}) {
      SCOPED_TRACE(name + (noc == NocModel::Simple ? " simple" : " contention"));
      const Metrics m = evaluate_layer(layer, mapping, hw, {SemanticsMode::Exact, noc});
      ASSERT_EQ(m.status, RecordStatus::Ok) << m.note;
      EXPECT_EQ(m.macs, layer.macs());
      for (const auto& [field, value] : integers(m)) EXPECT_GE(value, 0) << field;
      EXPECT_GT(m.runtime_cycles, 0);
      EXPECT_EQ(m.traffic.l1.tensor[Tensor::Output].writes, m.macs);
      EXPECT_GT(m.traffic.l1.tensor[Tensor::Output].reads, m.macs);
      EXPECT_EQ(m.noc.ingress_words, m.traffic.l2.tensor[Tensor::Input].reads +
                                         m.traffic.l2.tensor[Tensor::Weight].reads);
      EXPECT_GE(m.noc.multicast_factor, 1.0);
      EXPECT_GT(m.energy_pj.total, 0);
      EXPECT_TRUE(std::isfinite(m.energy_pj.total));
    }
  for (const auto& [name, mapping] : library_dataflows()) {
    if (name == "yxp_os") continue;  // MAESTRO cannot read it (above)
    SCOPED_TRACE(name + " maestro");
    const Metrics m = evaluate_layer(layer, mapping, hw, {SemanticsMode::Maestro});
    ASSERT_EQ(m.status, RecordStatus::Ok) << m.note;
    for (const auto& [field, value] : integers(m)) EXPECT_GE(value, 0) << field;
    EXPECT_GT(m.traffic.l1.reads(), 2 * m.macs);
    EXPECT_GT(m.energy_pj.total, 0);
  }
}

// Layers of 2^58 to 2^62 MACs (plain, 3x3, strided, depth-wise, GEMM) with every library
// dataflow on every shipped machine, both NoC models and both semantics: each record is either
// refused (InputError) or has every integer >= 0 and its identities intact; none is wrapped.
// (Under -fsanitize=undefined a wrap anywhere on the way aborts the test.)
TEST(ModelOverflow, LayersNearTheLimitAreExactOrRefusedEverywhere) {
  const Workload layers = parse_workload(
      "Network near {\n"
      "  Layer plain { Type: CONV\n"
      "    Dimensions { N: 1, K: 2097152, C: 2097152, R: 1, S: 1, Y: 1024, X: 1024 } }\n"
      "  Layer plain_fits { Type: CONV\n"
      "    Dimensions { N: 1, K: 1048576, C: 1048576, R: 1, S: 1, Y: 1024, X: 1024 } }\n"
      "  Layer window { Type: CONV\n"
      "    Dimensions { N: 1, K: 4096, C: 4096, R: 3, S: 3, Y: 131074, X: 131074 } }\n"
      "  Layer strided { Type: CONV Stride { Y: 2, X: 2 }\n"
      "    Dimensions { N: 1, K: 65536, C: 65536, R: 3, S: 3, Y: 16385, X: 16385 } }\n"
      "  Layer depthwise { Type: DSCONV\n"
      "    Dimensions { N: 1, K: 1, C: 1048576, R: 3, S: 3, Y: 524288, X: 524288 } }\n"
      "  Layer gemm { Type: GEMM\n"
      "    Dimensions { M: 1048576, N: 1048576, K: 1048576 } }\n"
      "}\n",
      "near.m");
  ASSERT_EQ(layers.layers.size(), 6u);
  ASSERT_EQ(layers.layers[3].stride_y, 2);
  std::vector<Hardware> machines;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/configs/hardware"))
    machines.push_back(load_hardware(e.path().string()));
  const auto dataflows = library_dataflows();
  ModelSession session;  // (the analysis once per layer and dataflow, not per machine)
  int ok = 0, overflows = 0;
  for (const Layer& layer : layers.layers)
    for (const Hardware& hw : machines)
      for (const auto& [name, mapping] : dataflows)
        for (const ModelOptions options :
             {ModelOptions{SemanticsMode::Exact, NocModel::Simple},
              ModelOptions{SemanticsMode::Exact, NocModel::Contention},
              ModelOptions{SemanticsMode::Maestro, NocModel::Simple}}) {
          const bool exact = options.semantics == SemanticsMode::Exact;
          SCOPED_TRACE(layer.name + " " + hw.name + " " + name +
                       (exact ? options.noc_model == NocModel::Simple ? " simple" : " contention"
                              : " maestro"));
          Metrics m;
          try {
            m = session.evaluate(layer, mapping, hw, options);
          } catch (const InputError& e) {
            if (std::string(e.problem()).find("overflows a 64-bit integer") != std::string::npos)
              ++overflows;
            continue;
          }
          if (m.status != RecordStatus::Ok) continue;
          ++ok;
          for (const auto& [field, value] : integers(m)) EXPECT_GE(value, 0) << field;
          EXPECT_GT(m.runtime_cycles, 0);
          EXPECT_GE(m.traffic.l1.reads(), m.macs);
          EXPECT_GE(m.traffic.l1.writes(), m.traffic.l1.tensor[Tensor::Output].writes);
          EXPECT_GT(m.energy_pj.total, 0);
          if (!exact) continue;
          EXPECT_EQ(m.macs, layer.macs());
          EXPECT_EQ(m.traffic.l1.tensor[Tensor::Input].reads, m.macs);
          EXPECT_EQ(m.traffic.l1.tensor[Tensor::Output].writes, m.macs);
          EXPECT_GE(m.traffic.l1.tensor[Tensor::Output].reads, m.macs);
          EXPECT_EQ(m.noc.ingress_words, m.traffic.l2.tensor[Tensor::Input].reads +
                                             m.traffic.l2.tensor[Tensor::Weight].reads);
          EXPECT_GE(m.noc.multicast_factor, 1.0);
        }
  // Both outcomes occur, so the sweep tests something.
  EXPECT_GT(ok, 100);
  EXPECT_GT(overflows, 100);
}

}  // namespace
}  // namespace metronome
