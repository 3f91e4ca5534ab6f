// The validation harness in-process: run_suite with `metronome model` standing in for the
// simulator (same options, same JSON output), failing and hanging simulators, resuming from a
// truncated results.jsonl, shards and their merge, and how a child's exit is turned into a
// record.

#include "validation/harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "tests/validation/validation_test_util.hpp"

namespace metronome::validation {
namespace {

namespace fs = std::filesystem;
using testing::record_counts;
using testing::shipped_dirs;
using testing::TempDir;
using testing::tiny_suite;
using testing::write_tiny_suite;

RunOptions options_for(const fs::path& out,
                       std::vector<std::string> sim_command = {METRONOME_BINARY, "model"}) {
  RunOptions o;
  o.out_dir = out.string();
  o.parallel = 2;
  o.sim_command = std::move(sim_command);
  o.plots.enabled = false;
  return o;
}

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

Outcome run(const ResolvedSuite& suite, const RunOptions& options) {
  std::ostringstream out, err;
  Outcome r;
  r.status = run_suite(suite, options, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Every record a job of the suite has: one per model variant, one of the simulator.
std::vector<RecordKey> keys_of(const ResolvedSuite& suite, const ValidationJob& job) {
  std::vector<RecordKey> keys;
  if (suite.runs(Engine::Model))
    for (const ModelVariant& v : suite.models) keys.push_back(model_key(job.key, v));
  if (suite.runs(Engine::Sim)) keys.push_back(sim_key(job.key));
  return keys;
}

void expect_each_record_once(const ResolvedSuite& suite, const fs::path& dir,
                             const std::vector<ValidationJob>& jobs) {
  const std::map<RecordKey, int> counts = record_counts((dir / "results.jsonl").string());
  std::size_t expected = 0;
  for (const ValidationJob& job : jobs)
    for (const RecordKey& key : keys_of(suite, job)) {
      ++expected;
      const auto it = counts.find(key);
      ASSERT_NE(it, counts.end()) << job.key.str() << " " << engine_name(key.engine) << " "
                                  << key.variant;
      EXPECT_EQ(it->second, 1) << job.key.str() << " " << engine_name(key.engine) << " "
                               << key.variant;
    }
  EXPECT_EQ(counts.size(), expected);
}

const std::string kTwoVariants = "models: [simple, contention]\n";

TEST(ValidationHarness, RunsEveryJobThroughBothEngines) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  const Outcome r = run(suite, options_for(out));
  EXPECT_EQ(r.status, 0) << r.err;
  expect_each_record_once(suite, out, suite.jobs);
  for (const char* f : {"results.jsonl", "results.csv", "report.md", "manifest.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_FALSE(fs::exists(out / "tmp"));
  EXPECT_EQ(testing::lines_of(testing::read_file((out / "results.csv").string())).size(), 17u);
  EXPECT_EQ(read_manifest((out / "manifest.json").string()).identity, suite.identity);
  // The stand-in computes what the model computes: every error is 0.
  EXPECT_NE(r.out.find("all       all          8         8            0.00         0.00       0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("[8/8]"), std::string::npos) << r.err;
  const LoadedResults results = read_results((out / "results.jsonl").string());
  for (const Metrics& m : results.records) {
    EXPECT_EQ(m.status, RecordStatus::Ok) << m.layer << " " << m.note;
    EXPECT_EQ(m.layer.rfind("tiny/", 0), 0u) << m.layer;
  }
}

// tiny.m's layer B has 4,608 MACs, A 10,368: B's jobs run first, and the outputs are the same.
TEST(ValidationHarness, SmallestFirstRunsTheJobsWithFewestMacsFirstAndChangesNoOutput) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  ASSERT_LT(suite.layer_of(suite.jobs.back()).macs(), suite.layer_of(suite.jobs.front()).macs());
  RunOptions in_order = options_for(dir.path() / "in_order");
  RunOptions smallest = options_for(dir.path() / "smallest");
  in_order.parallel = smallest.parallel = 1;  // records in the order the jobs ran
  smallest.smallest_first = true;
  ASSERT_EQ(run(suite, in_order).status, 0);
  ASSERT_EQ(run(suite, smallest).status, 0);
  const auto layers = [](const RunOptions& o) {
    std::vector<std::string> seen;
    for (const Metrics& m : read_results(o.out_dir + "/results.jsonl").records)
      seen.push_back(m.layer);
    return seen;
  };
  const std::vector<std::string> first = layers(in_order), second = layers(smallest);
  ASSERT_EQ(first.size(), 16u);
  ASSERT_EQ(second.size(), 16u);
  EXPECT_EQ(first.front(), "tiny/A");
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(second[i], i < 8 ? "tiny/B" : "tiny/A") << i;
  for (const char* f : {"report.md", "results.csv"})
    EXPECT_EQ(testing::read_file(in_order.out_dir + "/" + f),
              testing::read_file(smallest.out_dir + "/" + f))
        << f;
}

TEST(ValidationHarness, AFailingSimulatorGivesFailedRecordsAndTheSuiteGoesOn) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  // What every job gets until `metronome simulate` exists: the CLI's complaint, exit status 2.
  const Outcome r = run(suite, options_for(out, {METRONOME_BINARY, "no-such-subcommand"}));
  EXPECT_EQ(r.status, 1);
  expect_each_record_once(suite, out, suite.jobs);
  for (const Metrics& m : read_results((out / "results.jsonl").string()).records) {
    if (m.engine == Engine::Model) {
      EXPECT_EQ(m.status, RecordStatus::Ok);
      continue;
    }
    EXPECT_EQ(m.status, RecordStatus::Failed);
    EXPECT_NE(m.note.find("exited with status 2 and wrote no results: metronome: "),
              std::string::npos)
        << m.note;
  }
  EXPECT_TRUE(fs::is_directory(out / "logs"));
  const std::string report = testing::read_file((out / "report.md").string());
  EXPECT_NE(report.find("| tiny/A | kcp_ws | ideal | sim | failed |"), std::string::npos);
  EXPECT_NE(r.out.find("all       all          8         0               -            -       8"),
            std::string::npos)
      << r.out;

  const Outcome missing = run(suite, options_for(dir.path() / "out2", {"/nonexistent/simulator"}));
  EXPECT_EQ(missing.status, 1);
  for (const Metrics& m : read_results((dir.path() / "out2" / "results.jsonl").string()).records)
    if (m.engine == Engine::Sim) {
      EXPECT_NE(m.note.find("could not start"), std::string::npos);
    }
}

// A long simulation prints progress lines (cli/sim_progress.hpp) before it fails: the record's
// note names the error, not the progress.
TEST(ValidationHarness, AFailureNoteSkipsProgressLines) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  const Outcome r = run(
      suite, options_for(out, {"/bin/sh", "-c",
                               "echo 'metronome: progress: A x kcp_ws x ideal: 5.0 % of 10 MACs' "
                               ">&2; echo 'metronome: tiny.m:3: what broke' >&2; exit 2",
                               "sh"}));
  EXPECT_EQ(r.status, 1);
  int failed = 0;
  for (const Metrics& m : read_results((out / "results.jsonl").string()).records) {
    if (m.engine != Engine::Sim) continue;
    ++failed;
    EXPECT_NE(m.note.find("metronome: tiny.m:3: what broke"), std::string::npos) << m.note;
    EXPECT_EQ(m.note.find("progress"), std::string::npos) << m.note;
  }
  EXPECT_GT(failed, 0);
}

// While simulations run, the report says how far each is from its progress lines, once per
// change (a plain line each), and the suite's ETA counts only what is left of them.
TEST(ValidationHarness, TheReportSaysHowFarRunningSimulationsAre) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  RunOptions options =
      options_for(out, {"/bin/sh", "-c",
                        "echo 'metronome: progress: A x kcp_ws x ideal: 40.0 % of 1024 MACs, cycle "
                        "9, 0.1 k cycles/s, 3 s elapsed, about 5 s left' >&2; sleep 1; exec " +
                            std::string(METRONOME_BINARY) + " model \"$@\"",
                        "sh"});
  options.running_report_seconds = 0.1;
  const Outcome r = run(suite, options);
  EXPECT_EQ(r.status, 0) << r.err;
  std::size_t lines = 0;
  for (std::size_t at = r.err.find("metronome: validate: running "); at != std::string::npos;
       at = r.err.find("metronome: validate: running ", at + 1)) {
    ++lines;
    const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
    EXPECT_NE(line.find(": 40.0 % of its MACs, about 5 s left | 0 failed | ETA "),
              std::string::npos)
        << line;
  }
  // Each simulation's line once, however many reports ran during its second.
  EXPECT_EQ(lines, suite.jobs.size()) << r.err;
  expect_each_record_once(suite, out, suite.jobs);
}

TEST(ValidationHarness, TimeoutKillsAHungSimulation) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(
      write_tiny_suite(dir,
                       "name: hang\ntimeout_seconds: 0.3\nnetworks:\n  - network: tiny.m\n"
                       "    layers: [A]\ndataflows: [kcp_ws]\nhardware: [ideal, mesh-64]\n"),
      shipped_dirs());
  const auto start = std::chrono::steady_clock::now();
  const Outcome r = run(suite, options_for(dir.path() / "out", {"/bin/sh", "-c", "sleep 30"}));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  EXPECT_EQ(r.status, 1);
  const LoadedResults results = read_results((dir.path() / "out" / "results.jsonl").string());
  ASSERT_EQ(results.records.size(), 4u);
  for (const Metrics& m : results.records)
    if (m.engine == Engine::Sim) {
      EXPECT_NE(m.note.find("timed out after 0.3 s"), std::string::npos);
    }
}

TEST(ValidationHarness, ResumeDropsATruncatedLineAndRunsOnlyWhatIsMissing) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  RunOptions o = options_for(out);
  o.parallel = 1;
  ASSERT_EQ(run(suite, o).status, 0);
  const std::string report = testing::read_file((out / "report.md").string());

  // As if killed while writing the 6th record: 5 whole lines and half of the next.
  const std::string path = (out / "results.jsonl").string();
  const std::vector<std::string> lines = testing::lines_of(testing::read_file(path));
  ASSERT_EQ(lines.size(), 16u);
  std::string cut;
  for (std::size_t i = 0; i < 5; ++i) cut += lines[i] + "\n";
  cut += lines[5].substr(0, lines[5].size() / 2);
  dir.write("out/results.jsonl", cut);

  o.resume = true;
  const Outcome r = run(suite, o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("dropped a truncated last line"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 of 8 jobs already in the results"), std::string::npos) << r.err;
  expect_each_record_once(suite, out, suite.jobs);
  EXPECT_TRUE(read_results(path).clean());
  EXPECT_EQ(testing::read_file((out / "report.md").string()), report);

  // Nothing left to do: a second resume runs no job and changes nothing.
  const Outcome again = run(suite, o);
  EXPECT_EQ(again.status, 0);
  EXPECT_NE(again.err.find("0 jobs run"), std::string::npos) << again.err;
  expect_each_record_once(suite, out, suite.jobs);
}

TEST(ValidationHarness, ResumeRefusesAnotherSuiteOrShard) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  const fs::path out = dir.path() / "out";
  ASSERT_EQ(run(suite, options_for(out)).status, 0);
  TempDir other_dir;
  const ResolvedSuite other =
      load_suite(write_tiny_suite(other_dir, tiny_suite("", "[ideal]")), shipped_dirs());
  RunOptions o = options_for(out);
  o.resume = true;
  try {
    run(other, o);
    FAIL() << "resumed another suite's results";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("holds results of suite 'tiny'"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.where().file, (out / "manifest.json").string());
  }
  o.shard = Shard{1, 2};
  try {
    run(suite, o);
    FAIL() << "resumed another shard";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("holds shard 1/1, not shard 1/2"), std::string::npos)
        << e.what();
  }
  // Without --resume the directory starts over.
  o.resume = false;
  EXPECT_EQ(run(other, o).status, 0);
  expect_each_record_once(other, out, shard_jobs(other.jobs, Shard{1, 2}));
}

void expect_merged_shards_give_the_unsharded_report(const std::string& suite_text) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir, suite_text), shipped_dirs());
  ASSERT_EQ(run(suite, options_for(dir.path() / "all")).status, 0);
  std::vector<std::string> shard_dirs;
  for (std::size_t i = 1; i <= 3; ++i) {
    RunOptions o = options_for(dir.path() / ("s" + std::to_string(i)));
    o.shard = Shard{i, 3};
    ASSERT_EQ(run(suite, o).status, 0);
    expect_each_record_once(suite, o.out_dir, shard_jobs(suite.jobs, o.shard));
    shard_dirs.push_back(o.out_dir);
  }
  MergeOptions m;
  m.out_dir = (dir.path() / "merged").string();
  m.plots.enabled = false;
  std::ostringstream out, err;
  EXPECT_EQ(merge_results(shard_dirs, m, out, err, &suite), 0) << err.str();
  EXPECT_EQ(err.str().find("warning"), std::string::npos) << err.str();
  expect_each_record_once(suite, m.out_dir, suite.jobs);
  for (const char* f : {"report.md", "results.csv"})
    EXPECT_EQ(testing::read_file((dir.path() / "merged" / f).string()),
              testing::read_file((dir.path() / "all" / f).string()))
        << f;
  EXPECT_EQ(read_manifest((dir.path() / "merged" / "manifest.json").string()).shard, "merged");

  // Two of three shards: merged with a warning, the missing jobs listed in the report.
  std::ostringstream out2, err2;
  m.out_dir = (dir.path() / "partial").string();
  EXPECT_EQ(merge_results({shard_dirs[0], shard_dirs[1]}, m, out2, err2), 0);
  EXPECT_NE(err2.str().find("2 of 8 jobs have no complete results"), std::string::npos)
      << err2.str();
  EXPECT_NE(testing::read_file((dir.path() / "partial" / "report.md").string()).find("| missing |"),
            std::string::npos);
}

TEST(ValidationHarness, MergedShardsGiveTheUnshardedReport) {
  expect_merged_shards_give_the_unsharded_report(tiny_suite());
}

TEST(ValidationHarness, MergedShardsOfTwoModelVariantsGiveTheUnshardedReport) {
  expect_merged_shards_give_the_unsharded_report(tiny_suite(kTwoVariants));
}

TEST(ValidationHarness, EveryModelVariantGetsItsOwnRecordNamingIt) {
  TempDir dir;
  const ResolvedSuite suite =
      load_suite(write_tiny_suite(dir, tiny_suite(kTwoVariants)), shipped_dirs());
  ASSERT_EQ(suite.models.size(), 2u);
  const fs::path out = dir.path() / "out";
  const Outcome r = run(suite, options_for(out));
  EXPECT_EQ(r.status, 0) << r.err;
  expect_each_record_once(suite, out, suite.jobs);  // 8 jobs x (2 variants + sim) = 24
  const LoadedResults results = read_results((out / "results.jsonl").string());
  ASSERT_EQ(results.records.size(), 24u);
  std::map<std::string, int> per_variant;
  for (const Metrics& m : results.records) {
    if (m.engine != Engine::Model) {
      EXPECT_EQ(m.noc_model, NocModelName::Simple);  // the stand-in is `metronome model`
      continue;
    }
    ++per_variant[variant_of(m).name()];
    EXPECT_EQ(m.semantics, SemanticsMode::Exact);
  }
  EXPECT_EQ(per_variant["exact/simple"], 8);
  EXPECT_EQ(per_variant["exact/contention"], 8);
  // The contention model differs from the stand-in (simple) somewhere: its own records.
  const std::string lines = testing::read_file((out / "results.jsonl").string());
  EXPECT_NE(lines.find("\"noc_model\":\"contention\""), std::string::npos);
  EXPECT_EQ(read_manifest((out / "manifest.json").string()).models,
            (std::vector<std::string>{"exact/simple", "exact/contention"}));
  // The progress line names each variant's error; the summary has both variants' columns.
  EXPECT_NE(r.err.find("runtime error exact/simple +0.00 %; runtime error exact/contention "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("MAPE % exact/simple"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MAPE % exact/contention"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8 jobs, 8 (exact/simple), 8 (exact/contention) compared, 0 failed."),
            std::string::npos)
      << r.out;
}

TEST(ValidationHarness, ResumeCountsEachModelVariantAsItsOwnRecord) {
  TempDir dir;
  const ResolvedSuite suite =
      load_suite(write_tiny_suite(dir, tiny_suite(kTwoVariants)), shipped_dirs());
  const fs::path out = dir.path() / "out";
  RunOptions o = options_for(out);
  ASSERT_EQ(run(suite, o).status, 0);
  const std::string report = testing::read_file((out / "report.md").string());

  // Drop every exact/contention record: resuming runs those 8 model evaluations and nothing
  // else (the simulator's and the simple model's records are kept as they are).
  const std::string path = (out / "results.jsonl").string();
  std::string kept;
  std::size_t dropped = 0;
  for (const std::string& line : testing::lines_of(testing::read_file(path))) {
    if (line.find("\"noc_model\":\"contention\"") != std::string::npos) {
      ++dropped;
      continue;
    }
    kept += line + "\n";
  }
  ASSERT_EQ(dropped, 8u);
  dir.write("out/results.jsonl", kept);
  o.resume = true;
  const Outcome r = run(suite, o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("metronome: validate: 8 jobs run"), std::string::npos) << r.err;
  expect_each_record_once(suite, out, suite.jobs);
  const std::vector<std::string> lines = testing::lines_of(testing::read_file(path));
  ASSERT_EQ(lines.size(), 24u);
  // The kept 16 lines are untouched, the 8 appended ones are the contention records.
  std::string first16;
  for (std::size_t i = 0; i < 16; ++i) first16 += lines[i] + "\n";
  EXPECT_EQ(first16, kept);
  for (std::size_t i = 16; i < 24; ++i)
    EXPECT_NE(lines[i].find("\"noc_model\":\"contention\""), std::string::npos) << lines[i];
  EXPECT_EQ(testing::read_file((out / "report.md").string()), report);

  // A directory of the one-variant suite is another suite for --resume.
  const ResolvedSuite one = load_suite(write_tiny_suite(dir), shipped_dirs());
  EXPECT_NE(one.identity, suite.identity);
  EXPECT_THROW(run(one, o), InputError);
}

TEST(ValidationHarness, MergeRefusesDifferentSuites) {
  TempDir dir;
  const ResolvedSuite suite = load_suite(write_tiny_suite(dir), shipped_dirs());
  TempDir other_dir;
  const ResolvedSuite other =
      load_suite(write_tiny_suite(other_dir, tiny_suite("", "[ideal]")), shipped_dirs());
  RunOptions a = options_for(dir.path() / "a");
  a.shard = Shard{1, 2};
  RunOptions b = options_for(dir.path() / "b");
  b.shard = Shard{2, 2};
  ASSERT_EQ(run(suite, a).status, 0);
  ASSERT_EQ(run(other, b).status, 0);
  MergeOptions m;
  m.out_dir = (dir.path() / "merged").string();
  m.plots.enabled = false;
  std::ostringstream out, err;
  try {
    merge_results({a.out_dir, b.out_dir}, m, out, err);
    FAIL() << "merged different suites";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to merge different suites"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.where().file, (fs::path(b.out_dir) / "manifest.json").string());
  }
  EXPECT_FALSE(fs::exists(dir.path() / "merged" / "report.md"));
  // The suite given with --merge must be the shards' suite too.
  EXPECT_THROW(merge_results({a.out_dir}, m, out, err, &other), InputError);
  // A directory that is not an output directory.
  EXPECT_THROW(merge_results({dir.path().string()}, m, out, err), InputError);
  EXPECT_THROW(merge_results({}, m, out, err), InputError);
}

// ---- a child's exit -> a record ----------------------------------------------------------

class SimRecordTest : public ::testing::Test {
 protected:
  SimRecordTest() {
    job_.key = JobKey{"tiny/A", "kcp_ws", "ideal"};
    json_ = (dir_.path() / "r.json").string();
    stderr_ = (dir_.path() / "r.stderr").string();
  }
  // A record as `metronome model/simulate --json` writes it (an array of one).
  void write_record(RecordStatus status, const std::string& functional_check) {
    Metrics m;
    m.layer = "A";  // the child names the layer without its network
    m.dataflow = "kcp_ws";
    m.hardware = "ideal";
    m.engine = Engine::Sim;
    m.status = status;
    m.valid_mapping = status == RecordStatus::Ok;
    m.runtime_cycles = 1234;
    if (!functional_check.empty()) {
      m.sim = SimExtras{};
      m.sim->functional_check = functional_check;
      m.sim->wall_seconds = 0.5;
    }
    std::ostringstream s;
    write_json(s, {m});
    dir_.write("r.json", s.str());
  }
  Metrics from(int exit_status, const std::string& stderr_text = "") {
    dir_.write("r.stderr", stderr_text);
    ChildResult c;
    c.started = true;
    c.exit_status = exit_status;
    return sim_record_from_child(job_, c, json_, stderr_, 600);
  }

  TempDir dir_;
  ValidationJob job_;
  std::string json_;
  std::string stderr_;
};

TEST_F(SimRecordTest, ExitZeroKeepsTheRecordUnderTheJobsKey) {
  write_record(RecordStatus::Ok, "pass");
  const Metrics m = from(0);
  EXPECT_EQ(m.status, RecordStatus::Ok);
  EXPECT_EQ(m.layer, "tiny/A");
  EXPECT_EQ(m.engine, Engine::Sim);
  EXPECT_EQ(m.runtime_cycles, 1234);
}

TEST_F(SimRecordTest, ARecordOfAnotherJobIsRefused) {
  write_record(RecordStatus::Ok, "pass");
  job_.key.dataflow = "rs";
  const Metrics m = from(0);
  EXPECT_EQ(m.status, RecordStatus::Failed);
  EXPECT_EQ(m.note,
            "the simulator's record is for layer 'A', dataflow 'kcp_ws', hardware 'ideal' (exit "
            "status 0)");
  EXPECT_EQ(m.dataflow, "rs");
}

TEST_F(SimRecordTest, ModelStandInRecordsBecomeSimRecords) {
  write_record(RecordStatus::Ok, "");
  std::string text = testing::read_file(json_);
  text.replace(text.find("\"sim\""), 5, "\"model\"");
  dir_.write("r.json", text);
  const Metrics m = from(0);
  EXPECT_EQ(m.status, RecordStatus::Ok);
  EXPECT_EQ(m.engine, Engine::Sim);
}

TEST_F(SimRecordTest, FunctionalCheckFailureIsAFailedRecord) {
  write_record(RecordStatus::Ok, "fail: output (0,0,1,2) is 7, expected 9");
  for (int status : {0, 1}) {
    const Metrics m = from(status);
    EXPECT_EQ(m.status, RecordStatus::Failed);
    EXPECT_EQ(m.note, "functional check failed: fail: output (0,0,1,2) is 7, expected 9");
    ASSERT_TRUE(m.sim.has_value());
    EXPECT_EQ(to_json(m).at("functional_check"), "fail: output (0,0,1,2) is 7, expected 9");
  }
}

TEST_F(SimRecordTest, ExitOneWithoutAFunctionalFailure) {
  write_record(RecordStatus::Ok, "pass");
  const Metrics m = from(1, "metronome: sim: the run stalled for 100000 cycles\n");
  EXPECT_EQ(m.status, RecordStatus::Failed);
  EXPECT_EQ(m.note,
            "the simulator reported a failed check (exit status 1): metronome: sim: the run "
            "stalled for 100000 cycles");
}

TEST_F(SimRecordTest, ExitTwoWithAnInvalidMappingKeepsIt) {
  write_record(RecordStatus::InvalidMapping, "");
  EXPECT_EQ(from(2).status, RecordStatus::InvalidMapping);
  write_record(RecordStatus::Ok, "pass");
  EXPECT_EQ(from(2).status, RecordStatus::Failed);
}

TEST_F(SimRecordTest, NoOutput) {
  const Metrics m =
      from(2,
           "some noise\nmetronome: The following argument was not expected: simulate\nRun "
           "with --help for more information.\n");
  EXPECT_EQ(m.status, RecordStatus::Failed);
  EXPECT_EQ(m.note,
            "the simulator exited with status 2 and wrote no results: metronome: The following "
            "argument was not expected: simulate");
  EXPECT_EQ(m.layer, "tiny/A");
  EXPECT_EQ(m.engine, Engine::Sim);
  EXPECT_TRUE(m.sim.has_value());
}

TEST_F(SimRecordTest, UnreadableOrUnexpectedOutput) {
  dir_.write("r.json", "[{\"broken\": ");
  EXPECT_NE(from(0).note.find("not JSON"), std::string::npos);
  dir_.write("r.json", "[1]");
  EXPECT_NE(from(0).note.find("not a record"), std::string::npos);
  dir_.write("r.json", "[]");
  EXPECT_NE(from(0).note.find("wrote 0 records"), std::string::npos);
}

TEST_F(SimRecordTest, TimeoutsSignalsAndSpawnFailures) {
  ChildResult c;
  c.started = true;
  c.timed_out = true;
  EXPECT_EQ(sim_record_from_child(job_, c, json_, stderr_, 12).note,
            "timed out after 12 s (the suite's timeout_seconds) and was killed");
  c.timed_out = false;
  c.signal = 11;
  EXPECT_NE(sim_record_from_child(job_, c, json_, stderr_, 12).note.find("killed by signal 11"),
            std::string::npos);
  ChildResult not_started;
  not_started.error = "cannot run x: Permission denied";
  EXPECT_EQ(sim_record_from_child(job_, not_started, json_, stderr_, 12).note,
            "could not start the simulator: cannot run x: Permission denied");
}

}  // namespace
}  // namespace metronome::validation
