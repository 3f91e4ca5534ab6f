// End-to-end tests of `metronome simulate --trace F.json / --vcd F / --trace-max-events N`
// through the real binary on a small layer: the Chrome trace is valid JSON with PE and link
// spans and metadata, the VCD has a header, variables and time 0, an unwritable path exits 2
// naming it, and the event limit truncates with a note.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/run_metronome.hpp"

namespace metronome::e2e {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::vector<std::string> small_layer(const std::string& layer = "conv3x3") {
  return {"simulate",   source_path("configs/networks/small.m"),
          "--layer",    layer,
          "--dataflow", "kcp_ws",
          "--hw",       "edge-256"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(TraceCli, ChromeTraceIsValidJsonWithPeAndLinkSpans) {
  TempDir dir;
  const std::string path = (dir.path() / "t.json").string();
  const RunResult r = run_metronome(with(small_layer(), {"--trace", path}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json trace = nlohmann::json::parse(read_file(path));
  ASSERT_TRUE(trace.contains("traceEvents"));
  std::set<std::string> processes;
  std::set<std::string> link_threads;
  std::set<std::string> pe_states;
  int pe_spans = 0, link_spans = 0, counters = 0;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") processes.insert(e["args"]["name"]);
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == 2)
      link_threads.insert(e["args"]["name"]);
    if (e["ph"] == "X" && e["pid"] == 1) ++pe_spans, pe_states.insert(e["name"]);
    if (e["ph"] == "X" && e["pid"] == 2) ++link_spans;
    if (e["ph"] == "C") ++counters;
    if (e["ph"] == "X") {
      EXPECT_GT(e["dur"].get<std::int64_t>(), 0);
      EXPECT_GE(e["ts"].get<std::int64_t>(), 0);
    }
  }
  EXPECT_EQ(processes, (std::set<std::string>{"PEs", "links", "memory"}));
  EXPECT_GT(pe_spans, 256);
  EXPECT_GT(link_spans, 0);
  EXPECT_GT(counters, 0);
  EXPECT_TRUE(pe_states.contains("busy"));
  EXPECT_TRUE(link_threads.contains("l2->r0") || link_threads.contains("r0->l2"))
      << "links are named as in the link statistics";
  EXPECT_TRUE(contains(trace["otherData"]["time_unit"], "1 simulated clock cycle"));
  EXPECT_FALSE(trace["otherData"].contains("truncated"));
  EXPECT_TRUE(contains(trace["otherData"]["run 0"], "conv3x3 / kcp_ws"));
}

TEST(TraceCli, VcdHasHeaderVariablesAndTimeZero) {
  TempDir dir;
  const std::string path = (dir.path() / "t.vcd").string();
  const RunResult r = run_metronome(with(small_layer(), {"--vcd", path}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const std::string vcd = read_file(path);
  EXPECT_EQ(vcd.rfind("$date", 0), 0u) << vcd.substr(0, 200);
  EXPECT_TRUE(contains(vcd, "$timescale 1ns $end"));
  EXPECT_TRUE(contains(vcd, "$var wire 2 ! pe0_state [1:0] $end"));
  EXPECT_TRUE(contains(vcd, " pe63_state "));  // the first 64 of 256 PEs
  EXPECT_FALSE(contains(vcd, " pe64_state "));
  for (const char* signal : {" macs ", " distribution_words_delivered ",
                             " reduction_words_delivered ", " l2_queued_requests ", " dram_busy "})
    EXPECT_TRUE(contains(vcd, signal)) << signal;
  EXPECT_TRUE(contains(vcd, "$enddefinitions $end"));
  EXPECT_TRUE(contains(vcd, "\n#0\n$dumpvars\n"));
}

TEST(TraceCli, BothFilesForSeveralLayers) {
  TempDir dir;
  const std::string trace_path = (dir.path() / "t.json").string();
  const std::string vcd_path = (dir.path() / "t.vcd").string();
  const RunResult r =
      run_metronome({"simulate", source_path("configs/networks/small.m"), "--dataflow", "kcp_ws",
                     "--hw", "mesh-64", "--trace", trace_path, "--vcd", vcd_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json trace = nlohmann::json::parse(read_file(trace_path));
  int pe_processes = 0;
  for (const nlohmann::json& e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "process_name" && e["args"]["name"] == "PEs") ++pe_processes;
  EXPECT_GE(pe_processes, 4);  // one per simulated layer
  EXPECT_TRUE(trace["otherData"].contains("run 1"));
  const std::string vcd = read_file(vcd_path);
  EXPECT_TRUE(contains(vcd, "$comment run 1: strided / kcp_ws starts at time "));
}

TEST(TraceCli, UnwritablePathExits2NamingIt) {
  TempDir dir;
  const std::string missing = (dir.path() / "no-such-dir" / "t.json").string();
  for (const char* option : {"--trace", "--vcd"}) {
    const RunResult r = run_metronome(with(small_layer(), {option, missing}));
    EXPECT_EQ(r.exit_status, 2) << option << ": " << r.describe();
    EXPECT_TRUE(contains(r.err, missing)) << option << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "cannot write")) << option << ": " << r.err;
  }
}

TEST(TraceCli, EventLimitTruncatesWithANote) {
  TempDir dir;
  const std::string path = (dir.path() / "t.json").string();
  const RunResult r =
      run_metronome(with(small_layer(), {"--trace", path, "--trace-max-events", "2000"}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_TRUE(contains(r.err, "trace truncated at cycle")) << r.err;
  const nlohmann::json trace = nlohmann::json::parse(read_file(path));
  int events = 0;
  for (const nlohmann::json& e : trace["traceEvents"])
    if (e["ph"] == "X" || e["ph"] == "C") ++events;
  EXPECT_LE(events, 2000);
  EXPECT_GT(events, 1000);
  ASSERT_TRUE(trace["otherData"].contains("truncated_at_cycle"));
  const std::int64_t at = trace["otherData"]["truncated_at_cycle"];
  EXPECT_GT(at, 0);
  EXPECT_TRUE(
      contains(trace["otherData"]["truncated"], "trace truncated at cycle " + std::to_string(at)));
  EXPECT_TRUE(contains(trace["otherData"]["truncated"], "--trace-max-events 2000"));

  const RunResult bad =
      run_metronome(with(small_layer(), {"--trace", path, "--trace-max-events", "0"}));
  EXPECT_EQ(bad.exit_status, 2) << bad.describe();
}

TEST(TraceCli, HelpDocumentsTheOptions) {
  const RunResult r = run_metronome({"simulate", "--help"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  for (const char* option :
       {"--trace", "--vcd", "--trace-max-events", "Perfetto", "1 us = 1 cycle"})
    EXPECT_TRUE(contains(r.out, option)) << option;
}

}  // namespace
}  // namespace metronome::e2e
