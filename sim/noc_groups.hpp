#pragma once
// Multicast groups (distribution) and contributor groups (reduction) of a network: a set of PEs
// and what its tree asks of every router on it. The tree is the union of the topology's routes
// of those PEs (spec/noc_topology.hpp).

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

#include "sim/noc_link.hpp"
#include "spec/noc_topology.hpp"

namespace metronome::sim {

enum class Direction : std::uint8_t { Distribution, Reduction };

// What one group asks of one router on its tree.
struct GroupHop {
  std::uint32_t node = 0;
  std::uint32_t first_port = 0;  // into the group's port list
  std::uint32_t port_count = 0;  // tree edges leaving this node, as output ports of its router
  std::uint32_t expected = 0;    // reduction: contributions meeting here (tree inputs + own)
  bool member = false;           // the node is one of the group's PEs
};

class GroupTable {
 public:
  // `port_of_edge[e]`: output port of topology edge e at its source router (for the edges of
  // this direction).
  // `topology` is the network's; the table keeps no reference to it.
  GroupTable(const NocTopology& topology, Direction direction,
             std::vector<std::uint32_t> port_of_edge);

  // The group of `pes` (any order, repeats ignored; each in 0 .. P-1, at least one); the same
  // set always gives the same id. Throws std::invalid_argument otherwise.
  GroupId add(const NocTopology& topology, std::span<const std::int64_t> pes);
  GroupId singleton(const NocTopology& topology, std::int64_t pe);
  // Forgets a group no word in the network refers to any more (its id may be handed out again);
  // single-PE groups stay. Keeps the table's memory bounded by the groups in use.
  void release(GroupId group);

  // What `group` asks of `node`; nullptr if the node is not on its tree.
  const GroupHop* hop(GroupId group, std::uint32_t node) const;
  std::span<const std::uint32_t> ports(GroupId group, const GroupHop& hop) const;
  // Parallel to ports(): the index in the group's hops of the node each port leads to (kNoHop
  // where it leads off the table's nodes), for hop_at() at the next router.
  std::span<const std::uint32_t> port_hops(GroupId group, const GroupHop& hop) const;
  // The group's hop number `index` (as in port_hops); `index` must be valid.
  const GroupHop& hop_at(GroupId group, std::uint32_t index) const {
    return groups_[group].hops[index];
  }
  std::span<const std::int64_t> pes(GroupId group) const { return groups_[group].pes; }
  std::size_t size() const { return groups_.size(); }

 private:
  struct Group {
    std::vector<std::int64_t> pes;
    std::vector<GroupHop> hops;        // sorted by node
    std::vector<std::uint32_t> nodes;  // hops[i].node: searched per word at every router, and
                                       // 4-byte entries touch fewer cache lines than GroupHops
    std::vector<std::uint32_t> ports;
    std::vector<std::uint32_t> port_hops;  // parallel to ports
  };
  Direction direction_;
  std::vector<std::uint32_t> port_of_edge_;
  std::deque<Group> groups_;
  std::map<std::vector<std::int64_t>, GroupId> index_;
  std::vector<GroupId> singletons_;
  std::vector<GroupId> free_;
};

}  // namespace metronome::sim
