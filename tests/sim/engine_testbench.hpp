#pragma once
// Pieces the whole-simulator tests share: small layers, a small machine and inline mappings.

#include <cstdint>
#include <string>

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::sim::testbench {

inline Layer conv_layer(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t y,
                        std::int64_t x, std::int64_t stride = 1) {
  Layer l;
  l.name = "L";
  l.type = LayerType::Conv;
  l.size[Dim::N] = 1;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = r;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = l.stride_x = stride;
  return l;
}

// `pes` single-MAC PEs with roomy L1s and L2, a 10-cycle DRAM and `topology` networks of
// `link_words_per_cycle` links.
inline Hardware machine(std::int64_t pes, Topology topology = Topology::Tree,
                        double link_words_per_cycle = 4) {
  Hardware hw;
  hw.name = "test";
  hw.pe.count = pes;
  hw.pe.l1_bytes = 4096;
  hw.l2.bytes = 1 << 20;
  hw.dram.latency_cycles = 10;
  hw.noc.distribution.topology = topology;
  hw.noc.reduction.topology = topology;
  hw.noc.distribution.link_words_per_cycle = link_words_per_cycle;
  hw.noc.reduction.link_words_per_cycle = link_words_per_cycle;
  return hw;
}

inline Mapping mapping_text(const std::string& directives) {
  return parse_dataflow("Dataflow {\n" + directives + "}\n", "test.m");
}

}  // namespace metronome::sim::testbench
