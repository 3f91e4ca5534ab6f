// Tests of the MAESTRO `.m` workload/dataflow parser, Layer methods and resolve_mapping.

#include "spec/workload_parser.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "tests/unit/input_error_expectations.hpp"

namespace metronome {
namespace {

namespace fs = std::filesystem;

using testing_errors::expect_error;

// A scratch directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / (std::string("metronome_wp_") + info->test_suite_name() +
                                         "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

constexpr const char* kVggLike = R"(// a comment before anything
Constant KT 64;
Network vgg16 {
Layer CONV2 {   // trailing comment
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 224, X: 224 }
  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(KT,KT) C;
    TemporalMap(Sz(R),Sz(R)) R;
    TemporalMap(Sz(S),Sz(S)) S;
    TemporalMap(Sz(R),1) Y;
    TemporalMap(Sz(S),1) X;
    Cluster(64, P);
    SpatialMap(1,1) C;   /* block
                            comment */
    TemporalMap (Sz(R), 1) Y;
    TemporalMap(Sz(S),1) X;
  }
}
}
)";

TEST(WorkloadParser, ParsesConvLayerWithDataflow) {
  const Workload w = parse_workload(kVggLike, "vgg16.m");
  EXPECT_EQ(w.network, "vgg16");
  EXPECT_EQ(w.file, "vgg16.m");
  ASSERT_EQ(w.layers.size(), 1u);
  const Layer& l = w.layers[0];
  EXPECT_EQ(l.name, "CONV2");
  EXPECT_EQ(l.type, LayerType::Conv);
  EXPECT_EQ(l.type_text, "CONV");
  EXPECT_EQ(l.where.line, 4);
  EXPECT_EQ(l.size[Dim::N], 1);
  EXPECT_EQ(l.size[Dim::K], 64);
  EXPECT_EQ(l.size[Dim::C], 64);
  EXPECT_EQ(l.size[Dim::R], 3);
  EXPECT_EQ(l.size[Dim::Y], 224);
  EXPECT_EQ(l.out_rows(), 222);
  ASSERT_TRUE(l.dataflow.has_value());
  const Mapping& m = *l.dataflow;
  EXPECT_EQ(m.name, "CONV2");
  EXPECT_EQ(m.where.line, 8);
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_FALSE(m.levels[0].units.has_value());
  ASSERT_EQ(m.levels[0].directives.size(), 6u);
  EXPECT_EQ(m.levels[0].directives[0].kind, MapKind::Spatial);
  EXPECT_EQ(m.levels[0].directives[0].dim, MapDim::K);
  EXPECT_EQ(m.levels[0].directives[1].size.literal, 64);  // the Constant
  EXPECT_EQ(m.levels[0].directives[2].size.size_of, Dim::R);
  EXPECT_EQ(m.levels[0].directives[4].offset.literal, 1);
  EXPECT_EQ(m.levels[0].directives[4].where.line, 13);
  ASSERT_TRUE(m.levels[1].units.has_value());
  EXPECT_EQ(m.levels[1].units->literal, 64);
  EXPECT_EQ(m.levels[1].where.line, 15);
  ASSERT_EQ(m.levels[1].directives.size(), 3u);
  EXPECT_EQ(m.levels[1].directives[1].dim, MapDim::Y);
  EXPECT_EQ(m.levels[1].directives[1].size.size_of, Dim::R);
  EXPECT_EQ(m.levels[1].directives[1].where.line, 18);
  EXPECT_TRUE(w.warnings.empty());
}

TEST(WorkloadParser, DimensionSyntaxVariants) {
  const Workload w = parse_workload(R"(Network torchvision.models.googlenet {
Layer Conv2d-1 {
Type: CONV
Stride { X: 2, Y: 2 }
Dimensions { N 4, K 64,C 3,R 7,S 5,Y 224,X 200 }
}
Layer b {
Type: CONV
Dimensions { X: 9 Y: 8 S: 3, R: 3 C: 2, K: 5 }
}
})",
                                    "g.m");
  EXPECT_EQ(w.network, "torchvision.models.googlenet");
  ASSERT_EQ(w.layers.size(), 2u);
  const Layer& a = w.layers[0];
  EXPECT_EQ(a.name, "Conv2d-1");
  EXPECT_EQ(a.size[Dim::N], 4);
  EXPECT_EQ(a.size[Dim::S], 5);
  EXPECT_EQ(a.size[Dim::X], 200);
  EXPECT_EQ(a.stride_x, 2);
  EXPECT_EQ(a.stride_y, 2);
  EXPECT_EQ(a.out_rows(), (224 - 7) / 2 + 1);
  EXPECT_EQ(a.out_cols(), (200 - 5) / 2 + 1);
  EXPECT_FALSE(a.dataflow.has_value());
  const Layer& b = w.layers[1];
  EXPECT_EQ(b.size[Dim::K], 5);
  EXPECT_EQ(b.size[Dim::C], 2);
  EXPECT_EQ(b.size[Dim::Y], 8);
  EXPECT_EQ(b.size[Dim::X], 9);
  EXPECT_EQ(b.stride_x, 1);
}

TEST(WorkloadParser, ConstantsEverywhere) {
  const Workload w = parse_workload(R"(Constant SzK 8;
Constant Tile 2;
Constant CL 4;
Network n {
Layer L {
Type: CONV
Dimensions { K: SzK, C: Tile, R: 1, S: 1, Y: 4, X: 4 }
Dataflow { SpatialMap(Tile, Tile) K; Cluster(CL, P); TemporalMap(1,1) C; }
}
})",
                                    "c.m");
  const Layer& l = w.layers.at(0);
  EXPECT_EQ(l.size[Dim::K], 8);
  EXPECT_EQ(l.size[Dim::C], 2);
  EXPECT_EQ(l.dataflow->levels[0].directives[0].size.literal, 2);
  EXPECT_EQ(l.dataflow->levels[1].units->literal, 4);
}

TEST(WorkloadParser, GemmIsMappedOntoConvDims) {
  const Workload w = parse_workload(R"(Constant T 4;
Network gemm {
Layer G {
Type: GEMM
Dimensions { N: 30, K: 20, M: 10 }
Dataflow {
  TemporalMap(T,T) N;
  SpatialMap(1,1) M;
  TemporalMap(Sz(K),Sz(K)) K;
  Cluster(Sz(M), P);
  SpatialMap(1,1) K;
}
}
})",
                                    "gemm.m");
  const Layer& l = w.layers.at(0);
  EXPECT_EQ(l.type, LayerType::Gemm);
  EXPECT_EQ(l.size[Dim::K], 10);  // M
  EXPECT_EQ(l.size[Dim::C], 20);  // K
  EXPECT_EQ(l.size[Dim::Y], 30);  // N
  EXPECT_EQ(l.size[Dim::N], 1);
  EXPECT_EQ(l.size[Dim::R], 1);
  EXPECT_EQ(l.size[Dim::S], 1);
  EXPECT_EQ(l.size[Dim::X], 1);
  EXPECT_EQ(l.macs(), 10 * 20 * 30);
  EXPECT_EQ(l.tensor_words(Tensor::Weight), 10 * 20);  // A: M x K
  EXPECT_EQ(l.tensor_words(Tensor::Input), 20 * 30);   // B: K x N
  EXPECT_EQ(l.tensor_words(Tensor::Output), 10 * 30);  // M x N
  const Mapping& m = *l.dataflow;
  EXPECT_EQ(m.levels[0].directives[0].dim, MapDim::Y);  // N
  EXPECT_EQ(m.levels[0].directives[1].dim, MapDim::K);  // M
  EXPECT_EQ(m.levels[0].directives[2].dim, MapDim::C);  // K
  EXPECT_EQ(m.levels[0].directives[2].size.size_of, Dim::C);
  EXPECT_EQ(m.levels[1].units->size_of, Dim::K);  // Sz(M)
  EXPECT_EQ(m.levels[1].directives[0].dim, MapDim::C);
}

TEST(WorkloadParser, GemmErrors) {
  auto e = expect_error([] {
    parse_workload("Network g {\nLayer G {\nType: GEMM\nDimensions { M: 2, K: 3 }\n}\n}", "g.m");
  });
  EXPECT_EQ(e.where().line, 4);
  EXPECT_CONTAINS(e.what(), "GEMM layer 'G' is missing dimension N");
  e = expect_error([] {
    parse_workload(
        "Network g {\nLayer G {\nType: GEMM\nDimensions { M: 2, K: 3, N: 4 }\n"
        "Dataflow { SpatialMap(1,1) C; }\n}\n}",
        "g.m");
  });
  EXPECT_EQ(e.where().line, 5);
  EXPECT_CONTAINS(e.what(), "unknown dimension 'C' in SpatialMap");
  EXPECT_CONTAINS(e.what(), "M, N or K");
  e = expect_error([] {
    parse_workload(
        "Network g {\nLayer G {\nType: GEMM\nDimensions { M: 2, K: 3, N: 4, R: 1 }\n}\n}", "g.m");
  });
  EXPECT_CONTAINS(e.what(), "g.m:4: unknown dimension 'R'");
}

TEST(WorkloadParser, DepthwiseLayers) {
  const Workload w = parse_workload(R"(Network m {
Layer D1 { Type: DSCONV Dimensions { K: 1, C: 32, R: 3, S: 3, Y: 10, X: 10 } }
Layer D2 { Type: DSCONV Dimensions { K: 32, C: 32, R: 3, S: 3, Y: 10, X: 10 } }
})",
                                    "m.m");
  ASSERT_EQ(w.layers.size(), 2u);
  for (const Layer& l : w.layers) {
    EXPECT_EQ(l.type, LayerType::DsConv);
    EXPECT_EQ(l.macs(), 32 * 9 * 8 * 8);
    EXPECT_EQ(l.tensor_words(Tensor::Weight), 32 * 9);
    EXPECT_EQ(l.tensor_words(Tensor::Output), 32 * 64);
    EXPECT_EQ(l.tensor_words(Tensor::Input), 32 * 100);
  }
  const auto e = expect_error([] {
    parse_workload(
        "Network m {\nLayer D {\nType: DSCONV\nDimensions { K: 2, C: 32, R: 3, S: 3, Y: 10, X: 10 "
        "}\n}\n}",
        "m.m");
  });
  EXPECT_EQ(e.where().line, 2);
  EXPECT_CONTAINS(e.what(), "DSCONV with K = 2 and C = 32");
}

TEST(WorkloadParser, UnsupportedTypeIsKept) {
  const Workload w = parse_workload(R"(Network u {
Layer A { Type: TRCONV Dimensions { N: 1, K: 4, C: 8, R: 2, S: 2, Y: 28, X: 28 }
  Dataflow { TemporalMap(1,1) K; SpatialMap(Sz(R),1) Y; } }
Layer B { Type: CONV Dimensions { K: 4, C: 8, R: 1, S: 1, Y: 2, X: 2 } }
})",
                                    "u.m");
  ASSERT_EQ(w.layers.size(), 2u);
  EXPECT_EQ(w.layers[0].type, LayerType::Unsupported);
  EXPECT_EQ(w.layers[0].type_text, "TRCONV");
  EXPECT_EQ(w.layers[0].size[Dim::C], 8);
  ASSERT_TRUE(w.layers[0].dataflow.has_value());
  EXPECT_EQ(w.layers[1].type, LayerType::Conv);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_CONTAINS(w.warnings[0], "u.m:2:");
  EXPECT_CONTAINS(w.warnings[0], "TRCONV");
  // A supported type in the wrong case is a mistake, not an unsupported layer.
  auto e = expect_error([] {
    parse_workload("Network u {\nLayer A {\nType: conv\nDimensions { K: 1 }\n}\n}", "u.m");
  });
  EXPECT_CONTAINS(e.what(), "u.m:3: unknown layer type 'conv' (expected CONV");
  e = expect_error([] {
    parse_workload("Network u {\nLayer A {\nType: trconv\nDimensions { K: 1 }\n}\n}", "u.m");
  });
  EXPECT_CONTAINS(e.what(), "u.m:3: unknown layer type 'trconv' (expected TRCONV (types are upper");
}

TEST(WorkloadParser, EveryMaestroLayerTypeIsKeptAsUnsupported) {
  // The types of MAESTRO's LayerType enum (DFA_layer.hpp) that metronome does not model.
  for (const std::string type : {"TRCONV", "NGCONV", "FC", "POOL", "LSTM"}) {
    const Workload w = parse_workload(
        "Network u {\nLayer A {\nType: " + type +
            "\nDimensions { K: 4, C: 8, R: 2, S: 2, Y: 8, X: 8 }\n}\n"
            "Layer B { Type: CONV Dimensions { K: 4, C: 8, R: 1, S: 1, Y: 2, X: 2 } }\n}",
        "u.m");
    ASSERT_EQ(w.layers.size(), 2u) << type;
    EXPECT_EQ(w.layers[0].type, LayerType::Unsupported) << type;
    EXPECT_EQ(w.layers[0].type_text, type);
    ASSERT_EQ(w.warnings.size(), 1u) << type;
    EXPECT_STREQ(w.warnings[0].c_str(),
                 ("u.m:3: layer 'A' has type " + type +
                  ", which metronome does not model; it is kept as an unsupported layer")
                     .c_str());
  }
}

TEST(WorkloadParser, UnknownLayerTypeIsAnError) {
  // A typo is not a layer type MAESTRO knows: an error listing the valid types.
  auto e = expect_error([] {
    parse_workload(
        "Network u {\nLayer A {\nType: CONVOLUTION\n"
        "Dimensions { K: 4, C: 8, R: 2, S: 2, Y: 8, X: 8 }\n}\n}",
        "u.m");
  });
  EXPECT_STREQ(e.what(),
               "u.m:3: unknown layer type 'CONVOLUTION' (expected CONV, DSCONV or GEMM; MAESTRO's "
               "TRCONV, NGCONV, FC, POOL, LSTM are accepted and kept as unsupported layers)");
  // MAESTRO's RESIDUAL_IDENTITY token is refused by MAESTRO's own parser, and here.
  e = expect_error([] {
    parse_workload("Network u {\nLayer A {\nType: RESIDUAL_IDENTITY\nDimensions { K: 4 }\n}\n}",
                   "u.m");
  });
  EXPECT_CONTAINS(e.what(), "u.m:3: unknown layer type 'RESIDUAL_IDENTITY'");
  // A long type word is shortened.
  e = expect_error([] {
    parse_workload(
        "Network u {\nLayer A {\nType: " + std::string(100000, 'T') + "\nDimensions { K: 4 }\n}\n}",
        "u.m");
  });
  EXPECT_LT(std::string(e.what()).size(), 300u);
  EXPECT_CONTAINS(e.what(), "(100000 characters)");
}

TEST(WorkloadParser, Padding) {
  const Workload w = parse_workload(
      "Network p { Layer P { Type: CONV Padding { Y: 1, X: 2 } "
      "Dimensions { K: 1, C: 1, R: 3, S: 3, Y: 8, X: 8 } } }",
      "p.m");
  const Layer& l = w.layers.at(0);
  EXPECT_EQ(l.pad_y, 1);
  EXPECT_EQ(l.pad_x, 2);
  EXPECT_EQ(l.size[Dim::Y], 10);
  EXPECT_EQ(l.size[Dim::X], 12);
  EXPECT_EQ(l.out_rows(), 8);
  EXPECT_EQ(l.out_cols(), 10);
  const auto e = expect_error([] {
    parse_workload(
        "Network p { Layer P { Type: CONV\nPadding { Y: -1 }\n"
        "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } } }",
        "p.m");
  });
  EXPECT_CONTAINS(e.what(), "p.m:2: Padding Y of layer 'P' is -1 (expected an integer >= 0)");
}

TEST(WorkloadParser, DuplicateDimension) {
  const Workload w = parse_workload(
      "Network d {\nLayer L {\nType: CONV\n"
      "Dimensions { N: 1, N: 1, K: 2, C: 2, R: 1, S: 1, Y: 2, X: 2 }\n}\n}",
      "d.m");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_CONTAINS(w.warnings[0], "d.m:4: dimension N of layer 'L' given twice (same value 1");
  const auto e = expect_error([] {
    parse_workload(
        "Network d {\nLayer L {\nType: CONV\nDimensions { K: 2, C: 2, R: 1, S: 1, Y: 2, X: 2,\n"
        "K: 3 }\n}\n}",
        "d.m");
  });
  EXPECT_EQ(e.where().line, 5);
  EXPECT_CONTAINS(e.what(), "given twice with different values: 2 at line 4, 3 at line 5");
}

TEST(WorkloadParser, DuplicateLayerNamesAreRenamedWithWarning) {
  const Workload w = parse_workload(R"(Network d {
Layer A { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A { Type: CONV Dimensions { K: 2, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A { Type: CONV Dimensions { K: 3, C: 1, R: 1, S: 1, Y: 1, X: 1 } Dataflow { SpatialMap(1,1) K; } }
})",
                                    "d.m");
  ASSERT_EQ(w.layers.size(), 3u);
  EXPECT_EQ(w.layers[0].name, "A");
  EXPECT_EQ(w.layers[1].name, "A#2");
  EXPECT_EQ(w.layers[2].name, "A#3");
  EXPECT_EQ(w.layers[2].dataflow->name, "A#3");
  EXPECT_EQ(w.layers[1].size[Dim::K], 2);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_STREQ(w.warnings[0].c_str(),
               "d.m:3: layer name 'A' (line 2) is used again 2 times (lines 3, 4); renamed 'A#2' "
               "to 'A#3' (layer names should be unique in a network)");
}

// A renamed layer takes the smallest NAME#k no layer has, also when the file names one so.
TEST(WorkloadParser, RenamedLayersSkipNamesTheFileUses) {
  const Workload w = parse_workload(R"(Network d {
Layer A { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A#3 { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A#2 { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
Layer A { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }
})",
                                    "d.m");
  std::vector<std::string> names;
  for (const Layer& l : w.layers) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"A", "A#3", "A#2", "A#2#2", "A#4", "A#5"}));
}

TEST(WorkloadParser, MissingPieces) {
  auto e = expect_error([] { parse_workload("Network n {\nLayer L1 {\nType: CONV\n}\n}", "n.m"); });
  EXPECT_EQ(e.where().line, 2);
  EXPECT_CONTAINS(e.what(), "layer 'L1' has no Dimensions");
  e = expect_error([] {
    parse_workload(
        "Network n {\nLayer L1 {\nType: CONV\nDimensions { K: 1, C: 1, Y: 3, X: 3 }\n}\n}", "n.m");
  });
  EXPECT_EQ(e.where().line, 4);
  EXPECT_CONTAINS(e.what(), "layer 'L1' is missing dimensions R, S");
  e = expect_error([] {
    parse_workload(
        "Network n {\nLayer L1 {\nDimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\n}\n}", "n.m");
  });
  EXPECT_CONTAINS(e.what(), "n.m:2: layer 'L1' has no Type");
  e = expect_error([] { parse_workload("Network n {\n}\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:1: Network n has no layers");
  e = expect_error([] { parse_workload("// nothing here\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "no Network in the file");
  e = expect_error([] { parse_workload("", "n.m"); });
  EXPECT_CONTAINS(e.what(), "no Network");
  e = expect_error([] { parse_workload("Network n {\nLayer L {\nType: CONV\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:2: layer 'L' is not closed (expected '}')");
  e = expect_error([] {
    parse_workload(
        "Network n {\nLayer L {\nType: CONV\nDimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 "
        "}\n}\n",
        "n.m");
  });
  EXPECT_CONTAINS(e.what(), "n.m:1: Network n is not closed");
  e = expect_error([] {
    parse_workload("Network n {\nLayer L {\nType: CONV\nDimensions { K: 1, C: 1\n", "n.m");
  });
  EXPECT_CONTAINS(e.what(), "n.m:4: Dimensions block of layer 'L' is not closed");
}

TEST(WorkloadParser, UnknownStatementsAndDirectives) {
  const std::string head =
      "Network vgg16 {\nLayer CONV1 {\nType: CONV\n"
      "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\n";
  auto e = expect_error([&] {
    parse_workload(head + "Dataflow {\nSpatialMap(1,1) K;\nTemporlMap(1,1) C;\n}\n}\n}\n",
                   "vgg16.m");
  });
  EXPECT_STREQ(e.what(),
               "vgg16.m:7: unknown directive 'TemporlMap' (expected TemporalMap, SpatialMap, "
               "Cluster or '}')");
  e = expect_error([&] { parse_workload(head + "Strid { X: 1 }\n}\n}\n", "vgg16.m"); });
  EXPECT_STREQ(e.what(),
               "vgg16.m:5: unknown statement 'Strid' in layer 'CONV1' (expected Type, Stride, "
               "Dimensions, Padding, Dataflow or '}')");
  e = expect_error([&] { parse_workload("Netwrk n {}", "x.m"); });
  EXPECT_STREQ(e.what(), "x.m:1: unknown statement 'Netwrk' (expected Constant or Network)");
  e = expect_error(
      [&] { parse_workload(head + "Dataflow {\nSpatialMap(1,1) Q;\n}\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(), "vgg16.m:6: unknown dimension 'Q' in SpatialMap");
  e = expect_error(
      [&] { parse_workload(head + "Dataflow {\nSpatialMap(1,1 K;\n}\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(),
                  "vgg16.m:6: unexpected 'K' after the offset of SpatialMap (expected ')')");
  e = expect_error(
      [&] { parse_workload(head + "Dataflow {\nCluster(4, L);\n}\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(), "vgg16.m:6: logical clusters");
  e = expect_error(
      [&] { parse_workload(head + "Dataflow {\nTemporalMap(Sz(Q),1) K;\n}\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(), "vgg16.m:6: unknown dimension 'Q' in Sz()");
  e = expect_error([&] { parse_workload(head + "Dataflow {\n}\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(), "vgg16.m:5: empty Dataflow");
  e = expect_error([&] { parse_workload(head + "Dimensions { K: 1 }\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(),
                  "vgg16.m:5: second Dimensions in layer 'CONV1' (the first is at line 4)");
  e = expect_error([&] { parse_workload(head + "Stride { Z: 1 }\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(),
                  "vgg16.m:5: unknown key 'Z' in Stride of layer 'CONV1' (expected X or Y)");
  e = expect_error([&] { parse_workload(head + "Stride { X: 0 }\n}\n}\n", "vgg16.m"); });
  EXPECT_CONTAINS(e.what(), "vgg16.m:5: Stride X of layer 'CONV1' is 0 (expected an integer >= 1)");
  e = expect_error([&] { parse_workload("Network a {}\nNetwork b {}\n", "x.m"); });
  EXPECT_CONTAINS(e.what(), "x.m:1: Network a has no layers");
  e = expect_error([] { parse_workload("Layer L { }", "x.m"); });
  EXPECT_CONTAINS(e.what(), "x.m:1: Layer outside a Network");
}

TEST(WorkloadParser, SecondNetworkIsAnError) {
  const std::string net =
      "Network a {\nLayer L { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }\n}\n";
  const auto e = expect_error([&] { parse_workload(net + "Network b {\n}\n", "x.m"); });
  EXPECT_CONTAINS(e.what(), "x.m:4: a second Network (the first, a, is at line 1)");
}

TEST(WorkloadParser, ValuesAndSizes) {
  const std::string head = "Network n {\nLayer L {\nType: CONV\n";
  auto e = expect_error([&] {
    parse_workload(head +
                       "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\n"
                       "Dataflow { TemporalMap(0,1) K; }\n}\n}\n",
                   "n.m");
  });
  EXPECT_STREQ(e.what(), "n.m:5: TemporalMap size is 0 (expected an integer >= 1)");
  e = expect_error([&] {
    parse_workload(head +
                       "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\n"
                       "Dataflow { SpatialMap(1,-2) K; }\n}\n}\n",
                   "n.m");
  });
  EXPECT_STREQ(e.what(), "n.m:5: SpatialMap offset is -2 (expected an integer >= 1)");
  e = expect_error([&] {
    parse_workload(head + "Dimensions { K: 99999999999999999999, C: 1 }\n}\n}\n", "n.m");
  });
  EXPECT_CONTAINS(e.what(),
                  "n.m:4: Dimensions K of layer 'L': '99999999999999999999' does not fit");
  e = expect_error([&] { parse_workload(head + "Dimensions { K: 3.5 }\n}\n}\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "'3.5' is not an integer");
  e = expect_error([&] { parse_workload(head + "Dimensions { K: Foo }\n}\n}\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:4: Dimensions K of layer 'L': unknown constant 'Foo'");
  e = expect_error([&] { parse_workload(head + "Dimensions { K: 0 }\n}\n}\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:4: dimension K of layer 'L' is 0 (expected an integer >= 1)");
  e = expect_error([&] { parse_workload(head + "Dimensions { K: }\n}\n}\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "missing value for Dimensions K of layer 'L': found '}'");
  // Sizes that fit alone but whose products overflow 64 bits.
  e = expect_error([&] {
    parse_workload(head +
                       "Dimensions { K: 4000000000, C: 4000000000, R: 1, S: 1, Y: 4000000000, "
                       "X: 4000000000 }\n}\n}\n",
                   "n.m");
  });
  EXPECT_CONTAINS(e.what(), "n.m:2:");
  EXPECT_CONTAINS(e.what(), "overflows a 64-bit integer");
  // Filter larger than the input.
  e = expect_error([&] {
    parse_workload(head + "Dimensions { K: 1, C: 1, R: 5, S: 1, Y: 3, X: 3 }\n}\n}\n", "n.m");
  });
  EXPECT_CONTAINS(e.what(),
                  "n.m:2: layer 'L': filter rows R = 5 exceed input rows Y = 3 (expected R <= Y)");
  e = expect_error([&] { parse_workload("Constant A 1;\nConstant A 2;\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:2: Constant A = 2 redefined (it is 1 at line 1)");
  e = expect_error([&] { parse_workload("Constant 5 1;\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "n.m:1: '5' is not a constant name");
}

TEST(WorkloadParser, TypographicQuoteAndOutputDims) {
  const Workload w = parse_workload(
      "Network n { Layer L { Type: CONV Dimensions { K: 1, C: 1, R: 3, S: 3, Y: 9, X: 9 }\n"
      "Dataflow { // row-stationary\xE2\x80\x9D \n"
      " SpatialMap(1,1) Y\xE2\x80\x99; TemporalMap(1,1) X'; TemporalMap(1,1) X\xE2\x80\x99; } } }",
      "q.m");
  const Mapping& m = *w.layers.at(0).dataflow;
  ASSERT_EQ(m.levels[0].directives.size(), 3u);
  EXPECT_EQ(m.levels[0].directives[0].dim, MapDim::YOut);
  EXPECT_EQ(m.levels[0].directives[1].dim, MapDim::XOut);
  EXPECT_EQ(m.levels[0].directives[2].dim, MapDim::XOut);
}

TEST(WorkloadParser, WindowsLineEndingsAndBom) {
  const Workload w = parse_workload(
      "\xEF\xBB\xBFNetwork n {\r\nLayer L {\r\nType: CONV\r\n"
      "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\r\n}\r\n}\r\n",
      "w.m");
  EXPECT_EQ(w.layers.at(0).where.line, 2);
  const auto e = expect_error([] { parse_workload("Network n {\r\n/* open\r\n", "w.m"); });
  EXPECT_CONTAINS(e.what(), "w.m:2: unterminated /* comment");
}

TEST(DataflowParser, BlockAloneWithServes) {
  const Mapping m = parse_dataflow(R"(// serves: CONV, DSCONV -- depth-wise layers map K onto C
Dataflow {
        // This is a NVDLA-like dataflow
        SpatialMap(1,1) K;
        TemporalMap(64,64) C;
        Cluster(64, P);
        SpatialMap(1,1) C;
}
)",
                                   "/some/dir/kcp_ws.m");
  EXPECT_EQ(m.name, "kcp_ws");
  EXPECT_EQ(m.where.line, 2);
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_EQ(m.levels[0].directives.size(), 2u);
  EXPECT_EQ(m.levels[1].units->literal, 64);
  EXPECT_EQ(m.levels[1].where.line, 6);
  ASSERT_EQ(m.serves.size(), 2u);
  EXPECT_EQ(m.serves[0], LayerType::Conv);
  EXPECT_EQ(m.serves[1], LayerType::DsConv);
  EXPECT_EQ(m.serves_note, "depth-wise layers map K onto C");
}

TEST(DataflowParser, BareDirectives) {
  const Mapping m = parse_dataflow(
      "// serves: GEMM\nTemporalMap(Sz(R),1) Y;\nSpatialMap(1,1) "
      "K\nCluster(Sz(R),P);\nSpatialMap(1,1) R;\n",
      "rs.m");
  EXPECT_EQ(m.name, "rs");
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_EQ(m.levels[0].directives.size(), 2u);
  EXPECT_EQ(m.levels[1].units->size_of, Dim::R);
  ASSERT_EQ(m.serves.size(), 1u);
  EXPECT_EQ(m.serves[0], LayerType::Gemm);
  EXPECT_TRUE(m.serves_note.empty());
  const Mapping all = parse_dataflow("SpatialMap(1,1) K;", "x.m");
  EXPECT_TRUE(all.serves.empty());
}

TEST(DataflowParser, Errors) {
  auto e =
      expect_error([] { parse_dataflow("// serves: CONV TRCONV\nSpatialMap(1,1) K;", "d.m"); });
  EXPECT_CONTAINS(e.what(), "d.m:1: unknown layer type 'TRCONV' in the `serves:` comment");
  e = expect_error(
      [] { parse_dataflow("Dataflow { SpatialMap(1,1) K; }\nSpatialMap(1,1) C;", "d.m"); });
  EXPECT_CONTAINS(e.what(),
                  "d.m:2: unexpected 'SpatialMap' after the Dataflow block (expected end of file)");
  e = expect_error([] { parse_dataflow("// only a comment\n", "d.m"); });
  EXPECT_CONTAINS(e.what(), "no dataflow in the file");
  e = expect_error([] { parse_dataflow("SpatialMap(1,1) K;\nFoo;\n", "d.m"); });
  EXPECT_STREQ(e.what(),
               "d.m:2: unknown directive 'Foo' (expected TemporalMap, SpatialMap or Cluster)");
  e = expect_error([] { parse_dataflow("Network n { }", "d.m"); });
  EXPECT_CONTAINS(e.what(), "d.m:1: 'Network' in a dataflow file");
  e = expect_error([] { parse_dataflow("Dataflow {\nSpatialMap(1,1) K;\n", "d.m"); });
  EXPECT_CONTAINS(e.what(), "d.m:1: Dataflow block is not closed");
}

TEST(ReadTextFile, Errors) {
  TempDir dir;
  auto e = expect_error([&] { read_text_file((dir.path() / "missing.m").string()); });
  EXPECT_CONTAINS(e.what(), "missing.m: no such file");
  e = expect_error([&] { read_text_file(dir.path().string()); });
  EXPECT_CONTAINS(e.what(), "is a directory (expected a text file)");
  const std::string bin = dir.write("bin.m", std::string("Network n {\nLayer\0\x01\x02", 19));
  e = expect_error([&] { read_text_file(bin); });
  EXPECT_EQ(e.where().line, 2);
  EXPECT_CONTAINS(e.what(), "bin.m:2: binary data (expected a text file)");
  e = expect_error([&] { load_workload(bin); });
  EXPECT_CONTAINS(e.what(), "binary data");
  e = expect_error([] { parse_workload(std::string("Network n {\0}", 13), "s.m"); });
  EXPECT_CONTAINS(e.what(), "s.m:1: binary data");

  const std::string ok = dir.write("ok.m", "hello\nworld\n");
  EXPECT_EQ(read_text_file(ok), "hello\nworld\n");
}

TEST(ReadTextFile, UnreadableFile) {
  TempDir dir;
  const std::string locked = dir.write("locked.m", "x");
  ::chmod(locked.c_str(), 0);
  if (::access(locked.c_str(), R_OK) == 0)
    GTEST_SKIP() << "running as root: cannot test an unreadable file";
  const auto e = expect_error([&] { read_text_file(locked); });
  EXPECT_CONTAINS(e.what(), "locked.m: cannot open the file");
}

TEST(ReadTextFile, LoadsWorkloadAndDataflowFromFiles) {
  TempDir dir;
  const std::string wl = dir.write("net.m", kVggLike);
  const Workload w = load_workload(wl);
  EXPECT_EQ(w.file, wl);
  EXPECT_EQ(w.layers.size(), 1u);
  const std::string df = dir.write("my_flow.m", "Dataflow { SpatialMap(1,1) K; }");
  EXPECT_EQ(load_dataflow(df).name, "my_flow");
  const auto e = expect_error([&] { load_workload(dir.write("broken.m", "Network n {\nLayer")); });
  EXPECT_CONTAINS(e.what(), "broken.m:2:");
}

TEST(WorkloadParser, VeryLongLinesAreLinearAndClear) {
  const std::size_t big = 10u << 20;  // 10 MB
  const auto start = std::chrono::steady_clock::now();
  // A valid file with a 10 MB comment line and a 10 MB whitespace run.
  std::string ok = "// ";
  ok.append(big, 'x');
  ok.append("\nNetwork n {");
  ok.append(big, ' ');
  ok.append("Layer L { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } } }");
  EXPECT_EQ(parse_workload(ok, "big.m").layers.size(), 1u);
  // An invalid 10 MB word: the message names it briefly.
  std::string bad = "Network n {\n";
  bad.append(big, 'A');
  bad.append("\n}");
  const auto e = expect_error([&] { parse_workload(bad, "big.m"); });
  EXPECT_LT(std::string(e.what()).size(), 300u);
  EXPECT_CONTAINS(e.what(), "big.m:2: unknown statement 'AAAA");
  EXPECT_CONTAINS(e.what(), "(10485760 characters)");
  // A 10 MB line of punctuation.
  std::string commas = "Network n { Layer L { Type: CONV Dimensions { K: 1";
  commas.append(big, ',');
  commas.append("}");
  const auto e2 = expect_error([&] { parse_workload(commas, "big.m"); });
  EXPECT_CONTAINS(e2.what(), "big.m:1:");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 10);
}

TEST(WorkloadParser, LongNamesAreShortenedInMessages) {
  // Every name or word of the input echoed in a message appears as its first 40 characters and
  // its length, however long it is.
  const std::string big(1'000'000, 'n');
  const std::string shown = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn... (1000000 characters)";
  const std::string quoted = "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (1000000 characters)";
  const std::string dims = "Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 3, X: 3 }\n";
  const auto check = [&](const std::string& text, const std::string& fragment) {
    SCOPED_TRACE(fragment);
    const auto e = expect_error([&] { parse_workload(text, "n.m"); });
    EXPECT_LT(std::string(e.what()).size(), 400u) << std::string(e.what()).substr(0, 400);
    EXPECT_CONTAINS(e.what(), fragment);
  };
  // Network names.
  check("Network " + big + " {\n", "n.m:1: Network " + shown + " is not closed");
  check("Network " + big + " {\n}\n", "n.m:1: Network " + shown + " has no layers");
  check("Network " + big + " {\nFoo\n}\n", "unknown statement 'Foo' in Network " + shown);
  check("Network " + big + " }\n", "unexpected '}' after Network " + shown);
  const std::string net = "Network " + big + " {\nLayer L { Type: CONV " + dims + "}\n}\n";
  check(net + "Network b {\n}\n", "n.m:5: a second Network (the first, " + shown);
  check(net + "}\n", "n.m:5: unmatched '}': Network " + shown + " already ended at line 4");
  // Layer names.
  const std::string head = "Network n {\nLayer " + big + " {\n";
  check(head, "n.m:2: layer " + quoted + " is not closed");
  check(head + dims + "}\n}\n", "n.m:2: layer " + quoted + " has no Type");
  check(head + "Type: CONV\n}\n}\n", "n.m:2: layer " + quoted + " has no Dimensions");
  check(head + "Type: CONV\nDimensions { K: 1 }\n}\n}\n", "layer " + quoted + " is missing");
  check(head + "Type: CONV\nFoo\n}\n}\n", "unknown statement 'Foo' in layer " + quoted);
  check(head + "Type: CONV\nType: CONV\n}\n}\n", "second Type in layer " + quoted);
  check(head + "Type: CONV\nDimensions { K: 0 }\n}\n}\n", "dimension K of layer " + quoted);
  check(head + "Type: CONV\nDimensions { K: 1\n", "Dimensions block of layer " + quoted);
  check(head + "Type: CONV\nStride { Z: 1 }\n" + dims + "}\n}\n", "in Stride of layer " + quoted);
  check(head + "Type: CONV\nStride ( X: 1 }\n}\n}\n", "after Stride in layer " + quoted);
  check(head + "Type: CONV\nDimensions { K: 1, C: 1, R: 5, S: 1, Y: 3, X: 3 }\n}\n}\n",
        "n.m:2: layer " + quoted + ": filter rows R = 5 exceed input rows Y = 3");
  check(head + "Type: GEMM\nStride { X: 2 }\nDimensions { M: 1, N: 1, K: 1 }\n}\n}\n",
        "GEMM layer " + quoted + " has a stride");
  check("Network n {\nLayer " + big + "\n", "unexpected end of file after Layer " + shown);
  // Constant names.
  check("Constant " + big + " 1;\nConstant " + big + " 2;\n",
        "n.m:2: Constant " + shown + " = 2 redefined (it is 1 at line 1)");
  check("Constant " + big + " x;\n", "Constant " + shown + ": unknown constant 'x'");
  check("Network n {\nLayer L {\nType: CONV\nDimensions { K: " + big + " }\n}\n}\n",
        "unknown constant " + quoted);
  check("Network n {\nLayer L {\nType: CONV\nDimensions { K: " + big + " }\n}\n}\nConstant " + big +
            " 4;\n",
        "Constant " + shown + " is defined later, at line 7");
  // Dimension keys and Sz() arguments.
  check("Network n {\nLayer L {\nType: CONV\nDimensions { " + big + ": }\n}\n}\n",
        "missing value for Dimensions " + shown + " of layer 'L'");
  check("Network n {\nLayer L {\nType: CONV\nDimensions { " + big + ": 1 }\n}\n}\n",
        "unknown dimension " + quoted + " in Dimensions of layer 'L'");
  check("Network n {\nLayer L {\nType: CONV\n" + dims + "Dataflow { TemporalMap(Sz(" + big +
            ",1) K; }\n}\n}\n",
        "after Sz(" + shown + " in TemporalMap size");

  // Warnings are shortened too.
  const std::string layer = "Layer " + big + " { Type: CONV " + dims + "}\n";
  Workload w = parse_workload("Network n {\n" + layer + layer + "}\n", "n.m");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_LT(w.warnings[0].size(), 400u);
  EXPECT_CONTAINS(w.warnings[0], "n.m:4: layer name " + quoted + " (line 2) is used again 1 time");
  EXPECT_EQ(w.layers[1].name, big + "#2");  // the name itself is kept whole
  w = parse_workload("Network n {\nLayer " + big + " { Type: TRCONV\n" + dims + "}\n}\n", "n.m");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_LT(w.warnings[0].size(), 400u);
  EXPECT_CONTAINS(w.warnings[0], "n.m:2: layer " + quoted + " has type TRCONV");
  EXPECT_EQ(w.layers[0].name, big);

  // A long multi-byte name is cut between characters, not inside one.
  const std::string accents = [] {
    std::string a;
    for (int i = 0; i < 1000; ++i) a += "\xC3\xA9";  // é
    return a;
  }();
  const auto e = expect_error([&] { parse_workload("Network " + accents + " {\n", "n.m"); });
  EXPECT_CONTAINS(e.what(), "Network " + accents.substr(0, 40) + "... (2000 characters)");
}

TEST(WorkloadParser, UnmatchedCloseBrace) {
  const std::string net =
      "Network a {\nLayer L { Type: CONV Dimensions { K: 1, C: 1, R: 1, S: 1, Y: 1, X: 1 } }\n}\n";
  auto e = expect_error([&] { parse_workload(net + "}\n", "x.m"); });
  EXPECT_STREQ(e.what(),
               "x.m:4: unmatched '}': Network a already ended at line 3 (expected Constant or "
               "Network)");
  e = expect_error([&] { parse_workload("}\n" + net, "x.m"); });
  EXPECT_STREQ(e.what(), "x.m:1: unmatched '}' (expected Constant or Network)");
  e = expect_error([&] { parse_dataflow("Dataflow { SpatialMap(1,1) K; }\n}\n", "d.m"); });
  EXPECT_STREQ(e.what(), "d.m:2: unmatched '}' after the Dataflow block (expected end of file)");
  e = expect_error([&] { parse_dataflow("SpatialMap(1,1) K;\n}\n", "d.m"); });
  EXPECT_STREQ(e.what(), "d.m:2: unmatched '}' (expected TemporalMap, SpatialMap or Cluster)");
}

TEST(WorkloadParser, ConstantUsedBeforeItsDefinition) {
  const std::string layer =
      "Network n {\nLayer L {\nType: CONV\nDimensions { K: NumK, C: 1, R: 1, S: 1, Y: 1, X: 1 "
      "}\n}\n";
  auto e = expect_error([&] { parse_workload(layer + "}\n// later\nConstant NumK 4;\n", "c.m"); });
  EXPECT_STREQ(e.what(),
               "c.m:4: Dimensions K of layer 'L': Constant NumK is defined later, at line 8 "
               "(expected a Constant declared before it is used)");
  // Defined later inside the Network, and in a dataflow file.
  e = expect_error([&] { parse_workload(layer + "Constant NumK 4;\n}\n", "c.m"); });
  EXPECT_CONTAINS(e.what(),
                  "c.m:4: Dimensions K of layer 'L': Constant NumK is defined later, "
                  "at line 6");
  e = expect_error([] { parse_dataflow("TemporalMap(T,T) K;\nConstant T 2;\n", "d.m"); });
  EXPECT_CONTAINS(e.what(), "d.m:1: TemporalMap size: Constant T is defined later, at line 2");
  // Not defined anywhere: unknown.
  e = expect_error([&] { parse_workload(layer + "}\nConstant NumC 4;\n", "c.m"); });
  EXPECT_CONTAINS(e.what(), "c.m:4: Dimensions K of layer 'L': unknown constant 'NumK'");
  // Malformed text after the use: still the unknown-constant message, not a lexer error.
  e = expect_error([&] { parse_workload(layer + "}\n/* unterminated\n", "c.m"); });
  EXPECT_CONTAINS(e.what(), "c.m:4: Dimensions K of layer 'L': unknown constant 'NumK'");
}

// ---------------------------------------------------------------------------------------------
// Layer methods

Layer conv(std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s,
           std::int64_t y, std::int64_t x, std::int64_t stride = 1) {
  Layer l;
  l.name = "L";
  l.size[Dim::N] = n;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = s;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = l.stride_x = stride;
  l.where = SourceLocation{"l.m", 7};
  return l;
}

TEST(LayerMethods, ConvCounts) {
  const Layer l = conv(2, 4, 3, 3, 2, 9, 7, 2);
  EXPECT_EQ(l.out_rows(), 4);  // (9-3)/2+1
  EXPECT_EQ(l.out_cols(), 3);  // (7-2)/2+1 = 3
  EXPECT_EQ(l.macs(), 2 * 4 * 3 * 3 * 2 * 4 * 3);
  EXPECT_EQ(l.tensor_words(Tensor::Input), 2 * 3 * 9 * 7);
  EXPECT_EQ(l.tensor_words(Tensor::Weight), 4 * 3 * 3 * 2);
  EXPECT_EQ(l.tensor_words(Tensor::Output), 2 * 4 * 4 * 3);
  EXPECT_NO_THROW(l.validate());
  EXPECT_EQ(layer_type_name(LayerType::Conv), "CONV");
  EXPECT_EQ(layer_type_name(LayerType::DsConv), "DSCONV");
  EXPECT_EQ(layer_type_name(LayerType::Gemm), "GEMM");
  EXPECT_EQ(layer_type_name(LayerType::Unsupported), "UNSUPPORTED");
}

TEST(LayerMethods, ValidateErrors) {
  Layer l = conv(1, 1, 1, 1, 1, 1, 1);
  l.size[Dim::C] = 0;
  auto e = expect_error([&] { l.validate(); });
  EXPECT_STREQ(e.what(), "l.m:7: layer 'L': dimension C is 0 (expected an integer >= 1)");
  l = conv(1, 1, 1, 1, 1, 1, 1);
  l.stride_x = 0;
  e = expect_error([&] { l.validate(); });
  EXPECT_CONTAINS(e.what(), "strides >= 1");
  l = conv(1, 1, 1, 1, 4, 5, 3);
  e = expect_error([&] { l.validate(); });
  EXPECT_CONTAINS(e.what(), "filter cols S = 4 exceed input cols X = 3");
  l = conv(1, 1, 1, 1, 1, 1, 1);
  l.type = LayerType::Gemm;
  l.size[Dim::N] = 2;
  e = expect_error([&] { l.validate(); });
  EXPECT_CONTAINS(e.what(), "GEMM not in convolution form");
  l = conv(1, std::int64_t{1} << 40, std::int64_t{1} << 40, 1, 1, 1, 1);
  e = expect_error([&] { l.validate(); });
  EXPECT_CONTAINS(e.what(), "overflows a 64-bit integer");
  EXPECT_EQ(e.where().line, 7);
  // A long layer name is shortened.
  l = conv(1, 1, 1, 1, 1, 1, 1);
  l.name = std::string(100000, 'L');
  l.size[Dim::K] = 0;
  e = expect_error([&] { l.validate(); });
  EXPECT_STREQ(e.what(), ("l.m:7: layer '" + std::string(40, 'L') +
                          "...' (100000 characters): dimension K is 0 (expected an integer >= 1)")
                             .c_str());
}

// ---------------------------------------------------------------------------------------------
// resolve_mapping

Mapping mapping_of(const std::string& text) {
  return parse_dataflow(text, "flow.m");
}

TEST(ResolveMapping, UnitsAndSizes) {
  const Layer l = conv(1, 64, 32, 3, 3, 16, 16);
  const Mapping m = mapping_of(
      "SpatialMap(1,1) K;\nTemporalMap(Sz(R),1) Y;\nCluster(Sz(R), P);\nSpatialMap(1,1) C;\n"
      "Cluster(4, P);\nTemporalMap(Sz(S),Sz(S)) S;\n");
  const ResolvedMapping r = resolve_mapping(m, l, 100);
  EXPECT_EQ(r.name, "flow");
  ASSERT_EQ(r.levels.size(), 3u);
  EXPECT_EQ(r.levels[0].units, 8);  // floor(100 / (3*4))
  EXPECT_EQ(r.levels[1].units, 3);
  EXPECT_EQ(r.levels[2].units, 4);
  EXPECT_EQ(r.pes_used, 96);
  EXPECT_EQ(r.levels[0].directives[1].size, 3);
  EXPECT_EQ(r.levels[0].directives[1].offset, 1);
  EXPECT_EQ(r.levels[0].directives[1].dim, MapDim::Y);
  EXPECT_EQ(r.levels[2].directives[0].size, 3);
  EXPECT_EQ(r.levels[0].directives[0].kind, MapKind::Spatial);

  Extent e;
  e.size_of = Dim::C;
  EXPECT_EQ(e.resolve(l), 32);
  EXPECT_EQ(e.str(), "Sz(C)");
  Extent lit;
  lit.literal = 5;
  EXPECT_EQ(lit.str(), "5");
}

TEST(ResolveMapping, TooFewPes) {
  const Layer l = conv(1, 64, 32, 3, 3, 16, 16);
  const Mapping m =
      mapping_of("SpatialMap(1,1) K;\nCluster(16, P);\nSpatialMap(1,1) C;\nCluster(8,P);\n");
  const auto e = expect_error([&] { resolve_mapping(m, l, 100); });
  EXPECT_EQ(e.where().line, 2);
  EXPECT_CONTAINS(
      e.what(), "flow.m:2: the clusters need more PEs than there are (100 PEs, clusters need 128)");
  EXPECT_NO_THROW(resolve_mapping(m, l, 128));
}

TEST(ResolveMapping, SizesBelowOneAreErrors) {
  const Layer l = conv(1, 64, 32, 3, 3, 16, 16);
  Mapping m =
      mapping_of("SpatialMap(1,1) K;\nTemporalMap(2,2) C;\nCluster(2,P);\nSpatialMap(1,1) C;");
  m.levels[0].directives[1].offset.literal = 0;
  auto e = expect_error([&] { resolve_mapping(m, l, 16); });
  EXPECT_CONTAINS(e.what(), "flow.m:2: TemporalMap on C: offset 0 = 0 (expected an offset >= 1)");
  m = mapping_of("SpatialMap(1,1) K;\nCluster(2,P);\nSpatialMap(1,1) C;");
  m.levels[1].units->literal = 0;
  e = expect_error([&] { resolve_mapping(m, l, 16); });
  EXPECT_CONTAINS(e.what(), "flow.m:2: cluster count 0 = 0");
  m = mapping_of("SpatialMap(1,1) K;");
  e = expect_error([&] { resolve_mapping(m, l, 0); });
  EXPECT_CONTAINS(e.what(), "0 PEs");
  Mapping empty;
  empty.name = "flow";
  e = expect_error([&] { resolve_mapping(empty, l, 16); });
  EXPECT_CONTAINS(e.what(), "dataflow 'flow' has no directives");
  empty.name = std::string(100000, 'f');
  e = expect_error([&] { resolve_mapping(empty, l, 16); });
  EXPECT_CONTAINS(
      e.what(), "dataflow '" + std::string(40, 'f') + "...' (100000 characters) has no directives");
}

TEST(ResolveMapping, SpatialMapAfterTemporalMapOfSameDimIsRefused) {
  const Layer l = conv(1, 8, 8, 3, 3, 16, 16);
  // Y' temporal between the first SpatialMap (K) and a SpatialMap on Y: same base dim Y.
  const Mapping bad = mapping_of("SpatialMap(1,1) K;\nTemporalMap(2,2) Y';\nSpatialMap(3,1) Y;\n");
  const auto e = expect_error([&] { resolve_mapping(bad, l, 8); });
  EXPECT_EQ(e.where().line, 3);
  EXPECT_CONTAINS(e.what(), "SpatialMap on Y depends on the TemporalMap on Y' (line 2)");
  // Allowed: the TemporalMap before the first SpatialMap, or after the SpatialMap, or another dim.
  EXPECT_NO_THROW(resolve_mapping(
      mapping_of("TemporalMap(4,4) Y;\nSpatialMap(1,1) K;\nSpatialMap(3,1) Y;\n"), l, 8));
  EXPECT_NO_THROW(resolve_mapping(
      mapping_of("SpatialMap(1,1) K;\nSpatialMap(3,1) Y;\nTemporalMap(2,2) Y;\n"), l, 8));
  EXPECT_NO_THROW(resolve_mapping(
      mapping_of("SpatialMap(1,1) K;\nTemporalMap(2,2) C;\nSpatialMap(3,1) Y;\n"), l, 8));
  // Per level: a TemporalMap on Y at the level above does not matter.
  EXPECT_NO_THROW(resolve_mapping(
      mapping_of("SpatialMap(1,1) K;\nTemporalMap(2,2) Y;\nCluster(2,P);\nSpatialMap(1,1) Y;\n"), l,
      8));
}

}  // namespace
}  // namespace metronome
