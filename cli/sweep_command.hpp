#pragma once
// `metronome sweep`: varies hardware fields over lists of values and runs both engines at every
// combination -- a generated validation suite (validation/sweep.hpp), with the harness's outputs
// plus sweep.csv, knees.md and the contention curves. validation/README.md, "Sweeps and the NoC
// study", describes the options, the sweep file format and the outputs.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace metronome::cli {

class SweepCommand {
 public:
  // Registers the `sweep` subcommand and its options on `app`.
  explicit SweepCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  // Runs the parsed command: the harness's summary and the knee table on `out`, progress and
  // notes on `err`. Returns 0 when no job failed, 1 otherwise; throws InputError / UsageError
  // for bad input (exit status 2).
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_ = nullptr;
  std::string workload_;
  std::string suite_;
  std::vector<std::string> vary_;
  std::string hardware_;
  std::string dataflow_;
  std::string layer_;
  std::string out_dir_ = "validation/out/sweep";
  std::size_t jobs_ = 1;
  bool resume_ = false;
  std::string sim_command_;
  bool no_plots_ = false;
  ModelVariantOptions variant_;
};

}  // namespace metronome::cli
