// The shipped configuration library (configs/): every dataflow of configs/dataflows/ must be
// valid -- every MAC exactly once, under the exact semantics of DESIGN.md and
// docs/semantics.md -- on every layer of every network of configs/networks/ whose type it
// serves, at every PE count of the shipped hardware (64 and 256). The networks must have the
// layer counts and MAC totals derived by hand from their papers (configs/README.md).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"

namespace metronome {
namespace {

namespace fs = std::filesystem;

const fs::path kConfigs = fs::path(METRONOME_SOURCE_DIR) / "configs";

// PE counts of the shipped hardware (configs/hardware/*.yaml); HardwareLibrary checks that
// the files have no other.
const std::vector<std::int64_t> kPeCounts = {64, 256};

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension) {
  std::vector<fs::path> out;
  if (fs::is_directory(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == extension) {
        out.push_back(entry.path());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> dataflow_names() {
  std::vector<std::string> names;
  for (const auto& p : files_in(kConfigs / "dataflows", ".m")) names.push_back(p.stem().string());
  return names;
}

const std::map<std::string, Workload>& networks() {
  static const std::map<std::string, Workload> loaded = [] {
    std::map<std::string, Workload> out;
    for (const auto& p : files_in(kConfigs / "networks", ".m")) {
      out.emplace(p.stem().string(), load_workload(p.string()));
    }
    return out;
  }();
  return loaded;
}

const Layer* find_layer(const Workload& w, const std::string& name) {
  for (const auto& l : w.layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

std::int64_t total_macs(const Workload& w) {
  std::int64_t sum = 0;
  for (const auto& l : w.layers) sum += l.macs();
  return sum;
}

bool serves(const Mapping& m, LayerType t) {
  return m.serves.empty() || std::find(m.serves.begin(), m.serves.end(), t) != m.serves.end();
}

std::string coordinates(const std::vector<MacCoordinate>& cs) {
  std::string out;
  for (const auto& c : cs) out += (out.empty() ? "" : " ") + c.str();
  return out;
}

// ---------------------------------------------------------------------------------------
// Dataflows x networks x PE counts

TEST(DataflowLibrary, HasTheDesignedDataflows) {
  const auto names = dataflow_names();
  for (const char* expected : {"kcp_ws", "ckp_ws", "xp_ws", "yxp_os", "rs", "tpu_ws"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end())
        << "configs/dataflows/" << expected << ".m is missing";
  }
}

TEST(DataflowLibrary, DeclaresWhatItServes) {
  // Every file names its layer types; those it leaves out carry a reason.
  for (const auto& name : dataflow_names()) {
    SCOPED_TRACE(name);
    const Mapping m = load_dataflow((kConfigs / "dataflows" / (name + ".m")).string());
    EXPECT_EQ(m.name, name);
    ASSERT_FALSE(m.serves.empty()) << "no `// serves:` line";
    EXPECT_TRUE(serves(m, LayerType::Conv)) << "every library dataflow serves CONV";
    if (m.serves.size() < 3) {
      EXPECT_FALSE(m.serves_note.empty()) << "types not served need a reason after ` -- `";
    }
  }
  // xp_ws and yxp_os leave GEMM out (X = X' = 1 in a GEMM); the others serve every type.
  for (const char* no_gemm : {"xp_ws", "yxp_os"}) {
    const Mapping m =
        load_dataflow((kConfigs / "dataflows" / (std::string(no_gemm) + ".m")).string());
    EXPECT_FALSE(serves(m, LayerType::Gemm)) << no_gemm;
    EXPECT_TRUE(serves(m, LayerType::DsConv)) << no_gemm;
  }
  for (const char* all : {"kcp_ws", "ckp_ws", "rs", "tpu_ws"}) {
    const Mapping m = load_dataflow((kConfigs / "dataflows" / (std::string(all) + ".m")).string());
    for (LayerType t : {LayerType::Conv, LayerType::DsConv, LayerType::Gemm}) {
      EXPECT_TRUE(serves(m, t)) << all << " should serve " << layer_type_name(t);
    }
  }
}

class DataflowLibraryValidity : public ::testing::TestWithParam<std::string> {};

TEST_P(DataflowLibraryValidity, ValidOnEveryServedLayerOfEveryNetwork) {
  const std::string df_name = GetParam();
  const Mapping mapping = load_dataflow((kConfigs / "dataflows" / (df_name + ".m")).string());
  ASSERT_FALSE(networks().empty());
  int checked = 0;
  for (const auto& [net_name, workload] : networks()) {
    for (const Layer& layer : workload.layers) {
      if (!serves(mapping, layer.type)) continue;
      for (std::int64_t pes : kPeCounts) {
        std::ostringstream where;
        where << "dataflow " << df_name << ", network " << net_name << ", layer " << layer.name
              << " (" << layer_type_name(layer.type) << "), pes " << pes;
        try {
          const ResolvedMapping resolved = resolve_mapping(mapping, layer, pes);
          const SemanticsReport r = analyze_mapping(layer, resolved);
          ++checked;
          EXPECT_TRUE(r.valid() && r.layer_macs == layer.macs())
              << where.str() << ": missing " << r.missing_macs << ", duplicated "
              << r.duplicated_macs << ", layer_macs " << r.layer_macs << " (layer " << layer.macs()
              << ")"
              << (r.first_missing.empty() ? "" : ", first missing " + coordinates(r.first_missing))
              << (r.first_duplicated.empty()
                      ? ""
                      : ", first duplicated " + coordinates(r.first_duplicated));
          EXPECT_EQ(r.missing_macs, 0) << where.str();
          EXPECT_EQ(r.duplicated_macs, 0) << where.str();
          EXPECT_EQ(r.layer_macs, layer.macs()) << where.str();
        } catch (const InputError& e) {
          ADD_FAILURE() << where.str() << ": " << e.what();
        }
      }
    }
  }
  EXPECT_GT(checked, 0) << df_name << " serves no shipped layer";
}

INSTANTIATE_TEST_SUITE_P(Configs, DataflowLibraryValidity, ::testing::ValuesIn(dataflow_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;  // file stems are identifiers (kcp_ws, ...)
                         });

// ---------------------------------------------------------------------------------------
// Hardware files

TEST(HardwareLibrary, LoadsWithTheShippedPeCounts) {
  const auto files = files_in(kConfigs / "hardware", ".yaml");
  ASSERT_GE(files.size(), 6u);
  std::set<std::int64_t> counts;
  for (const auto& p : files) {
    SCOPED_TRACE(p.filename().string());
    const Hardware hw = load_hardware(p.string());
    EXPECT_EQ(hw.name, p.stem().string());
    counts.insert(hw.pe.count);
  }
  // The PE counts the validity test above runs with.
  EXPECT_EQ(counts, std::set<std::int64_t>(kPeCounts.begin(), kPeCounts.end()));

  const Hardware ideal = load_hardware((kConfigs / "hardware" / "ideal.yaml").string());
  EXPECT_EQ(ideal.pe.count, 256);
  EXPECT_EQ(ideal.dram.words_per_cycle, kUnlimited);
  EXPECT_EQ(ideal.dram.latency_cycles, 0);
  EXPECT_EQ(ideal.l2.words_per_bank_per_cycle, kUnlimited);
  EXPECT_EQ(ideal.noc.distribution.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(ideal.noc.reduction.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(ideal.noc.distribution.hop_latency, 0);
  EXPECT_EQ(ideal.noc.reduction.hop_latency, 0);

  const Hardware maestro = load_hardware((kConfigs / "hardware" / "maestro-default.yaml").string());
  EXPECT_EQ(maestro.pe.count, 256);
  EXPECT_EQ(maestro.noc.distribution.topology, Topology::Bus);
  EXPECT_EQ(maestro.noc.distribution.link_words_per_cycle, 32);
  EXPECT_EQ(maestro.dram.words_per_cycle, 50);

  const Hardware mesh = load_hardware((kConfigs / "hardware" / "mesh-64.yaml").string());
  EXPECT_EQ(mesh.pe.count, 64);
  EXPECT_EQ(mesh.noc.distribution.topology, Topology::Mesh);
  EXPECT_EQ(mesh.noc.reduction.topology, Topology::Mesh);

  const Hardware systolic = load_hardware((kConfigs / "hardware" / "systolic-16x16.yaml").string());
  EXPECT_EQ(systolic.pe.count, 256);
  EXPECT_EQ(systolic.noc.distribution.topology, Topology::Systolic);
  EXPECT_EQ(systolic.noc.reduction.topology, Topology::Systolic);

  const Hardware bus = load_hardware((kConfigs / "hardware" / "bus-64.yaml").string());
  EXPECT_EQ(bus.pe.count, 64);
  EXPECT_EQ(bus.noc.distribution.topology, Topology::Bus);
  EXPECT_FALSE(bus.noc.distribution.multicast);
  EXPECT_FALSE(bus.noc.reduction.in_network);
}

TEST(HardwareLibrary, Edge256IsDesignExample) {
  const Hardware hw = load_hardware((kConfigs / "hardware" / "edge-256.yaml").string());
  EXPECT_EQ(hw.word_bytes, 1);
  EXPECT_EQ(hw.pe.count, 256);
  EXPECT_EQ(hw.pe.macs_per_cycle, 1);
  EXPECT_EQ(hw.pe.l1_bytes, 512);
  EXPECT_EQ(hw.l2.bytes, 1048576);
  EXPECT_EQ(hw.l2.banks, 16);
  EXPECT_EQ(hw.l2.words_per_bank_per_cycle, 2);
  EXPECT_EQ(hw.dram.words_per_cycle, 16);
  EXPECT_EQ(hw.dram.latency_cycles, 100);
  EXPECT_EQ(hw.noc.distribution.topology, Topology::Tree);
  EXPECT_EQ(hw.noc.distribution.link_words_per_cycle, 32);
  EXPECT_TRUE(hw.noc.distribution.multicast);
  EXPECT_EQ(hw.noc.reduction.topology, Topology::Tree);
  EXPECT_TRUE(hw.noc.reduction.in_network);
  EXPECT_EQ(hw.energy_pj.dram_word, 120);
}

// ---------------------------------------------------------------------------------------
// Networks: layer counts and MAC totals derived by hand

TEST(NetworkConfigs, LayerCounts) {
  const std::map<std::string, std::size_t> expected = {
      {"vgg16", 13},         // conv1_1 .. conv5_3
      {"resnet50", 53},      // conv1 + 16 blocks x 3 + 4 projection shortcuts
      {"mobilenet_v2", 52},  // conv1 + 2 (first block) + 16 blocks x 3 + conv_last
      {"alexnet", 5},        // conv1 .. conv5
      {"bert_base", 8},      // Q, K, V, scores, context, out proj, FFN1, FFN2
      {"small", 5},          // conv3x3, strided, depthwise, pointwise, gemm (test layers)
  };
  ASSERT_EQ(networks().size(), expected.size());
  for (const auto& [name, count] : expected) {
    ASSERT_TRUE(networks().count(name)) << "configs/networks/" << name << ".m";
    const Workload& w = networks().at(name);
    EXPECT_EQ(w.layers.size(), count) << name;
    for (const auto& warning : w.warnings) ADD_FAILURE() << "parser warning: " << warning;
    for (const Layer& l : w.layers) {
      EXPECT_FALSE(l.dataflow.has_value()) << name << "/" << l.name << " has its own Dataflow";
    }
  }
}

TEST(NetworkConfigs, Vgg16Macs) {
  // Every conv is 3x3 "same": MACs = 9 * K * C * H * W with H = W the input size.
  //   conv1_1  9*64*3*224^2      =    86,704,128
  //   conv1_2  9*64*64*224^2     = 1,849,688,064
  //   conv2_1  9*128*64*112^2    =   924,844,032
  //   conv2_2  9*128*128*112^2   = 1,849,688,064
  //   conv3_1  9*256*128*56^2    =   924,844,032
  //   conv3_2,3_3 9*256*256*56^2 = 1,849,688,064 each
  //   conv4_1  9*512*256*28^2    =   924,844,032
  //   conv4_2,4_3 9*512*512*28^2 = 1,849,688,064 each
  //   conv5_1..5_3 9*512*512*14^2 =  462,422,016 each
  //   total = 86,704,128 + 6 * 1,849,688,064 + 3 * 924,844,032 + 3 * 462,422,016
  //         = 15,346,630,656
  const Workload& w = networks().at("vgg16");
  EXPECT_EQ(total_macs(w), 15346630656LL);
  const Layer* c11 = find_layer(w, "conv1_1");
  ASSERT_NE(c11, nullptr);
  EXPECT_EQ(c11->macs(), 86704128LL);
  EXPECT_EQ(c11->size[Dim::Y], 226);  // 224 + 2 * padding 1
  EXPECT_EQ(c11->out_rows(), 224);
  const Layer* c53 = find_layer(w, "conv5_3");
  ASSERT_NE(c53, nullptr);
  EXPECT_EQ(c53->macs(), 462422016LL);
  EXPECT_EQ(c53->out_cols(), 14);
}

TEST(NetworkConfigs, AlexNetMacs) {
  // conv1: 96 * 3 * 11 * 11 * 55 * 55 = 105,415,200 (55 = (227 - 11) / 4 + 1)
  // conv2: 256 * 96 * 5 * 5 * 27 * 27   = 447,897,600 (ungrouped, padding 2)
  // conv3: 384 * 256 * 3 * 3 * 13 * 13  = 149,520,384
  // conv4: 384 * 384 * 3 * 3 * 13 * 13  = 224,280,576
  // conv5: 256 * 384 * 3 * 3 * 13 * 13  = 149,520,384
  // total 1,076,634,144
  const Workload& w = networks().at("alexnet");
  const Layer* c1 = find_layer(w, "conv1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->macs(), 105415200LL);
  EXPECT_EQ(c1->stride_y, 4);
  EXPECT_EQ(c1->out_rows(), 55);
  const Layer* c2 = find_layer(w, "conv2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->macs(), 447897600LL);
  EXPECT_EQ(c2->out_rows(), 27);
  EXPECT_EQ(total_macs(w), 1076634144LL);
}

TEST(NetworkConfigs, ResNet50Macs) {
  // conv1: 64 * 3 * 49 * 112^2 = 118,013,952; whole network (53 convs, torchvision strides)
  // 4,087,136,256 -- the well-known 4.09 GMACs of ResNet-50 less its 2,048,000-MAC FC layer.
  const Workload& w = networks().at("resnet50");
  EXPECT_EQ(total_macs(w), 4087136256LL);
  const Layer* c1 = find_layer(w, "conv1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->macs(), 118013952LL);
  EXPECT_EQ(c1->out_rows(), 112);
  // Strided layers of the first block of stage 3: 56 -> 28.
  for (const char* name : {"res3a_branch2b", "res3a_branch1"}) {
    const Layer* l = find_layer(w, name);
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ(l->stride_y, 2) << name;
    EXPECT_EQ(l->out_rows(), 28) << name;
  }
  const Layer* last = &w.layers.back();
  EXPECT_EQ(last->name, "res5c_branch2c");
  EXPECT_EQ(last->size[Dim::K], 2048);
  EXPECT_EQ(last->out_rows(), 7);
}

TEST(NetworkConfigs, MobileNetV2Macs) {
  // 299,494,272 MACs in the 52 conv layers (the well-known ~300 M multiply-adds of
  // MobileNetV2 1.0/224 less the 1,280,000-MAC classifier).
  // A depth-wise layer does one 3x3 filter per channel: bneck2_1_dw (96 channels, stride 2,
  // 112 -> 56) = 96 * 9 * 56 * 56 = 2,709,504.
  const Workload& w = networks().at("mobilenet_v2");
  EXPECT_EQ(total_macs(w), 299494272LL);
  const Layer* dw = find_layer(w, "bneck2_1_dw");
  ASSERT_NE(dw, nullptr);
  EXPECT_EQ(dw->type, LayerType::DsConv);
  EXPECT_EQ(dw->out_rows(), 56);
  EXPECT_EQ(dw->macs(), 2709504LL);
  int dsconv = 0;
  for (const Layer& l : w.layers) dsconv += l.type == LayerType::DsConv ? 1 : 0;
  EXPECT_EQ(dsconv, 17);
}

TEST(NetworkConfigs, BertBaseMacs) {
  // Q, K, V and output projections: 768 * 512 * 768 = 301,989,888 each
  // scores and context of one head: 512 * 512 * 64 = 16,777,216 each
  // FFN1 and FFN2: 3072 * 512 * 768 = 1,207,959,552 each
  // total = 4 * 301,989,888 + 2 * 16,777,216 + 2 * 1,207,959,552 = 3,657,433,088
  const Workload& w = networks().at("bert_base");
  EXPECT_EQ(total_macs(w), 3657433088LL);
  for (const Layer& l : w.layers) EXPECT_EQ(l.type, LayerType::Gemm) << l.name;
  const Layer* ffn1 = find_layer(w, "ffn1");
  ASSERT_NE(ffn1, nullptr);
  // GEMM M -> K, K -> C, N -> Y, R = S = X = 1.
  EXPECT_EQ(ffn1->size[Dim::K], 3072);
  EXPECT_EQ(ffn1->size[Dim::C], 768);
  EXPECT_EQ(ffn1->size[Dim::Y], 512);
  EXPECT_EQ(ffn1->size[Dim::R], 1);
  EXPECT_EQ(ffn1->size[Dim::X], 1);
  EXPECT_EQ(ffn1->macs(), 1207959552LL);
}

}  // namespace
}  // namespace metronome
