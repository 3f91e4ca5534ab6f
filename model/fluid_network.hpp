#pragma once
// The distribution network as fluid FIFO servers, for the contention-aware estimate
// (model/contention.cpp; model/README.md, 5b): words sent one after another along their trees.

#include <cmath>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/noc_topology.hpp"

namespace metronome::contention {

// A rate that bounds anything (kUnlimited is infinite).
inline bool limited(double rate) {
  return std::isfinite(rate);
}

// A word's tree (its multicast tree, or its route) as the nodes it visits, parents first: every
// node with the input FIFO the word waits in (the edge it arrived by; L2's injection queue for
// the root) and the edges it leaves by, with the node each leads to.
struct TreePlan {
  struct Node {
    std::size_t fifo = 0;
    std::vector<std::pair<std::size_t, std::size_t>> out;  // (edge, index of the child node)
  };
  std::vector<Node> nodes;
};

TreePlan plan_tree(const NocTopology& topology, std::span<const std::size_t> edges);

// The network as fluid FIFO servers (model/README.md, 5b): a link of rate b sends a word every
// 1/b cycles, a word crosses it in hops x hop_latency cycles, and every router forwards the words
// of each input in arrival order, the head word leaving once all its copies are sent (head-of-
// line blocking, as in the simulator's routers); L2 has one injection queue per link of its own,
// so there a copy waits only for its link. Words are sent in L2's order; in the distribution
// direction every node has a single input, so sending them one after another is exact for this
// fluid model.
class FluidNetwork {
 public:
  FluidNetwork(const NocTopology& topology, const NetworkSpec& spec);

  // Sends one word, available at L2 at `ready`, along `plan`; returns when its last copy
  // arrives.
  double send(const TreePlan& plan, double ready);

  // Busy time of every server: the FIFOs' time with a word blocked at their head, then the
  // links' sending time.
  std::vector<double> busy() const;

 private:
  std::vector<double> fifo_free_, fifo_busy_, link_free_, link_busy_, service_, wait_, latency_;
  std::vector<double> arrival_;
};

}  // namespace metronome::contention
