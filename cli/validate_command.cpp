#include "cli/validate_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <thread>

#include "cli/common.hpp"
#include "validation/harness.hpp"
#include "validation/suite.hpp"

namespace metronome::cli {

namespace {

validation::ConfigDirs shipped_config_dirs() {
  validation::ConfigDirs dirs = validation::config_dirs_under(source_dir());
  dirs.dataflows = dataflow_library_dir();
  return dirs;
}

}  // namespace

ValidateCommand::ValidateCommand(CLI::App& app) {
  const unsigned cores = std::thread::hardware_concurrency();
  jobs_ = cores > 0 ? cores : 1;
  command_ = app.add_subcommand(
      "validate",
      "Run a validation suite through the model and the simulator and compare them "
      "(validation/README.md)");
  command_
      ->add_option("suite", suite_,
                   "Validation suite (default: configs/validation/quick.yaml); with --merge, "
                   "optional: the shards must be of this suite")
      ->type_name("SUITE.yaml")
      ->check(non_empty());
  command_->add_option("--out", out_dir_, "Output directory")
      ->type_name("DIR")
      ->check(non_empty())
      ->capture_default_str();
  command_->add_option("--jobs", jobs_, "Simulations run at a time (default: the number of cores)")
      ->type_name("N")
      ->transform(decimal_integer(1, 4096));
  command_->add_option("--shard", shard_, "Run every N-th job, starting with job I (1 <= I <= N)")
      ->type_name("I/N");
  command_->add_flag("--resume", resume_,
                     "Keep the records already in DIR/results.jsonl and run only the rest");
  command_->add_flag("--smallest-first", smallest_first_,
                     "Run the jobs in order of their MACs, fewest first, so that a run stopped "
                     "early has finished the most jobs (the results do not depend on the order)");
  command_
      ->add_option("--merge", merge_,
                   "Join these shard output directories into one report in --out (put the "
                   "suite, if any, before --merge)")
      ->type_name("DIR...")
      ->check(non_empty())
      ->expected(1, 1 << 20);
  command_
      ->add_option("--sim-command", sim_command_,
                   "Simulator command line the job's arguments are appended to (words split at "
                   "spaces; default: this executable's `simulate`)")
      ->type_name("\"PROGRAM ARGS\"")
      ->check(non_empty());
  command_->add_flag("--no-plots", no_plots_, "Do not run validation/plots/plot_validation.py");
  variant_.add_to(*command_);
}

int ValidateCommand::run(std::ostream& out, std::ostream& err) const {
  validation::PlotOptions plots;
  plots.enabled = !no_plots_;
  plots.script = source_dir() + "/validation/plots/plot_validation.py";
  const validation::ConfigDirs dirs = shipped_config_dirs();

  if (!merge_.empty()) {
    // CLI11 gives --merge the word after it even when that is an option (`--merge --out D`).
    for (const std::string& dir : merge_)
      if (dir.starts_with("-"))
        throw UsageError("--merge: '" + dir +
                         "' is an option, not a shard directory (expected --merge DIR... with "
                         "at least one directory)");
    if (!shard_.empty() || resume_ || smallest_first_ || variant_.given())
      throw UsageError(
          "--merge joins finished shards: it takes no --shard, --resume, --smallest-first, "
          "--semantics or --noc-model (expected --merge DIR... [--out DIR])");
    std::optional<validation::ResolvedSuite> suite;
    if (!suite_.empty()) suite = validation::load_suite(suite_, dirs);
    validation::MergeOptions options;
    options.out_dir = out_dir_;
    options.plots = plots;
    return validation::merge_results(merge_, options, out, err, suite ? &*suite : nullptr);
  }

  validation::RunOptions options;
  options.out_dir = out_dir_;
  options.parallel = jobs_;
  if (!shard_.empty()) options.shard = validation::parse_shard(shard_, "--shard");
  options.resume = resume_;
  options.smallest_first = smallest_first_;
  options.sim_command = simulator_command(sim_command_);
  options.plots = plots;
  options.progress_tty = ::isatty(STDERR_FILENO) == 1;

  const std::string suite_path =
      suite_.empty() ? source_dir() + "/configs/validation/quick.yaml" : suite_;
  validation::ResolvedSuite suite = validation::load_suite(suite_path, dirs);
  variant_.apply_to(suite);
  return validation::run_suite(suite, options, out, err);
}

}  // namespace metronome::cli
