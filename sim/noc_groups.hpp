#pragma once
// Multicast groups (distribution) and contributor groups (reduction) of a network: a set of PEs
// and what its tree asks of every router on it. The tree is the union of the topology's routes
// of those PEs (spec/noc_topology.hpp).

#include <compare>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
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
  // A group no word in the network refers to any more: its id may be handed out again once the
  // kRetained most recently released groups are all younger (a group added again before that
  // keeps its id and its tree, so groups used over and over are not rebuilt); single-PE groups
  // stay. Keeps the table's memory bounded by the groups in use plus kRetained.
  void release(GroupId group);
  // (yxp_os's multicast sets on a 32x32 layer: ~340 sets, each used again and again; keeping only
  // 64 rebuilt a tree at one add() in four, 30 % of the run.)
  static constexpr std::size_t kRetained = 1024;

  // What `group` asks of `node`; nullptr if the node is not on its tree.
  const GroupHop* hop(GroupId group, std::uint32_t node) const;
  // (Inline: called for every word at every router.)
  std::span<const std::uint32_t> ports(GroupId group, const GroupHop& hop) const {
    return std::span(groups_[group].ports).subspan(hop.first_port, hop.port_count);
  }
  // Parallel to ports(): the index in the group's hops of the node each port leads to (kNoHop
  // where it leads off the table's nodes), for hop_at() at the next router.
  std::span<const std::uint32_t> port_hops(GroupId group, const GroupHop& hop) const {
    return std::span(groups_[group].port_hops).subspan(hop.first_port, hop.port_count);
  }
  // A hop with its output ports and, parallel, their next hops (as ports() / port_hops()).
  struct HopPorts {
    const GroupHop* hop = nullptr;  // nullptr: the node is not on the group's tree
    std::span<const std::uint32_t> ports, next;
  };
  // hop_at(group, index) if `index` is not kNoHop, else hop(group, node), with its ports: one
  // lookup of the group for what a router needs per word.
  HopPorts hop_ports(GroupId group, std::uint32_t index, std::uint32_t node) const {
    const Group& g = groups_[group];
    const GroupHop* h = index != kNoHop ? &g.hops[index] : find(g, node);
    if (h == nullptr) return {};
    return {h, std::span(g.ports).subspan(h->first_port, h->port_count),
            std::span(g.port_hops).subspan(h->first_port, h->port_count)};
  }
  // The group's hop number `index` (as in port_hops); `index` must be valid.
  const GroupHop& hop_at(GroupId group, std::uint32_t index) const {
    return groups_[group].hops[index];
  }
  std::span<const std::int64_t> pes(GroupId group) const { return groups_[group].pes; }
  // Every node of the group's tree, by node number.
  std::span<const GroupHop> hops(GroupId group) const { return groups_[group].hops; }
  // A serial number given each time a group's tree is built (an id reused for another PE set
  // gets a new one), so a cache keyed by group id can tell a stale entry.
  std::uint64_t built(GroupId group) const { return groups_[group].built; }
  std::size_t size() const { return groups_.size(); }

 private:
  struct Group {
    std::vector<std::int64_t> pes;
    std::uint64_t hash = 0;            // of pes (key_hash)
    std::uint64_t released = 0;        // release() serial while released and retained, else 0
    std::uint64_t built = 0;           // see built()
    std::vector<GroupHop> hops;        // sorted by node
    std::vector<std::uint32_t> nodes;  // hops[i].node: searched per word at every router, and
                                       // 4-byte entries touch fewer cache lines than GroupHops
    std::vector<std::uint32_t> ports;
    std::vector<std::uint32_t> port_hops;  // parallel to ports
  };
  static const GroupHop* find(const Group& g, std::uint32_t node);

  Direction direction_;
  std::vector<std::uint32_t> port_of_edge_;
  std::vector<Group> groups_;  // moved on growth: spans into a group's vectors stay valid
  static std::uint64_t key_hash(std::span<const std::int64_t> pes);
  GroupId find_key(std::span<const std::int64_t> key, std::uint64_t hash) const;
  void forget(GroupId group);
  std::unordered_multimap<std::uint64_t, GroupId> index_;   // by key_hash of the PE set
  std::vector<std::int64_t> key_scratch_;                   // add()'s lookup key
  // add()'s scratch for building a tree.
  struct TreeEdge {
    std::uint32_t from, port, to;
    auto operator<=>(const TreeEdge&) const = default;
  };
  std::vector<TreeEdge> edge_scratch_;
  std::vector<std::uint32_t> node_scratch_, expected_scratch_, rank_scratch_;
  std::vector<std::uint8_t> member_scratch_;
  std::deque<std::pair<GroupId, std::uint64_t>> retained_;  // released groups, oldest first
  std::uint64_t releases_ = 0;
  std::uint64_t builds_ = 0;
  std::vector<GroupId> singletons_;
  std::vector<GroupId> free_;
};

}  // namespace metronome::sim
