#pragma once
// Pieces every `metronome` subcommand that evaluates layers shares: where the shipped
// configurations live, choosing layers and dataflows from the command line, writing the
// results and reporting invalid mappings on stderr.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"
#include "validation/suite.hpp"

namespace metronome::cli {

// A command line that names something that does not exist (e.g. an unknown dataflow name).
// Reported as "metronome: <what>", exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The check of an integer option (a CLI11 transform): decimal digits only (no sign, base prefix or
// exponent), from `min` to `max`. It rewrites the value without leading zeros, as CLI11's
// conversion would read "010" as octal 8.
CLI::Validator decimal_integer(std::uint64_t min, std::uint64_t max);
// The check of a name or path option: an empty value (`--layer ""`) is refused, not taken as
// the option's absence.
CLI::Validator non_empty();

// The simulator command line of validate and sweep: this executable's `simulate` when `option`
// (--sim-command) is empty, else its words (split at spaces). Throws UsageError when the program
// is not an executable file (a path) or not on PATH (a bare name).
std::vector<std::string> simulator_command(const std::string& option);

// The repository root the binary was built from (configs/ lives there).
std::string source_dir();
// configs/hardware/edge-256.yaml in the repository.
std::string default_hardware_path();
// Resolves --hw: a path (contains '/' or ends in .yaml, .yml or .m) is taken as given; a bare
// NAME is configs/hardware/NAME.yaml (UsageError listing the names if there is none).
std::string resolve_hardware(const std::string& option);
// configs/dataflows in the repository.
std::string dataflow_library_dir();
// Names (file stems) of the library's *.m dataflows, sorted.
std::vector<std::string> library_dataflow_names();

// Resolves --dataflow: empty -> no dataflows (every layer uses its own Dataflow block);
// "all" -> every library dataflow, sorted by name; a path (contains '/' or ends in ".m") ->
// that file; anything else -> configs/dataflows/NAME.m. Throws UsageError for an unknown
// name and InputError for a malformed file.
std::vector<Mapping> select_dataflows(const std::string& option);

// The layers to evaluate: all, or the one named NAME (InputError listing names otherwise).
std::vector<const Layer*> select_layers(const Workload& workload, const std::string& name);

// One evaluation: the layer, the dataflow used (the layer's own or a selected one).
struct Job {
  const Layer* layer = nullptr;
  const Mapping* mapping = nullptr;
};

// Pairs every selected layer with every selected dataflow (layers outermost). Without
// dataflows each layer takes its own Dataflow block; a layer without one is an InputError
// that says to pass --dataflow.
std::vector<Job> plan_jobs(const std::vector<const Layer*>& layers,
                           const std::vector<Mapping>& dataflows);

// Writes --json / --csv files ("-" = stdout); the CSV gets `extra_csv` after the schema's
// columns. Throws UsageError when a file cannot be written.
void write_result_files(const std::vector<Metrics>& records, const std::string& json_path,
                        const std::string& csv_path, const std::vector<CsvColumn>& extra_csv = {});

// One stderr line per record that is not ok; returns the exit status the records call for:
// 2 when any mapping is invalid, 1 when an engine failed, 0 otherwise.
//   metronome: FILE:LINE: layer L with dataflow D: invalid mapping: M missing MACs,
//   D duplicated MACs (first missing (..), first duplicated (..))
int report_records(const std::vector<Job>& jobs, const std::vector<Metrics>& records,
                   std::ostream& err);

// The options every command that evaluates layer x dataflow jobs takes (workload, --hw,
// --dataflow, --layer, --json, --csv), and the common run: load, plan the jobs, evaluate each
// with `evaluate`, write the records (table on `out` unless --json/--csv go to stdout), report.
struct JobCommandOptions {
  std::string workload;
  std::string hardware = default_hardware_path();
  std::string dataflow;
  std::string layer;
  std::string json;
  std::string csv;

  void add_to(CLI::App& command);
  using Evaluate = std::function<Metrics(const Job&, const Hardware&)>;
  // Columns added to --csv after the schema's, for the jobs' records (none when empty).
  using ExtraCsvColumns = std::function<std::vector<CsvColumn>(const std::vector<Job>&,
                                                               const Hardware&, const Workload&)>;
  int run(std::ostream& out, std::ostream& err, const Evaluate& evaluate,
          const ExtraCsvColumns& extra_csv = {}) const;
};

// --semantics and --noc-model of `metronome validate` and `metronome sweep`: the one model
// variant to run instead of the suite's `models` (validation/README.md, "Model variants").
// Checked by validation::model_variant_from_options (bad names are InputErrors, exit 2).
struct ModelVariantOptions {
  std::string semantics;  // empty: not given
  std::string noc_model;  // empty: not given

  void add_to(CLI::App& command);
  bool given() const { return !semantics.empty() || !noc_model.empty(); }
  // When given, makes `suite` run this variant only. A suite that does not run the model engine
  // is refused (UsageError): the options would change its identity and nothing else.
  void apply_to(validation::ResolvedSuite& suite) const;
};

}  // namespace metronome::cli
