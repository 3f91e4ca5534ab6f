// Every input file shipped with MAESTRO (copied, unchanged, to the shared folder's
// maestro-models/) must load: hw/ with load_hardware, frontend-dataflow/ with load_dataflow,
// everything else with load_workload. Spot checks pin known values.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/workload_parser.hpp"

namespace metronome {
namespace {

namespace fs = std::filesystem;

const fs::path kModels = fs::path(METRONOME_SHARED_DIR) / "maestro-models";

#define SKIP_WITHOUT_MODELS()                                                            \
  do {                                                                                   \
    if (!fs::is_directory(kModels))                                                      \
      GTEST_SKIP() << "MAESTRO's input files are not available at " << kModels.string(); \
  } while (false)

std::vector<fs::path> all_m_files() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(kModels))
    if (entry.is_regular_file() && entry.path().extension() == ".m") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string rel(const fs::path& p) {
  return fs::relative(p, kModels).generic_string();
}

const Layer& find_layer(const Workload& w, const std::string& name) {
  for (const Layer& l : w.layers)
    if (l.name == name) return l;
  ADD_FAILURE() << "no layer " << name << " in " << w.file;
  static const Layer none;
  return none;
}

TEST(MaestroModels, EveryFileLoads) {
  SKIP_WITHOUT_MODELS();
  // Layers per workload file (counted from the files' `Layer` lines).
  const std::map<std::string, std::size_t> expected_layers = {
      {"mapping/GEMM_Example.m", 1},
      {"mapping/MobileNetV2_kcp_ws.m", 56},
      {"mapping/MobileNetV2_yxp_os.m", 56},
      {"mapping/Resnet50_kcp_ws.m", 66},
      {"mapping/Resnet50_nlr.m", 66},
      {"mapping/Resnet50_rs.m", 66},
      {"mapping/Resnet50_xp_ws.m", 66},
      {"mapping/Resnet50_yxp_os.m", 66},
      {"mapping/Transformer_Complete.m", 288},
      {"mapping/UNet_RS.m", 23},
      {"mapping/example.m", 1},
      {"mapping/gnmt_nmk.m", 9},
      {"mapping/googlenet_ykp_os.m", 64},
      {"mapping/mnasnet_rs.m", 53},
      {"mapping/vgg16_ckp_ws.m", 13},
      {"mapping/vgg16_rs.m", 13},
      {"mapping/vgg16_yxp_os.m", 13},
      {"model/MobileNetV2_model.m", 56},
      {"model/Resnet50_model.m", 66},
      {"model/Transformer_Complete_model.m", 288},
      {"model/vgg16_model.m", 13},
      {"validation/alexnet_rs_validation.m", 5},
      {"validation/vgg16_maeri.m", 13},
  };
  std::size_t workloads = 0;
  std::size_t dataflows = 0;
  std::size_t hardware = 0;
  for (const fs::path& p : all_m_files()) {
    const std::string name = rel(p);
    SCOPED_TRACE(name);
    try {
      if (name.starts_with("hw/")) {
        const Hardware hw = load_hardware(p.string());
        EXPECT_GE(hw.pe.count, 1);
        ++hardware;
      } else if (name.starts_with("frontend-dataflow/")) {
        const Mapping m = load_dataflow(p.string());
        EXPECT_EQ(m.name, p.stem().string());
        EXPECT_FALSE(m.levels.empty());
        EXPECT_FALSE(m.levels[0].directives.empty());
        ++dataflows;
      } else {
        const Workload w = load_workload(p.string());
        ++workloads;
        auto it = expected_layers.find(name);
        ASSERT_NE(it, expected_layers.end()) << "a workload file the test does not know";
        EXPECT_EQ(w.layers.size(), it->second);
        const bool is_mapping = name.starts_with("mapping/") || name.starts_with("validation/");
        std::vector<std::string> names;
        for (const Layer& l : w.layers) {
          SCOPED_TRACE(l.name);
          names.push_back(l.name);
          if (l.type == LayerType::Unsupported) {
            EXPECT_EQ(l.type_text, "TRCONV");
          } else {
            EXPECT_GT(l.macs(), 0);
            EXPECT_NO_THROW(l.validate());
          }
          // Files under mapping/ and validation/ carry a Dataflow per layer, model/ none.
          EXPECT_EQ(l.dataflow.has_value(), is_mapping);
        }
        std::sort(names.begin(), names.end());
        EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end())
            << "layer names are made unique";
      }
    } catch (const InputError& e) {
      ADD_FAILURE() << "failed to load: " << e.what();
    }
  }
  EXPECT_EQ(workloads, expected_layers.size());
  EXPECT_EQ(dataflows, 6u);
  EXPECT_EQ(hardware, 1u);
}

TEST(MaestroModels, AlexnetValidation) {
  SKIP_WITHOUT_MODELS();
  const Workload w = load_workload((kModels / "validation/alexnet_rs_validation.m").string());
  EXPECT_EQ(w.network, "alexnet");
  const Layer& c1 = find_layer(w, "CONV1");
  EXPECT_EQ(c1.where.line, 3);
  EXPECT_EQ(c1.stride_y, 4);
  EXPECT_EQ(c1.stride_x, 4);
  EXPECT_EQ(c1.size[Dim::N], 4);
  EXPECT_EQ(c1.size[Dim::K], 96);
  EXPECT_EQ(c1.size[Dim::C], 3);
  EXPECT_EQ(c1.size[Dim::R], 11);
  EXPECT_EQ(c1.size[Dim::S], 11);
  EXPECT_EQ(c1.size[Dim::Y], 227);
  EXPECT_EQ(c1.out_rows(), 55);
  EXPECT_EQ(c1.macs(), std::int64_t{4} * 96 * 3 * 11 * 11 * 55 * 55);
  ASSERT_TRUE(c1.dataflow.has_value());
  const Mapping& m = *c1.dataflow;
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_EQ(m.levels[0].directives[0].kind, MapKind::Spatial);
  EXPECT_EQ(m.levels[0].directives[0].dim, MapDim::YOut);
  EXPECT_EQ(m.levels[0].directives[1].dim, MapDim::XOut);
  EXPECT_EQ(m.levels[1].units->size_of, Dim::R);
  const Layer& c2 = find_layer(w, "CONV2");
  EXPECT_EQ(c2.stride_y, 1);  // no Stride block
  EXPECT_EQ(c2.size[Dim::C], 48);
}

TEST(MaestroModels, GnmtGemm) {
  SKIP_WITHOUT_MODELS();
  const Workload w = load_workload((kModels / "mapping/gnmt_nmk.m").string());
  EXPECT_EQ(w.network, "gnmt_gemm");
  const Layer& g0 = find_layer(w, "GEMM0");
  EXPECT_EQ(g0.type, LayerType::Gemm);
  EXPECT_EQ(g0.size[Dim::K], 128);   // M
  EXPECT_EQ(g0.size[Dim::C], 4096);  // K
  EXPECT_EQ(g0.size[Dim::Y], 2048);  // N
  EXPECT_EQ(g0.size[Dim::X], 1);
  EXPECT_EQ(g0.macs(), std::int64_t{128} * 4096 * 2048);
  const Layer& g2 = find_layer(w, "GEMM2");
  EXPECT_EQ(g2.size[Dim::K], 320);
  EXPECT_EQ(g2.size[Dim::Y], 3072);
  const Mapping& m = *g0.dataflow;
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_EQ(m.levels[0].directives[0].dim, MapDim::Y);  // TemporalMap(NTileSz,NTileSz) N
  EXPECT_EQ(m.levels[0].directives[0].size.literal, 1);
  EXPECT_EQ(m.levels[0].directives[1].dim, MapDim::K);  // SpatialMap(MTileSz,MTileSz) M
  EXPECT_EQ(m.levels[0].directives[2].dim, MapDim::C);  // TemporalMap(KTileSz,KTileSz) K
  EXPECT_EQ(m.levels[0].directives[2].size.literal, 100);
  EXPECT_EQ(m.levels[1].units->literal, 100);  // Cluster(KTileSz, P)
  EXPECT_EQ(m.levels[1].directives[2].kind, MapKind::Spatial);
  EXPECT_EQ(m.levels[1].directives[2].dim, MapDim::C);
}

TEST(MaestroModels, GemmExampleAndConstants) {
  SKIP_WITHOUT_MODELS();
  const Workload w = load_workload((kModels / "mapping/GEMM_Example.m").string());
  EXPECT_EQ(w.network, "BLAS3");  // the second, commented-out Network is ignored
  const Layer& l = find_layer(w, "BLAS");
  EXPECT_EQ(l.size[Dim::K], 100);
  EXPECT_EQ(l.size[Dim::C], 100);
  EXPECT_EQ(l.size[Dim::Y], 100);
}

TEST(MaestroModels, TransformerConstantsAndDuplicates) {
  SKIP_WITHOUT_MODELS();
  for (const char* file :
       {"mapping/Transformer_Complete.m", "model/Transformer_Complete_model.m"}) {
    SCOPED_TRACE(file);
    const Workload w = load_workload((kModels / file).string());
    EXPECT_EQ(w.network, "Transformer");
    const Layer& vkq = find_layer(w, "MH_FC_DimReduce_VKQ_0");
    EXPECT_EQ(vkq.size[Dim::N], 128);  // Constant Seq_Len 128
    EXPECT_EQ(vkq.size[Dim::K], 1536);
    EXPECT_EQ(vkq.size[Dim::S], 512);
    const Layer& qk = find_layer(w, "SD_MatMul_QK_00");
    EXPECT_EQ(qk.size[Dim::K], 128);
    EXPECT_EQ(qk.size[Dim::X], 128);
    EXPECT_EQ(qk.size[Dim::R], 64);
    // FF_A_0 is repeated in every encoder/decoder block: later copies are renamed.
    const Layer& ff2 = find_layer(w, "FF_A_0#2");
    EXPECT_EQ(ff2.size[Dim::K], 2048);
    const auto renamed = std::count_if(
        w.warnings.begin(), w.warnings.end(),
        [](const std::string& s) { return s.find("is used again") != std::string::npos; });
    EXPECT_EQ(renamed, 17);  // one warning per repeated name
    EXPECT_EQ(find_layer(w, "FF_A_0#17").size[Dim::S], 512);
    EXPECT_EQ(w.layers.back().name, "FinalLinear");
  }
}

TEST(MaestroModels, UnetTrconvAndRepeatedDimension) {
  SKIP_WITHOUT_MODELS();
  const Workload w = load_workload((kModels / "mapping/UNet_RS.m").string());
  EXPECT_EQ(w.network, "UNet");
  int unsupported = 0;
  for (const Layer& l : w.layers)
    if (l.type == LayerType::Unsupported) ++unsupported;
  EXPECT_EQ(unsupported, 4);
  const Layer& t1 = find_layer(w, "TRCONV1");
  EXPECT_EQ(t1.type_text, "TRCONV");
  EXPECT_EQ(t1.size[Dim::K], 512);
  EXPECT_EQ(t1.size[Dim::C], 1024);
  const Layer& c11 = find_layer(w, "CONV1_1");
  EXPECT_EQ(c11.size[Dim::Y], 572);
  EXPECT_EQ(c11.dataflow->levels[1].units->literal, 3);
  // `N: 1, N: 1` is accepted with a warning.
  const bool repeated_n =
      std::any_of(w.warnings.begin(), w.warnings.end(), [](const std::string& s) {
        return s.find("dimension N of layer") != std::string::npos &&
               s.find("given twice") != std::string::npos;
      });
  EXPECT_TRUE(repeated_n);
}

TEST(MaestroModels, ModelFilesAndNames) {
  SKIP_WITHOUT_MODELS();
  const Workload vgg = load_workload((kModels / "model/vgg16_model.m").string());
  const Layer& c1 = find_layer(vgg, "CONV1");
  EXPECT_EQ(c1.size[Dim::K], 64);
  EXPECT_EQ(c1.size[Dim::C], 3);
  EXPECT_EQ(c1.size[Dim::Y], 224);
  EXPECT_FALSE(c1.dataflow.has_value());

  const Workload mnas = load_workload((kModels / "mapping/mnasnet_rs.m").string());
  EXPECT_EQ(mnas.network, "torchvision.models.mnasnet");
  const Layer& first = find_layer(mnas, "Conv2d-1");
  EXPECT_EQ(first.stride_x, 2);
  EXPECT_EQ(first.size[Dim::K], 32);

  const Workload goog = load_workload((kModels / "mapping/googlenet_ykp_os.m").string());
  EXPECT_EQ(goog.network, "torchvision.models.googlenet");
  EXPECT_EQ(find_layer(goog, "Conv2d-1").size[Dim::R], 7);

  const Workload mob = load_workload((kModels / "model/MobileNetV2_model.m").string());
  const Layer& b1 = find_layer(mob, "Bottleneck5_2_3");
  const Layer& b2 = find_layer(mob, "Bottleneck5_2_3#2");
  EXPECT_EQ(b1.size[Dim::K], 96);
  EXPECT_EQ(b2.size[Dim::K], 576);
  int dsconv = 0;
  for (const Layer& l : mob.layers)
    if (l.type == LayerType::DsConv) {
      ++dsconv;
      EXPECT_EQ(l.size[Dim::K], 1);
    }
  EXPECT_EQ(dsconv, 21);
}

TEST(MaestroModels, FrontendDataflows) {
  SKIP_WITHOUT_MODELS();
  const Mapping maeri = load_dataflow((kModels / "frontend-dataflow/maeri.m").string());
  EXPECT_EQ(maeri.name, "maeri");
  ASSERT_EQ(maeri.levels.size(), 3u);
  EXPECT_EQ(maeri.levels[0].directives[2].dim, MapDim::YOut);  // the typographic Y’
  EXPECT_EQ(maeri.levels[0].directives[3].dim, MapDim::XOut);
  EXPECT_EQ(maeri.levels[1].units->size_of, Dim::R);
  EXPECT_EQ(maeri.levels[2].units->size_of, Dim::S);
  EXPECT_TRUE(maeri.serves.empty());

  const Mapping kcp = load_dataflow((kModels / "frontend-dataflow/kcp_ws.m").string());
  ASSERT_EQ(kcp.levels.size(), 2u);
  EXPECT_EQ(kcp.levels[0].directives.size(), 6u);
  EXPECT_EQ(kcp.levels[1].units->literal, 64);

  const Mapping dpt = load_dataflow((kModels / "frontend-dataflow/dpt.m").string());
  ASSERT_EQ(dpt.levels.size(), 1u);
  ASSERT_EQ(dpt.levels[0].directives.size(), 5u);
  EXPECT_EQ(dpt.levels[0].directives[0].kind, MapKind::Spatial);
  EXPECT_EQ(dpt.levels[0].directives[0].dim, MapDim::C);

  // xp_ws.m writes `TemporalMap (1,1) K;` with a space before the parenthesis.
  const Mapping xp = load_dataflow((kModels / "frontend-dataflow/xp_ws.m").string());
  ASSERT_EQ(xp.levels.size(), 1u);
  ASSERT_EQ(xp.levels[0].directives.size(), 6u);
  EXPECT_EQ(xp.levels[0].directives[3].kind, MapKind::Spatial);
  EXPECT_EQ(xp.levels[0].directives[3].dim, MapDim::X);
  EXPECT_EQ(xp.levels[0].directives[3].size.size_of, Dim::S);
  EXPECT_EQ(xp.levels[0].directives[3].offset.literal, 1);

  const Mapping ykp = load_dataflow((kModels / "frontend-dataflow/ykp_os.m").string());
  ASSERT_EQ(ykp.levels.size(), 2u);
  EXPECT_EQ(ykp.levels[1].directives[3].offset.literal, 7);  // TemporalMap(Sz(R),7) R
}

TEST(MaestroModels, Accelerator1) {
  SKIP_WITHOUT_MODELS();
  const Hardware hw = load_hardware((kModels / "hw/accelerator_1.m").string());
  EXPECT_EQ(hw.name, "accelerator_1");
  EXPECT_EQ(hw.pe.count, 256);
  EXPECT_EQ(hw.pe.l1_bytes, 100);
  EXPECT_EQ(hw.l2.bytes, 3000);
  EXPECT_DOUBLE_EQ(hw.noc.distribution.link_words_per_cycle, 1000);
  EXPECT_DOUBLE_EQ(hw.dram.words_per_cycle, 50);
  EXPECT_EQ(hw.noc.distribution.hop_latency, 1);  // NoC_NumHops absent: MAESTRO's default
  EXPECT_EQ(hw.noc.distribution.topology, Topology::Bus);
}

}  // namespace
}  // namespace metronome
