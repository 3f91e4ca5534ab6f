// Express distribution (sim/noc.hpp, Network::enable_express; sim/DESIGN.md "Express
// distribution"): where no word can wait, the network delivers words directly at the cycles the
// word-by-word network would. Checked by running both side by side on random multicast traffic:
// the same deliveries in the same cycles and order, the same room for the source, the same
// stats. And express must refuse every network in which a word could wait.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "sim/noc.hpp"
#include "tests/sim/noc_testbench.hpp"

namespace metronome::sim {
namespace {

using testbench::net_spec;

struct ExpressCase {
  Topology topology;
  std::int64_t pes;
  double words_per_cycle;  // every link (kUnlimited allowed)
  std::int64_t hop_latency;
  bool fat;
  std::int64_t per_cycle;  // most words injected per cycle (the promise)
};

std::string describe(const ExpressCase& c) {
  return std::string(topology_name(c.topology)) + " P=" + std::to_string(c.pes) +
         " rate=" + std::to_string(c.words_per_cycle) + " hop=" + std::to_string(c.hop_latency) +
         (c.fat ? " fat" : "") + " R=" + std::to_string(c.per_cycle);
}

using Seen = std::tuple<std::int64_t, std::int64_t, std::uint64_t, GroupId, std::int64_t,
                        std::int64_t, std::int64_t>;  // (cycle, pe, tag, group, value, injected,
                                                      // delivered)

// Random multicast traffic, `per_cycle` words per cycle at most, into two networks built alike,
// one express: everything either exposes must agree cycle by cycle.
void compare_with_word_by_word(const ExpressCase& c, std::uint32_t seed) {
  SCOPED_TRACE(describe(c) + " seed " + std::to_string(seed));
  NetworkSpec s = net_spec(c.topology, c.words_per_cycle, c.hop_latency);
  s.fat = c.fat;
  Network plain(NocTopology::build(s.topology, c.pes, s.fat), s, Direction::Distribution);
  Network express(NocTopology::build(s.topology, c.pes, s.fat), s, Direction::Distribution);
  ASSERT_TRUE(express.enable_express(c.per_cycle));
  ASSERT_FALSE(plain.express());

  std::mt19937 rng(seed);
  std::vector<std::int64_t> outstanding;  // deliveries still due per group id
  std::vector<GroupId> live;
  const std::int64_t cycles = 400;
  std::uint64_t tag = 0;
  std::int64_t injected = 0;
  for (std::int64_t t = 0; t < cycles + 200; ++t) {
    // Sources: a burst or a pause, then up to per_cycle words, each for a random group (often
    // one used before, sometimes everyone, sometimes one PE).
    ASSERT_EQ(plain.injection_space(kL2Endpoint), express.injection_space(kL2Endpoint));
    if (t < cycles) {
      const std::int64_t want =
          static_cast<std::int64_t>(rng() % 4) == 0
              ? 0
              : static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(c.per_cycle + 1));
      for (std::int64_t k = 0; k < want && plain.injection_space(kL2Endpoint) > 0; ++k) {
        std::vector<std::int64_t> members;
        const std::uint32_t kind = rng() % 8;
        if (kind == 0) {
          for (std::int64_t p = 0; p < c.pes; ++p) members.push_back(p);
        } else if (kind == 1 || live.empty()) {
          members.push_back(static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(c.pes)));
        } else if (kind < 5) {
          const GroupId g = live[rng() % live.size()];
          for (std::int64_t p : plain.group_pes(g)) members.push_back(p);
        } else {
          for (std::int64_t p = 0; p < c.pes; ++p)
            if (rng() % 3 == 0) members.push_back(p);
          if (members.empty()) members.push_back(c.pes - 1);
        }
        const GroupId g = plain.group(members);
        ASSERT_EQ(g, express.group(members));
        if (g >= outstanding.size()) outstanding.resize(g + 1, 0);
        if (outstanding[g] == 0) live.push_back(g);
        outstanding[g] += static_cast<std::int64_t>(plain.group_pes(g).size());
        const auto value = static_cast<std::int64_t>(rng() % 1000) - 500;
        plain.inject(kL2Endpoint, g, value, ++tag);
        express.inject(kL2Endpoint, g, value, tag);
        ++injected;
      }
    }
    plain.evaluate(t);
    express.evaluate(t);
    // Sinks take everything, as the controller does; groups whose words all arrived are
    // released (their ids come back for other PE sets: the express cache must notice).
    for (std::int64_t p = 0; p < c.pes; ++p) {
      std::vector<Seen> a, b;
      while (const Delivery* d = plain.peek(p)) {
        a.emplace_back(t, p, d->tag, d->group, d->value, d->injected_cycle, d->delivered_cycle);
        plain.pop(p);
      }
      while (const Delivery* d = express.peek(p)) {
        b.emplace_back(t, p, d->tag, d->group, d->value, d->injected_cycle, d->delivered_cycle);
        express.pop(p);
      }
      ASSERT_EQ(a, b) << "PE " << p << " cycle " << t;
      for (const Seen& seen : a) {
        const GroupId g = std::get<3>(seen);
        if (--outstanding[g] == 0) {
          plain.release_group(g);
          express.release_group(g);
          std::erase(live, g);
        }
      }
    }
    plain.commit();
    express.commit();
    ASSERT_EQ(plain.idle(), express.idle()) << "cycle " << t;
    std::vector<std::uint32_t> pa(plain.pe_ports_changed().begin(), plain.pe_ports_changed().end());
    std::vector<std::uint32_t> pb(express.pe_ports_changed().begin(),
                                  express.pe_ports_changed().end());
    std::sort(pa.begin(), pa.end());
    pa.erase(std::unique(pa.begin(), pa.end()), pa.end());
    std::sort(pb.begin(), pb.end());
    pb.erase(std::unique(pb.begin(), pb.end()), pb.end());
    ASSERT_EQ(pa, pb) << "cycle " << t;
  }
  ASSERT_TRUE(plain.idle());
  EXPECT_GT(injected, 100);

  const NocStats a = plain.stats(), b = express.stats();
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.words_injected, b.words_injected);
  EXPECT_EQ(a.words_delivered, b.words_delivered);
  EXPECT_EQ(a.link_words, b.link_words);
  EXPECT_EQ(a.l2_link_words, b.l2_link_words);
  EXPECT_EQ(a.stall_cycles_output_blocked, b.stall_cycles_output_blocked);
  EXPECT_EQ(a.stall_cycles_no_credit, b.stall_cycles_no_credit);
  EXPECT_EQ(a.stall_cycles_sink_full, b.stall_cycles_sink_full);
  ASSERT_EQ(a.links.size(), b.links.size());
  for (std::size_t l = 0; l < a.links.size(); ++l) {
    EXPECT_EQ(a.links[l].name, b.links[l].name);
    EXPECT_EQ(a.links[l].words, b.links[l].words) << a.links[l].name;
    EXPECT_EQ(a.links[l].busy_cycles, b.links[l].busy_cycles) << a.links[l].name;
  }
}

TEST(NocExpress, DeliversWhatTheWordByWordNetworkDelivers) {
  const std::vector<ExpressCase> cases = {
      {Topology::Tree, 64, 8, 1, false, 8},      // every link exactly at the promise
      {Topology::Tree, 37, 32, 1, false, 16},    // uneven tree
      {Topology::Tree, 16, 4, 3, false, 4},      // long hops
      {Topology::Tree, 16, 3, 0, false, 3},      // zero-latency hops: one cycle end to end
      {Topology::Tree, 32, 2, 1, true, 2},       // fat tree
      {Topology::Tree, 1, 4, 2, false, 4},       // a single PE
      {Topology::Crossbar, 24, 6, 1, false, 6},  //
      {Topology::Crossbar, 16, kUnlimited, 0, false, kUnbounded},  // ideal-like
      {Topology::Bus, 20, 5, 2, false, 5},                         //
      {Topology::Tree, 64, 2.5, 1, false, 2},  // fractional rate above the promise
  };
  for (const ExpressCase& c : cases)
    for (std::uint32_t seed = 1; seed <= 3; ++seed) {
      ExpressCase bounded = c;
      // kUnbounded as a promise: inject up to 40 words per cycle.
      if (bounded.per_cycle == kUnbounded) {
        const NetworkSpec s = net_spec(c.topology, c.words_per_cycle, c.hop_latency);
        Network probe(NocTopology::build(s.topology, c.pes, false), s, Direction::Distribution);
        ASSERT_TRUE(probe.enable_express(kUnbounded));
        bounded.per_cycle = 40;
      }
      compare_with_word_by_word(bounded, seed);
      if (HasFatalFailure()) return;
    }
}

TEST(NocExpress, RefusesNetworksInWhichAWordCouldWait) {
  const auto build = [](NetworkSpec s, std::int64_t pes, NocConfig config = {}) {
    return Network(NocTopology::build(s.topology, pes, s.fat), s, Direction::Distribution, config);
  };
  {
    Network n = build(net_spec(Topology::Tree, 8, 1), 64);
    EXPECT_TRUE(n.enable_express(8));
    Network m = build(net_spec(Topology::Tree, 8, 1), 64);
    EXPECT_FALSE(m.enable_express(9)) << "a link slower than the injection";
    EXPECT_FALSE(m.express());
    EXPECT_FALSE(m.enable_express(kUnbounded)) << "unbounded injection over finite links";
    EXPECT_FALSE(m.enable_express(0));
  }
  {
    Network n = build(net_spec(Topology::Tree, 8, 1, /*multicast=*/false), 16);
    EXPECT_FALSE(n.enable_express(1)) << "no multicast: one copy per destination on L2's link";
  }
  {
    Network n = build(net_spec(Topology::Mesh, 8, 1), 16);
    EXPECT_FALSE(n.enable_express(1)) << "L2 with a queue per row link";
  }
  {
    Network n = build(net_spec(Topology::Systolic, 1, 1), 16);
    EXPECT_FALSE(n.enable_express(1));
  }
  {
    // Credits: a link of latency 1 needs room for 2 cycles of words.
    NocConfig small;
    small.input_buffer_words = 15;
    Network n = build(net_spec(Topology::Tree, 8, 1), 16, small);
    EXPECT_FALSE(n.enable_express(8));
    small.input_buffer_words = 16;
    Network m = build(net_spec(Topology::Tree, 8, 1), 16, small);
    EXPECT_TRUE(m.enable_express(8));
  }
  {
    // The queues at either end hold two cycles' worth.
    NocConfig q;
    q.injection_queue_words = 15;
    Network n = build(net_spec(Topology::Tree, 8, 1), 16, q);
    EXPECT_FALSE(n.enable_express(8));
    NocConfig e;
    e.ejection_queue_words = 15;
    Network m = build(net_spec(Topology::Tree, 8, 1), 16, e);
    EXPECT_FALSE(m.enable_express(8));
  }
  {
    const NetworkSpec s = net_spec(Topology::Tree, 1, 1);
    Network r(NocTopology::build(s.topology, 8, false), s, Direction::Reduction);
    EXPECT_FALSE(r.enable_express(1)) << "reduction";
  }
}

TEST(NocExpress, MoreWordsThanPromisedIsAnError) {
  const NetworkSpec s = net_spec(Topology::Tree, 4, 1);
  Network n(NocTopology::build(s.topology, 8, false), s, Direction::Distribution);
  ASSERT_TRUE(n.enable_express(2));
  const GroupId g = n.group({1, 2});
  for (int k = 0; k < 3; ++k) n.inject(kL2Endpoint, g, k, static_cast<std::uint64_t>(k));
  n.evaluate(0);
  n.commit();
  EXPECT_THROW(n.evaluate(1), std::logic_error);
}

}  // namespace
}  // namespace metronome::sim
