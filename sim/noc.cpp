#include "sim/noc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace metronome::sim {

namespace {

std::int64_t size_or_auto(std::int64_t configured, std::int64_t automatic) {
  return configured > 0 ? configured : automatic;
}

}  // namespace

Network::Network(NocTopology topology, const NetworkSpec& spec, Direction direction,
                 NocConfig config)
    : topology_(std::move(topology)),
      spec_(spec),
      direction_(direction),
      groups_(topology_, direction, {}) {
  const bool down = direction_ == Direction::Distribution;
  const std::size_t nodes = topology_.node_count();
  const NodeId l2 = topology_.l2();

  // The routing tree of this direction: its edges become links, its nodes routers.
  std::vector<char> on_tree(nodes, 0);
  on_tree[l2] = 1;
  std::vector<std::size_t> edges;
  for (NodeId v = 0; v < nodes; ++v) {
    const std::size_t e = down ? topology_.down_edge(v) : topology_.up_edge(v);
    if (e == kNoEdge) continue;
    edges.push_back(e);
    on_tree[v] = 1;
  }
  std::sort(edges.begin(), edges.end());

  double widest = 1;
  for (const std::size_t e : edges)
    if (topology_.edge(e).kind == EdgeKind::Link)
      widest = std::max(widest, topology_.edge(e).width);

  std::vector<std::vector<std::uint32_t>> ins(nodes), outs(nodes);
  std::vector<std::uint32_t> port_of_edge(topology_.edge_count(), 0);
  links_.reserve(edges.size());
  for (const std::size_t e : edges) {
    const EdgeProps& p = topology_.edge(e);
    const bool tap = p.kind == EdgeKind::Tap;
    const double rate = tap ? kUnlimited : spec_.link_words_per_cycle * p.width;
    const std::int64_t latency = p.hops * spec_.hop_latency;
    // A tap's buffer is sized for the medium it hangs off.
    const std::int64_t buffer =
        size_or_auto(config.input_buffer_words,
                     auto_buffer_words(tap ? spec_.link_words_per_cycle : rate, latency));
    const auto l = static_cast<std::uint32_t>(links_.size());
    links_.emplace_back(p.name, rate, latency, buffer, !tap);
    link_edge_.push_back(static_cast<std::uint32_t>(e));
    link_target_.push_back(static_cast<std::uint32_t>(topology_.target(e)));
    const NodeId from = topology_.source(e);
    link_source_.push_back(static_cast<std::uint32_t>(from));
    port_of_edge[e] = static_cast<std::uint32_t>(outs[from].size());
    outs[from].push_back(l);
    ins[topology_.target(e)].push_back(l);
  }
  groups_ = GroupTable(topology_, direction_, std::move(port_of_edge));

  // Boundary queues.
  const std::int64_t queue_auto =
      auto_buffer_words(spec_.link_words_per_cycle * widest, spec_.hop_latency);
  const std::size_t pes = static_cast<std::size_t>(topology_.pe_count());
  // L2 with several links of its own (mesh, systolic: one per row) has a queue per link, so a
  // word for one row does not wait behind a word for another.
  l2_queues_ = down && outs[l2].size() > 1 ? outs[l2].size() : 1;
  const std::size_t sources = down ? l2_queues_ : pes;
  const std::size_t sinks = down ? pes : 1;
  injects_.assign(sources, InjectPort(size_or_auto(config.injection_queue_words, queue_auto)));
  ejects_.assign(sinks, EjectPort(size_or_auto(config.ejection_queue_words, queue_auto)));

  // Evaluation order: upstream first (distribution: nearest to L2 first; reduction: farthest
  // from L2 first), so a word may cross several zero-latency hops in one cycle.
  std::vector<std::int64_t> depth(nodes, -1);
  depth[l2] = 0;
  auto depth_of = [&](NodeId v) {
    std::vector<NodeId> path;
    while (depth[v] < 0) {
      path.push_back(v);
      const std::size_t e = down ? topology_.down_edge(v) : topology_.up_edge(v);
      v = down ? topology_.source(e) : topology_.target(e);
    }
    std::int64_t d = depth[v];
    for (auto it = path.rbegin(); it != path.rend(); ++it) depth[*it] = ++d;
  };
  std::vector<NodeId> order;
  for (NodeId v = 0; v < nodes; ++v)
    if (on_tree[v]) {
      depth_of(v);
      order.push_back(v);
    }
  std::stable_sort(order.begin(), order.end(), [&](NodeId a, NodeId b) {
    return down ? depth[a] < depth[b] : depth[a] > depth[b];
  });

  router_of_node_.assign(nodes, static_cast<std::uint32_t>(-1));
  routers_.reserve(order.size());
  for (const NodeId v : order) {
    const NodeProps& p = topology_.node(v);
    const bool is_pe = p.kind == NodeKind::Pe;
    const int pe = is_pe ? static_cast<int>(p.index) : Router::kNone;
    const int inject = down ? (v == l2 ? 0 : Router::kNone) : pe;
    const int eject = down ? pe : (v == l2 ? 0 : Router::kNone);
    router_of_node_[v] = static_cast<std::uint32_t>(routers_.size());
    // Partial sums meet only where links come in: a leaf (a tree's PE) never adds, and with one
    // input it takes the router's single-input path.
    const bool merges = !down && spec_.in_network && !ins[v].empty();
    routers_.emplace_back(static_cast<std::uint32_t>(v), v == l2, ins[v], outs[v], inject, eject,
                          merges, down && v == l2 ? l2_queues_ : 1);
  }
  load_.assign(nodes, 0);
  ctx_.direction = direction_;
  ctx_.multicast = spec_.multicast;
  ctx_.in_network = spec_.in_network;
}

GroupId Network::group(std::span<const std::int64_t> pes) {
  return groups_.add(topology_, pes);
}

std::size_t Network::inject_index(std::int64_t at) const {
  if (direction_ == Direction::Distribution) {
    if (at != kL2Endpoint) throw std::invalid_argument("distribution network: only L2 injects");
    return 0;
  }
  if (at < 0 || at >= topology_.pe_count())
    throw std::invalid_argument("reduction network: PE " + std::to_string(at) + " injects");
  return static_cast<std::size_t>(at);
}

// eject_index's other cases: L2 in a reduction network, or a wrong endpoint.
std::size_t Network::eject_index_checked(std::int64_t at) const {
  if (direction_ == Direction::Reduction) {
    if (at != kL2Endpoint) throw std::invalid_argument("reduction network: only L2 receives");
    return 0;
  }
  if (at < 0 || at >= topology_.pe_count())
    throw std::invalid_argument("distribution network: PE " + std::to_string(at) + " receives");
  return static_cast<std::size_t>(at);
}

std::int64_t Network::injection_space(std::int64_t at) const {
  const std::size_t i = inject_index(at);
  if (l2_queues_ == 1 || direction_ == Direction::Reduction) return injects_[i].space();
  std::int64_t space = injects_.front().space();
  for (const InjectPort& q : injects_) space = std::min(space, q.space());
  return space;
}

std::int64_t Network::injection_space(std::int64_t at, GroupId group) {
  if (l2_queues_ == 1 || direction_ == Direction::Reduction) return injection_space(at);
  inject_index(at);
  std::int64_t space = std::numeric_limits<std::int64_t>::max();
  for (const std::uint32_t q : l2_queues_of(group)) space = std::min(space, injects_[q].space());
  return space;
}

const std::vector<std::uint32_t>& Network::l2_queues_for(GroupId group) {
  if (l2_queues_ == 1 || direction_ == Direction::Reduction) {
    queue_scratch_.assign(1, 0);
    return queue_scratch_;
  }
  return l2_queues_of(group);
}

// The L2 queues (= L2's output ports) a word for `group` enters: the links its tree, or without
// multicast its destinations' routes, take out of L2.
const std::vector<std::uint32_t>& Network::l2_queues_of(GroupId group) {
  queue_scratch_.clear();
  const auto l2 = static_cast<std::uint32_t>(topology_.l2());
  const auto add_ports = [&](GroupId g) {
    const GroupHop* h = groups_.hop(g, l2);
    if (h == nullptr) throw std::logic_error("network: a group off L2's tree");
    for (const std::uint32_t port : groups_.ports(g, *h)) queue_scratch_.push_back(port);
  };
  if (spec_.multicast) {
    add_ports(group);
  } else {
    for (const std::int64_t pe : groups_.pes(group)) add_ports(groups_.singleton(topology_, pe));
  }
  std::sort(queue_scratch_.begin(), queue_scratch_.end());
  queue_scratch_.erase(std::unique(queue_scratch_.begin(), queue_scratch_.end()),
                       queue_scratch_.end());
  return queue_scratch_;
}

void Network::inject(std::int64_t at, GroupId group, std::int64_t value, std::uint64_t tag) {
  const std::size_t i = inject_index(at);
  if (group >= groups_.size()) throw std::invalid_argument("network: unknown group");
  if (direction_ == Direction::Distribution && l2_queues_ > 1) {
    const std::vector<std::uint32_t>& queues = l2_queues_of(group);
    for (const std::uint32_t q : queues)
      if (injects_[q].space() <= 0) throw std::logic_error("network: injection queue full");
    Flit f;
    f.value = value;
    f.tag = tag;
    f.group = group;
    for (const std::uint32_t q : queues) {
      injects_[q].push(f);
      dirty_injects_.push_back(q);
    }
    ++words_injected_;
    words_staged_ += static_cast<std::int64_t>(queues.size());
    return;
  }
  if (direction_ == Direction::Reduction) {
    const auto members = groups_.pes(group);
    if (!std::binary_search(members.begin(), members.end(), at))
      throw std::invalid_argument("reduction network: PE " + std::to_string(at) +
                                  " is not a contributor of its group");
  }
  if (injects_[i].space() <= 0) throw std::logic_error("network: injection queue full");
  Flit f;
  f.value = value;
  f.tag = tag;
  f.group = group;
  injects_[i].push(f);
  dirty_injects_.push_back(static_cast<std::uint32_t>(i));
  ++words_injected_;
  ++words_staged_;
}

void Network::pop(std::int64_t at) {
  const std::size_t i = eject_index(at);
  if (ejects_[i].peek() == nullptr) throw std::logic_error("network: pop from an empty sink");
  ejects_[i].pop();
  dirty_ejects_.push_back(static_cast<std::uint32_t>(i));
}

bool Network::enable_express(std::int64_t max_injected_per_cycle) {
  if (!idle()) throw std::logic_error("network: express switched on with words in flight");
  express_ = false;
  const std::int64_t r = max_injected_per_cycle;
  if (direction_ != Direction::Distribution || !spec_.multicast || l2_queues_ != 1 || r <= 0)
    return false;
  // Whether r words in each of `factor` cycles are more than `capacity` (kUnbounded: never).
  const auto exceeds = [r](std::int64_t capacity, std::int64_t factor) {
    if (capacity == kUnbounded) return false;
    return r == kUnbounded || r > capacity / factor;
  };
  for (const Link& l : links_) {
    if (exceeds(l.words_every_cycle(), 1)) return false;
    if (exceeds(l.buffer_words(), l.latency() + 1)) return false;
  }
  for (const InjectPort& q : injects_)
    if (exceeds(q.capacity(), 2)) return false;
  for (const EjectPort& q : ejects_)
    if (exceeds(q.capacity(), 2)) return false;

  // Offsets along the routing tree: routers_ is in upstream-first order.
  std::vector<std::int64_t> node_offset(topology_.node_count(), 0);
  std::vector<std::int64_t> link_in(topology_.node_count(), -1);
  for (std::size_t l = 0; l < links_.size(); ++l)
    link_in[link_target_[l]] = static_cast<std::int64_t>(l);
  for (const Router& router : routers_) {
    const std::uint32_t v = router.node();
    if (const std::int64_t l = link_in[v]; l >= 0)
      node_offset[v] = node_offset[link_source_[static_cast<std::size_t>(l)]] +
                       links_[static_cast<std::size_t>(l)].latency();
  }
  link_offset_.resize(links_.size());
  for (std::size_t l = 0; l < links_.size(); ++l) link_offset_[l] = node_offset[link_source_[l]];
  const auto pes = static_cast<std::size_t>(topology_.pe_count());
  pe_offset_.resize(pes);
  std::int64_t longest = 0;
  for (std::size_t p = 0; p < pes; ++p) {
    pe_offset_[p] = node_offset[topology_.pe(static_cast<std::int64_t>(p))];
    longest = std::max(longest, pe_offset_[p]);
  }
  wheel_.assign(static_cast<std::size_t>(longest) + 1, {});
  express_limit_ = r;
  express_ = true;
  return true;
}

// The links of `group`'s multicast tree (cached per group id, rebuilt when the id is reused).
const std::vector<std::uint32_t>& Network::express_links(GroupId group) {
  if (group >= express_groups_.size()) express_groups_.resize(static_cast<std::size_t>(group) + 1);
  ExpressGroup& g = express_groups_[group];
  if (g.built == groups_.built(group)) return g.links;
  g.built = groups_.built(group);
  g.links.clear();
  for (const GroupHop& h : groups_.hops(group)) {
    const Router& router = routers_[router_of_node_[h.node]];
    for (const std::uint32_t port : groups_.ports(group, h))
      g.links.push_back(router.out_links()[port]);
  }
  return g.links;
}

// One cycle of an express network: the deliveries due now, then the words L2 injected last
// cycle, each counted on every link of its tree at the cycle it crosses it and delivered to each
// of its PEs at the cycle it gets there (now, or later from wheel_).
void Network::evaluate_express(std::int64_t cycle) {
  ctx_.cycle = cycle;
  ++cycles_;
  const std::size_t size = wheel_.size();
  std::vector<ExpressDelivery>& due = wheel_[static_cast<std::size_t>(cycle) % size];
  const auto deliver = [&](std::uint32_t pe, const Delivery& d) {
    EjectPort& port = ejects_[pe];
    if (port.space() <= 0) throw std::logic_error("express network: a sink queue is full");
    port.deliver(d);
    dirty_ejects_.push_back(pe);
    ++ctx_.words_delivered;
  };
  for (const ExpressDelivery& d : due) deliver(d.pe, d.delivery);
  due.clear();

  InjectPort& source = injects_.front();
  std::int64_t entered = 0;
  while (!source.empty()) {
    const Flit f = source.front();
    source.pop();
    ++entered;
    --ctx_.words_held;
    for (const std::uint32_t l : express_links(f.group))
      links_[l].count_express(cycle + link_offset_[l]);
    for (const std::int64_t p : groups_.pes(f.group)) {
      const auto pe = static_cast<std::uint32_t>(p);
      const std::int64_t at = cycle + pe_offset_[pe];
      const Delivery d{f.value, f.tag, f.group, 1, f.injected_cycle, at};
      ++ctx_.words_held;  // until the sink takes it
      if (at == cycle)
        deliver(pe, d);
      else
        wheel_[static_cast<std::size_t>(at) % size].push_back({pe, d});
    }
  }
  if (entered > 0) dirty_injects_.push_back(0);  // room
  if (entered > express_limit_)
    throw std::logic_error("express network: more words entered in a cycle than promised");
}

void Network::evaluate(std::int64_t cycle) {
  if (express_) {
    evaluate_express(cycle);
    return;
  }
  ctx_.cycle = cycle;
  ctx_.links = &links_;
  ctx_.injects = &injects_;
  ctx_.ejects = &ejects_;
  ctx_.groups = &groups_;
  ctx_.topology = &topology_;
  ctx_.load = &load_;
  ctx_.dirty_links = &dirty_links_;
  ctx_.dirty_ejects = &dirty_ejects_;
  ctx_.dirty_injects = &dirty_injects_;
  ctx_.link_target = &link_target_;
  ++cycles_;
  for (Router& r : routers_)
    if (load_[r.node()] > 0) r.evaluate(ctx_);
}

void Network::commit() {
  // Ports are numbered by PE on the PE side of each direction (inject_index / eject_index).
  const std::vector<std::uint32_t>& pe_side =
      direction_ == Direction::Distribution ? dirty_ejects_ : dirty_injects_;
  pe_ports_changed_.assign(pe_side.begin(), pe_side.end());
  for (const std::uint32_t l : dirty_links_) links_[l].commit();
  dirty_links_.clear();
  const NodeId l2 = topology_.l2();
  for (const std::uint32_t i : dirty_injects_) {
    const std::int64_t n = injects_[i].commit(ctx_.cycle);
    const NodeId node = direction_ == Direction::Distribution ? l2 : topology_.pe(i);
    if (!express_) load_[node] += n;
    ctx_.words_held += n;
  }
  dirty_injects_.clear();
  words_staged_ = 0;
  for (const std::uint32_t i : dirty_ejects_) {
    const std::int64_t taken = ejects_[i].commit();
    ctx_.words_held -= taken;
  }
  dirty_ejects_.clear();
}

NocStats Network::stats() const {
  NocStats s;
  s.cycles = cycles_;
  s.words_injected = words_injected_;
  s.words_delivered = ctx_.words_delivered;
  s.partial_sums_added = ctx_.partial_sums_added;
  for (const Router& r : routers_)
    s.max_open_reductions =
        std::max(s.max_open_reductions, static_cast<std::int64_t>(r.max_open_reductions()));
  const NodeId l2 = topology_.l2();
  for (std::size_t l = 0; l < links_.size(); ++l) {
    const LinkStats& ls = links_[l].stats();
    s.stall_cycles_output_blocked += ls.stall_cycles_output_blocked;
    s.stall_cycles_no_credit += ls.stall_cycles_no_credit;
    if (!links_[l].reported()) continue;
    s.links.push_back(ls);
    s.link_words += ls.words;
    const std::size_t e = link_edge_[l];
    if ((direction_ == Direction::Distribution ? topology_.source(e) : topology_.target(e)) == l2)
      s.l2_link_words += ls.words;
  }
  for (const EjectPort& p : ejects_) s.stall_cycles_sink_full += p.stall_cycles();
  return s;
}

const LinkStats* NocStats::link(std::string_view name) const {
  for (const LinkStats& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

std::vector<LinkStats> NocStats::busiest_links(std::size_t n) const {
  std::vector<LinkStats> out = links;
  std::stable_sort(out.begin(), out.end(), [](const LinkStats& a, const LinkStats& b) {
    return a.words != b.words ? a.words > b.words : a.name < b.name;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

double NocStats::mean_link_utilization() const {
  double sum = 0;
  std::size_t n = 0;
  for (const LinkStats& l : links)
    if (std::isfinite(l.words_per_cycle)) sum += l.utilization(cycles), ++n;
  return n == 0 ? 0 : sum / static_cast<double>(n);
}

double NocStats::max_link_utilization() const {
  double best = 0;
  for (const LinkStats& l : links) best = std::max(best, l.utilization(cycles));
  return best;
}

}  // namespace metronome::sim
