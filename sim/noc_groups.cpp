#include "sim/noc_groups.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace metronome::sim {

GroupTable::GroupTable(const NocTopology& topology, Direction direction,
                       std::vector<std::uint32_t> port_of_edge)
    : direction_(direction),
      port_of_edge_(std::move(port_of_edge)),
      singletons_(static_cast<std::size_t>(topology.pe_count()), kNoGroup) {}

GroupId GroupTable::singleton(const NocTopology& topology, std::int64_t pe) {
  if (pe < 0 || pe >= topology.pe_count())
    throw std::invalid_argument("network group: PE " + std::to_string(pe) + " out of range");
  GroupId& id = singletons_[static_cast<std::size_t>(pe)];
  if (id == kNoGroup) id = add(topology, std::span(&pe, 1));
  return id;
}

GroupId GroupTable::add(const NocTopology& topology, std::span<const std::int64_t> pes) {
  std::vector<std::int64_t> key(pes.begin(), pes.end());
  std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());
  if (key.empty()) throw std::invalid_argument("network group: no PE");
  if (key.front() < 0 || key.back() >= topology.pe_count())
    throw std::invalid_argument("network group: PE out of range");
  if (const auto it = index_.find(key); it != index_.end()) return it->second;
  if (groups_.size() >= kNoGroup) throw std::length_error("network group: too many groups");

  // Per node: tree out-ports, member flag, contributions meeting there.
  struct Tmp {
    std::vector<std::uint32_t> ports;
    std::uint32_t expected = 0;
    bool member = false;
  };
  std::map<std::uint32_t, Tmp> nodes;
  const bool down = direction_ == Direction::Distribution;
  const std::vector<std::size_t> tree =
      down ? topology.multicast_tree(key) : topology.reduction_tree(key);
  nodes[static_cast<std::uint32_t>(topology.l2())];
  for (const std::size_t e : tree) {
    const auto from = static_cast<std::uint32_t>(topology.source(e));
    const auto to = static_cast<std::uint32_t>(topology.target(e));
    nodes[from].ports.push_back(port_of_edge_[e]);
    ++nodes[to].expected;
  }
  for (const std::int64_t p : key) {
    Tmp& t = nodes[static_cast<std::uint32_t>(topology.pe(p))];
    t.member = true;
    ++t.expected;
  }

  Group g;
  g.pes = key;
  g.hops.reserve(nodes.size());
  for (auto& [node, t] : nodes) {
    std::sort(t.ports.begin(), t.ports.end());
    GroupHop h;
    h.node = node;
    h.first_port = static_cast<std::uint32_t>(g.ports.size());
    h.port_count = static_cast<std::uint32_t>(t.ports.size());
    h.expected = down ? 0 : t.expected;
    h.member = t.member;
    g.ports.insert(g.ports.end(), t.ports.begin(), t.ports.end());
    g.hops.push_back(h);
  }
  GroupId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    groups_[id] = std::move(g);
  } else {
    id = static_cast<GroupId>(groups_.size());
    groups_.push_back(std::move(g));
  }
  index_.emplace(std::move(key), id);
  return id;
}

void GroupTable::release(GroupId group) {
  if (group >= groups_.size() || groups_[group].pes.empty()) return;
  if (groups_[group].pes.size() == 1) return;  // singletons are kept
  index_.erase(groups_[group].pes);
  groups_[group] = Group{};
  free_.push_back(group);
}

const GroupHop* GroupTable::hop(GroupId group, std::uint32_t node) const {
  const auto& hops = groups_[group].hops;
  const auto it = std::lower_bound(hops.begin(), hops.end(), node,
                                   [](const GroupHop& h, std::uint32_t n) { return h.node < n; });
  return it != hops.end() && it->node == node ? &*it : nullptr;
}

std::span<const std::uint32_t> GroupTable::ports(GroupId group, const GroupHop& hop) const {
  return std::span(groups_[group].ports).subspan(hop.first_port, hop.port_count);
}

}  // namespace metronome::sim
