#pragma once
// The simulator's SystemC front end: one sc_module whose single clocked process advances the
// whole engine (every core) one cycle per clock period — the "one clocked engine evaluating
// plain C++ cores" of sim/DESIGN.md. Nothing here holds state or logic of the hardware.
//
// SystemC allows one elaboration per process: run_systemc() may be called once per process
// (later calls throw std::logic_error). Tests and the validation harness that need many
// simulations per process use sim::run_plain, which gives identical records.

#include "sim/engine.hpp"

namespace metronome::sim {

// Elaborates an EngineModule around `engine`, runs SystemC until the engine is done and stops.
// Exceptions from the engine (SimulationStalled, InputError, ...) propagate unchanged.
void run_systemc(Engine& engine);

}  // namespace metronome::sim
