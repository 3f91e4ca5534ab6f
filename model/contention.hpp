#pragma once
// The contention-aware runtime estimate (`--noc-model contention`; equations in
// model/README.md, section 5b). It replaces the simple model's runtime (section 5) by a
// step-by-step pipeline whose per-step transfer times come from per-link loads on the shared
// topology graph (spec/noc_topology.hpp): multicast trees and reduction trees of the PE groups
// that exchange the same words, one representative transition per transition class (section 2).
// Traffic and buffers stay those of the simple model; NoC energy comes from the link loads.

#include <cstdint>
#include <span>
#include <vector>

#include "model/fills.hpp"
#include "spec/hardware.hpp"
#include "spec/noc_topology.hpp"
#include "spec/semantics.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

// `words` words sent from L2 to every PE of `pes` (distribution) or partial sums of `words`
// outputs sent by every PE of `pes` to L2 (reduction). PE numbers, any order.
struct TrafficGroup {
  std::vector<std::int64_t> pes;
  double words = 0;
};

// Words each edge of `topology` carries (indexed like NocTopology::edge):
//  * distribution with multicast: each group's words cross every edge of its multicast tree
//    once (the union of the routes from L2 to its PEs); without: every PE gets its own copy
//    along its own route;
//  * reduction in the network: each group's words cross every edge of its reduction tree once
//    (partial sums merge where routes join); otherwise every PE's partial sum travels its own
//    route to L2.
std::vector<double> distribution_link_loads(const NocTopology& topology,
                                            std::span<const TrafficGroup> groups, bool multicast);
std::vector<double> reduction_link_loads(const NocTopology& topology,
                                         std::span<const TrafficGroup> groups, bool in_network);

// Cycles the busiest link needs for `loads`: max over links of load / (width x
// link_words_per_cycle). Bus taps are not limits; 0 with unlimited links.
double busiest_link_cycles(const NocTopology& topology, const NetworkSpec& spec,
                           std::span<const double> loads);

// Cycles a word needs along `route` (edge indices) on an idle network: hop_latency per hop,
// plus, store and forward, ceil(1 / rate) - 1 cycles of serialization at every link of rate
// below one word per cycle.
double route_latency(const NocTopology& topology, const NetworkSpec& spec,
                     std::span<const std::size_t> route);

// What the estimate assumes about the controller (model/README.md, 5b); the defaults are the
// simulator's (sim/controller.hpp, ControllerOptions and SimOptions).
struct ContentionOptions {
  // Array steps given to the PEs ahead of the oldest unfinished one: step t + W is handed out
  // (its words requested) once step t has finished on every PE.
  std::int64_t lookahead_steps = 16;
  // Array steps whose words L2 fetches from DRAM ahead of the oldest unfinished one, and at most
  // this many tile words + MACs held for them.
  std::int64_t l2_lookahead_steps = 1024;
  std::int64_t l2_lookahead_entries = std::int64_t{1} << 21;
  // Largest number of array steps walked one by one; longer layers use the per-class
  // steady-state form (model/README.md, 5b).
  std::int64_t max_walked_steps = std::int64_t{1} << 25;
};

// Everything the estimate needs from the simple model's analysis.
struct ContentionInputs {
  const LayerGeometry& geometry;
  const std::vector<LevelPlan>& plans;
  const FillCounts& fills;            // per PE, by transition class
  const SemanticsReport& semantics;   // steps and compute cycles
  PerTensor<std::int64_t> dram_fill;  // words read from DRAM per tensor (section 4)
  std::int64_t output_words = 0;      // |output|
  std::int64_t final_outputs = 0;     // outputs L2 holds after the last partial sum, written
                                      // back then (the others left during the layer)
};

struct ContentionEstimate {
  std::int64_t runtime_cycles = 0;
  // Per transition class (fills.classes order): busiest-link cycles per transition and the
  // distribution / reduction loads of the representative transition behind them.
  std::vector<double> ingress_cycles;
  std::vector<double> egress_cycles;
  std::int64_t walked_steps = 0;  // 0 when the steady-state form was used
  // Words over the networks' links (taps not counted), summed over every transition: each
  // class's representative loads times its transitions. For NoC energy: one noc_hop_word per
  // word per link, as the simulator counts it (NocStats::link_words).
  double link_words = 0;
};

ContentionEstimate estimate_contention(const ContentionInputs& in, const Hardware& hw,
                                       const ContentionOptions& options = {});

}  // namespace metronome
