#include "model/fluid_network.hpp"

#include <algorithm>
#include <map>

namespace metronome::contention {

TreePlan plan_tree(const NocTopology& topology, std::span<const std::size_t> edges) {
  std::map<NodeId, std::vector<std::size_t>> children;
  for (const std::size_t e : edges) children[topology.source(e)].push_back(e);
  TreePlan plan;
  std::vector<NodeId> ids{topology.l2()};
  plan.nodes.push_back({topology.edge_count(), {}});
  for (std::size_t k = 0; k < plan.nodes.size(); ++k) {
    const auto it = children.find(ids[k]);
    if (it == children.end()) continue;
    for (const std::size_t e : it->second) {
      plan.nodes.push_back({e, {}});
      ids.push_back(topology.target(e));
      plan.nodes[k].out.emplace_back(e, plan.nodes.size() - 1);
    }
  }
  return plan;
}

FluidNetwork::FluidNetwork(const NocTopology& topology, const NetworkSpec& spec)
    : fifo_free_(topology.edge_count() + 1, 0.0),
      fifo_busy_(topology.edge_count() + 1, 0.0),
      link_free_(topology.edge_count(), 0.0),
      link_busy_(topology.edge_count(), 0.0),
      service_(topology.edge_count(), 0.0),
      wait_(topology.edge_count(), 0.0),
      latency_(topology.edge_count(), 0.0) {
  for (std::size_t e = 0; e < topology.edge_count(); ++e) {
    const EdgeProps& p = topology.edge(e);
    latency_[e] = static_cast<double>(p.hops * spec.hop_latency);
    if (p.kind == EdgeKind::Tap || !limited(spec.link_words_per_cycle) || !limited(p.width))
      continue;
    const double rate = p.width * spec.link_words_per_cycle;
    service_[e] = 1 / rate;
    // Store and forward: below one word per cycle a word waits for its last fraction.
    wait_[e] = rate < 1 ? std::ceil(1 / rate - 1e-9) - 1 : 0.0;
  }
}

double FluidNetwork::send(const TreePlan& plan, double ready) {
  arrival_.assign(plan.nodes.size(), 0.0);
  arrival_[0] = ready;
  double last = ready;
  for (std::size_t k = 0; k < plan.nodes.size(); ++k) {
    const TreePlan::Node& n = plan.nodes[k];
    if (k == 0) {
      // L2 keeps one injection queue per link of its own: a copy waits only for its link.
      for (const auto& [e, child] : n.out) {
        const double start = std::max(arrival_[k], link_free_[e]);
        link_free_[e] = start + service_[e];
        link_busy_[e] += service_[e];
        arrival_[child] = start + wait_[e] + latency_[e];
      }
      continue;
    }
    const double head = std::max(arrival_[k], fifo_free_[n.fifo]);
    double leave = head;
    for (const auto& [e, child] : n.out) {
      const double start = std::max(head, link_free_[e]);
      link_free_[e] = start + service_[e];
      link_busy_[e] += service_[e];
      leave = std::max(leave, start);
      arrival_[child] = start + wait_[e] + latency_[e];
    }
    fifo_busy_[n.fifo] += leave - head;
    fifo_free_[n.fifo] = leave;
    if (n.out.empty()) last = std::max(last, arrival_[k]);
  }
  return last;
}

std::vector<double> FluidNetwork::busy() const {
  std::vector<double> all = fifo_busy_;
  all.insert(all.end(), link_busy_.begin(), link_busy_.end());
  return all;
}

}  // namespace metronome::contention
