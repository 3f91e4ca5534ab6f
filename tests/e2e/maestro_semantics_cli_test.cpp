// `metronome model --semantics maestro` end to end on rows of tests/data/maestro_reference.csv:
// issue 6's first row through the CLI, a mapping on which MAESTRO crashes (exit status 2), and
// the --csv columns under MAESTRO's own names (docs/maestro-compat.md) against MAESTRO's values.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/run_metronome.hpp"
#include "tests/unit/csv_reader.hpp"

namespace metronome::e2e {
namespace {

const std::string kInputs = std::string(METRONOME_SOURCE_DIR) + "/tests/data/maestro_inputs/";

TEST(CliMaestroSemantics, IssueRowOneThroughTheCli) {
  const RunResult r =
      run_metronome({"model", kInputs + "mapping/i01_kcp_ws.m", "--hw", kInputs + "hw/hw_base.m",
                     "--semantics", "maestro", "--json", "-"});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const nlohmann::json records = nlohmann::json::parse(r.out);
  ASSERT_EQ(records.size(), 1u);
  const nlohmann::json& m = records[0];
  EXPECT_EQ(m["semantics"], "maestro");
  EXPECT_EQ(m["status"], "ok");
  EXPECT_EQ(m["runtime_cycles"], 35'484'975);
  EXPECT_EQ(m["macs"], 1'816'805'376);
  EXPECT_EQ(m["traffic"]["l2"]["input"]["reads"], 152'755'776);
  EXPECT_EQ(m["traffic"]["l2"]["weight"]["reads"], 36'864);
  EXPECT_EQ(m["traffic"]["l2"]["output"]["reads"], 3'154'176);
  EXPECT_EQ(m["buffer_words_required"]["l2"], 5'768);
  EXPECT_EQ(m["buffer_words_required"]["l1"], 54);
}

TEST(CliMaestroSemantics, WhereMaestroCrashesExitsTwoSayingSo) {
  const RunResult r = run_metronome({"model", kInputs + "mapping/g02_gemm_example.m", "--hw",
                                     kInputs + "hw/hw_base.m", "--semantics", "maestro"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("MAESTRO divides by zero"), std::string::npos) << r.describe();
}

// The reference row `case_id` of tests/data/maestro_reference.csv.
std::map<std::string, std::string> reference_row(const std::string& case_id) {
  for (auto& row :
       read_csv(std::string(METRONOME_SOURCE_DIR) + "/tests/data/maestro_reference.csv"))
    if (row["case_id"] == case_id) return row;
  ADD_FAILURE() << "no reference row " << case_id;
  return {};
}

// MAESTRO's CSV header names (DSE_csv_writer.hpp) -> the reference table's column for them.
const std::vector<std::pair<std::string, std::string>> kMaestroColumns = {
    {"Runtime (Cycles)", "runtime_cycles"},
    {"Num MACs", "num_macs"},
    {"L2 SRAM Size Req (Bytes)", "l2_size_req_total"},
    {"L1 SRAM Size Req (Bytes)", "l1_size_req_total"},
    {"Multicasting Factor (Weight)", "multicast_factor_weight"},
    {"Multicasting Factor (Input)", "multicast_factor_input"},
    {"input l1 read", "input_l1_read"},
    {"input l1 write", "input_l1_write"},
    {"input l2 read", "input_l2_read"},
    {"input l2 write", "input_l2_write"},
    {"input reuse factor", "input_reuse_factor"},
    {"filter l1 read", "filter_l1_read"},
    {"filter l1 write", "filter_l1_write"},
    {"filter l2 read", "filter_l2_read"},
    {"filter l2 write", "filter_l2_write"},
    {"filter reuse factor", "filter_reuse_factor"},
    {"output l1 read", "output_l1_read"},
    {"output l1 write", "output_l1_write"},
    {"output l2 read", "output_l2_read"},
    {"output l2 write", "output_l2_write"},
    {"output reuse factor", "output_reuse_factor"},
};

// Runs `--semantics maestro --csv` on a reference row and checks every MAESTRO-named column
// against MAESTRO's own number (ratios to MAESTRO's 6 printed digits).
void expect_maestro_csv_matches(const std::string& stem, const std::string& hw) {
  TempDir dir;
  const std::string csv = (dir.path() / "out.csv").string();
  const RunResult r =
      run_metronome({"model", kInputs + "mapping/" + stem + ".m", "--hw",
                     kInputs + "hw/" + hw + ".m", "--semantics", "maestro", "--csv", csv});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const auto rows = read_csv(csv);
  ASSERT_EQ(rows.size(), 1u);
  std::map<std::string, std::string> row = rows[0];
  std::map<std::string, std::string> ref = reference_row(stem + "__" + hw);
  // Our schema's columns come first and are still there.
  EXPECT_EQ(row["semantics"], "maestro");
  EXPECT_EQ(row["runtime_cycles"], ref["runtime_cycles"]);
  for (const auto& [maestro, reference] : kMaestroColumns) {
    ASSERT_TRUE(row.count(maestro)) << "no column " << maestro;
    const double ours = std::stod(row[maestro]);
    const double theirs = std::stod(ref[reference]);
    EXPECT_NEAR(ours, theirs, 5e-6 * std::max(1.0, theirs)) << stem << " " << maestro;
  }
  EXPECT_EQ(row["NumPEs"], ref["num_pes"]);
  EXPECT_NEAR(std::stod(row["Throughput (MACs/Cycle)"]),
              std::stod(ref["throughput_macs_per_cycle"]),
              5e-6 * std::stod(ref["throughput_macs_per_cycle"]));
}

TEST(CliMaestroSemantics, CsvCarriesMaestroColumnNamesWithMaestroValues) {
  expect_maestro_csv_matches("i02_kcp_ws", "hw_base");
  expect_maestro_csv_matches("c04_rs", "hw_pe64");
}

TEST(CliMaestroSemantics, CsvMaestroColumnsFollowMaestroTensorNamesForGemm) {
  // MAESTRO's GEMM `input` is metronome's weight: its "input l2 read" is traffic.l2.weight.reads.
  expect_maestro_csv_matches("g01_gemm_kcp_ws", "hw_base");
}

TEST(CliMaestroSemantics, CsvHeaderHasMaestroNamesOnlyWithMaestroSemantics) {
  TempDir dir;
  const std::string csv = (dir.path() / "out.csv").string();
  for (const char* semantics : {"exact", "maestro"}) {
    const RunResult r =
        run_metronome({"model", kInputs + "mapping/i02_kcp_ws.m", "--hw", kInputs + "hw/hw_base.m",
                       "--semantics", semantics, "--csv", csv});
    ASSERT_EQ(r.exit_status, 0) << r.describe();
    const std::string header = read_file(csv).substr(0, read_file(csv).find('\n'));
    EXPECT_EQ(header.find(",Runtime (Cycles),") != std::string::npos,
              std::string(semantics) == "maestro")
        << header;
    EXPECT_EQ(header.rfind("layer,dataflow,hardware,engine,semantics,noc_model,status,", 0), 0u)
        << header;
  }
}

TEST(CliMaestroSemantics, ContentionNocModelWithMaestroSemanticsIsBadInput) {
  const RunResult r =
      run_metronome({"model", kInputs + "mapping/i02_kcp_ws.m", "--hw", kInputs + "hw/hw_base.m",
                     "--semantics", "maestro", "--noc-model", "contention"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--noc-model contention: applies to --semantics exact only"),
            std::string::npos)
      << r.describe();
}

TEST(CliMaestroSemantics, ModelRecordsNameTheirNocModel) {
  for (const char* noc : {"simple", "contention"}) {
    const RunResult r =
        run_metronome({"model", source_path("configs/networks/small.m"), "--layer", "conv3x3",
                       "--dataflow", "kcp_ws", "--noc-model", noc, "--json", "-"});
    ASSERT_EQ(r.exit_status, 0) << r.describe();
    EXPECT_EQ(nlohmann::json::parse(r.out).at(0)["noc_model"], noc);
  }
  const RunResult maestro =
      run_metronome({"model", kInputs + "mapping/i02_kcp_ws.m", "--hw", kInputs + "hw/hw_base.m",
                     "--semantics", "maestro", "--json", "-"});
  ASSERT_EQ(maestro.exit_status, 0) << maestro.describe();
  EXPECT_TRUE(nlohmann::json::parse(maestro.out).at(0)["noc_model"].is_null());
}

}  // namespace
}  // namespace metronome::e2e
