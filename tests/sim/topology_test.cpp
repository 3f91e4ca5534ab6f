// NoC topologies (spec/noc_topology.hpp): every topology builds for small, large and non-square PE
// counts, every PE is reachable both ways, routes have the hop counts and hop sequences that
// sim/DESIGN.md ("Network-on-chip") documents, written out by hand here.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/noc_topology.hpp"

namespace metronome::sim {
namespace {

std::int64_t hop_count(const NocTopology& t, const std::vector<std::size_t>& route) {
  std::int64_t hops = 0;
  for (const std::size_t e : route) hops += t.edge(e).hops;
  return hops;
}

std::int64_t ceil_log2(std::int64_t n) {
  std::int64_t d = 0;
  while ((std::int64_t{1} << d) < n) ++d;
  return d;
}

// Consecutive edges, from L2 to the PE (down) or from the PE to L2 (up).
void expect_connected(const NocTopology& t, const std::vector<std::size_t>& route, NodeId from,
                      NodeId to) {
  ASSERT_FALSE(route.empty());
  EXPECT_EQ(t.source(route.front()), from);
  EXPECT_EQ(t.target(route.back()), to);
  for (std::size_t i = 1; i < route.size(); ++i)
    EXPECT_EQ(t.target(route[i - 1]), t.source(route[i]));
}

TEST(NocTopologyTest, EveryTopologyBuildsAndReachesEveryPe) {
  struct Shape {
    std::int64_t pes, rows, cols;
  };
  const std::vector<Shape> shapes = {{1, 1, 1},     {4, 2, 2}, {16, 4, 4}, {64, 8, 8},
                                     {256, 16, 16}, {8, 2, 4}, {12, 3, 4}, {7, 1, 7}};
  for (const std::string_view name : NocTopology::names()) {
    for (const Shape& s : shapes) {
      SCOPED_TRACE(std::string(name) + " P=" + std::to_string(s.pes));
      const NocTopology t = NocTopology::build(name, s.pes);
      const std::int64_t p = s.pes;
      std::size_t nodes = 0;
      switch (t.kind()) {
        case Topology::Bus:
        case Topology::Crossbar:
          nodes = static_cast<std::size_t>(p + 2);  // L2, PEs, the bus or switch
          break;
        case Topology::Tree:
          nodes = static_cast<std::size_t>(p == 1 ? 2 : 2 * p);  // P - 1 routers
          break;
        case Topology::Mesh:
          nodes = static_cast<std::size_t>(2 * p + 1);  // a router per PE
          break;
        case Topology::Systolic:
          nodes = static_cast<std::size_t>(p + 1);
          break;
      }
      EXPECT_EQ(t.node_count(), nodes);
      if (t.kind() == Topology::Mesh || t.kind() == Topology::Systolic) {
        EXPECT_EQ(t.rows(), s.rows);
        EXPECT_EQ(t.cols(), s.cols);
      }
      std::int64_t max_tree_hops = 0;
      for (std::int64_t pe = 0; pe < p; ++pe) {
        const auto down = t.route_from_l2(pe);
        const auto up = t.route_to_l2(pe);
        expect_connected(t, down, t.l2(), t.pe(pe));
        expect_connected(t, up, t.pe(pe), t.l2());
        ASSERT_EQ(down.size(), up.size());
        EXPECT_EQ(t.route(t.l2(), t.pe(pe)), down);
        const std::int64_t col = t.node(t.pe(pe)).col;
        switch (t.kind()) {
          case Topology::Bus:
          case Topology::Crossbar:
            EXPECT_EQ(down.size(), 2u);  // L2 -> bus/switch -> PE
            EXPECT_EQ(hop_count(t, down), 1);
            break;
          case Topology::Tree:
            max_tree_hops = std::max(max_tree_hops, hop_count(t, down));
            EXPECT_GE(hop_count(t, down), p == 1 ? 1 : ceil_log2(p) - 1);
            break;
          case Topology::Mesh:
            EXPECT_EQ(down.size(), static_cast<std::size_t>(col + 2));  // in, east x col, out
            EXPECT_EQ(hop_count(t, down), col + 1);
            break;
          case Topology::Systolic:
            EXPECT_EQ(down.size(), static_cast<std::size_t>(col + 1));
            EXPECT_EQ(hop_count(t, down), col + 1);
            break;
        }
      }
      if (t.kind() == Topology::Tree) {
        EXPECT_EQ(max_tree_hops, p == 1 ? 1 : ceil_log2(p));
      }
    }
  }
}

TEST(NocTopologyTest, UnknownNameListsValidNames) {
  try {
    (void)NocTopology::build("torus", 16);
    FAIL() << "no error for an unknown topology";
  } catch (const InputError& e) {
    EXPECT_EQ(e.problem(), "unknown topology 'torus'");
    EXPECT_EQ(e.expected(), "one of bus, crossbar, tree, mesh, systolic");
  }
  EXPECT_THROW((void)NocTopology::build(Topology::Mesh, 0), InputError);
}

TEST(NocTopologyTest, MeshRoutesAreXY) {
  // 4 x 4 mesh: PE/router i at row i / 4, column i % 4. PE 11 is at row 2, column 3.
  const NocTopology t = NocTopology::build(Topology::Mesh, 16);
  EXPECT_EQ(t.describe(t.l2(), t.route_from_l2(11)), "l2 -> r8 -> r9 -> r10 -> r11 -> pe11");
  EXPECT_EQ(t.describe(t.pe(11), t.route_to_l2(11)), "pe11 -> r11 -> r10 -> r9 -> r8 -> l2");
  // X first (along the row), then Y (along the column).
  EXPECT_EQ(t.describe(t.pe(0), t.route(t.pe(0), t.pe(11))),
            "pe0 -> r0 -> r1 -> r2 -> r3 -> r7 -> r11 -> pe11");
  EXPECT_EQ(t.describe(t.pe(11), t.route(t.pe(11), t.pe(0))),
            "pe11 -> r11 -> r10 -> r9 -> r8 -> r4 -> r0 -> pe0");
  EXPECT_EQ(t.describe(t.pe(13), t.route(t.pe(13), t.pe(6))),
            "pe13 -> r13 -> r14 -> r10 -> r6 -> pe6");
  EXPECT_EQ(t.describe(t.pe(5), t.route(t.pe(5), t.l2())), "pe5 -> r5 -> r4 -> l2");
}

TEST(NocTopologyTest, RoutesOfOtherTopologiesAreTheDocumentedOnes) {
  const NocTopology tree = NocTopology::build(Topology::Tree, 8);
  EXPECT_EQ(tree.describe(tree.l2(), tree.route_from_l2(5)), "l2 -> r0 -> r2 -> r5 -> pe5");
  EXPECT_EQ(tree.describe(tree.pe(2), tree.route_to_l2(2)), "pe2 -> r4 -> r1 -> r0 -> l2");
  const NocTopology tree12 = NocTopology::build(Topology::Tree, 12);  // 12 -> 6 + 6 -> 3 + 3
  EXPECT_EQ(tree12.describe(tree12.l2(), tree12.route_from_l2(2)), "l2 -> r0 -> r1 -> r3 -> pe2");
  EXPECT_EQ(tree12.describe(tree12.l2(), tree12.route_from_l2(1)),
            "l2 -> r0 -> r1 -> r3 -> r7 -> pe1");
  const NocTopology sys = NocTopology::build(Topology::Systolic, 12);  // 3 x 4
  EXPECT_EQ(sys.describe(sys.l2(), sys.route_from_l2(7)), "l2 -> pe4 -> pe5 -> pe6 -> pe7");
  EXPECT_EQ(sys.describe(sys.pe(7), sys.route_to_l2(7)), "pe7 -> pe6 -> pe5 -> pe4 -> l2");
  const NocTopology bus = NocTopology::build(Topology::Bus, 4);
  EXPECT_EQ(bus.describe(bus.l2(), bus.route_from_l2(3)), "l2 -> bus -> pe3");
  EXPECT_EQ(bus.edge(bus.route_from_l2(3)[1]).kind, EdgeKind::Tap);
  const NocTopology xbar = NocTopology::build(Topology::Crossbar, 4);
  EXPECT_EQ(xbar.describe(xbar.pe(1), xbar.route_to_l2(1)), "pe1 -> xbar -> l2");
}

TEST(NocTopologyTest, FatTreeLinksDoubleTowardsTheRoot) {
  const NocTopology t = NocTopology::build(Topology::Tree, 8, true);
  const auto route = t.route_from_l2(0);  // l2 -> r0 -> r1 -> r3 -> pe0
  ASSERT_EQ(route.size(), 4u);
  EXPECT_EQ(t.edge(route[0]).width, 8);
  EXPECT_EQ(t.edge(route[1]).width, 4);
  EXPECT_EQ(t.edge(route[2]).width, 2);
  EXPECT_EQ(t.edge(route[3]).width, 1);
  const NocTopology plain = NocTopology::build(Topology::Tree, 8);
  for (const std::size_t e : plain.route_from_l2(0)) EXPECT_EQ(plain.edge(e).width, 1);
}

TEST(NocTopologyTest, TreesAreUnionsOfRoutes) {
  const NocTopology t = NocTopology::build(Topology::Tree, 8);
  const std::vector<std::int64_t> pes = {0, 1, 5};
  std::vector<std::string> names;
  for (const std::size_t e : t.multicast_tree(pes)) names.push_back(t.edge(e).name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"l2->r0", "r0->r1", "r0->r2", "r1->r3", "r2->r5",
                                             "r3->pe0", "r3->pe1", "r5->pe5"}));
  names.clear();
  for (const std::size_t e : t.reduction_tree(pes)) names.push_back(t.edge(e).name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"pe0->r3", "pe1->r3", "pe5->r5", "r0->l2", "r1->r0",
                                             "r2->r0", "r3->r1", "r5->r2"}));
}

}  // namespace
}  // namespace metronome::sim
