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

  // Per node: tree out-ports, member flag, contributions meeting there.
  struct Tmp {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ports;  // (output port, node it leads to)
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
    nodes[from].ports.emplace_back(port_of_edge_[e], to);
    ++nodes[to].expected;
  }
  for (const std::int64_t p : key) {
    Tmp& t = nodes[static_cast<std::uint32_t>(topology.pe(p))];
    t.member = true;
    ++t.expected;
  }

  // Hops are stored in node order (the map's): a node's hop number is its rank.
  std::map<std::uint32_t, std::uint32_t> rank;
  for (const auto& entry : nodes)
    rank.emplace(entry.first, static_cast<std::uint32_t>(rank.size()));
  Group g;
  g.pes = key;
  g.hash = hash;
  g.built = ++builds_;
  g.hops.reserve(nodes.size());
  g.nodes.reserve(nodes.size());
  for (auto& [node, t] : nodes) {
    std::sort(t.ports.begin(), t.ports.end());
    GroupHop h;
    h.node = node;
    h.first_port = static_cast<std::uint32_t>(g.ports.size());
    h.port_count = static_cast<std::uint32_t>(t.ports.size());
    h.expected = down ? 0 : t.expected;
    h.member = t.member;
    for (const auto& [port, to] : t.ports) {
      g.ports.push_back(port);
      const auto r = rank.find(to);
      g.port_hops.push_back(r == rank.end() ? kNoHop : r->second);
    }
    g.hops.push_back(h);
    g.nodes.push_back(node);
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
  groups_[group] = Group{};
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
