#pragma once
// `metronome validate`: a validation suite through both engines (model in-process, simulator
// in child processes), with results, report and plots in --out; --merge joins shard outputs.
// validation/README.md describes the suite format and the outputs.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace metronome::cli {

class ValidateCommand {
 public:
  // Registers the `validate` subcommand and its options on `app`.
  explicit ValidateCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  // Runs the parsed command: the summary table on `out`, progress and notes on `err`.
  // Returns 0 when no job failed, 1 otherwise; throws InputError / UsageError for bad input.
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_ = nullptr;
  std::string suite_;
  std::string out_dir_ = "validation/out";
  std::size_t jobs_ = 1;
  std::string shard_;
  bool resume_ = false;
  bool smallest_first_ = false;
  std::vector<std::string> merge_;
  std::string sim_command_;
  bool no_plots_ = false;
  ModelVariantOptions variant_;
};

}  // namespace metronome::cli
