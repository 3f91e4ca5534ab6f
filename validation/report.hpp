#pragma once
// Model versus simulator: per-job errors, error statistics per dataflow / hardware / overall,
// and the report.md and stdout summary built from them (validation/README.md, "Report").
//
//   error % = (model - sim) / sim x 100      (0 when both are 0; undefined when only sim is 0)
//   MAPE    = mean of |error %| over the defined errors of the pairs compared
// A pair is compared when both engines' records of the job have status ok.

#include <array>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "spec/metrics.hpp"
#include "validation/suite.hpp"

namespace metronome::validation {

inline constexpr double kOffThresholdPercent = 5.0;

enum class MetricGroup : std::uint8_t { Runtime, Traffic, Noc, Buffer, Energy };
inline constexpr std::size_t kNumMetricGroups = 5;
std::string_view metric_group_name(MetricGroup g);

struct MetricDef {
  std::string name;  // as in the result schema, e.g. "traffic.l2.input.reads"
  MetricGroup group = MetricGroup::Runtime;
  bool integer = true;
  std::function<double(const Metrics&)> value;
};
// runtime_cycles; traffic.{dram,l2,l1}.{input,weight,output}.{reads,writes};
// noc.ingress_words, noc.egress_words; buffer_words_required.{l1,l2}; energy_pj.total.
const std::vector<MetricDef>& compared_metrics();

std::optional<double> error_percent(double model, double sim);

// Text for a Markdown table cell: '|' escaped, line breaks turned into spaces.
std::string markdown_cell(std::string_view text);

struct ErrorStats {
  std::size_t pairs = 0;      // defined errors added
  std::size_t undefined = 0;  // sim 0, model not 0
  double sum_abs = 0;
  double max_abs = 0;
  double worst = 0;                      // the signed error with the largest |error|
  std::optional<std::size_t> worst_job;  // index into Comparison::jobs
  void add(std::optional<double> error, std::size_t job);
  double mape() const { return pairs ? sum_abs / static_cast<double>(pairs) : 0; }
};

struct MetricError {
  std::size_t metric = 0;  // index into compared_metrics()
  double model = 0;
  double sim = 0;
  std::optional<double> error;  // percent
  bool off() const;             // |error| > 5 %, or undefined
};

struct JobComparison {
  JobKey key;
  std::optional<std::size_t> model;  // indices into Comparison::records
  std::optional<std::size_t> sim;
  bool compared = false;            // both records ok
  bool failed = false;              // a record has status failed
  bool invalid = false;             // a record has status invalid_mapping
  bool missing = false;             // an engine of the suite has no record
  bool disagree = false;            // both records present, not failed, different statuses
  std::vector<MetricError> errors;  // every metric, when compared
  std::optional<double> runtime_error() const;
  bool off() const;  // compared and some metric off by more than 5 %
};

struct GroupSummary {
  std::string dataflow;  // empty: all
  std::string hardware;  // empty: all
  std::size_t jobs = 0;
  std::size_t compared = 0;
  std::size_t failed = 0;
  std::size_t invalid = 0;
  ErrorStats runtime;
  std::array<ErrorStats, kNumMetricGroups> groups;  // every metric of each group pooled
};

struct Comparison {
  std::string variant = kDefaultModelVariant;  // the model variant compared (ModelVariant::name)
  std::string suite_name;
  std::string identity;
  std::vector<Engine> engines;
  std::vector<Metrics> records;   // the records of the jobs, in job order (model, then sim)
  std::size_t stray_records = 0;  // records given that belong to no job (ignored)
  std::vector<JobComparison> jobs;
  std::vector<GroupSummary> by_dataflow;  // in order of first appearance
  std::vector<GroupSummary> by_hardware;
  std::vector<GroupSummary> by_pair;  // dataflow x hardware
  GroupSummary overall;
  std::vector<ErrorStats> per_metric;  // overall, one per compared_metrics()

  std::size_t failed_jobs() const { return overall.failed; }
};

// Pairs the records with the jobs (by record key) and computes every error and statistic of
// one model variant: its model records against the simulator's. Model records of other
// variants are ignored (not counted as stray).
Comparison compare(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                   const std::vector<Metrics>& records, const std::string& suite_name = {},
                   const std::string& identity = {},
                   const std::string& variant = kDefaultModelVariant);

// Every model variant of a run against the simulator (validation/README.md, "Model variants").
struct Comparisons {
  std::vector<Comparison> per_variant;  // in the suite's order of variants; never empty
  // Every record of the jobs, in job order: each variant's model record, then the simulator's.
  std::vector<Metrics> records;
  std::size_t stray_records = 0;     // records given that belong to no job and variant
  std::size_t failed_jobs() const;   // jobs with a failed record in any variant
  std::size_t invalid_jobs() const;  // jobs with an invalid_mapping record in any variant
  std::size_t missing_jobs() const;  // jobs missing a record of some variant or engine

 private:
  std::size_t count_jobs(bool JobComparison::*flag) const;  // jobs with `flag` in any variant
};
// compare() for each of `variants` (names; empty = the default variant alone).
Comparisons compare_variants(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                             const std::vector<std::string>& variants,
                             const std::vector<Metrics>& records,
                             const std::string& suite_name = {}, const std::string& identity = {});

// The Markdown report: failures and invalid mappings, statistics, pairs off by more than 5 %
// with the simulator's stall attribution, then every compared value per job.
void write_report(std::ostream& out, const Comparison& c);
// With one variant exactly the report above. With several: failures of every variant, the
// variants side by side (runtime MAPE per dataflow, per hardware and overall, per dataflow x
// hardware, every job's runtime with one model and one error column per variant), then the
// statistics, off pairs and per-job values of each variant in turn.
void write_report(std::ostream& out, const Comparisons& cs);
// The plain-text table printed by `metronome validate`: per dataflow x hardware jobs,
// compared pairs, runtime MAPE, max |error| and failures, and a total row.
void write_summary(std::ostream& out, const Comparison& c);
// One variant: the table above. Several: per variant its compared jobs, runtime MAPE and max.
void write_summary(std::ostream& out, const Comparisons& cs);

}  // namespace metronome::validation
