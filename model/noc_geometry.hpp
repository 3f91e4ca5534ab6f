#pragma once
// What the analytical model assumes about a network's shape (model/README.md, "NoC"):
// where L2 attaches, how many links it injects through, and hop counts. Formulas only, for the
// simple model; the contention estimate (model/contention.hpp) and the simulator use the graph
// itself (spec/noc_topology.hpp).

#include <cstdint>

#include "spec/hardware.hpp"

namespace metronome {

class NocGeometry {
 public:
  NocGeometry(const NetworkSpec& spec, std::int64_t pes);

  // Links through which L2 injects (or receives) words: 1 for bus, crossbar and tree (the
  // root port), one per row for mesh and systolic arrays (L2 along one edge).
  std::int64_t injection_links() const { return injection_links_; }
  double injection_words_per_cycle() const;
  // Links (as the simulator reports them: every edge but a bus tap) a word crosses from L2 to
  // a PE on average: the average hops (1, ceil(log2 P), (cols + 1) / 2) plus the router's local
  // port into the PE (crossbar, tree, mesh; bus taps and systolic PE-to-PE links have none). And
  // the links each further destination of a multicast (or contributor of an in-network sum) adds:
  // its own port, none on a bus.
  double average_links() const { return average_ + (local_port_ ? 1.0 : 0.0); }
  double branch_links() const { return spec_.topology == Topology::Bus ? 0.0 : 1.0; }
  std::int64_t hop_latency_to_farthest() const { return farthest_ * spec_.hop_latency; }

 private:
  NetworkSpec spec_;
  std::int64_t injection_links_ = 1;
  std::int64_t farthest_ = 1;
  double average_ = 1;
  bool local_port_ = false;
};

}  // namespace metronome
