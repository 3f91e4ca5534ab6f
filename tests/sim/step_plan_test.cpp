// StepPlan (sim/step_plan.hpp) against spec's independent fast analysis (analyze_mapping): on
// small layers and mappings the generated steps must give the same step count, the same number
// of empty steps and the same lockstep compute cycles, and on valid mappings the PEs' MAC boxes
// must cover every MAC of the layer exactly once. Plus the PE order, the lockstep "no step"
// rule, and a mid-size layer that must run fast in bounded memory.

#include "sim/step_plan.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::sim {
namespace {

Layer conv(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s, std::int64_t y,
           std::int64_t x, std::int64_t stride = 1, LayerType type = LayerType::Conv) {
  Layer l;
  l.name = "L";
  l.type = type;
  l.size[Dim::N] = 1;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = s;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = l.stride_x = stride;
  l.validate();
  return l;
}

ResolvedMapping resolve(const char* text, const Layer& layer, std::int64_t pes) {
  return resolve_mapping(parse_dataflow(text, "test.m"), layer, pes);
}

struct Totals {
  std::int64_t steps = 0;
  std::int64_t empty_steps = 0;
  std::int64_t compute_cycles = 0;
  std::int64_t macs = 0;             // sum of all box volumes
  std::vector<std::int64_t> counts;  // per MAC coordinate, when enumerated
};

// Walks every step; `enumerate` counts how often each MAC coordinate is performed.
Totals walk(const Layer& layer, const ResolvedMapping& mapping, std::int64_t macs_per_cycle,
            bool enumerate) {
  StepPlan plan(layer, mapping);
  const std::array<std::int64_t, 7>& size = plan.geometry().coordinate_sizes();
  Totals t;
  if (enumerate) t.counts.assign(static_cast<std::size_t>(layer.macs()), 0);
  StepView view;
  while (plan.next(view)) {
    EXPECT_EQ(view.index, t.steps);
    EXPECT_EQ(view.pes.size(), static_cast<std::size_t>(plan.pe_count()));
    ++t.steps;
    std::int64_t busiest = 0;
    for (const PeSlot& pe : view.pes) {
      const std::int64_t v = pe.box.volume();
      EXPECT_EQ(pe.macs, v);
      if (!pe.active) {
        EXPECT_EQ(v, 0);
      }
      busiest = std::max(busiest, v);
      t.macs += v;
      if (!enumerate || v == 0) continue;
      std::array<std::int64_t, 7> i{};
      for (i[0] = pe.box.range[0].lo; i[0] < pe.box.range[0].hi; ++i[0])
        for (i[1] = pe.box.range[1].lo; i[1] < pe.box.range[1].hi; ++i[1])
          for (i[2] = pe.box.range[2].lo; i[2] < pe.box.range[2].hi; ++i[2])
            for (i[3] = pe.box.range[3].lo; i[3] < pe.box.range[3].hi; ++i[3])
              for (i[4] = pe.box.range[4].lo; i[4] < pe.box.range[4].hi; ++i[4])
                for (i[5] = pe.box.range[5].lo; i[5] < pe.box.range[5].hi; ++i[5])
                  for (i[6] = pe.box.range[6].lo; i[6] < pe.box.range[6].hi; ++i[6]) {
                    std::int64_t flat = 0;
                    for (std::size_t a = 0; a < 7; ++a) {
                      EXPECT_TRUE(i[a] >= 0 && i[a] < size[a]);
                      flat = flat * size[a] + i[a];
                    }
                    ++t.counts[static_cast<std::size_t>(flat)];
                  }
    }
    EXPECT_EQ(busiest, view.max_box_volume);
    if (busiest == 0) ++t.empty_steps;
    t.compute_cycles += (busiest + macs_per_cycle - 1) / macs_per_cycle;
  }
  return t;
}

struct Case {
  const char* name;
  Layer layer;
  std::int64_t pes;
  const char* mapping;
  std::int64_t steps = -1;  // from semantics-examples.md, -1 when not listed there
  std::int64_t empty = -1;
};

// Checks (a)-(d) of one case; coverage only when the mapping is valid.
void check(const Case& c, std::int64_t macs_per_cycle = 1) {
  SCOPED_TRACE(c.name);
  const ResolvedMapping mapping = resolve(c.mapping, c.layer, c.pes);
  const SemanticsReport report = analyze_mapping(c.layer, mapping, macs_per_cycle);
  const Totals t = walk(c.layer, mapping, macs_per_cycle, true);
  EXPECT_EQ(t.steps, report.steps);
  EXPECT_EQ(t.empty_steps, report.empty_steps);
  EXPECT_EQ(t.compute_cycles, report.compute_cycles);
  EXPECT_EQ(t.macs, report.performed_macs);
  if (c.steps >= 0) {
    EXPECT_EQ(t.steps, c.steps);
  }
  if (c.empty >= 0) {
    EXPECT_EQ(t.empty_steps, c.empty);
  }
  std::int64_t missing = 0, duplicated = 0;
  for (std::int64_t n : t.counts) {
    if (n == 0) ++missing;
    if (n > 1) duplicated += n - 1;
  }
  EXPECT_EQ(missing, report.missing_macs);
  EXPECT_EQ(duplicated, report.duplicated_macs);
  if (report.valid()) {
    for (std::int64_t n : t.counts) ASSERT_EQ(n, 1);
  }
}

// From /work/shared/semantics-examples.md.
const char* const kKcpWs = R"(
SpatialMap(1,1) K; TemporalMap(64,64) C; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
Cluster(64, P);
SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;)";
const char* const kCk2Level = R"(
TemporalMap(4,4) C; SpatialMap(2,2) K; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C; TemporalMap(1,1) K;)";
const char* const kXpWs = R"(
TemporalMap (1,1) K; TemporalMap (1,1) C; TemporalMap (Sz(R),1) Y; SpatialMap (Sz(S),1) X;
TemporalMap (Sz(R),Sz(R)) R; TemporalMap (Sz(S),Sz(S)) S;)";
const char* const kYxpOs1x1 = R"(
TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R), 1) Y; TemporalMap(8,8) X;
Cluster(8, P);
SpatialMap(Sz(S), 1) X; TemporalMap(Sz(R), Sz(R)) R; TemporalMap(Sz(R), Sz(R)) S;)";
const char* const kYxpOs3x3 = R"(
TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R), 1) Y; TemporalMap(10,8) X;
Cluster(8, P);
SpatialMap(Sz(S), 1) X; TemporalMap(Sz(R), Sz(R)) R; TemporalMap(Sz(R), Sz(R)) S;)";
const char* const kRsFixed = R"(
TemporalMap(2,2) K; TemporalMap(4,4) C; TemporalMap(Sz(R),Sz(R)) R; SpatialMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(Sz(R),P);
SpatialMap(1,1) Y; SpatialMap(1,1) R; TemporalMap(Sz(S),Sz(S)) S;)";
const char* const kRsFrontend = R"(
SpatialMap(1,1) Y'; TemporalMap(1,1) X'; TemporalMap(1,1) C; TemporalMap(16,16) K;
TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
Cluster(Sz(R),P);
SpatialMap(1,1) Y; SpatialMap(1,1) R; TemporalMap(Sz(S),Sz(S)) S;)";
const char* const kGapK = R"(
TemporalMap(2,4) K; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
Cluster(64,P);
SpatialMap(1,1) C;)";
const char* const kThreeLevel = R"(
SpatialMap(1,1) K; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
Cluster(16,P);
SpatialMap(1,1) C;
Cluster(4,P);
SpatialMap(1,1) R; TemporalMap(Sz(S),Sz(S)) S;)";
const char* const kNoSpatialInner = R"(
SpatialMap(1,1) K; TemporalMap(1,1) C;
Cluster(4,P);
TemporalMap(1,1) Y'; TemporalMap(1,1) X';)";
const char* const kProbeYprime = R"(
TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(1,1) R; TemporalMap(2,2) Y';
TemporalMap(1,1) X';
Cluster(3,P);
SpatialMap(1,1) Y;)";
const char* const kRsVgg16 = R"(
TemporalMap(2,2) K; TemporalMap(3,3) C; TemporalMap(3,3) R; SpatialMap(3,1) Y;
TemporalMap(3,1) X;
Cluster(3,P);
SpatialMap(1,1) X; SpatialMap(1,1) R; TemporalMap(3,3) S;)";

TEST(StepPlan, SemanticsExamplesMatchFastAnalysis) {
  const Layer a = conv(6, 2, 1, 1, 5, 7);
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  const Layer s2 = conv(2, 3, 3, 3, 9, 9, 2);
  const std::vector<Case> cases = {
      {"ck_2level_tiles a", a, 64, kCk2Level, 70, 0},
      {"kcp_ws a", a, 64, kKcpWs, 210, 0},
      {"xp_ws a", a, 64, kXpWs, 60, 0},
      {"yxp_os_1x1 a", a, 64, kYxpOs1x1, 12, 0},
      {"rs_fixed b", b, 16, kRsFixed, 24, 0},
      {"xp_ws b", b, 16, kXpWs, 96, 0},
      {"yxp_os_3x3 b", b, 16, kYxpOs3x3, 48, 0},
      {"kcp_ws b", b, 64, kKcpWs, 144, 0},
      {"gap_k b", b, 64, kGapK, 72, 36},
      {"three_level b", b, 64, kThreeLevel, 144, 0},
      {"probe_no_spatial_inner b", b, 16, kNoSpatialInner, 144, 0},
      {"probe_Yprime_Rchunk_s2", s2, 16, kProbeYprime, 144, 0},
      {"rs_frontend s2", s2, 16, kRsFrontend, 12, 0},
      {"yxp_os_3x3 s2", s2, 16, kYxpOs3x3, 24, 0},
      {"kcp_ws s2", s2, 64, kKcpWs, 98, 66},
      {"rs_vgg16 s2", s2, 64, kRsVgg16, 7, 7},
      {"three_level s2", s2, 64, kThreeLevel, 98, 42},
      {"xp_ws s2", s2, 64, kXpWs, 42, 18},
  };
  for (const Case& c : cases) check(c);
}

TEST(StepPlan, ComputeCyclesWithSeveralMacsPerCycle) {
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  check({"rs_fixed b", b, 16, kRsFixed}, 2);
  check({"yxp_os_3x3 b", b, 16, kYxpOs3x3}, 4);
  check({"three_level 3x5 s2", conv(3, 5, 3, 3, 7, 6, 2), 64, kThreeLevel}, 3);
}

TEST(StepPlan, StridedAndPaddedLayers) {
  Layer padded = conv(3, 2, 3, 3, 9, 8, 3);  // Y and X include padding
  padded.pad_y = padded.pad_x = 1;
  const char* yx_out = R"(
SpatialMap(1,1) K; TemporalMap(2,2) Y'; TemporalMap(3,3) X'; TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S; TemporalMap(1,1) C;)";
  check({"kcp_ws stride 3", padded, 64, kKcpWs});
  check({"xp_ws stride 3", padded, 16, kXpWs});
  check({"yx output tiles stride 3", padded, 4, yx_out});
  check({"three_level stride 2", conv(2, 5, 3, 2, 9, 7, 2), 64, kThreeLevel});
}

TEST(StepPlan, DepthwiseLayers) {
  const char* channels = R"(
SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;)";
  const char* k_and_c = R"(
SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y;
Cluster(2,P);
SpatialMap(Sz(S),1) X; TemporalMap(Sz(S),Sz(S)) S;)";
  const Layer tied = conv(5, 5, 3, 3, 6, 7, 1, LayerType::DsConv);
  const Layer single = conv(1, 5, 3, 3, 6, 7, 2, LayerType::DsConv);
  check({"dsconv K=C channels", tied, 4, channels});
  check({"dsconv K=C k and c", tied, 8, k_and_c});
  check({"dsconv K=1 channels", single, 4, channels});
  check({"dsconv K=1 kcp_ws", single, 64, kKcpWs});
}

TEST(StepPlan, GemmShapedLayers) {
  // out[m][n] = sum_k A[m][k] B[k][n] with M -> K, K -> C, N -> Y.
  const Layer gemm = conv(6, 7, 1, 1, 5, 1, 1, LayerType::Gemm);
  const char* tiles = R"(
TemporalMap(4,4) C; SpatialMap(2,2) K;
Cluster(3,P);
SpatialMap(1,1) Y; TemporalMap(2,2) C;)";
  check({"gemm tiles", gemm, 12, tiles});
  check({"gemm kcp_ws", gemm, 64, kKcpWs});
  check({"gemm xp_ws", gemm, 4, kXpWs});
}

// The fold count comes from the SpatialMap with the most chunks, not the first one.
TEST(StepPlan, FoldLoopRunsOverTheLongestSpatialMap) {
  const char* text = R"(
SpatialMap(1,1) K; SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;)";
  const char* two_level = R"(
TemporalMap(2,2) K;
Cluster(2,P);
SpatialMap(1,1) K; SpatialMap(2,1) C; TemporalMap(Sz(R),1) Y;)";
  check({"K then C", conv(2, 5, 3, 3, 5, 4), 2, text});
  check({"C longer, 2 levels", conv(4, 6, 3, 3, 5, 4, 2), 6, two_level});
}

// PE index = mixed radix of the unit indices, top level most significant.
TEST(StepPlan, PeIndexIsMixedRadixTopFirst) {
  const Layer a = conv(6, 2, 1, 1, 5, 7);
  const ResolvedMapping mapping = resolve(kCk2Level, a, 64);
  StepPlan plan(a, mapping);
  ASSERT_EQ(plan.units_per_level(), (std::vector<std::int64_t>{4, 16}));
  ASSERT_EQ(plan.pe_count(), 64);
  StepView view;
  ASSERT_TRUE(plan.next(view));
  for (std::int64_t u0 = 0; u0 < 4; ++u0) {
    for (std::int64_t u1 = 0; u1 < 16; ++u1) {
      const std::array<std::int64_t, 2> units = {u0, u1};
      const std::int64_t p = plan.pe_index(units);
      ASSERT_EQ(p, u0 * 16 + u1);
      const PeSlot& pe = view.pes[static_cast<std::size_t>(p)];
      ASSERT_TRUE(pe.active);
      // Top: SpatialMap(2,2) K on K = 6 gives unit u0 the chunk [2 u0, 2 u0 + 2) (empty for 3).
      // The inner TemporalMap(1,1) K takes the first K of the unit's pair first.
      const Interval k = u0 < 3 ? Interval{2 * u0, 2 * u0 + 1} : Interval{};
      EXPECT_EQ(pe.chunks.chunk[Dim::K], k);
      // Inner: SpatialMap(1,1) C on C = 2 gives unit u1 the channel u1 (empty from 2 on).
      const Interval c = u1 < 2 ? Interval{u1, u1 + 1} : Interval{};
      EXPECT_EQ(pe.chunks.chunk[Dim::C], c);
      EXPECT_EQ(pe.box.volume() > 0, u0 < 3 && u1 < 2);
    }
  }
}

// Siblings whose child sequences differ in length: the short one has no step while the long
// one finishes, and the iteration lasts as long as the longest.
TEST(StepPlan, LockstepGivesShortSiblingsNoStep) {
  const Layer layer = conv(6, 2, 1, 1, 1, 1);
  const char* text = R"(
SpatialMap(4,4) K;
Cluster(2,P);
SpatialMap(1,1) C; TemporalMap(1,1) K;)";
  const ResolvedMapping mapping = resolve(text, layer, 4);
  StepPlan plan(layer, mapping);
  ASSERT_EQ(plan.units_per_level(), (std::vector<std::int64_t>{2, 2}));
  StepView view;
  std::vector<std::vector<bool>> active;
  while (plan.next(view)) {
    active.emplace_back();
    for (const PeSlot& pe : view.pes) active.back().push_back(pe.active);
    for (std::size_t p = 0; p < 4; ++p) {
      if (!view.pes[p].active) continue;
      const std::int64_t k0 = p < 2 ? 0 : 4;  // top unit 0 holds K [0,4), unit 1 K [4,6)
      const std::int64_t c0 = static_cast<std::int64_t>(p % 2);
      const Interval k{k0 + view.index, k0 + view.index + 1};
      const Interval c{c0, c0 + 1};
      EXPECT_EQ(view.pes[p].chunks.chunk[Dim::K], k);
      EXPECT_EQ(view.pes[p].chunks.chunk[Dim::C], c);
    }
  }
  const std::vector<std::vector<bool>> expected = {
      {true, true, true, true},
      {true, true, true, true},
      {true, true, false, false},
      {true, true, false, false},
  };
  EXPECT_EQ(active, expected);
  check({"short siblings", layer, 4, text, 4, 0});
  // reset() starts again from step 0.
  plan.reset();
  ASSERT_TRUE(plan.next(view));
  EXPECT_EQ(view.index, 0);
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    std::getline(status, key);
  }
  return 0;
}

// VGG-like 64x64x3x3 on 28x28 (padded to 30x30) with the library kcp_ws at 256 PEs: the step
// count agrees, quickly, in memory that does not grow with the steps.
TEST(StepPlan, MidSizeLayerIsFastAndBounded) {
  Layer layer = conv(64, 64, 3, 3, 30, 30);
  layer.pad_y = layer.pad_x = 1;
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path() / "../../configs/dataflows/kcp_ws.m";
  const ResolvedMapping mapping = resolve_mapping(load_dataflow(file.string()), layer, 256);
  const SemanticsReport report = analyze_mapping(layer, mapping);
  const long rss_before = resident_kib();
  const auto begin = std::chrono::steady_clock::now();
  StepPlan plan(layer, mapping);
  EXPECT_EQ(plan.pe_count(), 256);
  StepView view;
  std::int64_t steps = 0;
  while (plan.next(view)) ++steps;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  const long rss_after = resident_kib();
  EXPECT_EQ(steps, report.steps);
  EXPECT_GT(steps, 10000);
  EXPECT_LT(seconds, 1.0);
  EXPECT_LT(rss_after - rss_before, 8 * 1024) << "KiB grown while walking " << steps << " steps";
  RecordProperty("steps", std::to_string(steps));
  RecordProperty("seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace metronome::sim
