// Component testbenches of the network core (sim/noc.hpp): sources inject at L2 or at PEs, sinks
// take what arrives, and the tests check what the configuration promises (sim/DESIGN.md,
// "Network-on-chip"): bandwidth and latency, round-robin fairness, multicast copies per tree
// edge, exact reduction sums, back-pressure without loss. Expected numbers are worked out by
// hand in the comments.

#include "sim/noc.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/noc_testbench.hpp"

namespace metronome::sim {
namespace {

using testbench::net_spec;
using testbench::run;

// Words per reported link, by name.
std::map<std::string, std::int64_t> link_words(const NocStats& s) {
  std::map<std::string, std::int64_t> out;
  for (const LinkStats& l : s.links)
    if (l.words > 0) out[l.name] = l.words;
  return out;
}

// ---------------------------------------------------------------------------------------------
// A link delivers at its bandwidth and latency.
//
// N words are injected at L2 in cycle 0 for one PE, k latency hops and L bandwidth-limited
// links away (all links b = num/den words per cycle, h cycles per hop). The words reach L2's
// router in cycle 1, where the first link's busy period starts: after its c-th cycle it may
// have sent floor(c x b) words, so word j leaves in cycle 1 + ceil((j + 1) / b) - 1. Each further
// link starts its busy period when word 0 arrives and needs ceil(1 / b) - 1 more cycles to
// gather a word's worth of bandwidth (store and forward; 0 for b >= 1); from then on it stays
// busy, the words arriving no faster than it sends them. The last node hands a word to the
// sink in the cycle it arrives and the sink sees it one cycle later:
//   seen(j) = 1 + ceil((j + 1) / b) + k*h + (L - 1) * (ceil(1 / b) - 1),
// and with unlimited bandwidth seen(j) = 2 + k*h. A link is busy (sends) in N distinct
// cycles when b <= 1, in ceil(N / b) when b > 1, in 1 when unlimited.

struct LinkCase {
  Topology topology;
  std::int64_t pes;
  std::int64_t dest;
  std::int64_t hops;                    // latency-paying hops from L2 to `dest`
  std::vector<std::string> path_links;  // reported links on the path
};

TEST(NocLinkTest, DeliversAtBandwidthAndLatency) {
  const std::vector<LinkCase> cases = {
      {Topology::Systolic, 5, 4, 5, {"l2->pe0", "pe0->pe1", "pe1->pe2", "pe2->pe3", "pe3->pe4"}},
      {Topology::Tree, 8, 5, 3, {"l2->r0", "r0->r2", "r2->r5", "r5->pe5"}},
      {Topology::Mesh, 16, 11, 4, {"l2->r8", "r8->r9", "r9->r10", "r10->r11", "r11->pe11"}},
      {Topology::Crossbar, 4, 2, 1, {"l2->xbar", "xbar->pe2"}},
      {Topology::Bus, 4, 2, 1, {"l2->bus"}},
  };
  struct Rate {
    std::int64_t num, den;  // 0/0: unlimited
    std::int64_t latency;
  };
  const std::vector<Rate> rates = {{1, 1, 1},  {2, 5, 2}, {5, 2, 3},
                                   {32, 1, 1}, {1, 1, 0}, {0, 0, 2}};
  constexpr std::int64_t kWords = 40;
  for (const LinkCase& c : cases) {
    for (const Rate& r : rates) {
      const bool unlimited = r.num == 0;
      const double b =
          unlimited ? kUnlimited : static_cast<double>(r.num) / static_cast<double>(r.den);
      SCOPED_TRACE(std::string(topology_name(c.topology)) + " b=" + std::to_string(b) +
                   " h=" + std::to_string(r.latency));
      NocConfig cfg;
      cfg.injection_queue_words = kWords;
      Network net(NocTopology::build(c.topology, c.pes), net_spec(c.topology, b, r.latency),
                  Direction::Distribution, cfg);
      const GroupId g = net.group({c.dest});
      std::vector<std::int64_t> seen;
      run(
          net,
          [&](std::int64_t t) {
            if (t == 0)
              for (std::int64_t j = 0; j < kWords; ++j) net.inject(kL2Endpoint, g, j);
            return false;
          },
          [&](std::int64_t t) {
            while (const Delivery* d = net.peek(c.dest)) {
              EXPECT_EQ(d->value, static_cast<std::int64_t>(seen.size()));
              seen.push_back(t);
              net.pop(c.dest);
            }
          },
          1000);
      ASSERT_EQ(seen.size(), static_cast<std::size_t>(kWords));
      auto ceil_div = [](std::int64_t a, std::int64_t d) { return (a + d - 1) / d; };
      const auto links = static_cast<std::int64_t>(c.path_links.size());
      for (std::int64_t j = 0; j < kWords; ++j) {
        const std::int64_t expected = unlimited ? 2 + c.hops * r.latency
                                                : 1 + ceil_div((j + 1) * r.den, r.num) +
                                                      c.hops * r.latency +
                                                      (links - 1) * (ceil_div(r.den, r.num) - 1);
        EXPECT_EQ(seen[static_cast<std::size_t>(j)], expected) << j;
      }
      const NocStats s = net.stats();
      const std::int64_t busy = unlimited        ? 1
                                : r.num <= r.den ? kWords
                                                 : ceil_div(kWords * r.den, r.num);
      for (const std::string& name : c.path_links) {
        const LinkStats* l = s.link(name);
        ASSERT_NE(l, nullptr) << name;
        EXPECT_EQ(l->words, kWords) << name;
        EXPECT_EQ(l->busy_cycles, busy) << name;
      }
      EXPECT_EQ(s.link_words, kWords * static_cast<std::int64_t>(c.path_links.size()));
      EXPECT_EQ(s.words_delivered, kWords);
      EXPECT_EQ(s.stall_cycles_no_credit, 0);  // the automatic buffers keep up
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Round-robin arbitration: sources that saturate one output share it equally.

// Every PE injects whenever it has room; tag = pe * 1'000'000 + sequence number.
void saturate(Topology topo, std::int64_t pes, double b, std::int64_t cycles,
              std::int64_t expected_total) {
  SCOPED_TRACE(std::string(topology_name(topo)) + " P=" + std::to_string(pes));
  Network net(NocTopology::build(topo, pes), net_spec(topo, b, 1, true, false),
              Direction::Reduction);
  std::vector<GroupId> groups;
  for (std::int64_t p = 0; p < pes; ++p) groups.push_back(net.group({p}));
  std::vector<std::int64_t> sent(static_cast<std::size_t>(pes), 0);
  std::vector<std::int64_t> got(static_cast<std::size_t>(pes), 0);
  std::vector<std::int64_t> order;
  run(
      net,
      [&](std::int64_t) {
        for (std::int64_t p = 0; p < pes; ++p)
          while (net.injection_space(p) > 0) {
            auto& n = sent[static_cast<std::size_t>(p)];
            net.inject(p, groups[static_cast<std::size_t>(p)], 1,
                       static_cast<std::uint64_t>(p * 1'000'000 + n++));
          }
        return true;
      },
      [&](std::int64_t) {
        while (const Delivery* d = net.peek(kL2Endpoint)) {
          const auto from = static_cast<std::int64_t>(d->tag / 1'000'000);
          EXPECT_EQ(d->tag % 1'000'000, static_cast<std::uint64_t>(got[from]));  // in order
          ++got[static_cast<std::size_t>(from)];
          order.push_back(from);
          net.pop(kL2Endpoint);
        }
      },
      cycles);
  std::int64_t total = 0;
  for (const std::int64_t n : got) total += n;
  EXPECT_EQ(total, expected_total);
  const auto [lo, hi] = std::minmax_element(got.begin(), got.end());
  EXPECT_LE(*hi - *lo, 1);
  // Strict rotation: the first P words come from P different PEs, then the order repeats.
  ASSERT_GE(order.size(), static_cast<std::size_t>(pes));
  EXPECT_EQ(std::set<std::int64_t>(order.begin(), order.begin() + pes).size(),
            static_cast<std::size_t>(pes));
  for (std::size_t i = static_cast<std::size_t>(pes); i < order.size(); ++i)
    ASSERT_EQ(order[i], order[i - static_cast<std::size_t>(pes)]) << i;
  const NocStats s = net.stats();
  EXPECT_GT(s.stall_cycles_output_blocked, 0);  // losers wait for the shared output
  EXPECT_GT(s.stall_cycles_no_credit, 0);       // and their buffers fill up
}

TEST(NocArbitrationTest, RoundRobinSharesAnOutputEqually) {
  // Tree of 2 PEs: pe0, pe1 -> r0 -> L2 (r0 -> l2 is L2's local port, no hop). Injected in
  // cycle 0, a word enters its PE's router in cycle 1, reaches r0 in cycle 2 (one hop), is
  // delivered through r0 -> l2 in cycle 2 and seen in cycle 3; from then on r0 -> l2 carries
  // one word per cycle. Cycles 0 .. 199: deliveries in cycles 2 .. 198 -> 197 words seen.
  saturate(Topology::Tree, 2, 1, 200, 197);
  // Bus of 4 PEs: taps add nothing, the medium (bus -> l2, one hop) carries 1 word per cycle:
  // first word enters pe's node in cycle 1, crosses the tap and is sent on the medium in cycle
  // 1, arrives in cycle 2, is seen in cycle 3 -> 197 words in 200 cycles, 4 ways fair.
  saturate(Topology::Bus, 4, 1, 200, 197);
  // Crossbar of 3 PEs at 2 words per cycle: the L2 port (one hop) takes 2 per cycle from 3
  // competing PE ports -> 2 x 197 words.
  saturate(Topology::Crossbar, 3, 2, 200, 394);
}

// ---------------------------------------------------------------------------------------------
// Multicast: one copy per tree edge; without it, one copy per destination from L2.

struct MulticastCase {
  Topology topology;
  std::int64_t pes;
  std::vector<std::int64_t> dests;
  std::map<std::string, std::int64_t> with;     // words per link, one word multicast
  std::map<std::string, std::int64_t> without;  // words per link, one copy per destination
};

TEST(NocMulticastTest, OneCopyPerTreeEdgeOrOnePerDestination) {
  const std::vector<MulticastCase> cases = {
      {Topology::Tree,
       8,
       {0, 1, 5},
       {{"l2->r0", 1},
        {"r0->r1", 1},
        {"r0->r2", 1},
        {"r1->r3", 1},
        {"r3->pe0", 1},
        {"r3->pe1", 1},
        {"r2->r5", 1},
        {"r5->pe5", 1}},
       {{"l2->r0", 3},
        {"r0->r1", 2},
        {"r0->r2", 1},
        {"r1->r3", 2},
        {"r3->pe0", 1},
        {"r3->pe1", 1},
        {"r2->r5", 1},
        {"r5->pe5", 1}}},
      {Topology::Mesh,
       16,
       {0, 5, 7, 15},
       {{"l2->r0", 1},
        {"r0->pe0", 1},
        {"l2->r4", 1},
        {"r4->r5", 1},
        {"r5->pe5", 1},
        {"r5->r6", 1},
        {"r6->r7", 1},
        {"r7->pe7", 1},
        {"l2->r12", 1},
        {"r12->r13", 1},
        {"r13->r14", 1},
        {"r14->r15", 1},
        {"r15->pe15", 1}},
       {{"l2->r0", 1},
        {"r0->pe0", 1},
        {"l2->r4", 2},
        {"r4->r5", 2},
        {"r5->pe5", 1},
        {"r5->r6", 1},
        {"r6->r7", 1},
        {"r7->pe7", 1},
        {"l2->r12", 1},
        {"r12->r13", 1},
        {"r13->r14", 1},
        {"r14->r15", 1},
        {"r15->pe15", 1}}},
      {Topology::Systolic,
       12,
       {1, 3, 6},  // 3 x 4: PEs 1, 3 in row 0, PE 6 in row 1
       {{"l2->pe0", 1},
        {"pe0->pe1", 1},
        {"pe1->pe2", 1},
        {"pe2->pe3", 1},
        {"l2->pe4", 1},
        {"pe4->pe5", 1},
        {"pe5->pe6", 1}},
       {{"l2->pe0", 2},
        {"pe0->pe1", 2},
        {"pe1->pe2", 1},
        {"pe2->pe3", 1},
        {"l2->pe4", 1},
        {"pe4->pe5", 1},
        {"pe5->pe6", 1}}},
      {Topology::Crossbar,
       8,
       {0, 1, 5},
       {{"l2->xbar", 1}, {"xbar->pe0", 1}, {"xbar->pe1", 1}, {"xbar->pe5", 1}},
       {{"l2->xbar", 3}, {"xbar->pe0", 1}, {"xbar->pe1", 1}, {"xbar->pe5", 1}}},
      {Topology::Bus, 8, {0, 1, 5}, {{"l2->bus", 1}}, {{"l2->bus", 3}}},
  };
  constexpr std::int64_t kBurst = 5;  // words sent to the group, one after the other
  for (const MulticastCase& c : cases) {
    for (const bool multicast : {true, false}) {
      SCOPED_TRACE(std::string(topology_name(c.topology)) +
                   (multicast ? " multicast" : " unicast"));
      Network net(NocTopology::build(c.topology, c.pes), net_spec(c.topology, 1, 1, multicast),
                  Direction::Distribution);
      const GroupId g = net.group(c.dests);
      std::vector<std::vector<std::int64_t>> got(static_cast<std::size_t>(c.pes));
      std::int64_t next = 0;
      run(
          net,
          [&](std::int64_t) {
            while (next < kBurst && net.injection_space(kL2Endpoint) > 0)
              net.inject(kL2Endpoint, g, 100 + next++);
            return next < kBurst;
          },
          [&](std::int64_t) {
            for (std::int64_t p = 0; p < c.pes; ++p)
              while (const Delivery* d = net.peek(p)) {
                got[static_cast<std::size_t>(p)].push_back(d->value);
                net.pop(p);
              }
          },
          1000);
      for (std::int64_t p = 0; p < c.pes; ++p) {
        const bool dest = std::find(c.dests.begin(), c.dests.end(), p) != c.dests.end();
        const std::vector<std::int64_t> expected =
            dest ? std::vector<std::int64_t>{100, 101, 102, 103, 104} : std::vector<std::int64_t>{};
        EXPECT_EQ(got[static_cast<std::size_t>(p)], expected) << "pe" << p;
      }
      auto expected = multicast ? c.with : c.without;
      std::int64_t total = 0, from_l2 = 0;
      for (auto& [name, words] : expected) {
        words *= kBurst;
        total += words;
        if (name.rfind("l2->", 0) == 0) from_l2 += words;
      }
      const NocStats s = net.stats();
      EXPECT_EQ(link_words(s), expected);
      EXPECT_EQ(s.link_words, total);
      EXPECT_EQ(s.l2_link_words, from_l2);
      EXPECT_EQ(s.words_injected, kBurst);
      EXPECT_EQ(s.words_delivered, kBurst * static_cast<std::int64_t>(c.dests.size()));
    }
  }
  // The busiest link is named: without multicast the tree's root port carries every copy.
  Network net(NocTopology::build(Topology::Tree, 8), net_spec(Topology::Tree, 1, 1, false),
              Direction::Distribution);
  const GroupId g = net.group({0, 1, 5});
  run(
      net,
      [&](std::int64_t t) {
        if (t == 0) net.inject(kL2Endpoint, g, 7);
        return false;
      },
      [&](std::int64_t) {
        for (std::int64_t p : {0, 1, 5})
          while (net.peek(p)) net.pop(p);
      },
      100);
  const auto busiest = net.stats().busiest_links(2);
  ASSERT_EQ(busiest.size(), 2u);
  EXPECT_EQ(busiest[0].name, "l2->r0");
  EXPECT_EQ(busiest[0].words, 3);
  EXPECT_EQ(busiest[1].name, "r0->r1");
  EXPECT_EQ(busiest[1].words, 2);
}

}  // namespace
}  // namespace metronome::sim
