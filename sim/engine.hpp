#pragma once
// The simulation engine: every core of the accelerator (DRAM, L2, the distribution and
// reduction networks, the PEs) plus the controller, advanced together one cycle at a time in
// the two phases of sim/DESIGN.md. Plain C++; the SystemC module (sim/systemc/) calls cycle()
// from one clocked process, and tests may call it directly.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/controller.hpp"
#include "sim/dram.hpp"
#include "sim/global_buffer.hpp"
#include "sim/noc.hpp"
#include "sim/pe.hpp"
#include "sim/tensors.hpp"
#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome::sim {

struct SimOptions {
  std::uint64_t seed = 1;  // of the input and weight tensors
  BufferCapacity capacity = BufferCapacity::Enforced;
  // Cycles without any block making progress before the run is stopped as stuck.
  std::int64_t watchdog_cycles = 100000;
  std::int64_t lookahead_steps = 8;
};

// A run that stopped making progress (the watchdog fired): names what waits for what.
class SimulationStalled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the engine counted, for building a record.
struct EngineCounts {
  std::int64_t cycles = 0;
  std::int64_t macs = 0;
  LevelTraffic l1;
  PeStats pe_totals;  // summed over PEs (peak_words: the largest)
  GlobalBufferStats l2;
  DramStats dram;
  NocStats distribution;
  NocStats reduction;
  ControllerStats controller;
};

class Engine {
 public:
  Engine(const Layer& layer, const ResolvedMapping& mapping, const Hardware& hw,
         const SimOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One cycle: the controller acts on what the cores published, every core evaluates, every
  // core commits. Throws SimulationStalled when the watchdog fires.
  void cycle();
  bool done() const { return controller_->done(); }
  std::int64_t cycles() const { return cycle_; }

  EngineCounts counts() const;
  const std::vector<std::int64_t>& output() const { return controller_->dram_output(); }
  const LayerTensors& tensors() const { return tensors_; }

 private:
  const Hardware& hw_;
  SimOptions options_;
  LayerTensors tensors_;
  Dram dram_;
  GlobalBuffer l2_;
  Network distribution_;
  Network reduction_;
  std::vector<Pe> pes_;
  std::unique_ptr<Controller> controller_;
  std::int64_t cycle_ = 0;
  std::int64_t last_progress_cycle_ = 0;
  std::int64_t last_macs_ = 0;
};

}  // namespace metronome::sim
