// `metronome` end to end: the model subcommand on small workloads written by the test, its
// table, JSON and CSV outputs, exit statuses and error messages.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "spec/metrics.hpp"
#include "tests/e2e/run_metronome.hpp"

namespace metronome::e2e {
namespace {

// A 4x4 3x3 convolution on 6x6 inputs (4x4 outputs) with a valid KC-P style inline dataflow:
// 4 * 4 * 3 * 3 * 4 * 4 = 2304 MACs.
const char* const kTiny = R"(// written by cli_test
Network tiny {
Layer TINY {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 4, C: 4, R: 3, S: 3, Y: 6, X: 6 }
  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(4,4) C;
    TemporalMap(Sz(R),Sz(R)) R;
    TemporalMap(Sz(S),Sz(S)) S;
    TemporalMap(Sz(R),1) Y;
    TemporalMap(Sz(S),1) X;
  }
}
Layer SECOND {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 8, C: 4, R: 1, S: 1, Y: 4, X: 4 }
  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(4,4) C;
    TemporalMap(1,1) Y;
    TemporalMap(1,1) X;
  }
}
}
)";

// Y tiles of 3 rows at offset 3 with R = 3: output rows 1 and 2 are computed by nobody, so
// 4 * 4 * 3 * 3 * 2 * 4 = 1152 MACs are missing and none duplicated. The Dataflow block
// starts on line 7.
const char* const kInvalid = R"(Network broken {
Layer BAD {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 4, C: 4, R: 3, S: 3, Y: 6, X: 6 }

  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(4,4) C;
    TemporalMap(Sz(R),Sz(R)) R;
    TemporalMap(Sz(S),Sz(S)) S;
    TemporalMap(Sz(R),Sz(R)) Y;
    TemporalMap(Sz(S),1) X;
  }
}
}
)";

// No Dataflow block: needs --dataflow.
const char* const kPlain = R"(Network plain {
Layer PLAIN {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 8, X: 8 }
}
}
)";

const char* const kDataflowFile = R"(// a dataflow file written by cli_test
Dataflow {
  SpatialMap(1,1) K;
  TemporalMap(Sz(C),Sz(C)) C;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  TemporalMap(Sz(R),1) Y;
  TemporalMap(Sz(S),1) X;
}
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Cli, HelpListsTheModelSubcommand) {
  const RunResult r = run_metronome({"--help"});
  EXPECT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "model")) << r.describe();
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const RunResult r = run_metronome({});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "metronome: ")) << r.describe();
}

TEST(Cli, UnknownOptionIsAUsageError) {
  TempDir dir;
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--frobnicate"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "frobnicate")) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

TEST(Cli, UnknownSemanticsIsAUsageError) {
  TempDir dir;
  const RunResult r =
      run_metronome({"model", dir.write("tiny.m", kTiny), "--semantics", "approximate"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "approximate")) << r.describe();
}

TEST(Cli, ModelPrintsATableOfEveryLayer) {
  TempDir dir;
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny)});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "runtime cycles")) << r.describe();
  EXPECT_TRUE(contains(r.out, "TINY")) << r.describe();
  EXPECT_TRUE(contains(r.out, "SECOND")) << r.describe();
  EXPECT_TRUE(contains(r.out, "2,304")) << "MACs of TINY: " << r.describe();
  EXPECT_EQ(r.err, "") << r.describe();
}

TEST(Cli, LayerSelectsOneLayer) {
  TempDir dir;
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--layer", "SECOND"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "SECOND")) << r.describe();
  EXPECT_FALSE(contains(r.out, "TINY")) << r.describe();
}

TEST(Cli, JsonRecordsHaveEverySchemaField) {
  TempDir dir;
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--json", json_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_TRUE(records.is_array());
  ASSERT_EQ(records.size(), 2u);
  // The fields of docs/result-schema.md, as JSON pointers.
  std::vector<std::string> fields = {
      "/layer",         "/dataflow",     "/hardware",        "/engine",        "/semantics",
      "/status",        "/note",         "/runtime_cycles",  "/macs",          "/pe_utilization",
      "/valid_mapping", "/missing_macs", "/duplicated_macs", "/first_missing", "/first_duplicated",
      "/steps",         "/empty_steps"};
  for (const char* level : {"dram", "l2", "l1"})
    for (const char* tensor : {"input", "weight", "output"})
      for (const char* rw : {"reads", "writes"})
        fields.push_back(std::string("/traffic/") + level + "/" + tensor + "/" + rw);
  for (const char* f : {"ingress_words", "egress_words", "multicast_factor"})
    fields.push_back(std::string("/noc/") + f);
  for (const char* f : {"l1", "l2"}) fields.push_back(std::string("/buffer_words_required/") + f);
  for (const char* f : {"total", "mac", "l1", "l2", "noc", "dram"})
    fields.push_back(std::string("/energy_pj/") + f);
  for (const nlohmann::json& record : records) {
    for (const std::string& f : fields)
      EXPECT_TRUE(record.contains(nlohmann::json::json_pointer(f))) << f << " in " << record;
    EXPECT_EQ(record["engine"], "model");
    EXPECT_EQ(record["semantics"], "exact");
    EXPECT_EQ(record["status"], "ok") << record;
    EXPECT_EQ(record["valid_mapping"], true) << record;
    EXPECT_TRUE(record["runtime_cycles"].is_number_integer()) << record;
    EXPECT_FALSE(record.contains("stall_cycles")) << "simulator-only field in a model record";
  }
  EXPECT_EQ(records[0]["layer"], "TINY");
  EXPECT_EQ(records[0]["macs"], 2304);
  EXPECT_EQ(records[1]["layer"], "SECOND");
  EXPECT_EQ(records[1]["macs"], 8 * 4 * 4 * 4);
  // The records read back.
  EXPECT_EQ(from_json(records[0]).macs, 2304);
}

TEST(Cli, CsvHeaderIsTheSchemaColumns) {
  TempDir dir;
  const std::string csv_path = (dir.path() / "out.csv").string();
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--csv", csv_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const std::vector<std::string> lines = lines_of(read_file(csv_path));
  ASSERT_EQ(lines.size(), 3u);
  std::string header;
  for (const std::string& c : csv_columns()) header += (header.empty() ? "" : ",") + c;
  EXPECT_EQ(lines[0], header);
  EXPECT_EQ(lines[1].rfind("TINY,", 0), 0u) << lines[1];
  // The table still goes to stdout.
  EXPECT_TRUE(contains(r.out, "TINY")) << r.describe();
}

TEST(Cli, JsonToStdoutReplacesTheTable) {
  TempDir dir;
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--json", "-"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(r.out);
  EXPECT_EQ(records.size(), 2u);
}

TEST(Cli, InvalidMappingExitsTwoWithCountsOnStderr) {
  TempDir dir;
  const std::string path = dir.write("broken.m", kInvalid);
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome({"model", path, "--json", json_path});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  // The record is still reported, on stdout and in the JSON.
  EXPECT_TRUE(contains(r.out, "BAD")) << r.describe();
  EXPECT_TRUE(contains(r.out, "invalid_mapping")) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["status"], "invalid_mapping");
  EXPECT_EQ(records[0]["valid_mapping"], false);
  EXPECT_EQ(records[0]["missing_macs"], 1152);
  EXPECT_TRUE(records[0]["runtime_cycles"].is_null()) << "no cost figures for invalid mappings";
  EXPECT_TRUE(records[0]["energy_pj"]["total"].is_null());

  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.describe();
  // metronome: PATH:LINE: layer BAD with dataflow DF: invalid mapping: 1152 missing MACs, 0
  // duplicated MACs (first missing (n,k,c,r,s,y',x'))   (no std::regex: GCC 12 -O2 + ASan
  // warns inside <regex>)
  const std::string& line = lines[0];
  const std::string prefix = "metronome: " + path + ":";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  std::size_t at = prefix.size();
  const std::size_t digits = line.find_first_not_of("0123456789", at);
  ASSERT_NE(digits, std::string::npos) << line;
  EXPECT_GT(digits, at) << "a line number: " << line;
  const std::string layer_part = ": layer BAD with dataflow ";
  ASSERT_EQ(line.compare(digits, layer_part.size(), layer_part), 0) << line;
  const std::string counts =
      ": invalid mapping: 1152 missing MACs, 0 duplicated MACs (first missing (";
  at = line.find(counts, digits + layer_part.size());
  ASSERT_NE(at, std::string::npos) << line;
  EXPECT_EQ(line.find(' ', digits + layer_part.size()), at + 1) << "dataflow name: " << line;
  const std::string coordinate = line.substr(at + counts.size());
  ASSERT_GE(coordinate.size(), 2u) << line;
  EXPECT_EQ(coordinate.substr(coordinate.size() - 2), "))") << line;
  const std::string numbers = coordinate.substr(0, coordinate.size() - 2);
  EXPECT_EQ(std::count(numbers.begin(), numbers.end(), ','), 6) << line;
  EXPECT_EQ(numbers.find_first_not_of("0123456789,-"), std::string::npos) << line;
}

TEST(Cli, UnknownLayerNameExitsTwo) {
  TempDir dir;
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--layer", "CONV99"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "CONV99")) << r.describe();
  EXPECT_TRUE(contains(r.err, "TINY")) << "the message lists valid names: " << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

TEST(Cli, MissingWorkloadFileExitsTwoNamingIt) {
  TempDir dir;
  const std::string path = (dir.path() / "no_such_workload.m").string();
  const RunResult r = run_metronome({"model", path});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, path)) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

TEST(Cli, LayerWithoutDataflowNeedsTheOption) {
  TempDir dir;
  const std::string path = dir.write("plain.m", kPlain);
  const RunResult r = run_metronome({"model", path});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, path)) << r.describe();
  EXPECT_TRUE(contains(r.err, "--dataflow")) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

TEST(Cli, UnknownDataflowNameExitsTwo) {
  TempDir dir;
  const RunResult r =
      run_metronome({"model", dir.write("plain.m", kPlain), "--dataflow", "no_such_dataflow"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "no_such_dataflow")) << r.describe();
  EXPECT_TRUE(contains(r.err, "kcp_ws")) << "the message lists the library: " << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

TEST(Cli, DataflowFromAFile) {
  TempDir dir;
  const std::string dataflow = dir.write("my_flow.m", kDataflowFile);
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome(
      {"model", dir.write("plain.m", kPlain), "--dataflow", dataflow, "--json", json_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["dataflow"], "my_flow");
  EXPECT_EQ(records[0]["status"], "ok") << records[0];
  EXPECT_EQ(records[0]["macs"], 16 * 16 * 3 * 3 * 6 * 6);
}

TEST(Cli, LibraryDataflowByName) {
  TempDir dir;
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome(
      {"model", dir.write("plain.m", kPlain), "--dataflow", "kcp_ws", "--json", json_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["dataflow"], "kcp_ws");
  EXPECT_EQ(records[0]["hardware"], "edge-256") << "the default hardware";
}

TEST(Cli, AllDataflowsGiveOneRecordEach) {
  TempDir dir;
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome(
      {"model", dir.write("plain.m", kPlain), "--dataflow", "all", "--json", json_path});
  // Some library dataflows may not suit this layer (exit 2 with their lines on stderr).
  ASSERT_TRUE(r.exit_status == 0 || r.exit_status == 2) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  std::vector<std::string> names;
  for (const nlohmann::json& record : records) names.push_back(record["dataflow"]);
  EXPECT_GE(names.size(), 6u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"kcp_ws", "ckp_ws", "xp_ws", "yxp_os", "rs", "tpu_ws"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  if (r.exit_status == 2) {
    for (const std::string& line : lines_of(r.err))
      EXPECT_TRUE(contains(line, "invalid mapping")) << line;
  }
}

TEST(Cli, UnsupportedLayerTypeIsARecordNotAnError) {
  TempDir dir;
  const std::string text =
      std::string(kTiny).replace(std::string(kTiny).find("Type: CONV"), 10, "Type: TRCONV");
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome({"model", dir.write("tr.m", text), "--json", json_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["status"], "unsupported_layer") << records[0];
  EXPECT_TRUE(records[0]["runtime_cycles"].is_null());
  EXPECT_EQ(records[1]["status"], "ok");
  EXPECT_TRUE(contains(r.out, "unsupported_layer")) << r.describe();
}

TEST(Cli, DuplicateLayerNamesWarnAndRename) {
  // MAESTRO's own networks repeat layer names; they load, with a warning.
  TempDir dir;
  std::string text = kTiny;
  text.replace(text.find("Layer SECOND"), 12, "Layer TINY");
  const std::string path = dir.write("dup.m", text);
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome({"model", path, "--json", json_path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_EQ(r.err.rfind("metronome: warning: " + path + ":", 0), 0u) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["layer"], "TINY");
  EXPECT_NE(records[1]["layer"], "TINY");
}

TEST(Cli, ExplicitHardwareFile) {
  TempDir dir;
  const std::string hw = dir.write("small.yaml", R"(name: small-64
word_bytes: 1
pe: { count: 64, macs_per_cycle: 1, l1_bytes: 256 }
l2: { bytes: 65536, banks: 4, words_per_bank_per_cycle: 2 }
dram: { words_per_cycle: 8, latency_cycles: 50 }
noc:
  distribution: { topology: bus, link_words_per_cycle: 8, hop_latency: 1, multicast: true }
  reduction:    { topology: bus, link_words_per_cycle: 8, hop_latency: 1, in_network: false }
energy_pj: { mac: 0.2, l1_read: 0.1, l1_write: 0.1, l2_read: 6, l2_write: 6, noc_hop_word: 0.6, dram_word: 120 }
)");
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome(
      {"model", dir.write("tiny.m", kTiny), "--hw", hw, "--json", json_path, "--layer", "TINY"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["hardware"], "small-64");
}

TEST(Cli, HardwareByName) {
  TempDir dir;
  const std::string json_path = (dir.path() / "out.json").string();
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--hw", "edge-256",
                                     "--json", json_path, "--layer", "TINY"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["hardware"], "edge-256");

  const RunResult unknown =
      run_metronome({"model", dir.write("tiny.m", kTiny), "--hw", "no-such-hardware"});
  EXPECT_EQ(unknown.exit_status, 2) << unknown.describe();
  EXPECT_TRUE(contains(unknown.err, "no-such-hardware")) << unknown.describe();
  EXPECT_TRUE(contains(unknown.err, "edge-256")) << "lists the names: " << unknown.describe();
}

TEST(Cli, UnwritableJsonPathExitsTwo) {
  TempDir dir;
  const std::string json_path = (dir.path() / "no_such_dir" / "out.json").string();
  const RunResult r = run_metronome({"model", dir.write("tiny.m", kTiny), "--json", json_path});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, json_path)) << r.describe();
}

}  // namespace
}  // namespace metronome::e2e
