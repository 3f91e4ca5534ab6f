#pragma once
// The time a suite has left, for the progress line. A suite's jobs differ by three orders of
// magnitude (a 1,512-MAC GEMM next to VGG16's 1.85 G-MAC conv1_2), so "time per job so far x jobs
// left" says hours where days remain. The simulator's speed per MAC varies far less than per
// cycle (the every-layer run: 0.23-0.43 M MAC/s against 1.5-23 k cycles/s over the dataflows),
// so each job is weighted by its MACs, at the seconds per MAC measured on the finished jobs of
// its own dataflow and hardware (all finished jobs while none of its kind has finished), and the
// sum is shared among the simulations that run at a time.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace metronome::validation {

class EtaEstimate {
 public:
  struct Job {
    std::int64_t macs = 0;
    std::string kind;  // jobs of one kind run at one speed per MAC: "dataflow x hardware"
  };

  // `parallel`: jobs that run at a time (at least 1).
  EtaEstimate(std::vector<Job> jobs, std::size_t parallel);

  // Job `index` (into the constructor's list) finished after `seconds` of its own; a negative
  // `seconds`: finished without running (nothing to learn its kind's speed from).
  void finished(std::size_t index, double seconds);

  // Job `index` is running and has done `fraction` (0 .. 1) of its MACs (its simulator's
  // progress line): only the rest counts as left.
  void progress(std::size_t index, double fraction);

  // Seconds until every unfinished job has finished; none before a job with MACs has finished.
  std::optional<double> remaining_seconds() const;

 private:
  struct Rate {
    double seconds = 0;
    double macs = 0;
  };
  std::vector<Job> jobs_;
  std::vector<char> done_;
  std::vector<double> fraction_done_;
  std::size_t parallel_;
  std::map<std::string, Rate> by_kind_;
  Rate all_;
};

}  // namespace metronome::validation
