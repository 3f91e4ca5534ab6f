#include "cli/sweep_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <thread>

#include "cli/common.hpp"
#include "spec/workload_parser.hpp"
#include "validation/sweep.hpp"

namespace metronome::cli {

namespace {

namespace fs = std::filesystem;

// The files of the dataflows select_dataflows(option) loads, in the same order.
std::vector<std::string> dataflow_files(const std::string& option) {
  if (option.empty()) return {};
  if (option.find('/') != std::string::npos ||
      (option.size() >= 2 && option.compare(option.size() - 2, 2, ".m") == 0))
    return {option};
  std::vector<std::string> names =
      option == "all" ? library_dataflow_names() : std::vector<std::string>{option};
  std::vector<std::string> files;
  for (const std::string& name : names) files.push_back(dataflow_library_dir() + "/" + name + ".m");
  return files;
}

}  // namespace

SweepCommand::SweepCommand(CLI::App& app) {
  const unsigned cores = std::thread::hardware_concurrency();
  jobs_ = cores > 0 ? cores : 1;
  command_ =
      app.add_subcommand("sweep",
                         "Vary hardware fields and run the model and the simulator at every value "
                         "(validation/README.md, \"Sweeps and the NoC study\")");
  command_->add_option("workload", workload_, "MAESTRO .m workload (Network of Layers)")
      ->type_name("WORKLOAD.m")
      ->check(non_empty());
  command_
      ->add_option("--suite", suite_,
                   "Sweep file: a validation suite with a `vary` field (instead of WORKLOAD.m, "
                   "--vary, --hw, --dataflow and --layer)")
      ->type_name("SWEEP.yaml")
      ->check(non_empty());
  command_
      ->add_option("--vary", vary_,
                   "A hardware field by its dotted YAML name and its values, e.g. "
                   "noc.distribution.link_words_per_cycle=1,2,4,unlimited; noc.X sets both "
                   "networks. Repeat for a cartesian product (the last one varies fastest)")
      ->type_name("FIELD=V1,V2,...")
      ->allow_extra_args(false);  // one value per --vary, so a workload may follow it
  command_
      ->add_option("--hw", hardware_,
                   "Base hardware: a YAML (or MAESTRO .m) file, or the NAME of "
                   "configs/hardware/NAME.yaml (default: edge-256)")
      ->type_name("FILE|NAME")
      ->check(non_empty());
  command_
      ->add_option("--dataflow", dataflow_,
                   "Library dataflow NAME, a .m FILE, or all; default: each layer's own Dataflow "
                   "block")
      ->type_name("NAME|FILE|all")
      ->check(non_empty());
  command_->add_option("--layer", layer_, "Sweep only the layer named NAME")
      ->type_name("NAME")
      ->check(non_empty());
  command_->add_option("--out", out_dir_, "Output directory")
      ->type_name("DIR")
      ->check(non_empty())
      ->capture_default_str();
  command_->add_option("--jobs", jobs_, "Simulations run at a time (default: the number of cores)")
      ->type_name("N")
      ->transform(decimal_integer(1, 4096));
  command_->add_flag("--resume", resume_,
                     "Keep the records already in DIR/results.jsonl and run only the rest");
  command_
      ->add_option("--sim-command", sim_command_,
                   "Simulator command line the job's arguments are appended to (words split at "
                   "spaces; default: this executable's `simulate`)")
      ->type_name("\"PROGRAM ARGS\"")
      ->check(non_empty());
  command_->add_flag("--no-plots", no_plots_, "Do not run the plot scripts");
  variant_.add_to(*command_);
}

int SweepCommand::run(std::ostream& out, std::ostream& err) const {
  validation::SweepSpec spec;
  if (!suite_.empty()) {
    if (!workload_.empty() || !vary_.empty() || !hardware_.empty() || !dataflow_.empty() ||
        !layer_.empty())
      throw UsageError(
          "--suite takes the layers, dataflows, hardware and varied fields from the sweep file "
          "(expected no WORKLOAD.m, --vary, --hw, --dataflow or --layer with --suite)");
    validation::ConfigDirs dirs = validation::config_dirs_under(source_dir());
    dirs.dataflows = dataflow_library_dir();
    spec = validation::load_sweep_file(suite_, dirs);
  } else {
    if (workload_.empty())
      throw UsageError(
          "no workload (expected metronome sweep WORKLOAD.m --vary FIELD=V1,V2,... or "
          "metronome sweep --suite SWEEP.yaml)");
    if (vary_.empty())
      throw UsageError(
          "nothing to vary (expected at least one --vary FIELD=V1,V2,..., e.g. --vary "
          "noc.distribution.link_words_per_cycle=1,2,4,unlimited)");
    for (const std::string& v : vary_) spec.vary.push_back(validation::parse_vary_option(v));
    const Workload workload = load_workload(workload_);
    for (const std::string& warning : workload.warnings)
      err << "metronome: warning: " << warning << '\n';
    const std::string hw_path =
        hardware_.empty() ? default_hardware_path() : resolve_hardware(hardware_);
    const Hardware hw = load_hardware(hw_path);
    const std::vector<Mapping> dataflows = select_dataflows(dataflow_);
    spec.base = validation::command_line_suite(workload, workload_, layer_, dataflows,
                                               dataflow_files(dataflow_), hw, hw_path);
  }

  variant_.apply_to(spec.base);
  validation::Sweep sweep =
      validation::make_sweep(spec, (fs::path(out_dir_) / validation::kSweepHardwareDir).string());

  validation::SweepRunOptions options;
  options.run.out_dir = out_dir_;
  options.run.parallel = jobs_;
  options.run.resume = resume_;
  options.run.sim_command = simulator_command(sim_command_);
  options.run.plots.enabled = !no_plots_;
  options.run.plots.script = source_dir() + "/validation/plots/plot_validation.py";
  options.run.progress_tty = ::isatty(STDERR_FILENO) == 1;
  options.plot_script = source_dir() + "/validation/plots/plot_sweep.py";
  return validation::run_sweep(sweep, options, out, err);
}

}  // namespace metronome::cli
