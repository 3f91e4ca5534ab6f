#include "cli/simulate_command.hpp"

#include <ostream>

#include "sim/simulate.hpp"
#include "sim/systemc/engine_module.hpp"

namespace metronome::cli {

SimulateCommand::SimulateCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "simulate", "Run the cycle-level simulator on every selected layer x dataflow");
  jobs_.add_to(*command_);
  command_->add_option("--seed", seed_, "Seed of the input and weight tensors")
      ->capture_default_str();
  command_->add_flag("--unbounded-buffers", unbounded_buffers_,
                     "Do not refuse working sets larger than L1 or L2; report the words used");
  command_
      ->add_option("--watchdog-cycles", watchdog_cycles_,
                   "Stop a run (exit 1) after this many cycles without progress")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

int SimulateCommand::run(std::ostream& out, std::ostream& err) const {
  sim::SimOptions options;
  options.seed = seed_;
  options.capacity =
      unbounded_buffers_ ? sim::BufferCapacity::Unbounded : sim::BufferCapacity::Enforced;
  options.watchdog_cycles = watchdog_cycles_;
  bool systemc_used = false;
  return jobs_.run(out, err, [&](const Job& job, const Hardware& hw) {
    // SystemC allows one elaboration per process: the first simulation runs under SystemC's
    // kernel, any further ones (several layers or dataflows) in the identical plain loop.
    const bool first = !systemc_used;
    systemc_used = true;
    return sim::simulate_layer(*job.layer, *job.mapping, hw, options,
                               first ? sim::CycleRunner(sim::run_systemc) : sim::run_plain);
  });
}

}  // namespace metronome::cli
