// results.jsonl (tolerant reading: a truncated last line, unreadable lines, repeated records)
// and manifest.json.

#include "validation/results.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/validation/validation_test_util.hpp"

namespace metronome::validation {
namespace {

using testing::TempDir;

Metrics record(const std::string& layer, Engine engine, std::int64_t runtime) {
  Metrics m;
  m.layer = layer;
  m.dataflow = "kcp_ws";
  m.hardware = "ideal";
  m.engine = engine;
  m.valid_mapping = true;
  m.runtime_cycles = runtime;
  m.macs = 100;
  if (engine == Engine::Sim) m.sim = SimExtras{};
  return m;
}

TEST(ValidationResults, MissingFileHasNoRecords) {
  TempDir dir;
  const LoadedResults r = read_results((dir.path() / "results.jsonl").string());
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.clean());
}

TEST(ValidationResults, AppendedRecordsReadBack) {
  TempDir dir;
  const std::string path = (dir.path() / "results.jsonl").string();
  {
    ResultsAppender a(path);
    a.append(record("n/A", Engine::Model, 10));
    a.append(record("n/A", Engine::Sim, 11));
  }
  {
    ResultsAppender a(path);  // appends, does not truncate
    a.append(record("n/B", Engine::Model, 20));
  }
  const LoadedResults r = read_results(path);
  EXPECT_TRUE(r.clean());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1].engine, Engine::Sim);
  EXPECT_EQ(r.records[1].runtime_cycles, 11);
  EXPECT_EQ(r.records[2].layer, "n/B");
  EXPECT_EQ(testing::lines_of(testing::read_file(path)).size(), 3u);
}

TEST(ValidationResults, TruncatedLastLineIsDropped) {
  TempDir dir;
  const std::string path = (dir.path() / "results.jsonl").string();
  const std::string whole =
      record_line(record("n/A", Engine::Model, 10)) + record_line(record("n/A", Engine::Sim, 11));
  const std::string third = record_line(record("n/B", Engine::Model, 20));
  // Killed at every possible byte of the third record: the first two survive, the third is
  // dropped unless its '\n' made it.
  for (std::size_t cut = 0; cut <= third.size(); ++cut) {
    dir.write("results.jsonl", whole + third.substr(0, cut));
    const LoadedResults r = read_results(path);
    const bool complete = cut == third.size();
    ASSERT_EQ(r.records.size(), complete ? 3u : 2u) << "cut at " << cut;
    EXPECT_EQ(r.dropped_lines, complete || cut == 0 ? 0u : 1u) << "cut at " << cut;
    if (!complete && cut > 0) {
      ASSERT_EQ(r.warnings.size(), 1u);
      EXPECT_NE(r.warnings[0].find("truncated"), std::string::npos) << r.warnings[0];
    }
  }
}

TEST(ValidationResults, UnreadableLinesAndRepeatsAreHandled) {
  TempDir dir;
  const std::string path =
      dir.write("results.jsonl", record_line(record("n/A", Engine::Model, 10)) + "not json\n" +
                                     "{\"layer\": \"x\"}\n" + "\n" +
                                     record_line(record("n/A", Engine::Model, 12)));
  const LoadedResults r = read_results(path);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].runtime_cycles, 12);  // the later record replaces the earlier one
  EXPECT_EQ(r.replaced, 1u);
  EXPECT_EQ(r.dropped_lines, 2u);
  EXPECT_EQ(r.warnings.size(), 2u);
  EXPECT_FALSE(r.clean());
  write_results(path, r.records);
  EXPECT_TRUE(read_results(path).clean());
}

// A record with a negative count (edited by hand, say) is dropped, not compared.
TEST(ValidationResults, NegativeCountsAreNotRecords) {
  TempDir dir;
  std::string edited = record_line(record("n/B", Engine::Sim, 11));
  const std::size_t at = edited.find("\"runtime_cycles\":11");
  ASSERT_NE(at, std::string::npos) << edited;
  edited.replace(at, 19, "\"runtime_cycles\":-11");
  const std::string path =
      dir.write("results.jsonl", record_line(record("n/A", Engine::Model, 10)) + edited);
  const LoadedResults r = read_results(path);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].layer, "n/A");
  EXPECT_EQ(r.dropped_lines, 1u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("\"runtime_cycles\" in a result record is negative (-11)"),
            std::string::npos)
      << r.warnings[0];
}

TEST(ValidationResults, ManifestRoundTrip) {
  TempDir dir;
  Manifest m;
  m.suite_name = "tiny";
  m.suite_file = "/x/suite.yaml";
  m.identity = "0123456789abcdef0123456789abcdef";
  m.engines = {Engine::Model, Engine::Sim};
  m.shard = "2/3";
  m.jobs = {{"n/A", "kcp_ws", "ideal"}, {"n/A", "rs", "ideal"}};
  const std::string path = (dir.path() / "manifest.json").string();
  write_manifest(path, m);
  const Manifest r = read_manifest(path);
  EXPECT_EQ(r.suite_name, m.suite_name);
  EXPECT_EQ(r.suite_file, m.suite_file);
  EXPECT_EQ(r.identity, m.identity);
  EXPECT_EQ(r.engines, m.engines);
  EXPECT_EQ(r.shard, m.shard);
  EXPECT_EQ(r.jobs, m.jobs);
  const nlohmann::json j = nlohmann::json::parse(testing::read_file(path));
  EXPECT_EQ(j.at("jobs_total"), 2);
}

TEST(ValidationResults, BadManifestsAreInputErrors) {
  TempDir dir;
  EXPECT_THROW(read_manifest((dir.path() / "manifest.json").string()), InputError);
  EXPECT_THROW(read_manifest(dir.write("a.json", "{\"format\": \"other\"}")), InputError);
  EXPECT_THROW(read_manifest(dir.write("b.json", "{not json")), InputError);
  EXPECT_THROW(
      read_manifest(dir.write("c.json", "{\"format\": \"metronome-validation-manifest/1\"}")),
      InputError);
}

}  // namespace
}  // namespace metronome::validation
