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

class Engine;

// Watches a run cycle by cycle, read-only (sim/DESIGN.md, "Tracing"; the Chrome-trace and VCD
// writers of sim/trace.hpp). The engine calls start() when the observer is attached,
// on_cycle() after the commit of every evaluated cycle, and finish() once when the run ends
// (done, or stopped by the watchdog), after which it detaches the observer.
class CycleObserver {
 public:
  virtual ~CycleObserver() = default;
  virtual void start(const Engine& engine) = 0;
  virtual void on_cycle(const Engine& engine, std::int64_t cycle) = 0;
  // `completed`: false when the watchdog stopped the run. Every evaluated cycle has been seen by
  // on_cycle() (engine.cycles() leaves out the cycle the watchdog fired in).
  virtual void finish(const Engine& engine, bool completed) = 0;
  // Whether on_cycle() reads per-cycle PE state beyond MAC counts (the PE cycle counters, as the
  // trace writers do): then the engine evaluates every PE in every cycle (SimOptions::cycle_exact).
  virtual bool samples_pe_cycles() const { return true; }
  // Whether on_cycle() reads per-cycle network state (link counters, words in a network): then
  // the distribution network moves every word router by router (no express delivery).
  virtual bool samples_network() const { return true; }
};

struct SimOptions {
  std::uint64_t seed = 1;  // of the input and weight tensors
  BufferCapacity capacity = BufferCapacity::Enforced;
  // Cycles without any block making progress before the run is stopped as stuck; 0: the
  // default, kDefaultWatchdogCycles plus the machine's longest latency (a word waits that long
  // for DRAM or crosses a network that slowly without anything moving).
  std::int64_t watchdog_cycles = 0;
  static constexpr std::int64_t kDefaultWatchdogCycles = 100000;
  std::int64_t lookahead_steps = 16;
  // Evaluate every PE in every cycle, move every word router by router and hand every PE step
  // word by word (`--cycle-exact`). Otherwise a PE whose cycle changed nothing sleeps until its
  // inputs change (Pe::set_skip_quiet_cycles), a distribution network in which no word can wait
  // delivers words directly (Network::enable_express), and a PE given the same step again gets a
  // repeat (PeStep::repeat); records are identical either way (tested), only faster. Tracing (an
  // observer) evaluates every cycle too.
  bool cycle_exact = false;
  // Runs of identical PEs share one PE's state (Controller::enable_pe_runs; sim/DESIGN.md, "Runs
  // of identical PEs"), when cycle_exact is off, the distribution network is express and no
  // observer samples the PEs' cycles. Off only to compare (the records are the same).
  bool pe_runs = true;
  // For tests: every run ends at this array step (its PEs each take the shared state), so that
  // runs also end in the middle of a run of steps, not only at the first (-1: never).
  std::int64_t end_runs_at_step = -1;
  // Not owned; attached to the engine at construction (Engine::set_observer). With none, the
  // engine pays one null-pointer check per cycle.
  CycleObserver* observer = nullptr;
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

  // Attaches `observer` (nullptr detaches) and calls its start(); see CycleObserver.
  void set_observer(CycleObserver* observer);
  // Read-only views of the cores, for observers. With runs of identical PEs on (SimOptions::
  // pe_runs), a follower's state is its run's first PE's (controller().pe_leaders()), not the
  // PE object of its own index, which holds no MAC.
  const Hardware& hardware() const { return hw_; }
  const std::vector<Pe>& pes() const { return pes_; }
  const Network& distribution() const { return distribution_; }
  const Controller& controller() const { return *controller_; }
  const Network& reduction() const { return reduction_; }
  const GlobalBuffer& l2() const { return l2_; }
  const Dram& dram() const { return dram_; }

 private:
  void finish_observer(bool completed);
  void set_skip_quiet_cycles();

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
  std::int64_t macs_ = 0;        // all PEs' MACs so far (a busy PE asleep adds its own late)
  std::int64_t busy_until_ = 0;  // a busy PE asleep is due at this cycle (Pe::asleep_at)
  // The watchdog's: the last cycle in which a PE did a MAC, and the last in which the controller
  // moved nothing.
  std::int64_t last_mac_cycle_ = -1;
  std::int64_t last_still_cycle_ = -1;
  CycleObserver* observer_ = nullptr;
};

}  // namespace metronome::sim
