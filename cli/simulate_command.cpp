#include "cli/simulate_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <ostream>
#include <vector>

#include "cli/sim_progress.hpp"
#include "sim/simulate.hpp"
#include "sim/systemc/engine_module.hpp"
#include "sim/trace.hpp"

namespace metronome::cli {
namespace {

// A trace file, opened before anything is simulated so that an unwritable path fails fast.
std::unique_ptr<std::ofstream> open_trace_file(const std::string& path, const char* what) {
  if (path == "-")  // as --json - means stdout, a file named "-" would surprise
    throw UsageError(
        fmt::format("-: the {} goes to a file, not to stdout (expected a file name)", what));
  auto out = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*out) throw UsageError(fmt::format("{}: cannot write the {} file", path, what));
  return out;
}

void check_written(std::ofstream& out, const std::string& path, const char* what) {
  out.close();
  if (!out) throw UsageError(fmt::format("{}: cannot write the {} file", path, what));
}

}  // namespace

SimulateCommand::SimulateCommand(CLI::App& app) {
  command_ = app.add_subcommand("simulate",
                                "Run the cycle-level simulator on every selected layer x dataflow");
  jobs_.add_to(*command_);
  command_->add_option("--seed", seed_, "Seed of the input and weight tensors")
      ->transform(decimal_integer(0, std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str();
  command_->add_flag("--unbounded-buffers", unbounded_buffers_,
                     "Do not refuse working sets larger than L1 or L2; report the words used");
  command_->add_flag("--cycle-exact", cycle_exact_,
                     "Evaluate every PE in every cycle, move every word router by router and "
                     "hand every PE step word by word, instead of letting PEs whose cycle changed "
                     "nothing sleep until their inputs change, delivering words directly where no "
                     "word can wait and handing a PE given the same step again a repeat (same "
                     "record, slower)");
  command_
      ->add_option("--watchdog-cycles", watchdog_cycles_,
                   "Stop a run (exit 1) after this many cycles without progress (default: 100000 "
                   "plus the machine's longest latency, DRAM's and a word's way through each "
                   "network)")
      ->transform(decimal_integer(1, std::numeric_limits<std::int64_t>::max()));
  command_
      ->add_option("--trace", trace_,
                   "Write a Chrome trace (JSON; open it in Perfetto, ui.perfetto.dev) to F: per-PE "
                   "busy/waiting_for_input/output_backpressure/idle spans, per-link busy spans, "
                   "counters (MACs, words in the networks, L2 queue, DRAM). 1 us = 1 cycle; "
                   "several layers/dataflows become separate processes")
      ->type_name("F.json")
      ->check(non_empty());
  command_
      ->add_option("--trace-max-events", trace_max_events_,
                   "Stop recording the --trace after this many span/counter events (the file "
                   "notes the cycle it stopped at)")
      ->transform(decimal_integer(1, std::numeric_limits<std::int64_t>::max()))
      ->capture_default_str();
  command_
      ->add_option("--vcd", vcd_,
                   "Write a VCD (value change dump, 1 ns = 1 cycle) to F: state of the first 64 "
                   "PEs, MACs, words delivered and in flight per network, L2 queue, DRAM busy; "
                   "several layers/dataflows follow one another in time")
      ->type_name("F")
      ->check(non_empty());
}

int SimulateCommand::run(std::ostream& out, std::ostream& err) const {
  sim::SimOptions options;
  options.seed = seed_;
  options.capacity =
      unbounded_buffers_ ? sim::BufferCapacity::Unbounded : sim::BufferCapacity::Enforced;
  options.watchdog_cycles = watchdog_cycles_;
  options.cycle_exact = cycle_exact_;

  // Tracing: the files stay open over all jobs; each simulation is one run in them.
  std::unique_ptr<std::ofstream> trace_file, vcd_file;
  std::unique_ptr<sim::ChromeTraceWriter> trace;
  std::unique_ptr<sim::VcdWriter> vcd;
  std::vector<sim::CycleObserver*> observers;
  if (!trace_.empty()) {
    trace_file = open_trace_file(trace_, "trace");
    trace = std::make_unique<sim::ChromeTraceWriter>(*trace_file, trace_max_events_);
    observers.push_back(trace.get());
  }
  if (!vcd_.empty()) {
    vcd_file = open_trace_file(vcd_, "VCD");
    vcd = std::make_unique<sim::VcdWriter>(*vcd_file);
    observers.push_back(vcd.get());
  }
  SimProgress progress(err, &err == &std::cerr && ::isatty(STDERR_FILENO) == 1);
  observers.push_back(&progress);
  sim::ObserverFanout fanout(observers);
  if (observers.size() == 1) options.observer = observers.front();
  if (observers.size() > 1) options.observer = &fanout;

  bool systemc_used = false;
  const int status = jobs_.run(out, err, [&](const Job& job, const Hardware& hw) {
    const std::string label = job.layer->name + " / " + job.mapping->name;
    if (trace) trace->set_run_label(label);
    if (vcd) vcd->set_run_label(label);
    progress.set_run(job.layer->name + " x " + job.mapping->name + " x " + hw.name,
                     job.layer->macs());
    // SystemC allows one elaboration per process: the first simulation runs under SystemC's
    // kernel, any further ones (several layers or dataflows) in the identical plain loop.
    const bool first = !systemc_used;
    systemc_used = true;
    return sim::simulate_layer(*job.layer, *job.mapping, hw, options,
                               first ? sim::CycleRunner(sim::run_systemc) : sim::run_plain);
  });
  if (trace) {
    trace->close();
    check_written(*trace_file, trace_, "trace");
    if (trace->truncated())
      err << fmt::format(
          "metronome: warning: {}: trace truncated at cycle {} (--trace-max-events {})\n", trace_,
          trace->truncated_at_cycle(), trace_max_events_);
  }
  if (vcd) {
    vcd->close();
    check_written(*vcd_file, vcd_, "VCD");
  }
  return status;
}

}  // namespace metronome::cli
