// `metronome validate` through the real binary, with `metronome model` standing in for the
// simulator (--sim-command): bad input (exit 2), a whole run, a run killed with SIGKILL and
// resumed, shards merged into the unsharded report, and the plots.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/validation/validation_test_util.hpp"
#include "validation/process.hpp"

namespace metronome::validation {
namespace {

namespace fs = std::filesystem;
using e2e::run_metronome;
using testing::record_counts;
using testing::TempDir;
using testing::tiny_suite;
using testing::write_tiny_suite;

const std::string kStandIn = std::string(METRONOME_BINARY) + " model";

std::vector<std::string> validate_args(const std::string& suite, const fs::path& out,
                                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"validate",   suite,           "--out",
                                   out.string(), "--jobs",        "2",
                                   "--no-plots", "--sim-command", kStandIn};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

void expect_all_16_records_once(const fs::path& out) {
  const std::map<RecordKey, int> counts = record_counts((out / "results.jsonl").string());
  EXPECT_EQ(counts.size(), 16u);
  for (const auto& [key, n] : counts)
    EXPECT_EQ(n, 1) << key.job.str() << " " << engine_name(key.engine);
}

TEST(ValidateCli, RunsATinySuite) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  const e2e::RunResult r = run_metronome(validate_args(suite, dir.path() / "out"));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  expect_all_16_records_once(dir.path() / "out");
  EXPECT_NE(r.out.find("dataflow  hardware  jobs  compared  runtime MAPE %  max |err| %  failed"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("8 jobs, 8 compared, 0 failed. Report: "), std::string::npos) << r.out;
  // Not a terminal: one progress line per finished job.
  EXPECT_NE(r.err.find("metronome: validate: [1/8] "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("metronome: validate: [8/8] "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("runtime error +0.00 % | 0 failed | ETA "), std::string::npos) << r.err;
  const std::string report = testing::read_file((dir.path() / "out" / "report.md").string());
  EXPECT_NE(report.find("# Validation report: suite tiny"), std::string::npos);
  EXPECT_NE(report.find("| tiny/B | rs | mesh-64 | runtime_cycles |"), std::string::npos);
}

TEST(ValidateCli, ReportHasOneModelAndErrorColumnPerVariant) {
  TempDir dir;
  const std::string suite =
      write_tiny_suite(dir, tiny_suite("models: [exact/simple, exact/contention]\n"));
  const e2e::RunResult r = run_metronome(validate_args(suite, dir.path() / "out"));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_EQ(record_counts((dir.path() / "out" / "results.jsonl").string()).size(), 24u);
  const std::string report = testing::read_file((dir.path() / "out" / "report.md").string());
  EXPECT_NE(report.find("## Model variants side by side"), std::string::npos) << report;
  EXPECT_NE(report.find("| **all** | 8 | 0 | 8 | 0.00 | 0.00 | 8 | "), std::string::npos) << report;
  EXPECT_NE(report.find("## Runtime per job, every model variant"), std::string::npos);
  EXPECT_NE(report.find("| tiny/A | kcp_ws | ideal | "), std::string::npos);
  EXPECT_NE(report.find("## Model variant `exact/contention`"), std::string::npos);
  // The summary on stdout too.
  EXPECT_NE(r.out.find("MAPE % exact/simple"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MAPE % exact/contention"), std::string::npos) << r.out;
}

TEST(ValidateCli, SemanticsAndNocModelOptionsChooseTheVariant) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  const e2e::RunResult r = run_metronome(validate_args(
      suite, dir.path() / "out", {"--semantics", "exact", "--noc-model", "contention"}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const auto counts = record_counts((dir.path() / "out" / "results.jsonl").string());
  EXPECT_EQ(counts.size(), 16u);
  for (const auto& [key, n] : counts)
    EXPECT_EQ(key.variant, key.engine == Engine::Model ? "exact/contention" : "") << key.job.str();
  EXPECT_EQ(read_manifest((dir.path() / "out" / "manifest.json").string()).models,
            std::vector<std::string>{"exact/contention"});
}

TEST(ValidateCli, BadModelVariantsExitWithStatus2) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  e2e::RunResult r =
      run_metronome(validate_args(suite, dir.path() / "out", {"--noc-model", "mesh"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_EQ(r.err,
            "metronome: --noc-model 'mesh': unknown NoC model (expected simple or contention)\n");
  r = run_metronome(validate_args(suite, dir.path() / "out", {"--semantics", "Maestro"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--semantics 'Maestro': unknown semantics"), std::string::npos) << r.err;
  const std::string bad = dir.write("bad.yaml", tiny_suite("models: [simple, fast]\n"));
  r = run_metronome(validate_args(bad, dir.path() / "out"));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("bad.yaml:7: models[1]: unknown model variant 'fast' (expected one of "
                       "exact/simple, exact/contention, maestro"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
  r = run_metronome({"validate", "--merge", dir.path().string(), "--noc-model", "contention"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--merge joins finished shards"), std::string::npos) << r.err;
  // A suite that runs no model: the options would only change its identity.
  const std::string sim_only = dir.write("sim_only.yaml", tiny_suite("engines: [sim]\n"));
  r = run_metronome(validate_args(sim_only, dir.path() / "out", {"--noc-model", "contention"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--semantics / --noc-model: the suite does not run the model engine"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(ValidateCli, SimulatorFailuresAreRecordedNotFatal) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  std::vector<std::string> args = validate_args(suite, dir.path() / "out");
  args.back() = std::string(METRONOME_BINARY) + " no-such-subcommand";
  const e2e::RunResult r = run_metronome(args);
  EXPECT_EQ(r.exit_status, 1) << r.describe();
  expect_all_16_records_once(dir.path() / "out");
  EXPECT_NE(r.out.find("8 jobs, 0 compared, 8 failed."), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("sim failed: the simulator exited with status 2"), std::string::npos)
      << r.err;
}

TEST(ValidateCli, BadInputExitsWithStatus2) {
  TempDir dir;
  dir.write("tiny.m", testing::kTinyNetwork);
  const std::string bad = dir.write(
      "bad.yaml", "name: x\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\nhardwares: 1\n");
  e2e::RunResult r = run_metronome(validate_args(bad, dir.path() / "out"));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("metronome: " + bad +
                       ":5: unknown field 'hardwares' (expected one of "
                       "name, description, engines, models, timeout_seconds, networks, dataflows, "
                       "hardware)"),
            std::string::npos)
      << r.err;

  r = run_metronome(validate_args((dir.path() / "missing.yaml").string(), dir.path() / "out"));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;

  const std::string suite = write_tiny_suite(dir);
  r = run_metronome(validate_args(suite, dir.path() / "out", {"--shard", "3/2"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("metronome: --shard 3/2: I is larger than N (expected I/N with whole "
                       "numbers 1 <= I <= N, e.g. 1/4)"),
            std::string::npos)
      << r.err;

  r = run_metronome(validate_args(suite, dir.path() / "out", {"--jobs", "0"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  r = run_metronome(validate_args(suite, dir.path() / "out", {"--jobs", "abc"}));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--jobs: 'abc' is not an integer from 1 to 4096"), std::string::npos)
      << r.err;
  // A simulator that is not there is a bad option, not a suite of failed jobs.
  std::vector<std::string> no_simulator = validate_args(suite, dir.path() / "out");
  no_simulator.back() = "/nonexistent/simulator simulate";
  r = run_metronome(no_simulator);
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--sim-command: '/nonexistent/simulator' is not an executable file"),
            std::string::npos)
      << r.err;
  no_simulator.back() = "no-such-program-on-the-path simulate";
  r = run_metronome(no_simulator);
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("is not a program on PATH"), std::string::npos) << r.err;

  r = run_metronome({"validate", "--merge", (dir.path() / "out").string(), "--shard", "1/2"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--merge joins finished shards"), std::string::npos) << r.err;
  r = run_metronome({"validate", "--merge", (dir.path() / "out").string(), "--smallest-first"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("it takes no --shard, --resume, --smallest-first"), std::string::npos)
      << r.err;

  r = run_metronome({"validate", "--merge", "--out", (dir.path() / "m").string()});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--merge: '--out' is an option, not a shard directory"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "m"));

  r = run_metronome(
      {"validate", "--merge", dir.path().string(), "--out", (dir.path() / "m").string()});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("manifest.json: no manifest"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

// Kills `metronome validate` with SIGKILL once results.jsonl holds `lines` records.
void run_and_kill(const std::vector<std::string>& args, const fs::path& results,
                  std::size_t lines) {
  ProcessPool pool(1);  // destroying it sends SIGKILL to the run (and its process group)
  ChildSpec spec;
  spec.argv = {METRONOME_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::seconds(60);
  pool.start(0, spec);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(results) &&
        testing::lines_of(testing::read_file(results.string())).size() >= lines)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ADD_FAILURE() << "the run never wrote " << lines << " records";
}

TEST(ValidateCli, KilledRunResumesWithEveryJobOnce) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  // Reference: an uninterrupted run.
  ASSERT_EQ(run_metronome(validate_args(suite, dir.path() / "ref")).exit_status, 0);

  // A stand-in that takes 0.1 s a job, so that the run can be killed in the middle.
  const std::string slow =
      dir.write("slow_sim.sh", "#!/bin/sh\nsleep 0.1\nexec " + kStandIn + " \"$@\"\n");
  ::chmod(slow.c_str(), 0755);
  std::vector<std::string> args = validate_args(suite, dir.path() / "out");
  args.back() = slow;
  const fs::path results = dir.path() / "out" / "results.jsonl";
  run_and_kill(args, results, 5);
  const std::size_t before = testing::lines_of(testing::read_file(results.string())).size();
  EXPECT_GE(before, 5u);
  EXPECT_LT(before, 16u) << "the run ended before it was killed";
  // As if the kill had hit in the middle of a write.
  { std::ofstream(results, std::ios::app) << R"({"layer": "tiny/B", "dataf)"; }

  args.push_back("--resume");
  const e2e::RunResult r = run_metronome(args);
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_NE(r.err.find("dropped a truncated last line"), std::string::npos) << r.err;
  expect_all_16_records_once(dir.path() / "out");
  EXPECT_EQ(testing::read_file((dir.path() / "out" / "report.md").string()),
            testing::read_file((dir.path() / "ref" / "report.md").string()));
}

TEST(ValidateCli, MergedShardsGiveTheUnshardedReport) {
  TempDir dir;
  const std::string suite = write_tiny_suite(dir);
  ASSERT_EQ(run_metronome(validate_args(suite, dir.path() / "all")).exit_status, 0);
  for (const char* shard : {"1/2", "2/2"}) {
    const fs::path out = dir.path() / (std::string("shard") + shard[0]);
    const e2e::RunResult r = run_metronome(validate_args(suite, out, {"--shard", shard}));
    ASSERT_EQ(r.exit_status, 0) << r.describe();
    EXPECT_NE(r.out.find("4 jobs, 4 compared"), std::string::npos) << r.out;
  }
  const e2e::RunResult merged = run_metronome(
      {"validate", suite, "--no-plots", "--out", (dir.path() / "merged").string(), "--merge",
       (dir.path() / "shard1").string(), (dir.path() / "shard2").string()});
  ASSERT_EQ(merged.exit_status, 0) << merged.describe();
  EXPECT_NE(merged.out.find("8 jobs, 8 compared, 0 failed."), std::string::npos) << merged.out;
  expect_all_16_records_once(dir.path() / "merged");
  for (const char* f : {"report.md", "results.csv"})
    EXPECT_EQ(testing::read_file((dir.path() / "merged" / f).string()),
              testing::read_file((dir.path() / "all" / f).string()))
        << f;

  // A shard of another suite is refused.
  TempDir other;
  const std::string other_suite = write_tiny_suite(other, tiny_suite("", "[ideal]"));
  ASSERT_EQ(run_metronome(validate_args(other_suite, dir.path() / "other", {"--shard", "2/2"}))
                .exit_status,
            0);
  const e2e::RunResult refused =
      run_metronome({"validate", "--no-plots", "--out", (dir.path() / "bad").string(), "--merge",
                     (dir.path() / "shard1").string(), (dir.path() / "other").string()});
  EXPECT_EQ(refused.exit_status, 2) << refused.describe();
  EXPECT_NE(refused.err.find("refusing to merge different suites"), std::string::npos)
      << refused.err;
}

TEST(ValidateCli, PlotsOrANote) {
  TempDir dir;
  const std::string suite =
      write_tiny_suite(dir,
                       "name: one\nnetworks:\n  - network: tiny.m\n    layers: [A]\n"
                       "dataflows: [kcp_ws, rs]\nhardware: [ideal]\n");
  std::vector<std::string> args = validate_args(suite, dir.path() / "out");
  args.erase(std::find(args.begin(), args.end(), "--no-plots"));
  const e2e::RunResult r = run_metronome(args);
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const bool plotted = fs::exists(dir.path() / "out" / "runtime_model_vs_sim.png") &&
                       fs::exists(dir.path() / "out" / "error_by_dataflow.png");
  if (!plotted) {
    // Only acceptable without matplotlib, and then it says so.
    EXPECT_NE(r.err.find("metronome: note: no plots"), std::string::npos) << r.err;
    GTEST_SKIP() << "no python3 with matplotlib: " << r.err;
  }
  EXPECT_GT(fs::file_size(dir.path() / "out" / "runtime_model_vs_sim.png"), 1000u);
}

}  // namespace
}  // namespace metronome::validation
