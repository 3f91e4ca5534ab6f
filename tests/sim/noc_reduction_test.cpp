// Component testbenches of the network core (sim/noc.hpp), continued: exact reduction sums (in
// the network and at L2), back-pressure from a slow sink, and every topology and PE count
// carrying traffic to and from every PE.

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "sim/noc.hpp"
#include "tests/sim/noc_testbench.hpp"

namespace metronome::sim {
namespace {

using testbench::net_spec;
using testbench::run;

std::int64_t reported(const NocTopology& t, const std::vector<std::size_t>& edges) {
  std::int64_t n = 0;
  for (const std::size_t e : edges) n += t.edge(e).kind == EdgeKind::Link ? 1 : 0;
  return n;
}

constexpr std::array<Topology, 5> kTopologies = {Topology::Bus, Topology::Crossbar, Topology::Tree,
                                                 Topology::Mesh, Topology::Systolic};

// ---------------------------------------------------------------------------------------------

TEST(NocReductionTest, SumsAreExactInTheNetworkAndAtL2) {
  constexpr std::int64_t kOutputs = 30;
  for (const Topology topo : kTopologies) {
    for (const std::int64_t pes : {16, 12}) {
      for (const bool in_network : {true, false}) {
        SCOPED_TRACE(std::string(topology_name(topo)) + " P=" + std::to_string(pes) +
                     (in_network ? " in-network" : " at L2"));
        Network net(NocTopology::build(topo, pes), net_spec(topo, 2, 1, true, in_network),
                    Direction::Reduction);
        std::mt19937 rng(static_cast<unsigned>(pes * 31 + 7));
        std::uniform_int_distribution<std::int64_t> value(-1000, 1000);
        std::vector<std::vector<std::int64_t>> contributors(kOutputs);
        std::vector<std::int64_t> reference(kOutputs, 0);
        std::vector<GroupId> groups;
        // Per PE, its partial sums in output order: (output, value).
        std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> work(
            static_cast<std::size_t>(pes));
        std::int64_t additions = 0, tree_words = 0, route_words = 0;
        for (std::int64_t o = 0; o < kOutputs; ++o) {
          auto& c = contributors[static_cast<std::size_t>(o)];
          for (std::int64_t p = 0; p < pes; ++p)
            if (rng() % 2 == 0 || (p == pes - 1 && c.empty())) c.push_back(p);
          groups.push_back(net.group(c));
          additions += static_cast<std::int64_t>(c.size()) - 1;
          tree_words += reported(net.topology(), net.topology().reduction_tree(c));
          for (const std::int64_t p : c) {
            const std::int64_t v = value(rng);
            reference[static_cast<std::size_t>(o)] += v;
            work[static_cast<std::size_t>(p)].push_back({o, v});
            route_words += reported(net.topology(), net.topology().route_to_l2(p));
          }
        }
        std::vector<std::size_t> next(static_cast<std::size_t>(pes), 0);
        std::vector<std::int64_t> sum(kOutputs, 0), words(kOutputs, 0), contributions(kOutputs, 0);
        run(
            net,
            [&](std::int64_t) {
              bool more = false;
              for (std::int64_t p = 0; p < pes; ++p) {
                const auto& w = work[static_cast<std::size_t>(p)];
                auto& i = next[static_cast<std::size_t>(p)];
                while (i < w.size() && net.injection_space(p) > 0) {
                  const auto [o, v] = w[i++];
                  net.inject(p, groups[static_cast<std::size_t>(o)], v,
                             static_cast<std::uint64_t>(o));
                }
                more = more || i < w.size();
              }
              return more;
            },
            [&](std::int64_t) {
              while (const Delivery* d = net.peek(kL2Endpoint)) {
                const auto o = static_cast<std::size_t>(d->tag);
                sum[o] += d->value;
                ++words[o];
                contributions[o] += d->contributions;
                net.pop(kL2Endpoint);
              }
            },
            100000);
        ASSERT_TRUE(net.idle());
        for (std::size_t o = 0; o < kOutputs; ++o) {
          const auto n = static_cast<std::int64_t>(contributors[o].size());
          EXPECT_EQ(sum[o], reference[o]) << "output " << o;
          EXPECT_EQ(contributions[o], n) << "output " << o;
          EXPECT_EQ(words[o], in_network ? 1 : n) << "output " << o;
        }
        const NocStats s = net.stats();
        EXPECT_EQ(s.partial_sums_added, in_network ? additions : 0);
        // In the network every reduction-tree link carries one word per output; at L2 every
        // partial sum travels its whole route.
        EXPECT_EQ(s.link_words, in_network ? tree_words : route_words);
      }
    }
  }
}

TEST(NocReductionTest, RouterWaitsForEveryContribution) {
  // Tree of 4: pe0, pe1 -> r1; pe2, pe3 -> r2; r1, r2 -> r0 -> L2. PE 3 is late (cycle 50):
  // nothing reaches L2 before, then exactly one word, and every link carried one word.
  Network net(NocTopology::build(Topology::Tree, 4), net_spec(Topology::Tree, 1, 1),
              Direction::Reduction);
  const GroupId g = net.group({0, 1, 2, 3});
  std::vector<std::pair<std::int64_t, Delivery>> got;
  run(
      net,
      [&](std::int64_t t) {
        if (t == 0)
          for (std::int64_t p : {0, 1, 2}) net.inject(p, g, 10 * (p + 1), 42);
        if (t == 50) net.inject(3, g, 40, 42);
        return t < 50;
      },
      [&](std::int64_t t) {
        while (const Delivery* d = net.peek(kL2Endpoint)) {
          got.push_back({t, *d});
          net.pop(kL2Endpoint);
        }
      },
      200);
  ASSERT_EQ(got.size(), 1u);
  // Injected in 50, in pe3's node in 51, r2 in 52 (adds pe2's sum), r0 in 53 (adds r1's), out
  // through L2's port in 53, seen in 54.
  EXPECT_EQ(got[0].first, 54);
  EXPECT_EQ(got[0].second.value, 100);
  EXPECT_EQ(got[0].second.contributions, 4u);
  EXPECT_EQ(got[0].second.tag, 42u);
  const NocStats s = net.stats();
  EXPECT_EQ(s.link_words, 7);  // 4 PE links, r1->r0, r2->r0, r0->l2
  EXPECT_EQ(s.partial_sums_added, 3);
  EXPECT_EQ(s.max_open_reductions, 1);
}

// ---------------------------------------------------------------------------------------------

TEST(NocBackPressureTest, SlowSinkStopsTheSenderWithoutLosingAWord) {
  // Tree of 4, PE 3 two hops from L2 (l2 -> r0 is a local port): the first word is visible to
  // the sink in cycle 2 + 2 = 4. The sink takes one word in cycles divisible by 3, so from
  // cycle 6 on, and back-pressure keeps a word waiting for it every time: word j in 6 + 3j.
  NocConfig cfg;
  cfg.input_buffer_words = 2;
  cfg.injection_queue_words = 2;
  cfg.ejection_queue_words = 2;
  Network net(NocTopology::build(Topology::Tree, 4), net_spec(Topology::Tree, 1, 1),
              Direction::Distribution, cfg);
  const GroupId g = net.group({3});
  constexpr std::int64_t kWords = 60;
  std::int64_t next = 0, blocked = 0, in_flight = 0, max_in_flight = 0;
  std::vector<std::int64_t> values, cycles, injected_at;
  run(
      net,
      [&](std::int64_t t) {
        if (next < kWords && net.injection_space(kL2Endpoint) == 0) ++blocked;
        while (next < kWords && net.injection_space(kL2Endpoint) > 0) {
          net.inject(kL2Endpoint, g, next++);
          injected_at.push_back(t);
          max_in_flight = std::max(max_in_flight, ++in_flight);
        }
        return next < kWords;
      },
      [&](std::int64_t t) {
        if (t % 3 != 0) return;
        if (const Delivery* d = net.peek(3)) {
          values.push_back(d->value);
          cycles.push_back(t);
          net.pop(3);
          --in_flight;
        }
      },
      1000);
  ASSERT_EQ(values.size(), static_cast<std::size_t>(kWords));
  for (std::int64_t j = 0; j < kWords; ++j) {
    EXPECT_EQ(values[static_cast<std::size_t>(j)], j);
    EXPECT_EQ(cycles[static_cast<std::size_t>(j)], 6 + 3 * j);
  }
  EXPECT_TRUE(net.idle());
  // Words inside never exceed what the buffers hold: injection queue, three link buffers and
  // the ejection queue, 2 words each.
  EXPECT_LE(max_in_flight, 10);
  // Once the path is full the source may only inject when the sink frees a slot: every third
  // cycle, and it is refused in the two cycles between.
  for (std::size_t j = 30; j < injected_at.size(); ++j)
    EXPECT_EQ(injected_at[j] - injected_at[j - 1], 3) << j;
  EXPECT_GE(blocked, 2 * (kWords - 30));
  const NocStats s = net.stats();
  EXPECT_EQ(s.words_injected, kWords);
  EXPECT_EQ(s.words_delivered, kWords);
  EXPECT_GT(s.stall_cycles_sink_full, 0);
  EXPECT_GT(s.stall_cycles_no_credit, 0);
  EXPECT_GT(s.link("r2->pe3")->stall_cycles_no_credit, 0);
}

TEST(NocBackPressureTest, SlowL2KeepsEveryPartialSumInOrder) {
  // Reduction at L2 on a 2 x 2 systolic array; L2 takes one word every third cycle.
  NocConfig cfg;
  cfg.input_buffer_words = 2;
  cfg.injection_queue_words = 2;
  cfg.ejection_queue_words = 2;
  Network net(NocTopology::build(Topology::Systolic, 4),
              net_spec(Topology::Systolic, 1, 1, true, false), Direction::Reduction, cfg);
  constexpr std::int64_t kEach = 15;
  std::vector<std::int64_t> next(4, 0), got(4, 0);
  run(
      net,
      [&](std::int64_t) {
        for (std::int64_t p = 0; p < 4; ++p)
          for (; next[p] < kEach && net.injection_space(p) > 0; ++next[p])
            net.inject(p, net.group({p}), next[p], static_cast<std::uint64_t>(p * 100 + next[p]));
        return next[0] + next[1] + next[2] + next[3] < 4 * kEach;
      },
      [&](std::int64_t t) {
        if (t % 3 != 0) return;
        if (const Delivery* d = net.peek(kL2Endpoint)) {
          const auto p = static_cast<std::size_t>(d->tag / 100);
          EXPECT_EQ(d->value, got[p]);  // each PE's words in order
          ++got[p];
          net.pop(kL2Endpoint);
        }
      },
      1000);
  EXPECT_EQ(got, (std::vector<std::int64_t>{kEach, kEach, kEach, kEach}));
  EXPECT_TRUE(net.idle());
}

// ---------------------------------------------------------------------------------------------

TEST(NocTopologyNetworkTest, EveryTopologyReachesEveryPeBothWays) {
  for (const Topology topo : kTopologies) {
    for (const std::int64_t pes : {1, 4, 16, 64, 256, 8, 12}) {
      for (const bool fat : {false, true}) {
        if (fat && topo != Topology::Tree) continue;
        SCOPED_TRACE(std::string(topology_name(topo)) + " P=" + std::to_string(pes) +
                     (fat ? " fat" : ""));
        const NocTopology t = NocTopology::build(topo, pes, fat);
        std::vector<std::int64_t> all(static_cast<std::size_t>(pes));
        for (std::int64_t p = 0; p < pes; ++p) all[static_cast<std::size_t>(p)] = p;

        // One multicast word to every PE: each PE gets it once, each tree link carries it once.
        Network down(t, net_spec(topo, 4, 1), Direction::Distribution);
        const GroupId everyone = down.group(all);
        std::vector<std::int64_t> got(static_cast<std::size_t>(pes), 0);
        run(
            down,
            [&](std::int64_t c) {
              if (c == 0) down.inject(kL2Endpoint, everyone, 5);
              return false;
            },
            [&](std::int64_t) {
              for (std::int64_t p = 0; p < pes; ++p)
                while (const Delivery* d = down.peek(p)) {
                  got[static_cast<std::size_t>(p)] += d->value;
                  down.pop(p);
                }
            },
            10000);
        EXPECT_EQ(got, std::vector<std::int64_t>(static_cast<std::size_t>(pes), 5));
        EXPECT_EQ(down.stats().link_words, reported(t, t.multicast_tree(all)));

        // Every PE contributes p + 1 to one output: L2 gets one word, P (P + 1) / 2.
        Network up(t, net_spec(topo, 4, 1), Direction::Reduction);
        const GroupId contributors = up.group(all);
        std::vector<Delivery> sums;
        run(
            up,
            [&](std::int64_t c) {
              if (c == 0)
                for (std::int64_t p = 0; p < pes; ++p) up.inject(p, contributors, p + 1, 9);
              return false;
            },
            [&](std::int64_t) {
              while (const Delivery* d = up.peek(kL2Endpoint)) {
                sums.push_back(*d);
                up.pop(kL2Endpoint);
              }
            },
            10000);
        ASSERT_EQ(sums.size(), 1u);
        EXPECT_EQ(sums[0].value, pes * (pes + 1) / 2);
        EXPECT_EQ(sums[0].contributions, static_cast<std::uint32_t>(pes));
        EXPECT_EQ(up.stats().link_words, reported(t, t.reduction_tree(all)));
      }
    }
  }
}

}  // namespace
}  // namespace metronome::sim
