#pragma once
// `metronome simulate`: the cycle-level simulator on every selected layer x dataflow.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli/common.hpp"
#include "sim/trace.hpp"

namespace metronome::cli {

class SimulateCommand {
 public:
  // Registers the `simulate` subcommand and its options on `app`.
  explicit SimulateCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  // Runs the parsed command: the table (or --json/--csv "-") on `out`, diagnostics on `err`.
  // Returns the exit status (1 when a functional check fails or a run stalls); throws
  // InputError / UsageError for bad input.
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_ = nullptr;
  JobCommandOptions jobs_;
  std::uint64_t seed_ = 1;
  bool unbounded_buffers_ = false;
  bool cycle_exact_ = false;
  std::int64_t watchdog_cycles_ = 0;  // 0: the machine's default (SimOptions)
  std::string trace_;                 // --trace F.json: Chrome trace (sim/trace.hpp)
  std::string vcd_;                   // --vcd F
  std::int64_t trace_max_events_ = sim::kDefaultTraceMaxEvents;
};

}  // namespace metronome::cli
