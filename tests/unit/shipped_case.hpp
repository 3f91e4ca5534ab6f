#pragma once
// One layer of a shipped network with a library dataflow on a shipped machine (configs/), for
// tests that pin a case measured against the simulator.

#include <stdexcept>
#include <string>

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::testing_layers {

struct ShippedCase {
  Hardware hardware;
  Mapping mapping;
  Layer layer;
};

// configs/networks/NETWORK.m's layer LAYER, configs/dataflows/DATAFLOW.m,
// configs/hardware/HARDWARE.yaml.
inline ShippedCase shipped_case(const std::string& network, const std::string& layer,
                                const std::string& dataflow, const std::string& hardware) {
  const std::string root = METRONOME_SOURCE_DIR;
  ShippedCase c{load_hardware(root + "/configs/hardware/" + hardware + ".yaml"),
                load_dataflow(root + "/configs/dataflows/" + dataflow + ".m"), Layer{}};
  for (const Layer& l : load_workload(root + "/configs/networks/" + network + ".m").layers)
    if (l.name == layer) {
      c.layer = l;
      return c;
    }
  throw std::invalid_argument(network + ".m has no layer " + layer);
}

}  // namespace metronome::testing_layers
