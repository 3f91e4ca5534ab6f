#pragma once
// Shared pieces of the NoC testbenches: a network description and the testbench cycle.

#include <cstdint>

#include "sim/noc.hpp"
#include "spec/hardware.hpp"

namespace metronome::sim::testbench {

inline NetworkSpec net_spec(Topology t, double words_per_cycle, std::int64_t hop_latency,
                            bool multicast = true, bool in_network = true) {
  NetworkSpec s;
  s.topology = t;
  s.link_words_per_cycle = words_per_cycle;
  s.hop_latency = hop_latency;
  s.multicast = multicast;
  s.in_network = in_network;
  return s;
}

// The testbench cycle: sources, network, sinks, commit. Stops once the sources are done
// (`source` returns false) and the network is empty; returns the number of cycles run.
template <class Source, class Sink>
std::int64_t run(Network& net, Source source, Sink sink, std::int64_t max_cycles) {
  for (std::int64_t t = 0; t < max_cycles; ++t) {
    const bool more = source(t);
    net.evaluate(t);
    sink(t);
    net.commit();
    if (!more && net.idle()) return t + 1;
  }
  return max_cycles;
}

}  // namespace metronome::sim::testbench
