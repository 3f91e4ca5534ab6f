#pragma once
// Cycle-level network-on-chip core (sim/DESIGN.md, "Network-on-chip"). One Network is one
// direction of the NoC: distribution (L2 -> PEs; words go to a multicast group of PEs) or
// reduction (PEs -> L2; partial sums for one output from a group of contributing PEs, added
// in the network when `in_network`). It is built from a NocTopology and the NetworkSpec of
// spec/hardware.hpp and follows the two-phase interface: evaluate(cycle), then commit().
//
// Typical cycle of a testbench or the engine, in any order within the cycle:
//   sources: if (net.injection_space(at) > 0) net.inject(at, group, value, tag);
//   net.evaluate(cycle);
//   sinks:   while (const Delivery* d = net.peek(at)) { use(*d); net.pop(at); }
//   net.commit();

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "sim/noc_groups.hpp"
#include "sim/noc_link.hpp"
#include "sim/noc_ports.hpp"
#include "sim/noc_router.hpp"
#include "spec/hardware.hpp"
#include "spec/noc_topology.hpp"

namespace metronome::sim {

inline constexpr std::int64_t kL2Endpoint = -1;  // endpoint number of L2; PEs are 0 .. P-1

// Simulator-side sizes the hardware description does not fix (words; 0 = automatic,
// auto_buffer_words(): of each input's link for input buffers, of the network's widest link
// for the injection and ejection queues).
struct NocConfig {
  std::int64_t input_buffer_words = 0;     // every router input buffer (per incoming link)
  std::int64_t injection_queue_words = 0;  // per source endpoint
  std::int64_t ejection_queue_words = 0;   // per sink endpoint
};

struct NocStats {
  std::int64_t cycles = 0;               // evaluate() calls
  std::int64_t words_injected = 0;       // words sources injected (one per inject() call)
  std::int64_t words_delivered = 0;      // words handed to sinks (each multicast copy counts)
  std::int64_t link_words = 0;           // words over reported links, summed (word-hops)
  std::int64_t l2_link_words = 0;        // words over the links leaving (distribution) or
                                         // entering (reduction) L2
  std::int64_t partial_sums_added = 0;   // additions done inside the network
  std::int64_t max_open_reductions = 0;  // most partial sums one router held at once
  // Stall cycles, summed over links (taps included): a cycle counts once per link that had a
  // word waiting for it.
  std::int64_t stall_cycles_output_blocked = 0;  // bandwidth used up or arbitration lost
  std::int64_t stall_cycles_no_credit = 0;       // buffer downstream full (back-pressure)
  std::int64_t stall_cycles_sink_full = 0;       // Σ over sinks: the sink's queue was full
  std::vector<LinkStats> links;  // reported links in topology edge order (taps excluded)

  const LinkStats* link(std::string_view name) const;         // nullptr if no such link
  std::vector<LinkStats> busiest_links(std::size_t n) const;  // most words first, then by name
  double mean_link_utilization() const;  // over finite-bandwidth links, `cycles` long
  double max_link_utilization() const;
};

class Network {
 public:
  Network(NocTopology topology, const NetworkSpec& spec, Direction direction,
          NocConfig config = {});

  const NocTopology& topology() const { return topology_; }
  Direction direction() const { return direction_; }
  const NetworkSpec& spec() const { return spec_; }

  // Registers a group of PEs (distribution: multicast destinations; reduction: the PEs that
  // contribute to one output) and returns its id; the same set always gives the same id.
  GroupId group(std::span<const std::int64_t> pes);
  GroupId group(std::initializer_list<std::int64_t> pes) {
    return group(std::span(pes.begin(), pes.size()));
  }
  std::span<const std::int64_t> group_pes(GroupId g) const { return groups_.pes(g); }
  // The caller will not inject for `g` again and no word of it is in the network: its id and
  // memory may be reused (GroupTable::release).
  void release_group(GroupId g) { groups_.release(g); }

  // Source side. Distribution injects at kL2Endpoint one word for `group`. Reduction injects
  // at PE `at` (a member of `group`) a partial sum for output `tag`; the group's members each
  // send one partial sum per tag, and a tag is not reused while its sums are in flight.
  // inject() needs injection_space(at) > 0 (as of the last commit); the word reaches the
  // network in the next cycle.
  std::int64_t injection_space(std::int64_t at) const;
  // Room for a word of `group` (distribution from an L2 with a queue per link: the room left in
  // the queues of the links the word takes; otherwise injection_space(at)).
  std::int64_t injection_space(std::int64_t at, GroupId group);
  void inject(std::int64_t at, GroupId group, std::int64_t value, std::uint64_t tag = 0);

  // Sink side (PEs for distribution, kL2Endpoint for reduction): words the network delivered
  // up to the previous cycle, oldest first. pop() frees the slot from the next cycle on.
  // (Inline: asked for every PE the controller visits, every cycle.)
  const Delivery* peek(std::int64_t at) const { return ejects_[eject_index(at)].peek(); }
  void pop(std::int64_t at);

  void evaluate(std::int64_t cycle);
  void commit();

  // Express distribution (sim/DESIGN.md, "Express distribution"). If no word can ever wait in
  // this network -- distribution with multicast and one L2 queue; every link sends at least
  // `max_injected_per_cycle` words in every cycle and has credits for that many per cycle of its
  // latency plus one; the injection and ejection queues hold twice that -- then every word
  // reaches each node on its tree `offset(node)` cycles after it leaves L2 (the sum of the
  // latencies on the way), and the network delivers it to its PEs at those cycles directly,
  // counting each link of its tree as crossed, instead of moving it router by router. The
  // caller promises to inject at most `max_injected_per_cycle` words in any cycle
  // (kUnbounded: every link must be unlimited). Returns whether express is on; the records are
  // those of the word-by-word network (tested). Call while idle().
  bool enable_express(std::int64_t max_injected_per_cycle);
  bool express() const { return express_; }
  // With express on: the cycles from a word leaving L2 to its delivery at PE `pe`.
  std::int64_t express_offset(std::int64_t pe) const {
    return pe_offset_[static_cast<std::size_t>(pe)];
  }

  // The PEs whose port changed at the last commit (distribution: words delivered to or taken
  // from its ejection queue; reduction: words put into or taken from its injection queue), in
  // no particular order, repeats possible. A PE not listed has nothing new to read and the same
  // injection space as before, which lets a caller skip it.
  std::span<const std::uint32_t> pe_ports_changed() const { return pe_ports_changed_; }

  // The injection queues at L2 a word for `group` enters (distribution: its links out of L2, or
  // {0} where L2 has one queue). Valid until the next call of this, injection_space(at, group) or
  // inject (they share the storage).
  const std::vector<std::uint32_t>& l2_queues_for(GroupId group);

  // No word anywhere: injection queues, links, routers, partial sums, ejection queues.
  bool idle() const {
    return words_staged_ == 0 && ctx_.words_held == 0 && ctx_.open_reductions == 0;
  }
  NocStats stats() const;
  // Cheap per-cycle views for observers (sim/trace.hpp); stats() builds every LinkStats.
  std::span<const Link> links() const { return links_; }  // reported() ones are stats().links
  std::int64_t words_delivered() const { return ctx_.words_delivered; }
  std::int64_t words_held() const { return ctx_.words_held; }

 private:
  std::size_t inject_index(std::int64_t at) const;
  const std::vector<std::uint32_t>& l2_queues_of(GroupId group);
  std::size_t eject_index(std::int64_t at) const {
    if (direction_ == Direction::Distribution && at >= 0 && at < topology_.pe_count())
      return static_cast<std::size_t>(at);
    return eject_index_checked(at);
  }
  std::size_t eject_index_checked(std::int64_t at) const;
  void evaluate_express(std::int64_t cycle);
  const std::vector<std::uint32_t>& express_links(GroupId group);

  NocTopology topology_;
  NetworkSpec spec_;
  Direction direction_;
  std::vector<Link> links_;
  std::vector<std::uint32_t> link_edge_;    // topology edge of each link
  std::vector<std::uint32_t> link_target_;  // node each link leads to
  std::vector<std::uint32_t> link_source_;  // node each link leaves
  std::vector<InjectPort> injects_;
  std::vector<EjectPort> ejects_;
  std::vector<Router> routers_;  // in evaluation order (upstream first)
  std::vector<std::uint32_t> router_of_node_;
  std::vector<std::int64_t> load_;
  std::vector<std::uint32_t> dirty_links_;
  std::vector<std::uint32_t> dirty_injects_;
  std::vector<std::uint32_t> dirty_ejects_;
  std::vector<std::uint32_t> pe_ports_changed_;
  GroupTable groups_;
  RouterContext ctx_;
  std::int64_t words_injected_ = 0;
  std::int64_t words_staged_ = 0;  // injected this cycle, entering at commit()
  std::int64_t cycles_ = 0;
  std::size_t l2_queues_ = 1;  // distribution: injection queues at L2, one per L2 link if > 1
  std::vector<std::uint32_t> queue_scratch_;

  // Express distribution.
  struct ExpressGroup {
    std::uint64_t built = 0;           // GroupTable::built() of the group these links are for
    std::vector<std::uint32_t> links;  // the links of its tree
  };
  struct ExpressDelivery {
    std::uint32_t pe;
    Delivery delivery;
  };
  bool express_ = false;
  std::int64_t express_limit_ = 0;                   // words the caller injects per cycle at most
  std::vector<std::int64_t> link_offset_;            // cycles from leaving L2 to crossing each link
  std::vector<std::int64_t> pe_offset_;              // cycles from leaving L2 to reaching each PE
  std::vector<ExpressGroup> express_groups_;         // by group id
  std::vector<std::vector<ExpressDelivery>> wheel_;  // deliveries due in cycle c at c % size
};

}  // namespace metronome::sim
