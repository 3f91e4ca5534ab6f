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
  // Looked up in a scratch vector: most calls find a group already made (no allocation).
  std::vector<std::int64_t>& key = key_scratch_;
  key.assign(pes.begin(), pes.end());
  if (!std::is_sorted(key.begin(), key.end())) std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());
  if (key.empty()) throw std::invalid_argument("network group: no PE");
  if (key.front() < 0 || key.back() >= topology.pe_count())
    throw std::invalid_argument("network group: PE out of range");
  const std::uint64_t hash = key_hash(key);
  if (const GroupId found = find_key(key, hash); found != kNoGroup) {
    groups_[found].released = 0;  // in use again (its entry in retained_ goes stale)
    return found;
  }
  if (groups_.size() >= kNoGroup) throw std::length_error("network group: too many groups");

  // The tree's edges (from, output port, to) and its nodes: L2's, every edge's ends, the PEs'.
  const bool down = direction_ == Direction::Distribution;
  const std::vector<std::size_t> tree =
      down ? topology.multicast_tree(key) : topology.reduction_tree(key);
  std::vector<TreeEdge>& edges = edge_scratch_;
  std::vector<std::uint32_t>& nodes = node_scratch_;
  edges.clear();
  nodes.clear();
  nodes.push_back(static_cast<std::uint32_t>(topology.l2()));
  for (const std::size_t e : tree) {
    const auto from = static_cast<std::uint32_t>(topology.source(e));
    const auto to = static_cast<std::uint32_t>(topology.target(e));
    edges.push_back({from, port_of_edge_[e], to});
    nodes.push_back(from);
    nodes.push_back(to);
  }
  for (const std::int64_t p : key) nodes.push_back(static_cast<std::uint32_t>(topology.pe(p)));
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  // Each node's out-ports in (port, node it leads to) order, the nodes' runs in node order.
  std::sort(edges.begin(), edges.end());
  // Hops are stored in node order: a node's hop number is its rank.
  std::vector<std::uint32_t>& rank_of = rank_scratch_;  // by node; valid for `nodes` only
  if (rank_of.size() < topology.node_count()) rank_of.resize(topology.node_count());
  for (std::size_t i = 0; i < nodes.size(); ++i) rank_of[nodes[i]] = static_cast<std::uint32_t>(i);
  const auto rank = [&](std::uint32_t node) { return rank_of[node]; };
  std::vector<std::uint32_t>& expected = expected_scratch_;  // contributions meeting at a node
  expected.assign(nodes.size(), 0);
  for (const TreeEdge& e : edges) ++expected[rank(e.to)];
  std::vector<std::uint8_t>& member = member_scratch_;
  member.assign(nodes.size(), 0);
  for (const std::int64_t p : key) {
    const std::uint32_t r = rank(static_cast<std::uint32_t>(topology.pe(p)));
    member[r] = 1;
    ++expected[r];
  }

  // Built in place: a reused id's vectors keep their storage.
  GroupId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<GroupId>(groups_.size());
    groups_.emplace_back();
  }
  Group& g = groups_[id];
  g.pes.assign(key.begin(), key.end());
  g.hash = hash;
  g.released = 0;
  g.built = ++builds_;
  g.hops.clear();
  g.nodes.assign(nodes.begin(), nodes.end());
  g.ports.clear();
  g.port_hops.clear();
  std::size_t next_edge = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    GroupHop h;
    h.node = nodes[i];
    h.first_port = static_cast<std::uint32_t>(g.ports.size());
    for (; next_edge < edges.size() && edges[next_edge].from == nodes[i]; ++next_edge) {
      g.ports.push_back(edges[next_edge].port);
      g.port_hops.push_back(rank(edges[next_edge].to));
    }
    h.port_count = static_cast<std::uint32_t>(g.ports.size()) - h.first_port;
    h.expected = down ? 0 : expected[i];
    h.member = member[i] != 0;
    g.hops.push_back(h);
  }
  index_.emplace(hash, id);
  return id;
}

std::uint64_t GroupTable::key_hash(std::span<const std::int64_t> pes) {
  std::uint64_t h = pes.size() * 0x9E3779B97F4A7C15ull;
  for (const std::int64_t p : pes)
    h = (h ^ static_cast<std::uint64_t>(p)) * 0xff51afd7ed558ccdull + (h >> 29);
  return h;
}

GroupId GroupTable::find_key(std::span<const std::int64_t> key, std::uint64_t hash) const {
  const auto [first, last] = index_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const std::vector<std::int64_t>& pes = groups_[it->second].pes;
    if (std::equal(pes.begin(), pes.end(), key.begin(), key.end())) return it->second;
  }
  return kNoGroup;
}

void GroupTable::release(GroupId group) {
  if (group >= groups_.size() || groups_[group].pes.empty()) return;
  if (groups_[group].pes.size() == 1) return;  // singletons are kept
  if (groups_[group].released != 0) return;    // already released
  groups_[group].released = ++releases_;
  retained_.emplace_back(group, releases_);
  while (retained_.size() > kRetained) {
    const auto [oldest, serial] = retained_.front();
    retained_.pop_front();
    if (groups_[oldest].released == serial) forget(oldest);  // not added again since
  }
}

void GroupTable::forget(GroupId group) {
  const auto [first, last] = index_.equal_range(groups_[group].hash);
  for (auto it = first; it != last; ++it)
    if (it->second == group) {
      index_.erase(it);
      break;
    }
  Group& g = groups_[group];
  g.pes.clear();  // marks the id free; the vectors keep their storage for the next build
  g.released = 0;
  free_.push_back(group);
}

const GroupHop* GroupTable::hop(GroupId group, std::uint32_t node) const {
  return find(groups_[group], node);
}

const GroupHop* GroupTable::find(const Group& g, std::uint32_t node) {
  const auto it = std::lower_bound(g.nodes.begin(), g.nodes.end(), node);
  return it != g.nodes.end() && *it == node
             ? &g.hops[static_cast<std::size_t>(it - g.nodes.begin())]
             : nullptr;
}

}  // namespace metronome::sim
