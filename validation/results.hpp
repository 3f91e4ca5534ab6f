#pragma once
// The files of a validation output directory (validation/README.md, "Outputs"):
// results.jsonl (one record per line, appended as jobs end) and manifest.json (which suite
// and which shard the directory holds).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "spec/metrics.hpp"
#include "validation/suite.hpp"

namespace metronome::validation {

inline constexpr const char* kResultsFile = "results.jsonl";
inline constexpr const char* kResultsCsvFile = "results.csv";
inline constexpr const char* kReportFile = "report.md";
inline constexpr const char* kManifestFile = "manifest.json";

// What a results.jsonl holds, read tolerantly: a last line without its '\n' (a run killed
// while writing it) is dropped, as are lines that are not records (each gives a warning); a
// record whose key (layer, dataflow, hardware, engine, model variant) appeared before replaces
// the earlier one.
struct LoadedResults {
  std::vector<Metrics> records;  // in file order of first appearance
  std::vector<std::string> warnings;
  std::size_t dropped_lines = 0;  // truncated or unreadable lines
  std::size_t replaced = 0;       // records superseded by a later one with the same key
  bool clean() const { return dropped_lines == 0 && replaced == 0; }
};
// A missing file reads as no records.
LoadedResults read_results(const std::string& path);

// One JSON line per record ('\n'-terminated).
std::string record_line(const Metrics& m);

// Replaces `path` with exactly `records` (written to a temporary file, then renamed).
// Throws InputError when the file cannot be written.
void write_results(const std::string& path, const std::vector<Metrics>& records);

// Appends records to results.jsonl: each one is one write() of a whole line, so a record is
// either in the file completely or (killed mid-write) a truncated last line.
class ResultsAppender {
 public:
  explicit ResultsAppender(const std::string& path);  // throws InputError
  ~ResultsAppender();
  ResultsAppender(const ResultsAppender&) = delete;
  ResultsAppender& operator=(const ResultsAppender&) = delete;

  void append(const Metrics& m);  // throws InputError on a write error

 private:
  std::string path_;
  int fd_ = -1;
};

// manifest.json: the suite identity (suite_identity()), the jobs in suite order and the shard.
struct Manifest {
  std::string suite_name;
  std::string suite_file;
  std::string identity;
  std::vector<Engine> engines;
  // The model variants' names (ModelVariant::name), in the suite's order. A manifest written
  // before variants existed reads as the default variant alone.
  std::vector<std::string> models = {kDefaultModelVariant};
  std::string shard = "1/1";  // "I/N", or "merged" for the output of --merge
  std::vector<JobKey> jobs;   // every job of the suite (all shards), in suite order
};
Manifest manifest_of(const ResolvedSuite& suite, const std::string& shard);
void write_manifest(const std::string& path, const Manifest& m);  // throws InputError
// Throws InputError naming the file for a missing, unreadable or malformed manifest.
Manifest read_manifest(const std::string& path);

}  // namespace metronome::validation
