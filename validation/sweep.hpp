#pragma once
// `metronome sweep` (validation/README.md, "Sweeps and the NoC study"): varies hardware fields
// over lists of values and runs both engines at every combination. A sweep is a generated
// validation suite -- every (layer x dataflow x base hardware x value combination) is one job
// whose hardware is the variant `BASE[FIELD=VALUE,...]`, written as YAML into OUT/hardware/ for
// the simulator's child process -- so the harness (validation/harness.hpp) runs it: --jobs,
// results.jsonl, --resume, report.md. On top of that the sweep writes sweep.csv (one row per
// job), knees.csv / knees.md (per curve: the knee bandwidth and whether contention or
// bandwidth limits the runtime below it) and the contention curves (plots/plot_sweep.py).

#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/hardware.hpp"
#include "spec/metrics.hpp"
#include "validation/harness.hpp"
#include "validation/suite.hpp"

namespace metronome::validation {

inline constexpr const char* kSweepCsvFile = "sweep.csv";
inline constexpr const char* kKneesCsvFile = "knees.csv";
inline constexpr const char* kKneesFile = "knees.md";
inline constexpr const char* kSweepHardwareDir = "hardware";
// The knee: the smallest bandwidth from which on the runtime stays within 5 % of its value at
// unlimited bandwidth.
inline constexpr double kKneeTolerance = 0.05;

// One varied hardware field: `--vary FIELD=V1,V2,...`, or one entry of a sweep file's `vary`.
struct VariedField {
  std::string field;                // as set_hardware_field names it, e.g. "noc.topology"
  std::vector<std::string> values;  // canonical (canonical_hardware_value), in the order given
  SourceLocation where;             // the sweep file's line; empty for --vary
  bool bandwidth = false;           // words per cycle (every field it sets is a bandwidth)
};

// Parses the text of one --vary option. Throws InputError ("--vary TEXT: what is wrong
// (expected ...)") for a missing '=', no or empty values, a value given twice, an unknown
// field (the message lists the known ones), the hardware name, or a value the field does not
// take.
VariedField parse_vary_option(const std::string& text);

// What a sweep runs: the base jobs (layer x dataflow x base hardware) and the varied fields.
struct SweepSpec {
  ResolvedSuite base;
  std::vector<VariedField> vary;
};

// A sweep file: the suite format (validation/README.md) plus a required `vary` field, a mapping
// from hardware fields to lists of values, in the order they vary (the last one fastest):
//   vary:
//     noc.topology: [bus, tree, mesh, crossbar, systolic]
//     noc.link_words_per_cycle: [1, 2, 4, 8, 16, 32, 64, unlimited]
// Throws InputError naming the file, the line and the field.
SweepSpec parse_sweep_file(const std::string& text, const std::string& file_name,
                           const ConfigDirs& dirs);
SweepSpec load_sweep_file(const std::string& path, const ConfigDirs& dirs);

// The base jobs of a command-line sweep: every layer of `workload` (or the one named `layer`)
// with every dataflow (or, when `dataflows` is empty, the layer's own Dataflow block) on `hw`.
// `dataflow_paths` are the dataflows' files. Throws InputError for an unknown layer or a layer
// without a Dataflow block when no dataflow is given.
ResolvedSuite command_line_suite(const Workload& workload, const std::string& workload_path,
                                 const std::string& layer, const std::vector<Mapping>& dataflows,
                                 const std::vector<std::string>& dataflow_paths, const Hardware& hw,
                                 const std::string& hardware_path);

// A hardware variant: a base hardware with one value of each varied field.
struct SweepVariant {
  std::size_t base = 0;             // index into SweepSpec::base.hardware
  std::vector<std::size_t> values;  // per varied field, an index into its values
};

// One job of the sweep: which base job (SweepSpec::base.jobs) under which variant.
struct SweepJob {
  std::size_t base_job = 0;
  std::size_t variant = 0;
};

struct Sweep {
  ResolvedSuite suite;            // the generated suite; suite.hardware[v] is variants[v]
  std::vector<JobKey> base_jobs;  // the base jobs' keys (hardware: the base's name)
  std::vector<VariedField> vary;
  std::vector<SweepVariant> variants;
  std::vector<SweepJob> jobs;         // parallel to suite.jobs
  std::optional<std::size_t> axis;    // the x axis: the first bandwidth field varied
  std::optional<std::size_t> series;  // the lines of a figure: the first other varied field
};

// Generates the sweep's jobs: base jobs in their order, each followed by every value
// combination in odometer order (the last varied field fastest). Variant hardware is named
// BASE[FIELD=VALUE,...] and its file is hardware_dir/NAME.yaml (NAME with anything but
// [A-Za-z0-9._=-] replaced by '_'); the files are written by write_sweep_hardware. Throws
// InputError for a field repeated (also `noc.X` with `noc.distribution.X`), no varied field,
// or a combination the rules between fields refuse (e.g. fat with a mesh).
Sweep make_sweep(const SweepSpec& spec, const std::string& hardware_dir);

// Writes every variant's YAML (write_hardware_yaml) and reloads it, so that the model (in this
// process) and the simulator (a child reading the file) see exactly the same hardware.
void write_sweep_hardware(Sweep& sweep);

struct SweepRunOptions {
  RunOptions run;           // out_dir, --jobs, --resume, sim command, plot_validation.py
  std::string plot_script;  // validation/plots/plot_sweep.py
};

// Writes the hardware files, runs the generated suite (run_suite), then writes sweep.csv,
// knees.csv and knees.md and runs plot_sweep.py; prints the knee table on `out`. Returns
// run_suite's status (0, or 1 when a job failed); throws InputError for bad input (e.g. --resume
// on a directory of another sweep).
int run_sweep(Sweep& sweep, const SweepRunOptions& options, std::ostream& out, std::ostream& err);

// ---- analysis (exposed for tests) ------------------------------------------------------------

// One point of a runtime-vs-bandwidth curve.
struct CurvePoint {
  double bandwidth = 0;            // words per cycle; kUnlimited for `unlimited`
  std::optional<double> runtime;   // cycles; nullopt when the record is missing or not ok
  double busiest_utilization = 0;  // the simulator's link_utilization.max (0 for the model)
};

// The knee: the smallest swept bandwidth b such that the runtime at b and at every larger swept
// bandwidth is within `tolerance` of the runtime at unlimited bandwidth (points without a
// runtime are skipped). kUnlimited when not even the largest finite bandwidth is within;
// nullopt when there is no runtime at unlimited or no finite point.
std::optional<double> knee_bandwidth(const std::vector<CurvePoint>& points,
                                     double tolerance = kKneeTolerance);

enum class Limit : std::uint8_t {
  None,        // within the tolerance at every swept bandwidth: the NoC never limits
  Bandwidth,   // below the knee the busiest link's bandwidth explains most of the slowdown
  Contention,  // below the knee most of the slowdown is not explained by any link's bandwidth
  Unknown,     // no knee (missing or failed records)
};
std::string_view limit_name(Limit l);

// Where the slowdown below the knee comes from, from the simulator's records only. At a finite
// bandwidth b <= knee with runtime T(b) > T(unlimited) = T0:
//   slowdown   S = T(b) - T0
//   bandwidth  B = clamp(u x T(b) - T0, 0, S), with u = link_utilization.max: u x T(b) is the
//                  busiest link's words at its bandwidth, the runtime that link alone forces
//   contention C = S - B: cycles lost while no link runs at full rate -- arbitration,
//                  credit back-pressure, serialisation and latency on the way
// summed over those bandwidths. Contention dominates when C > S / 2.
struct SlowdownAttribution {
  double slowdown_cycles = 0;
  double bandwidth_cycles = 0;
  double contention_cycles = 0;
  std::size_t points = 0;  // bandwidths counted
  std::optional<double> contention_share() const;
};
SlowdownAttribution attribute_slowdown(const std::vector<CurvePoint>& sim_points,
                                       std::optional<double> knee);
// None when the knee is the smallest swept bandwidth, Unknown without a knee, otherwise
// Contention or Bandwidth by the attribution.
Limit curve_limit(const std::vector<CurvePoint>& sim_points, std::optional<double> knee,
                  const SlowdownAttribution& attribution);

}  // namespace metronome::validation
