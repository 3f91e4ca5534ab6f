// `metronome model --semantics maestro` end to end on rows of tests/data/maestro_reference.csv:
// issue 6's first row through the CLI, and a mapping on which MAESTRO crashes (exit status 2).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/run_metronome.hpp"

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

}  // namespace
}  // namespace metronome::e2e
