// StepPlan (sim/step_plan.hpp) against spec's independent fast analysis (analyze_mapping): on
// small layers and mappings the generated steps must give the same step count, the same number
// of empty steps and the same lockstep compute cycles, and on valid mappings the PEs' MAC boxes
// must cover every MAC of the layer exactly once. Plus the PE order, the lockstep "no step"
// rule, and a mid-size layer that must run fast in bounded memory. Every PE's slot in every step
// (chunks, box, activity, `changed`) is compared with a reference walk (the original
// straightforward algorithm, kept below) over small layers with every library dataflow,
// hand-written and seeded random mappings, and views reused, fresh, alternating or reset.

#include "sim/step_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "spec/error.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/test_layers.hpp"

namespace metronome::sim {
namespace {

using testing_layers::conv;

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

// ---------------------------------------------------------------------------------------------
// Reference: StepPlan's first, straightforward algorithm (every level's loop nest walked with a
// full copy of every unit's chunks per directive, every PE's chunks and box recomputed in every
// step). Same rules, no incremental update.

class RefCursor {
 public:
  RefCursor(const LayerGeometry& geometry, const LevelPlan& plan)
      : geometry_(&geometry),
        plan_(&plan),
        spread_units_(plan.first_spatial >= 0 ? plan.units : 1),
        scratch_(plan.directives.size() + 1),
        index_(scratch_.size()),
        trips_(scratch_.size()) {}

  void start(const UnitChunks& entry) {
    UnitChunks first = entry;
    first.rows_from_outputs = first.cols_from_outputs = false;
    scratch_[0].assign(1, first);
    descend(0);
  }

  bool advance() {
    for (std::size_t p = plan_->directives.size(); p-- > 0;) {
      if (index_[p] + 1 >= trips_[p]) continue;
      ++index_[p];
      apply(p);
      descend(p + 1);
      return true;
    }
    return false;
  }

  const UnitChunks& unit(std::int64_t u) const {
    return scratch_.back()[spread_units_ == 1 ? 0 : static_cast<std::size_t>(u)];
  }

 private:
  const ResolvedDirective& directive(std::size_t p) const { return plan_->directives[p]; }

  void descend(std::size_t pos) {
    for (std::size_t p = pos; p < plan_->directives.size(); ++p) {
      const ResolvedDirective& d = directive(p);
      const std::vector<UnitChunks>& current = scratch_[p];
      std::int64_t trips = 1;
      if (d.kind == MapKind::Temporal) {
        for (const UnitChunks& u : current)
          trips = std::max(
              trips, chunk_count(geometry_->parent_interval(u, d.dim).length(), d.size, d.offset));
      } else if (static_cast<int>(p) == plan_->first_spatial) {
        std::int64_t most_chunks = 1;
        for (std::size_t j = p; j < plan_->directives.size(); ++j) {
          const ResolvedDirective& s = directive(j);
          if (s.kind != MapKind::Spatial) continue;
          most_chunks = std::max(
              most_chunks, chunk_count(geometry_->parent_interval(current.front(), s.dim).length(),
                                       s.size, s.offset));
        }
        trips = (most_chunks + spread_units_ - 1) / spread_units_;
      }
      trips_[p] = trips;
      index_[p] = 0;
      apply(p);
    }
    for (UnitChunks& u : scratch_.back()) geometry_->finish_level(u);
  }

  void apply(std::size_t p) {
    const ResolvedDirective& d = directive(p);
    std::vector<UnitChunks>& next = scratch_[p + 1];
    if (d.kind == MapKind::Temporal) {
      next = scratch_[p];
      for (UnitChunks& u : next) split(u, d, index_[p]);
      return;
    }
    const std::int64_t fold = index_[static_cast<std::size_t>(plan_->first_spatial)];
    if (static_cast<int>(p) == plan_->first_spatial)
      next.assign(static_cast<std::size_t>(spread_units_), scratch_[p].front());
    else
      next = scratch_[p];
    for (std::size_t u = 0; u < next.size(); ++u)
      split(next[u], d, fold * spread_units_ + static_cast<std::int64_t>(u));
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    const Interval parent = geometry_->parent_interval(u, d.dim);
    const std::int64_t n = chunk_count(parent.length(), d.size, d.offset);
    geometry_->assign(u, d.dim, index < n ? chunk_at(parent, d.size, d.offset, index) : Interval{});
  }

  const LayerGeometry* geometry_;
  const LevelPlan* plan_;
  std::int64_t spread_units_ = 1;
  std::vector<std::vector<UnitChunks>> scratch_;
  std::vector<std::int64_t> index_;
  std::vector<std::int64_t> trips_;
};

class ReferencePlan {
 public:
  ReferencePlan(const Layer& layer, const ResolvedMapping& mapping)
      : geometry_(layer), plans_(plan_levels(mapping)) {
    std::int64_t clusters = 1;
    nodes_.resize(plans_.size());
    for (std::size_t l = 0; l < plans_.size(); ++l) {
      units_.push_back(plans_[l].units);
      for (std::int64_t j = 0; j < clusters; ++j)
        nodes_[l].push_back({RefCursor(geometry_, plans_[l])});
      clusters *= plans_[l].units;
    }
    pe_count_ = clusters;
    start(0, 0, geometry_.whole_layer());
  }

  std::int64_t pe_count() const { return pe_count_; }

  // Every PE's slot of the next step (`changed` is not set); false when the walk is over.
  bool next(std::vector<PeSlot>& pes) {
    if (nodes_[0][0].done) return false;
    pes.assign(static_cast<std::size_t>(pe_count_), PeSlot{});
    return step(0, 0, pes);
  }

 private:
  struct Node {
    RefCursor cursor;
    bool fresh = false;
    bool done = true;
  };

  void start(std::size_t level, std::size_t node, const UnitChunks& entry) {
    Node& n = nodes_[level][node];
    n.cursor.start(entry);
    n.done = false;
    n.fresh = true;
    if (level + 1 == nodes_.size()) return;
    for (std::int64_t u = 0; u < units_[level]; ++u)
      start(level + 1, node * static_cast<std::size_t>(units_[level]) + static_cast<std::size_t>(u),
            n.cursor.unit(u));
  }

  bool step(std::size_t level, std::size_t node, std::vector<PeSlot>& pes) {
    Node& n = nodes_[level][node];
    if (n.done) return false;
    const std::size_t units = static_cast<std::size_t>(units_[level]);
    if (level + 1 == nodes_.size()) {
      if (!n.fresh && !n.cursor.advance()) {
        n.done = true;
        return false;
      }
      n.fresh = false;
      for (std::size_t u = 0; u < units; ++u) {
        PeSlot& slot = pes[node * units + u];
        slot.active = true;
        slot.chunks = n.cursor.unit(static_cast<std::int64_t>(u));
        slot.box = geometry_.box(slot.chunks);
        slot.macs = slot.box.volume();
      }
      return true;
    }
    for (;;) {
      bool any = false;
      for (std::size_t u = 0; u < units; ++u)
        if (step(level + 1, node * units + u, pes)) any = true;
      if (any) return true;
      if (!n.cursor.advance()) {
        n.done = true;
        return false;
      }
      for (std::size_t u = 0; u < units; ++u)
        start(level + 1, node * units + u, n.cursor.unit(static_cast<std::int64_t>(u)));
    }
  }

  LayerGeometry geometry_;
  std::vector<LevelPlan> plans_;
  std::vector<std::int64_t> units_;
  std::int64_t pe_count_ = 1;
  std::vector<std::vector<Node>> nodes_;
};

bool same_chunks(const UnitChunks& a, const UnitChunks& b) {
  return a.chunk == b.chunk && a.out_rows == b.out_rows && a.out_cols == b.out_cols &&
         a.row_bound == b.row_bound && a.col_bound == b.col_bound &&
         a.rows_from_outputs == b.rows_from_outputs && a.cols_from_outputs == b.cols_from_outputs;
}

// How the walk under test hands views to StepPlan::next.
enum class ViewUse {
  Reused,       // one view for the whole walk (the incremental path)
  Fresh,        // a new view every step (rewritten in full every time)
  Alternating,  // two views in turn (each holds the step before the previous one)
  ResetHalfway  // one view; reset() halfway through, then the whole walk again
};

struct Compared {
  std::int64_t steps = 0;
  std::int64_t unchanged = 0;    // active PE-steps with the previous active step's chunks
  std::int64_t reactivated = 0;  // ... of them, right after a step with no step for the PE
};

// Compares every step of StepPlan with the reference: per PE activity, chunks, box, MACs, and
// `changed` against the PE's previous active chunks.
Compared compare_with_reference(const Layer& layer, const ResolvedMapping& mapping,
                                ViewUse use = ViewUse::Reused) {
  StepPlan plan(layer, mapping);
  Compared compared;
  StepView views[2];
  auto run = [&](std::int64_t stop_after) {
    ReferencePlan ref(layer, mapping);
    EXPECT_EQ(ref.pe_count(), plan.pe_count());
    std::vector<PeSlot> expected;
    std::vector<std::optional<UnitChunks>> last(static_cast<std::size_t>(plan.pe_count()));
    std::vector<char> was_active(last.size(), 0);
    std::int64_t t = 0;
    for (;; ++t) {
      if (t == stop_after) return;
      const bool more = ref.next(expected);
      StepView fresh;
      StepView& view = use == ViewUse::Fresh         ? fresh
                       : use == ViewUse::Alternating ? views[t % 2]
                                                     : views[0];
      const bool got = plan.next(view);
      EXPECT_EQ(got, more) << "step " << t;
      if (!got || !more) break;
      ++compared.steps;
      EXPECT_EQ(view.index, t);
      ASSERT_EQ(view.pes.size(), expected.size());
      std::int64_t busiest = 0, active = 0, changed = 0;
      for (std::size_t p = 0; p < expected.size(); ++p) {
        const PeSlot& want = expected[p];
        const PeSlot& pe = view.pes[p];
        const std::string where = "step " + std::to_string(t) + " PE " + std::to_string(p);
        ASSERT_EQ(pe.active, want.active) << where;
        ASSERT_EQ(pe.macs, pe.box.volume()) << where;
        ASSERT_EQ(pe.macs, want.macs) << where;
        ASSERT_EQ(pe.box.range, want.box.range) << where;
        const bool reactivated = pe.active && !was_active[p];
        was_active[p] = pe.active;
        if (!pe.active) {
          ASSERT_FALSE(pe.changed) << where;
          continue;
        }
        ASSERT_TRUE(same_chunks(pe.chunks, want.chunks)) << where;
        const bool differs = !last[p] || !same_chunks(*last[p], want.chunks);
        ASSERT_EQ(pe.changed, differs) << where;
        if (!differs) {
          ++compared.unchanged;
          if (reactivated) ++compared.reactivated;
        }
        last[p] = want.chunks;
        busiest = std::max(busiest, want.macs);
        ++active;
        changed += differs ? 1 : 0;
      }
      EXPECT_EQ(view.max_box_volume, busiest) << "step " << t;
      EXPECT_EQ(view.active_pes, active) << "step " << t;
      EXPECT_EQ(view.changed_pes, changed) << "step " << t;
    }
    // The walk is over: further calls keep returning false.
    StepView after;
    EXPECT_FALSE(plan.next(after));
  };
  if (use == ViewUse::ResetHalfway) {
    std::int64_t total = 0;
    {
      StepPlan count(layer, mapping);
      StepView v;
      while (count.next(v)) ++total;
    }
    run(total / 2);
    plan.reset();
  }
  run(-1);
  return compared;
}

struct NamedMapping {
  std::string name;
  Mapping mapping;
};

std::vector<NamedMapping> library_dataflows() {
  const std::filesystem::path dir =
      std::filesystem::path(__FILE__).parent_path() / "../../configs/dataflows";
  std::vector<NamedMapping> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".m")
      out.push_back({entry.path().stem().string(), load_dataflow(entry.path().string())});
  std::sort(out.begin(), out.end(),
            [](const NamedMapping& a, const NamedMapping& b) { return a.name < b.name; });
  return out;
}

std::vector<std::pair<std::string, Layer>> small_layers() {
  Layer padded = conv(3, 2, 3, 3, 9, 8, 3);
  padded.pad_y = padded.pad_x = 1;
  Layer wide = conv(5, 70, 3, 3, 7, 9, 1);
  wide.pad_y = wide.pad_x = 1;
  return {
      {"conv 4x4 3x3 8x8", conv(4, 4, 3, 3, 8, 8)},
      {"conv 2x3 3x3 9x9 s2", conv(2, 3, 3, 3, 9, 9, 2)},
      {"conv padded s3", padded},
      {"conv C=70 padded", wide},
      {"conv 6x2 1x1 5x7", conv(6, 2, 1, 1, 5, 7)},
      {"dsconv K=C", conv(5, 5, 3, 3, 6, 7, 1, LayerType::DsConv)},
      {"dsconv K=1 s2", conv(1, 5, 3, 3, 6, 7, 2, LayerType::DsConv)},
      {"gemm", conv(6, 7, 1, 1, 5, 1, 1, LayerType::Gemm)},
  };
}

TEST(StepPlan, EveryLibraryDataflowMatchesTheReferenceWalk) {
  std::int64_t walks = 0, steps = 0;
  for (const NamedMapping& df : library_dataflows()) {
    for (const auto& [name, layer] : small_layers()) {
      for (std::int64_t pes : {16, 64, 256}) {
        std::optional<ResolvedMapping> mapping;
        try {
          mapping = resolve_mapping(df.mapping, layer, pes);
        } catch (const InputError&) {
          continue;  // e.g. fewer PEs than one cluster needs
        }
        SCOPED_TRACE(df.name + " on " + name + " at " + std::to_string(pes) + " PEs");
        steps += compare_with_reference(layer, *mapping).steps;
        ++walks;
      }
    }
  }
  EXPECT_GE(walks, 100);
  RecordProperty("walks", std::to_string(walks));
  RecordProperty("steps", std::to_string(steps));
}

TEST(StepPlan, HandWrittenMappingsMatchTheReferenceWalk) {
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  const Layer s2 = conv(2, 3, 3, 3, 9, 9, 2);
  const Layer tied = conv(5, 5, 3, 3, 6, 7, 1, LayerType::DsConv);
  const char* k_and_c = R"(
SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y;
Cluster(2,P);
SpatialMap(Sz(S),1) X; TemporalMap(Sz(S),Sz(S)) S;)";
  // A TemporalMap after the SpatialMaps splits chunks that differ between units; an N map; a
  // fold loop over two spatial maps; three levels; no SpatialMap at the inner level.
  const char* after_spatial = R"(
SpatialMap(3,2) Y; TemporalMap(2,1) Y; TemporalMap(Sz(S),1) X; TemporalMap(1,1) N;
Cluster(3,P);
SpatialMap(1,1) K; SpatialMap(2,1) C; TemporalMap(2,2) R; TemporalMap(1,1) X';)";
  Layer batched = conv(3, 3, 3, 3, 7, 6);
  batched.size[Dim::N] = 2;
  const char* k_then_c = R"(
SpatialMap(1,1) K; SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;)";
  const std::vector<Case> cases = {
      {"ck_2level_tiles", b, 64, kCk2Level},
      {"rs_fixed", b, 16, kRsFixed},
      {"rs_frontend s2", s2, 16, kRsFrontend},
      {"yxp_os_3x3", b, 16, kYxpOs3x3},
      {"yxp_os_1x1", conv(6, 2, 1, 1, 5, 7), 64, kYxpOs1x1},
      {"gap_k", b, 64, kGapK},
      {"three_level", s2, 64, kThreeLevel},
      {"no spatial inner", b, 16, kNoSpatialInner},
      {"probe Y'", s2, 16, kProbeYprime},
      {"rs_vgg16", s2, 64, kRsVgg16},
      {"dsconv k and c", tied, 8, k_and_c},
      {"dsconv kcp_ws", tied, 64, kKcpWs},
      {"temporal after spatial", batched, 18, after_spatial},
      {"fold over K then C", conv(2, 5, 3, 3, 5, 4), 2, k_then_c},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_GT(compare_with_reference(c.layer, resolve(c.mapping, c.layer, c.pes)).steps, 0);
  }
}

// PEs whose chunks stay the same: a unit idle (empty K chunk) in the extra iterations of a
// TemporalMap after the SpatialMap keeps its chunks from step to step; with a short child
// sequence it has no step in between and comes back with the same chunks.
TEST(StepPlan, UnchangedChunksAreNotFlaggedChanged) {
  const char* idle = R"(
SpatialMap(3,3) K; TemporalMap(1,1) K;)";
  const Layer seven = conv(7, 1, 1, 1, 1, 1);
  const Compared a = compare_with_reference(seven, resolve(idle, seven, 3));
  EXPECT_EQ(a.steps, 3);
  EXPECT_EQ(a.unchanged, 1);  // unit 2: K [6,7), then empty twice
  const char* short_child = R"(
SpatialMap(4,4) K; SpatialMap(2,2) Y; TemporalMap(1,1) K;
Cluster(2,P);
SpatialMap(1,1) C; TemporalMap(1,1) Y';)";
  const Layer layer = conv(5, 2, 1, 1, 3, 1);
  const Compared b = compare_with_reference(layer, resolve(short_child, layer, 4));
  EXPECT_EQ(b.steps, 8);
  // Top unit 1 (K [4,5), Y [2,3)) is idle from the second K iteration on: its PEs come back with
  // the same chunks in iterations 3 and 4.
  EXPECT_EQ(b.reactivated, 4);
  EXPECT_EQ(b.unchanged, 4);
  for (ViewUse use : {ViewUse::Fresh, ViewUse::Alternating, ViewUse::ResetHalfway}) {
    SCOPED_TRACE(static_cast<int>(use));
    compare_with_reference(layer, resolve(short_child, layer, 4), use);
  }
}

// A view that does not hold the walk's previous step is rewritten in full; reset() starts over
// with every PE changed in its first active step.
TEST(StepPlan, ForeignViewsAndResetMatchTheReferenceWalk) {
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  const Layer s2 = conv(2, 3, 3, 3, 9, 9, 2);
  for (ViewUse use : {ViewUse::Fresh, ViewUse::Alternating, ViewUse::ResetHalfway}) {
    SCOPED_TRACE(static_cast<int>(use));
    compare_with_reference(b, resolve(kThreeLevel, b, 64), use);
    compare_with_reference(s2, resolve(kKcpWs, s2, 128), use);
    compare_with_reference(b, resolve(kXpWs, b, 16), use);
    compare_with_reference(s2, resolve(kRsFrontend, s2, 16), use);
  }
}

// Two plans filling one view in turn: each recognises the view is not its own.
TEST(StepPlan, TwoPlansSharingAViewStayExact) {
  const Layer b = conv(4, 4, 3, 3, 8, 8);
  const ResolvedMapping m1 = resolve(kKcpWs, b, 64);
  const ResolvedMapping m2 = resolve(kXpWs, b, 16);
  StepPlan p1(b, m1), p2(b, m2);
  ReferencePlan r1(b, m1), r2(b, m2);
  StepView shared;
  std::vector<PeSlot> want;
  for (int t = 0; t < 50; ++t) {
    StepPlan& p = t % 2 == 0 ? p1 : p2;
    ReferencePlan& r = t % 2 == 0 ? r1 : r2;
    ASSERT_TRUE(r.next(want));
    ASSERT_TRUE(p.next(shared));
    ASSERT_EQ(shared.pes.size(), want.size());
    for (std::size_t q = 0; q < want.size(); ++q) {
      ASSERT_EQ(shared.pes[q].active, want[q].active) << t << " " << q;
      ASSERT_EQ(shared.pes[q].box.range, want[q].box.range) << t << " " << q;
      if (want[q].active) {
        ASSERT_TRUE(same_chunks(shared.pes[q].chunks, want[q].chunks)) << t << " " << q;
      }
    }
  }
}

// Random small layers and mappings (seeded): directives of either kind on any dimension, with
// sizes and offsets from 1 to one past the dimension (gaps, overlaps, Sz()), several maps of one
// dimension at a level, TemporalMaps after SpatialMaps, one to three levels.
TEST(StepPlan, RandomMappingsMatchTheReferenceWalk) {
  std::mt19937_64 rng(20240611);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const char* const names[] = {"N", "K", "C", "R", "S", "Y", "X", "Y'", "X'"};
  std::int64_t compared = 0, refused = 0, too_long = 0, unchanged = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int kind = static_cast<int>(uniform(0, 9));
    Layer layer;
    if (kind == 0) {
      const std::int64_t c = uniform(1, 5);
      layer = conv(uniform(0, 1) != 0 ? c : 1, c, uniform(1, 3), uniform(1, 3), uniform(3, 7),
                   uniform(3, 7), uniform(1, 2), LayerType::DsConv);
    } else if (kind == 1) {
      layer = conv(uniform(1, 6), uniform(1, 6), 1, 1, uniform(1, 6), 1, 1, LayerType::Gemm);
    } else {
      layer = conv(uniform(1, 5), uniform(1, 5), uniform(1, 3), uniform(1, 3), uniform(3, 7),
                   uniform(3, 7), uniform(1, 3));
      layer.size[Dim::N] = uniform(1, 2);
      layer.validate();
    }
    const std::array<std::int64_t, 9> extent = {
        layer.size[Dim::N], layer.size[Dim::K], layer.size[Dim::C],
        layer.size[Dim::R], layer.size[Dim::S], layer.size[Dim::Y],
        layer.size[Dim::X], layer.out_rows(),   layer.out_cols()};
    std::string text;
    const int levels = static_cast<int>(uniform(1, 3));
    for (int l = 0; l < levels; ++l) {
      if (l > 0) text += "Cluster(" + std::to_string(uniform(1, 4)) + ",P);\n";
      const int directives = static_cast<int>(uniform(1, 4));
      for (int d = 0; d < directives; ++d) {
        const std::size_t dim = static_cast<std::size_t>(uniform(0, 8));
        const std::string name = names[dim];
        const std::int64_t size = uniform(1, extent[dim] + 1);
        const bool sz = dim < 7 && layer.type != LayerType::Gemm && uniform(0, 5) == 0;
        text += std::string(uniform(0, 2) == 0 ? "SpatialMap(" : "TemporalMap(") +
                (sz ? "Sz(" + name + ")" : std::to_string(size)) + "," +
                std::to_string(uniform(1, extent[dim] + 1)) + ") " + name + ";\n";
      }
    }
    const std::int64_t pes = uniform(1, 48);
    std::optional<ResolvedMapping> mapping;
    try {
      mapping = resolve_mapping(parse_dataflow(text, "random.m"), layer, pes);
    } catch (const InputError&) {
      ++refused;
      continue;
    }
    const SemanticsReport report = analyze_mapping(layer, *mapping);
    if (report.steps * mapping->pes_used > 200000) {
      ++too_long;
      continue;
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ", " + std::to_string(pes) + " PEs, layer " +
                 layer_type_name(layer.type).data() + " N" + std::to_string(extent[0]) + " K" +
                 std::to_string(extent[1]) + " C" + std::to_string(extent[2]) + " R" +
                 std::to_string(extent[3]) + " S" + std::to_string(extent[4]) + " Y" +
                 std::to_string(extent[5]) + " X" + std::to_string(extent[6]) + " stride " +
                 std::to_string(layer.stride_y) + ":\n" + text);
    // Mostly one reused view; every fourth case fresh, alternating views or a reset halfway.
    const ViewUse use = trial % 4 == 1   ? ViewUse::Fresh
                        : trial % 8 == 3 ? ViewUse::Alternating
                        : trial % 8 == 7 ? ViewUse::ResetHalfway
                                         : ViewUse::Reused;
    const Compared c = compare_with_reference(layer, *mapping, use);
    if (use != ViewUse::ResetHalfway) {
      EXPECT_EQ(c.steps, report.steps);
    }
    unchanged += c.unchanged;
    ++compared;
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GE(compared, 2000) << refused << " refused, " << too_long << " too long";
  EXPECT_GT(unchanged, 0);
  RecordProperty("compared", std::to_string(compared));
  RecordProperty("refused", std::to_string(refused));
  RecordProperty("unchanged", std::to_string(unchanged));
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
