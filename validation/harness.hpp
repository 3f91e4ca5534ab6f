#pragma once
// `metronome validate`: runs a suite's jobs through both engines (the model in-process, the
// simulator as child processes), appends every record to results.jsonl as it ends, and
// writes results.csv, report.md and the plots; merges shard directories.
// validation/README.md describes the behaviour and the files.

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "spec/metrics.hpp"
#include "validation/process.hpp"
#include "validation/report.hpp"
#include "validation/suite.hpp"

namespace metronome::validation {

struct PlotOptions {
  bool enabled = true;
  std::string script;  // validation/plots/plot_validation.py
};

struct RunOptions {
  std::string out_dir = "validation/out";
  std::size_t parallel = 1;  // simulations at a time (--jobs)
  Shard shard;
  bool resume = false;
  // Run the jobs in order of their MACs, fewest first (ties in suite order), so that a run
  // stopped early has finished the most jobs. Records, report and tables do not depend on it.
  bool smallest_first = false;
  // The simulate command line without the job's arguments: program (path, or name in PATH)
  // and leading arguments, e.g. {"/path/to/metronome", "simulate"}. Each job appends
  // WORKLOAD.m --hw HW --dataflow DATAFLOW --layer LAYER --json OUT.
  std::vector<std::string> sim_command;
  PlotOptions plots;
  bool progress_tty = false;  // redraw one progress line (else one line per finished job)
  // How often the progress report says how far the running simulations are (their own
  // progress lines, which a simulation prints every 30 s once it has run a few seconds);
  // on a terminal the line is redrawn every 5 s at most.
  double running_report_seconds = 300;
};

// Runs the suite's jobs of `options.shard`. Bad input (an output directory holding another
// suite or shard when resuming, an unwritable directory) throws InputError. Returns 0 when
// every record of the shard is free of failures, 1 otherwise. The summary table goes to `out`,
// progress, warnings and notes to `err`.
int run_suite(const ResolvedSuite& suite, const RunOptions& options, std::ostream& out,
              std::ostream& err);

struct MergeOptions {
  std::string out_dir = "validation/out";
  PlotOptions plots;
};

// Joins the shard directories `dirs` (each written by run_suite) into one results.jsonl,
// results.csv, report.md and plots in options.out_dir. Throws InputError for a directory
// without a manifest and for shards of different suites (or of another suite than `suite`,
// when given). Returns 0 or 1 as run_suite does.
int merge_results(const std::vector<std::string>& dirs, const MergeOptions& options,
                  std::ostream& out, std::ostream& err, const ResolvedSuite* suite = nullptr);

// Runs `python3 SCRIPT ARGS...` with the first of python3 (PATH) and /usr/bin/python3 that can
// import matplotlib, its stderr in `log_path` (removed when it succeeds). Without such a python
// or when the script fails, a note on `err` says so; returns whether the script succeeded.
// (plot_validation.py here; metronome sweep's plot_sweep.py.)
bool run_plot_script(const std::string& script, const std::vector<std::string>& args,
                     const std::string& log_path, std::ostream& err);

// ---- pieces, exposed for tests --------------------------------------------------------

// The model's record of a job under a model variant (a failed record, with the message as
// note, if it throws); the record names the variant (its semantics and noc_model fields).
Metrics run_model_job(const ResolvedSuite& suite, const ValidationJob& job,
                      const ModelVariant& variant = {});
// The arguments appended to RunOptions::sim_command for a job (no --dataflow when the job's
// dataflow has no file, i.e. it is the layer's own Dataflow block).
std::vector<std::string> simulate_arguments(const ResolvedSuite& suite, const ValidationJob& job,
                                            const std::string& json_path);
// The simulator's record of a job from how its child process ended and what it wrote:
// exit status 0 -> the record (failed if its functional_check failed); 1 -> failed (the
// record's functional_check kept); 2 with an invalid_mapping / not_applicable /
// unsupported_layer record -> that record; anything else, no or unreadable output, a timeout
// or a signal -> a failed record whose note says why (with the first error line of stderr).
Metrics sim_record_from_child(const ValidationJob& job, const ChildResult& child,
                              const std::string& json_path, const std::string& stderr_path,
                              double timeout_seconds);

}  // namespace metronome::validation
