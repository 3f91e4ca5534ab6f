// The result schema: JSON field names and nulls, JSON round trip, CSV columns and quoting,
// and the human-readable table.

#include "spec/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace metronome {
namespace {

Metrics ok_record() {
  Metrics m;
  m.layer = "CONV1";
  m.dataflow = "kcp_ws";
  m.hardware = "edge-256";
  m.valid_mapping = true;
  m.steps = 1234;
  m.empty_steps = 5;
  m.runtime_cycles = 1234567;
  m.macs = 86704128;
  m.pe_utilization = 0.75;
  std::int64_t v = 1;
  for (LevelTraffic* level : {&m.traffic.dram, &m.traffic.l2, &m.traffic.l1})
    for (Tensor t : kAllTensors) {
      level->tensor[t].reads = v++;
      level->tensor[t].writes = v++;
    }
  m.noc = {1000, 200, 2.5};
  m.buffer_words_required = {96, 65536};
  m.energy_pj = {2.5e7, 1.7e7, 1e6, 4e6, 2e6, 1e6};
  return m;
}

Metrics invalid_record() {
  Metrics m;
  m.layer = "L1";
  m.dataflow = "L1";
  m.hardware = "edge-256";
  m.status = RecordStatus::InvalidMapping;
  m.note = "windows straddle Y chunks";
  m.missing_macs = 1152;
  m.duplicated_macs = 3;
  m.first_missing = {{0, 1, 2, 0, 1, 1, 3}, {0, 1, 2, 0, 1, 2, 3}};
  m.first_duplicated = {{0, 0, 0, 0, 0, 0, 0}};
  m.steps = 42;
  m.empty_steps = 7;
  return m;
}

Metrics sim_record() {
  Metrics m = ok_record();
  m.engine = Engine::Sim;
  SimExtras s;
  s.stall_cycles = {10, 20, 30, 40};
  s.link_utilization.mean = 0.25;
  s.link_utilization.max = 0.875;
  s.link_utilization.busiest = {{"l2->r0", 0.875}, {"r0->pe3", 0.5}};
  s.max_drift_steps = 7;
  s.functional_check = "pass";
  s.wall_seconds = 1.5;
  s.sim_cycles_per_second = 823044.5;
  m.sim = s;
  return m;
}

Metrics round_trip(const Metrics& m) {
  return from_json(nlohmann::json::parse(to_json(m).dump()));
}

TEST(Metrics, Names) {
  EXPECT_EQ(engine_name(Engine::Model), "model");
  EXPECT_EQ(engine_name(Engine::Sim), "sim");
  EXPECT_EQ(semantics_name(SemanticsMode::Exact), "exact");
  EXPECT_EQ(semantics_name(SemanticsMode::Maestro), "maestro");
  EXPECT_EQ(status_name(RecordStatus::Ok), "ok");
  EXPECT_EQ(status_name(RecordStatus::InvalidMapping), "invalid_mapping");
  EXPECT_EQ(status_name(RecordStatus::NotApplicable), "not_applicable");
  EXPECT_EQ(status_name(RecordStatus::UnsupportedLayer), "unsupported_layer");
  EXPECT_EQ(status_name(RecordStatus::Failed), "failed");
}

TEST(Metrics, LevelTrafficSumsTensors) {
  const Metrics m = ok_record();
  EXPECT_EQ(m.traffic.dram.reads(), 1 + 3 + 5);
  EXPECT_EQ(m.traffic.dram.writes(), 2 + 4 + 6);
  EXPECT_EQ(m.traffic.l1.reads(), 13 + 15 + 17);
}

TEST(Metrics, CoordinateString) {
  EXPECT_EQ((MacCoordinate{0, 1, 2, 3, 4, 5, 6}.str()), "(0,1,2,3,4,5,6)");
}

TEST(Metrics, JsonFieldNames) {
  const nlohmann::json j = to_json(ok_record());
  EXPECT_EQ(j["layer"], "CONV1");
  EXPECT_EQ(j["engine"], "model");
  EXPECT_EQ(j["semantics"], "exact");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["runtime_cycles"], 1234567);
  EXPECT_EQ(j["macs"], 86704128);
  EXPECT_DOUBLE_EQ(j["pe_utilization"].get<double>(), 0.75);
  EXPECT_EQ(j["traffic"]["dram"]["input"]["reads"], 1);
  EXPECT_EQ(j["traffic"]["l2"]["weight"]["writes"], 10);
  EXPECT_EQ(j["traffic"]["l1"]["output"]["writes"], 18);
  EXPECT_EQ(j["noc"]["ingress_words"], 1000);
  EXPECT_EQ(j["noc"]["egress_words"], 200);
  EXPECT_DOUBLE_EQ(j["noc"]["multicast_factor"].get<double>(), 2.5);
  EXPECT_EQ(j["buffer_words_required"]["l1"], 96);
  EXPECT_EQ(j["buffer_words_required"]["l2"], 65536);
  for (const char* key : {"total", "mac", "l1", "l2", "noc", "dram"})
    EXPECT_TRUE(j["energy_pj"][key].is_number()) << key;
  EXPECT_EQ(j["valid_mapping"], true);
  EXPECT_EQ(j["missing_macs"], 0);
  EXPECT_EQ(j["duplicated_macs"], 0);
  EXPECT_EQ(j["steps"], 1234);
  EXPECT_EQ(j["empty_steps"], 5);
  EXPECT_TRUE(j["first_missing"].is_array());
  EXPECT_TRUE(j["first_duplicated"].is_array());
  EXPECT_FALSE(j.contains("stall_cycles"));
  EXPECT_FALSE(j.contains("functional_check"));
}

TEST(Metrics, InvalidRecordHasNoCostFigures) {
  const nlohmann::json j = to_json(invalid_record());
  EXPECT_EQ(j["status"], "invalid_mapping");
  EXPECT_TRUE(j["runtime_cycles"].is_null());
  EXPECT_TRUE(j["macs"].is_null());
  EXPECT_TRUE(j["pe_utilization"].is_null());
  EXPECT_TRUE(j["traffic"]["l2"]["input"]["reads"].is_null());
  EXPECT_TRUE(j["noc"]["multicast_factor"].is_null());
  EXPECT_TRUE(j["buffer_words_required"]["l1"].is_null());
  EXPECT_TRUE(j["energy_pj"]["total"].is_null());
  EXPECT_EQ(j["valid_mapping"], false);
  EXPECT_EQ(j["missing_macs"], 1152);
  EXPECT_EQ(j["duplicated_macs"], 3);
  EXPECT_EQ(j["steps"], 42);
  ASSERT_EQ(j["first_missing"].size(), 2u);
  EXPECT_EQ(
      j["first_missing"][0],
      (nlohmann::json{{"n", 0}, {"k", 1}, {"c", 2}, {"r", 0}, {"s", 1}, {"oy", 1}, {"ox", 3}}));
}

TEST(Metrics, NotApplicableRecordHasNoValidityFigures) {
  Metrics m;
  m.layer = "FC1";
  m.dataflow = "rs";
  m.status = RecordStatus::NotApplicable;
  m.note = "rs serves CONV only";
  const nlohmann::json j = to_json(m);
  EXPECT_EQ(j["status"], "not_applicable");
  EXPECT_EQ(j["note"], "rs serves CONV only");
  EXPECT_TRUE(j["valid_mapping"].is_null());
  EXPECT_TRUE(j["missing_macs"].is_null());
  EXPECT_TRUE(j["first_missing"].is_null());
  EXPECT_TRUE(j["runtime_cycles"].is_null());
}

TEST(Metrics, SimFields) {
  const nlohmann::json j = to_json(sim_record());
  EXPECT_EQ(j["engine"], "sim");
  EXPECT_EQ(j["stall_cycles"]["waiting_for_input"], 10);
  EXPECT_EQ(j["stall_cycles"]["output_backpressure"], 20);
  EXPECT_EQ(j["stall_cycles"]["l2_bank_conflict"], 30);
  EXPECT_EQ(j["stall_cycles"]["dram"], 40);
  EXPECT_DOUBLE_EQ(j["link_utilization"]["max"].get<double>(), 0.875);
  ASSERT_EQ(j["link_utilization"]["busiest"].size(), 2u);
  EXPECT_EQ(j["link_utilization"]["busiest"][0]["link"], "l2->r0");
  EXPECT_EQ(j["max_drift_steps"], 7);
  EXPECT_EQ(j["functional_check"], "pass");
  EXPECT_DOUBLE_EQ(j["wall_seconds"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["sim_cycles_per_second"].get<double>(), 823044.5);
}

TEST(Metrics, JsonRoundTrip) {
  for (const Metrics& m : {ok_record(), invalid_record(), sim_record()}) {
    const Metrics back = round_trip(m);
    EXPECT_EQ(to_json(back), to_json(m));
    EXPECT_EQ(back.layer, m.layer);
    EXPECT_EQ(back.engine, m.engine);
    EXPECT_EQ(back.status, m.status);
    EXPECT_EQ(back.note, m.note);
    EXPECT_EQ(back.valid_mapping, m.valid_mapping);
    EXPECT_EQ(back.missing_macs, m.missing_macs);
    EXPECT_EQ(back.duplicated_macs, m.duplicated_macs);
    EXPECT_EQ(back.first_missing, m.first_missing);
    EXPECT_EQ(back.first_duplicated, m.first_duplicated);
    EXPECT_EQ(back.steps, m.steps);
    EXPECT_EQ(back.empty_steps, m.empty_steps);
    EXPECT_EQ(back.runtime_cycles, m.runtime_cycles);
    EXPECT_EQ(back.macs, m.macs);
    EXPECT_EQ(back.pe_utilization, m.pe_utilization);
    EXPECT_EQ(back.traffic, m.traffic);
    EXPECT_EQ(back.noc.multicast_factor, m.noc.multicast_factor);
    EXPECT_EQ(back.buffer_words_required.l2, m.buffer_words_required.l2);
    EXPECT_EQ(back.energy_pj.total, m.energy_pj.total);
    EXPECT_EQ(back.energy_pj.dram, m.energy_pj.dram);
    ASSERT_EQ(back.sim.has_value(), m.sim.has_value());
    if (m.sim) {
      EXPECT_EQ(back.sim->stall_cycles.dram, m.sim->stall_cycles.dram);
      EXPECT_EQ(back.sim->link_utilization.busiest, m.sim->link_utilization.busiest);
      EXPECT_EQ(back.sim->max_drift_steps, m.sim->max_drift_steps);
      EXPECT_EQ(back.sim->functional_check, m.sim->functional_check);
      EXPECT_EQ(back.sim->sim_cycles_per_second, m.sim->sim_cycles_per_second);
    }
  }
}

// Simulator records written before max_drift_steps existed (validation/runs/ keeps some) still
// read, as a drift of 0.
TEST(Metrics, SimRecordsWithoutDriftStillRead) {
  nlohmann::json j = to_json(sim_record());
  EXPECT_EQ(from_json(j).sim->max_drift_steps, 7);
  j.erase("max_drift_steps");
  const Metrics back = from_json(j);
  ASSERT_TRUE(back.sim.has_value());
  EXPECT_EQ(back.sim->max_drift_steps, 0);
  EXPECT_EQ(back.sim->functional_check, "pass");
}

TEST(Metrics, NocModelFieldRoundTripsAndDefaultsForOldRecords) {
  Metrics m = ok_record();
  EXPECT_TRUE(to_json(m)["noc_model"].is_null());  // not set by the caller: null
  m.noc_model = NocModelName::Contention;
  nlohmann::json j = to_json(m);
  EXPECT_EQ(j["noc_model"], "contention");
  EXPECT_EQ(from_json(j).noc_model, NocModelName::Contention);
  // A model record written before the field existed used the simple NoC model.
  j.erase("noc_model");
  EXPECT_EQ(from_json(j).noc_model, NocModelName::Simple);
  // ... but a simulator or MAESTRO-semantics record has none.
  nlohmann::json sim = to_json(sim_record());
  sim.erase("noc_model");
  EXPECT_EQ(from_json(sim).noc_model, NocModelName::None);
  j["semantics"] = "maestro";
  EXPECT_EQ(from_json(j).noc_model, NocModelName::None);
  j["noc_model"] = "fancy";
  EXPECT_THROW(from_json(j, SourceLocation{"results.jsonl", 2}), InputError);
}

TEST(Metrics, WriteJsonIsAnArrayInSchemaOrderThatReadsBack) {
  std::ostringstream out;
  write_json(out, {ok_record(), invalid_record()});
  const std::string text = out.str();
  EXPECT_LT(text.find("\"layer\""), text.find("\"runtime_cycles\""));
  const nlohmann::json j = nlohmann::json::parse(text);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(from_json(j[1]).missing_macs, 1152);
  EXPECT_EQ(j[0], to_json(ok_record()));
}

TEST(Metrics, FromJsonRejectsMalformedRecords) {
  const SourceLocation where{"results.jsonl", 3};
  EXPECT_THROW(from_json(nlohmann::json::array(), where), InputError);
  nlohmann::json j = to_json(ok_record());
  j.erase("layer");
  EXPECT_THROW(from_json(j, where), InputError);
  j = to_json(ok_record());
  j["engine"] = "oracle";
  try {
    from_json(j, where);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("results.jsonl:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("oracle"), std::string::npos) << e.what();
  }
  j = to_json(ok_record());
  j["runtime_cycles"] = "fast";
  EXPECT_THROW(from_json(j, where), InputError);
  j = to_json(ok_record());
  j["traffic"] = 3;
  EXPECT_THROW(from_json(j, where), InputError);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

TEST(Metrics, CsvColumns) {
  const std::vector<std::string> columns = csv_columns();
  auto has = [&](const std::string& name) {
    return std::find(columns.begin(), columns.end(), name) != columns.end();
  };
  EXPECT_EQ(columns.front(), "layer");
  for (const char* name : {"dataflow",
                           "hardware",
                           "engine",
                           "semantics",
                           "noc_model",
                           "status",
                           "note",
                           "runtime_cycles",
                           "macs",
                           "pe_utilization",
                           "traffic.dram.input.reads",
                           "traffic.l2.input.reads",
                           "traffic.l1.output.writes",
                           "noc.ingress_words",
                           "noc.egress_words",
                           "noc.multicast_factor",
                           "buffer_words_required.l1",
                           "buffer_words_required.l2",
                           "energy_pj.total",
                           "energy_pj.dram",
                           "valid_mapping",
                           "missing_macs",
                           "duplicated_macs",
                           "steps",
                           "empty_steps",
                           "first_missing",
                           "first_duplicated",
                           "stall_cycles.dram",
                           "stall_cycles.waiting_for_input",
                           "link_utilization.mean",
                           "link_utilization.max",
                           "link_utilization.busiest",
                           "max_drift_steps",
                           "functional_check",
                           "wall_seconds",
                           "sim_cycles_per_second"})
    EXPECT_TRUE(has(name)) << name;
  EXPECT_EQ(columns.size(), 8u + 3u + 18u + 3u + 2u + 6u + 7u + 4u + 3u + 1u + 3u);
}

TEST(Metrics, CsvRows) {
  Metrics odd = ok_record();
  odd.layer = "conv,\"1\"";
  std::ostringstream out;
  write_csv(out, {odd, invalid_record(), sim_record()});
  const std::vector<std::string> lines = split_lines(out.str());
  ASSERT_EQ(lines.size(), 4u);
  std::string header;
  for (const std::string& c : csv_columns()) header += (header.empty() ? "" : ",") + c;
  EXPECT_EQ(lines[0], header);
  EXPECT_EQ(lines[1].rfind("\"conv,\"\"1\"\"\",kcp_ws,edge-256,model,exact,,ok,,1234567,", 0), 0u)
      << lines[1];
  // Invalid: empty cost cells, counts and the first coordinates as "(..) (..)" (quoted).
  EXPECT_NE(lines[2].find("invalid_mapping,windows straddle Y chunks,,,,"), std::string::npos)
      << lines[2];
  EXPECT_NE(lines[2].find(",false,1152,3,42,7,\"(0,1,2,0,1,1,3) (0,1,2,0,1,2,3)\","),
            std::string::npos)
      << lines[2];
  // Model records leave the simulator columns empty; the sim record fills them.
  EXPECT_EQ(lines[1].substr(lines[1].size() - 9), ",,,,,,,,,");
  EXPECT_NE(lines[3].find("\"(l2->r0,0.875) (r0->pe3,0.5)\",7,pass,1.5,823044.5"),
            std::string::npos)
      << lines[3];
}

TEST(Metrics, Table) {
  Metrics not_applicable;
  not_applicable.layer = "FC1";
  not_applicable.dataflow = "rs";
  not_applicable.hardware = "edge-256";
  not_applicable.status = RecordStatus::NotApplicable;
  not_applicable.note = "rs serves CONV only";
  std::ostringstream out;
  write_table(out, {ok_record(), invalid_record(), not_applicable});
  const std::string text = out.str();
  const std::vector<std::string> lines = split_lines(text);
  ASSERT_EQ(lines.size(), 5u) << text;
  EXPECT_NE(lines[0].find("runtime cycles"), std::string::npos) << text;
  EXPECT_NE(lines[0].find("energy uJ"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("CONV1"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("1,234,567"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("86,704,128"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("75.0"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("25.000"), std::string::npos) << text;
  EXPECT_NE(lines[3].find("invalid_mapping: 1,152 missing, 3 duplicated MACs"), std::string::npos)
      << text;
  EXPECT_NE(lines[4].find("not_applicable: rs serves CONV only"), std::string::npos) << text;
  // Columns line up: every row is as wide as the header up to the status column.
  const std::size_t status_at = lines[0].find("status");
  for (const std::string& line : lines) EXPECT_GE(line.size(), status_at) << line;

  std::ostringstream small;
  Metrics tiny = ok_record();
  tiny.energy_pj.total = 1234.5;
  write_table(small, {tiny});
  EXPECT_NE(small.str().find("energy pJ"), std::string::npos) << small.str();
  EXPECT_NE(small.str().find("1,234.5"), std::string::npos) << small.str();
}

}  // namespace
}  // namespace metronome
