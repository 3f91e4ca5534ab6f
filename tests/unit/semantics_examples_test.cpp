// The 25 worked examples of semantics-examples.md (beside DESIGN.md; computed from a MAC-by-MAC
// reading of the rules): every row is checked against the brute-force reference
// (tests/unit/brute_force_semantics.hpp) and against the fast analysis analyze_mapping. The
// mappings go through parse_dataflow and resolve_mapping; a small hand resolver below
// cross-checks what those produce.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/brute_force_semantics.hpp"

namespace metronome {
namespace {

struct MappingText {
  const char* name;
  const char* text;
};

// The mappings, verbatim from semantics-examples.md.
const MappingText kMappings[] = {
    {"ck_2level_tiles", R"(
TemporalMap(4,4) C;
SpatialMap(2,2) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C;
TemporalMap(1,1) K;
)"},
    {"ckp_ws", R"(
SpatialMap(1,1) C;
TemporalMap(64,64) K;
TemporalMap(3,3) R;
TemporalMap(3,3) S;
TemporalMap(1,1) Y';
TemporalMap(1,1) X';
Cluster(64, P);
SpatialMap(1,1) K;
TemporalMap(3,3) R;
TemporalMap(3,3) S;
)"},
    {"gap_k", R"(
TemporalMap(2,4) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(64,P);
SpatialMap(1,1) C;
)"},
    {"kcp_ws", R"(
SpatialMap(1,1) K;
TemporalMap(64,64) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(64, P);
SpatialMap(1,1) C;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
)"},
    {"nlr", R"(
TemporalMap (1,1) K;
TemporalMap (Sz(R), 1) Y;
TemporalMap (Sz(S), 1) X;
TemporalMap (Sz(R), Sz(R)) R;
TemporalMap (Sz(S), Sz(S)) S;
SpatialMap (1,1) C;
)"},
    {"overlap_k", R"(
SpatialMap(4,2) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C;
)"},
    {"probe_Yprime_Rchunk_s2", R"(
TemporalMap(1,1) K;
TemporalMap(1,1) C;
TemporalMap(1,1) R;
TemporalMap(2,2) Y';
TemporalMap(1,1) X';
Cluster(3,P);
SpatialMap(1,1) Y;
)"},
    {"probe_no_spatial_inner", R"(
SpatialMap(1,1) K;
TemporalMap(1,1) C;
Cluster(4,P);
TemporalMap(1,1) Y';
TemporalMap(1,1) X';
)"},
    {"rs_fixed", R"(
TemporalMap(2,2) K;
TemporalMap(4,4) C;
TemporalMap(Sz(R),Sz(R)) R;
SpatialMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(Sz(R),P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
)"},
    {"rs_frontend", R"(
// This is an Eyeriss-like row-stationary dataflow”
SpatialMap(1,1) Y';
TemporalMap(1,1) X';
TemporalMap(1,1) C;
TemporalMap(16,16) K;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(Sz(R),P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
)"},
    {"rs_vgg16", R"(
TemporalMap(2,2) K;
TemporalMap(3,3) C;
TemporalMap(3,3) R;
SpatialMap(3,1) Y;
TemporalMap(3,1) X;
Cluster(3,P);
SpatialMap(1,1) X;
SpatialMap(1,1) R;
TemporalMap(3,3) S;
)"},
    {"three_level", R"(
SpatialMap(1,1) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C;
Cluster(4,P);
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
)"},
    {"xp_ws", R"(
TemporalMap (1,1) K;
TemporalMap (1,1) C;
TemporalMap (Sz(R),1) Y;
SpatialMap (Sz(S),1) X;
TemporalMap (Sz(R),Sz(R)) R;
TemporalMap (Sz(S),Sz(S)) S;
)"},
    {"yx_output_tiles", R"(
SpatialMap(1,1) K;
TemporalMap(2,2) Y';
TemporalMap(3,3) X';
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(1,1) C;
)"},
    {"yxp_os_1x1", R"(
TemporalMap(1,1) K;
TemporalMap(1,1) C;
SpatialMap(Sz(R), 1) Y;
TemporalMap(8,8) X;
Cluster(8, P);
SpatialMap(Sz(S), 1) X;
TemporalMap(Sz(R), Sz(R)) R;
TemporalMap(Sz(R), Sz(R)) S;
)"},
    {"yxp_os_3x3", R"(
TemporalMap(1,1) K;
TemporalMap(1,1) C;
SpatialMap(Sz(R), 1) Y;
TemporalMap(10,8) X;
Cluster(8, P);
SpatialMap(Sz(S), 1) X;
TemporalMap(Sz(R), Sz(R)) R;
TemporalMap(Sz(R), Sz(R)) S;
)"},
};

struct ExampleRow {
  std::int64_t k, c, r, s, y, x, stride, pes;
  const char* mapping;
  std::vector<std::int64_t> units;  // units per level, top first; empty: resolve_mapping throws
  bool valid;
  std::int64_t macs, missing, duplicated, steps, empty_steps;
};

// The table of semantics-examples.md: layer (K C R S Y X stride), PEs, mapping, units, verdict,
// MACs, missing, duplicated, steps, no-MAC steps.
// clang-format off
const std::vector<ExampleRow>& rows() {
  static const std::vector<ExampleRow> kRows = {
    {6,2,1,1,5,7,1,64,"ck_2level_tiles",{4,16},true,420,0,0,70,0},
    {6,2,1,1,5,7,1,64,"ckp_ws",{1,64},true,420,0,0,70,0},
    {6,2,1,1,5,7,1,64,"kcp_ws",{1,64},true,420,0,0,210,0},
    {6,2,1,1,5,7,1,64,"nlr",{64},true,420,0,0,210,0},
    {6,2,1,1,5,7,1,64,"xp_ws",{64},true,420,0,0,60,0},
    {6,2,1,1,5,7,1,64,"yxp_os_1x1",{8,8},true,420,0,0,12,0},
    {4,4,3,3,8,8,1,16,"gap_k",{},false,5184,0,0,0,0},
    {4,4,3,3,8,8,1,16,"overlap_k",{1,16},true,5184,0,0,36,0},
    {4,4,3,3,8,8,1,16,"probe_no_spatial_inner",{4,4},false,5184,0,15552,144,0},
    {4,4,3,3,8,8,1,16,"rs_fixed",{5,3},true,5184,0,0,24,0},
    {4,4,3,3,8,8,1,16,"xp_ws",{16},true,5184,0,0,96,0},
    {4,4,3,3,8,8,1,16,"yxp_os_3x3",{2,8},true,5184,0,0,48,0},
    {4,4,3,3,8,8,1,64,"ckp_ws",{1,64},true,5184,0,0,144,0},
    {4,4,3,3,8,8,1,64,"gap_k",{1,64},false,5184,2592,0,72,36},
    {4,4,3,3,8,8,1,64,"kcp_ws",{1,64},true,5184,0,0,144,0},
    {4,4,3,3,8,8,1,64,"three_level",{1,16,4},false,5184,0,8064,144,0},
    {2,3,3,3,9,9,2,16,"probe_Yprime_Rchunk_s2",{5,3},false,864,0,3456,144,0},
    {2,3,3,3,9,9,2,16,"rs_frontend",{5,3},true,864,0,0,12,0},
    {2,3,3,3,9,9,2,16,"yx_output_tiles",{16},true,864,0,0,12,0},
    {2,3,3,3,9,9,2,16,"yxp_os_3x3",{2,8},true,864,0,0,24,0},
    {2,3,3,3,9,9,2,64,"kcp_ws",{1,64},true,864,0,0,98,66},
    {2,3,3,3,9,9,2,64,"nlr",{64},true,864,0,0,98,66},
    {2,3,3,3,9,9,2,64,"rs_vgg16",{21,3},false,864,864,0,7,7},
    {2,3,3,3,9,9,2,64,"three_level",{1,16,4},false,864,0,1296,98,42},
    {2,3,3,3,9,9,2,64,"xp_ws",{64},true,864,0,0,42,18},
  };
  return kRows;
}
// clang-format on

const char* mapping_text(const std::string& name) {
  for (const MappingText& m : kMappings)
    if (name == m.name) return m.text;
  return nullptr;
}

Layer example_layer(const ExampleRow& row) {
  Layer layer;
  layer.name = "example";
  layer.type = LayerType::Conv;
  layer.type_text = "CONV";
  layer.size[Dim::N] = 1;
  layer.size[Dim::K] = row.k;
  layer.size[Dim::C] = row.c;
  layer.size[Dim::R] = row.r;
  layer.size[Dim::S] = row.s;
  layer.size[Dim::Y] = row.y;
  layer.size[Dim::X] = row.x;
  layer.stride_y = row.stride;
  layer.stride_x = row.stride;
  return layer;
}

// --- A deliberately small resolver for the directive syntax used above, independent of
// spec/workload_parser.cpp and spec/mapping.cpp, to cross-check them. ---

std::string trim(const std::string& s) {
  std::size_t a = 0;
  std::size_t b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::int64_t hand_value(const std::string& text, const Layer& layer) {
  const std::string t = trim(text);
  if (t.rfind("Sz(", 0) == 0) {
    const auto d = parse_dim(trim(t.substr(3, t.size() - 4)));
    if (!d) throw std::runtime_error("bad Sz(): " + t);
    return layer.size[*d];
  }
  return std::stoll(t);
}

ResolvedMapping resolve_by_hand(const std::string& text, const Layer& layer, std::int64_t pes) {
  std::string clean;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "//") == 0)
      while (i < text.size() && text[i] != '\n') ++i;
    if (i < text.size()) clean += text[i];
  }
  ResolvedMapping m;
  m.levels.emplace_back();
  std::int64_t cluster_product = 1;
  std::size_t start = 0;
  for (std::size_t semi = clean.find(';'); semi != std::string::npos;
       start = semi + 1, semi = clean.find(';', start)) {
    const std::string st = trim(clean.substr(start, semi - start));
    if (st.empty()) continue;
    const std::size_t lp = st.find('(');
    const std::size_t rp = st.rfind(')');
    const std::string keyword = trim(st.substr(0, lp));
    const std::string args = st.substr(lp + 1, rp - lp - 1);
    int depth = 0;
    std::size_t comma = std::string::npos;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == '(') ++depth;
      if (args[i] == ')') --depth;
      if (args[i] == ',' && depth == 0) comma = i;
    }
    const std::string first = args.substr(0, comma);
    const std::string second = args.substr(comma + 1);
    if (keyword == "Cluster") {
      m.levels.emplace_back();
      m.levels.back().units = hand_value(first, layer);
      cluster_product *= m.levels.back().units;
      continue;
    }
    ResolvedDirective d;
    d.kind = keyword == "SpatialMap" ? MapKind::Spatial : MapKind::Temporal;
    d.size = hand_value(first, layer);
    d.offset = hand_value(second, layer);
    const auto dim = parse_map_dim(trim(st.substr(rp + 1)));
    if (!dim) throw std::runtime_error("bad dimension in: " + st);
    d.dim = *dim;
    m.levels.back().directives.push_back(d);
  }
  m.levels[0].units = pes / cluster_product;
  m.pes_used = 1;
  for (const ResolvedLevel& l : m.levels) m.pes_used *= l.units;
  return m;
}

void expect_same_resolution(const ResolvedMapping& got, const ResolvedMapping& want) {
  ASSERT_EQ(got.levels.size(), want.levels.size());
  EXPECT_EQ(got.pes_used, want.pes_used);
  for (std::size_t l = 0; l < want.levels.size(); ++l) {
    SCOPED_TRACE("level " + std::to_string(l));
    EXPECT_EQ(got.levels[l].units, want.levels[l].units);
    ASSERT_EQ(got.levels[l].directives.size(), want.levels[l].directives.size());
    for (std::size_t i = 0; i < want.levels[l].directives.size(); ++i) {
      SCOPED_TRACE("directive " + std::to_string(i));
      const ResolvedDirective& g = got.levels[l].directives[i];
      const ResolvedDirective& w = want.levels[l].directives[i];
      EXPECT_EQ(g.kind, w.kind);
      EXPECT_EQ(map_dim_name(g.dim), map_dim_name(w.dim));
      EXPECT_EQ(g.size, w.size);
      EXPECT_EQ(g.offset, w.offset);
    }
  }
}

class SemanticsExamples : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SemanticsExamples, MatchesTable) {
  const ExampleRow& row = rows()[GetParam()];
  const Layer layer = example_layer(row);
  ASSERT_NO_THROW(layer.validate());
  const char* text = mapping_text(row.mapping);
  ASSERT_NE(text, nullptr) << row.mapping;
  SCOPED_TRACE(std::string(row.mapping) + " on " + bruteforce::describe(layer) + "  with " +
               std::to_string(row.pes) + " PEs");

  const ResolvedMapping by_hand = resolve_by_hand(text, layer, row.pes);
  const Mapping mapping = parse_dataflow(text, std::string(row.mapping) + ".m");

  if (row.units.empty()) {
    // The clusters need more PEs than there are: an input error (exit 2).
    EXPECT_EQ(by_hand.levels[0].units, 0);
    try {
      (void)resolve_mapping(mapping, layer, row.pes);
      ADD_FAILURE() << "resolve_mapping did not throw";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("need more PEs"), std::string::npos) << e.what();
    }
    return;
  }

  const ResolvedMapping resolved = resolve_mapping(mapping, layer, row.pes);
  expect_same_resolution(resolved, by_hand);
  std::vector<std::int64_t> units;
  for (const ResolvedLevel& l : resolved.levels) units.push_back(l.units);
  EXPECT_EQ(units, row.units);

  const bruteforce::BruteForceResult brute = bruteforce::brute_force(layer, by_hand);
  {
    SCOPED_TRACE("brute force");
    EXPECT_EQ(brute.valid(), row.valid);
    EXPECT_EQ(brute.layer_macs, row.macs);
    EXPECT_EQ(brute.missing_macs, row.missing);
    EXPECT_EQ(brute.duplicated_macs, row.duplicated);
    EXPECT_EQ(brute.steps, row.steps);
    EXPECT_EQ(brute.empty_steps, row.empty_steps);
    EXPECT_EQ(brute.performed_macs, row.macs - row.missing + row.duplicated);
  }

  const SemanticsReport fast = analyze_mapping(layer, resolved);
  {
    SCOPED_TRACE("analyze_mapping");
    EXPECT_EQ(fast.valid(), row.valid);
    EXPECT_EQ(fast.layer_macs, row.macs);
    EXPECT_EQ(fast.missing_macs, row.missing);
    EXPECT_EQ(fast.duplicated_macs, row.duplicated);
    EXPECT_EQ(fast.steps, row.steps);
    EXPECT_EQ(fast.empty_steps, row.empty_steps);
    EXPECT_EQ(fast.performed_macs, brute.performed_macs);
    EXPECT_EQ(bruteforce::coordinates_text(fast.first_missing),
              bruteforce::coordinates_text(brute.first_missing));
    EXPECT_EQ(bruteforce::coordinates_text(fast.first_duplicated),
              bruteforce::coordinates_text(brute.first_duplicated));
  }
}

std::string row_name(const ::testing::TestParamInfo<std::size_t>& info) {
  const ExampleRow& row = rows()[info.param];
  std::string name = "row" + std::to_string(info.param + 1) + "_K" + std::to_string(row.k) + "C" +
                     std::to_string(row.c) + "R" + std::to_string(row.r) + "Y" +
                     std::to_string(row.y) + "s" + std::to_string(row.stride) + "_" +
                     std::to_string(row.pes) + "pes_" + row.mapping;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, SemanticsExamples, ::testing::Range<std::size_t>(0, 25), row_name);

TEST(SemanticsExamplesTable, HasAllRows) {
  EXPECT_EQ(rows().size(), 25U);
}

// ---------------------------------------------------------------- corner cases
// Small hand-checked cases for points the table does not reach. Expected numbers are worked out
// by hand from docs/semantics.md; both engines are checked.

ResolvedDirective dir(MapKind kind, MapDim dim, std::int64_t size, std::int64_t offset) {
  ResolvedDirective d;
  d.kind = kind;
  d.dim = dim;
  d.size = size;
  d.offset = offset;
  return d;
}

constexpr MapKind kT = MapKind::Temporal;
constexpr MapKind kS = MapKind::Spatial;

ResolvedMapping one_level(std::int64_t units, std::vector<ResolvedDirective> directives) {
  ResolvedMapping m;
  m.name = "corner";
  m.levels.resize(1);
  m.levels[0].units = units;
  m.levels[0].directives = std::move(directives);
  m.pes_used = units;
  return m;
}

Layer small_layer(LayerType type, std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s,
                  std::int64_t y, std::int64_t x, std::int64_t stride = 1, std::int64_t n = 1) {
  Layer l;
  l.name = "corner";
  l.type = type;
  l.type_text = std::string(layer_type_name(type));
  l.size[Dim::N] = n;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = s;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = stride;
  l.stride_x = stride;
  return l;
}

struct Expected {
  std::int64_t macs, missing, duplicated, steps, empty_steps;
};

void expect_both(const Layer& layer, const ResolvedMapping& m, const Expected& e) {
  SCOPED_TRACE(bruteforce::describe(layer) + bruteforce::describe(m));
  ASSERT_NO_THROW(layer.validate());
  const bruteforce::BruteForceResult b = bruteforce::brute_force(layer, m);
  EXPECT_EQ(b.all_idle_iterations, 0);
  EXPECT_EQ(b.layer_macs, e.macs);
  EXPECT_EQ(b.missing_macs, e.missing);
  EXPECT_EQ(b.duplicated_macs, e.duplicated);
  EXPECT_EQ(b.steps, e.steps);
  EXPECT_EQ(b.empty_steps, e.empty_steps);
  const SemanticsReport f = analyze_mapping(layer, m);
  EXPECT_EQ(f.layer_macs, e.macs);
  EXPECT_EQ(f.performed_macs, b.performed_macs);
  EXPECT_EQ(f.missing_macs, e.missing);
  EXPECT_EQ(f.duplicated_macs, e.duplicated);
  EXPECT_EQ(f.steps, e.steps);
  EXPECT_EQ(f.empty_steps, e.empty_steps);
  EXPECT_EQ(bruteforce::coordinates_text(f.first_missing),
            bruteforce::coordinates_text(b.first_missing));
  EXPECT_EQ(bruteforce::coordinates_text(f.first_duplicated),
            bruteforce::coordinates_text(b.first_duplicated));
}

// DSCONV with K = 1: the K chunk is a size-1 dummy and MAC coordinates report k = c.
TEST(SemanticsCornerCases, DsConvK1ReportsKEqualsC) {
  const Layer layer = small_layer(LayerType::DsConv, 1, 3, 1, 1, 1, 1);
  const ResolvedMapping m = one_level(1, {dir(kT, MapDim::C, 1, 2)});  // channels 0 and 2
  expect_both(layer, m, {3, 1, 0, 2, 0});
  const bruteforce::BruteForceResult b = bruteforce::brute_force(layer, m);
  ASSERT_EQ(b.first_missing.size(), 1U);
  EXPECT_EQ(b.first_missing[0].str(), (MacCoordinate{0, 1, 1, 0, 0, 0, 0}).str());
}

// DSCONV with K = C: a unit computes channel c only if c is in both its K and its C chunk.
TEST(SemanticsCornerCases, DsConvKEqualsCSplitsBoth) {
  const Layer layer = small_layer(LayerType::DsConv, 4, 4, 1, 1, 1, 1);
  // K chunks [0,2) [2,4) x C chunks [0,2) [2,4): 4 steps, two of them without a MAC.
  expect_both(layer, one_level(1, {dir(kT, MapDim::K, 2, 2), dir(kT, MapDim::C, 2, 2)}),
              {4, 0, 0, 4, 2});
}

// A TemporalMap after a SpatialMap of the same dimension: unit 0 holds K [0,4) (4 chunks), unit 1
// K [4,6) (2 chunks); the loop runs 4 times, unit 1 idles in the last two.
TEST(SemanticsCornerCases, TemporalAfterSpatialSameDimension) {
  const Layer layer = small_layer(LayerType::Conv, 6, 1, 1, 1, 1, 1);
  expect_both(layer, one_level(2, {dir(kS, MapDim::K, 4, 4), dir(kT, MapDim::K, 1, 1)}),
              {6, 0, 0, 4, 0});
}

// GEMM (M -> K, K -> C, N -> Y; R = S = X = 1): one M row per PE, K and N in time.
TEST(SemanticsCornerCases, GemmAsConvolution) {
  const Layer layer = small_layer(LayerType::Gemm, 3, 4, 1, 1, 5, 1);
  expect_both(
      layer,
      one_level(4, {dir(kS, MapDim::K, 1, 1), dir(kT, MapDim::C, 1, 1), dir(kT, MapDim::Y, 1, 1)}),
      {60, 0, 0, 20, 0});
}

// Stride 2, offset-1 windows: windows starting at odd rows/cols hold no complete window.
TEST(SemanticsCornerCases, Stride2SlidingWindowsGiveEmptySteps) {
  const Layer layer = small_layer(LayerType::Conv, 1, 1, 3, 3, 7, 7, 2, 2);
  // Y' = X' = 3; windows start at 0..4 in each axis (5 x 5 = 25 steps per image, 2 images);
  // MACs only where both starts are even (3 x 3 per image).
  expect_both(
      layer,
      one_level(1, {dir(kT, MapDim::N, 1, 1), dir(kT, MapDim::Y, 3, 1), dir(kT, MapDim::X, 3, 1)}),
      {2 * 9 * 9, 0, 0, 50, 50 - 18});
}

// Paired SpatialMaps with different chunk counts (K: 4 chunks, C: 2 chunks, 2 units): in fold 1
// unit 0 has K chunk 2 but no C chunk, so every unit idles. The documents assume unit 0 never
// idles, so the steps of such a fold are not defined there; the MAC figures are.
TEST(SemanticsCornerCases, FoldWhereEveryUnitIdles) {
  const Layer layer = small_layer(LayerType::Conv, 4, 2, 1, 1, 1, 3);
  const ResolvedMapping m =
      one_level(2, {dir(kS, MapDim::K, 1, 1), dir(kS, MapDim::C, 1, 1), dir(kT, MapDim::X, 1, 1)});
  const bruteforce::BruteForceResult b = bruteforce::brute_force(layer, m);
  EXPECT_EQ(b.all_idle_iterations, 1);
  EXPECT_EQ(b.layer_macs, 24);
  EXPECT_EQ(b.performed_macs, 6);  // (k, c) = (0, 0) and (1, 1), 3 columns each
  EXPECT_EQ(b.missing_macs, 18);
  EXPECT_EQ(b.steps, 3);  // the idle fold skipped
  bruteforce::BruteForceOptions unit0;
  unit0.unit0_never_idle = true;
  const bruteforce::BruteForceResult alt = bruteforce::brute_force(layer, m, unit0);
  EXPECT_EQ(alt.steps, 6);  // the idle fold runs its 3 column steps, without MACs
  EXPECT_EQ(alt.empty_steps, 3);
  EXPECT_EQ(alt.mac_counts, b.mac_counts);

  const SemanticsReport f = analyze_mapping(layer, m);
  EXPECT_EQ(f.layer_macs, 24);
  EXPECT_EQ(f.performed_macs, 6);
  EXPECT_EQ(f.missing_macs, 18);
  EXPECT_EQ(f.duplicated_macs, 0);
  EXPECT_EQ(bruteforce::coordinates_text(f.first_missing),
            bruteforce::coordinates_text(b.first_missing));
  // analyze_mapping follows the "unit 0 holds an empty chunk" reading.
  EXPECT_EQ(f.steps, alt.steps);
  EXPECT_EQ(f.empty_steps, alt.empty_steps);
}

// A SpatialMap that depends on a TemporalMap of the same dimension listed after the level's first
// SpatialMap is refused, by resolve_mapping and by the brute force.
TEST(SemanticsCornerCases, SpatialAfterTemporalOfSameDimensionIsRefused) {
  const Layer layer = small_layer(LayerType::Conv, 4, 4, 1, 1, 1, 1);
  const ResolvedMapping m =
      one_level(2, {dir(kS, MapDim::C, 1, 1), dir(kT, MapDim::K, 2, 2), dir(kS, MapDim::K, 1, 1)});
  EXPECT_THROW((void)bruteforce::brute_force(layer, m), bruteforce::BruteForceRefused);
  const Mapping parsed =
      parse_dataflow("SpatialMap(1,1) C;\nTemporalMap(2,2) K;\nSpatialMap(1,1) K;\n", "refused.m");
  EXPECT_THROW((void)resolve_mapping(parsed, layer, 2), InputError);
}

}  // namespace
}  // namespace metronome
