#pragma once
// One simulation of one layer x dataflow x hardware, as a record of the result schema
// (DESIGN.md): the simulator's counterpart of model/model.hpp's evaluate_layer. Uses spec/ and
// the simulator's cores only.

#include <functional>

#include "sim/engine.hpp"
#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome::sim {

// How the cycles are driven: by default a plain loop calling Engine::cycle() until done; the
// SystemC front end passes a runner that lets one clocked SystemC process do it.
using CycleRunner = std::function<void(Engine&)>;
void run_plain(Engine& engine);

// Returns one record. Unsupported layers, dataflows that do not serve the layer and invalid
// mappings come back as records with that status (as the model's do); a run the watchdog stops
// comes back with status `failed` and the watchdog's message as its note. Throws InputError for
// bad input (e.g. a working set that does not fit a buffer).
Metrics simulate_layer(const Layer& layer, const Mapping& mapping, const Hardware& hardware,
                       const SimOptions& options = {}, const CycleRunner& runner = run_plain);

}  // namespace metronome::sim
