#pragma once
// `metronome model`: the analytical model on every selected layer x dataflow.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

#include "cli/common.hpp"

namespace metronome::cli {

class ModelCommand {
 public:
  // Registers the `model` subcommand and its options on `app`.
  explicit ModelCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  // Runs the parsed command: the table (or --json/--csv "-") on `out`, diagnostics on `err`.
  // Returns the exit status; throws InputError / UsageError for bad input.
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_ = nullptr;
  JobCommandOptions jobs_;
  std::string semantics_ = "exact";
  std::string noc_model_ = "simple";
};

}  // namespace metronome::cli
