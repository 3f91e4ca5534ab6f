#pragma once
// Shared by the validation tests: a tiny network and suite written into a temporary directory,
// the shipped configuration directories, and results-file helpers. Temporary directories and
// running the binary come from tests/e2e/run_metronome.hpp.

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "spec/metrics.hpp"
#include "tests/e2e/run_metronome.hpp"
#include "validation/results.hpp"
#include "validation/suite.hpp"

namespace metronome::validation::testing {

using e2e::TempDir;

// Two small CONV layers (no Dataflow blocks: the suites name library dataflows).
inline const char* const kTinyNetwork = R"(// written by the validation tests
Network tiny {
Layer A {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 8, C: 4, R: 3, S: 3, Y: 8, X: 8 }
}
Layer B {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 16, C: 8, R: 1, S: 1, Y: 6, X: 6 }
}
}
)";

// 2 layers x 2 dataflows x 2 hardware = 8 jobs, 16 records.
inline std::string tiny_suite(const std::string& extra = "",
                              const std::string& hardware = "[ideal, mesh-64]") {
  return "name: tiny\n"
         "networks:\n"
         "  - network: tiny.m\n"
         "    layers: [A, B]\n"
         "dataflows: [kcp_ws, rs]\n"
         "hardware: " +
         hardware + "\n" + extra;
}

inline ConfigDirs shipped_dirs() {
  return config_dirs_under(METRONOME_SOURCE_DIR);
}

// Writes tiny.m and suite.yaml into `dir`; returns the suite's path.
inline std::string write_tiny_suite(const TempDir& dir,
                                    const std::string& suite_text = tiny_suite()) {
  dir.write("tiny.m", kTinyNetwork);
  return dir.write("suite.yaml", suite_text);
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// How many times each (layer, dataflow, hardware, engine) appears in a results.jsonl; every
// line must be a whole record.
inline std::map<RecordKey, int> record_counts(const std::string& path) {
  std::map<RecordKey, int> counts;
  const std::string text = e2e::read_file(path);
  for (const std::string& line : lines_of(text))
    ++counts[record_key(from_json(nlohmann::json::parse(line)))];
  return counts;
}

inline std::string read_file(const std::string& path) {
  return e2e::read_file(path);
}

}  // namespace metronome::validation::testing
