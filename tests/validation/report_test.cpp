// The model-vs-simulator comparison on synthetic records: error %, MAPE and max error per
// dataflow / hardware / overall, pairs off by more than 5 %, failures, and the report's layout.

#include "validation/report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace metronome::validation {
namespace {

// A record whose every compared metric is `value` (runtime and all counts).
Metrics record(const JobKey& key, Engine engine, double value) {
  Metrics m;
  m.layer = key.layer;
  m.dataflow = key.dataflow;
  m.hardware = key.hardware;
  m.engine = engine;
  m.valid_mapping = true;
  const auto v = static_cast<std::int64_t>(value);
  m.runtime_cycles = v;
  m.macs = 1000;
  for (LevelTraffic* level : {&m.traffic.dram, &m.traffic.l2, &m.traffic.l1})
    for (Tensor t : kAllTensors) level->tensor[t] = ReadWrite{v, v};
  m.noc = NocCounts{v, v, 1};
  m.buffer_words_required = BufferWords{v, v};
  m.energy_pj.total = value;
  if (engine == Engine::Sim) {
    m.sim = SimExtras{};
    m.sim->functional_check = "pass";
    m.sim->stall_cycles.dram = 777;
    m.sim->stall_cycles.waiting_for_input = 5;
    m.sim->link_utilization = LinkUtilization{0.25, 0.9, {{"l2->r0", 0.9}, {"r0->pe1", 0.4}}};
  }
  return m;
}

const std::vector<Engine> kBoth = {Engine::Model, Engine::Sim};

const JobKey kA1{"net/A", "kcp_ws", "ideal"};
const JobKey kA2{"net/A", "kcp_ws", "mesh-64"};
const JobKey kA3{"net/A", "rs", "ideal"};
const JobKey kA4{"net/A", "rs", "mesh-64"};

TEST(MarkdownCell, EscapesBarsAndFlattensLineBreaks) {
  EXPECT_EQ(markdown_cell("a|b"), "a\\|b");
  EXPECT_EQ(markdown_cell("one\r\ntwo\nthree"), "one  two three");
  EXPECT_EQ(markdown_cell("plain"), "plain");
}

TEST(ValidationReport, ErrorPercent) {
  EXPECT_DOUBLE_EQ(*error_percent(110, 100), 10.0);
  EXPECT_DOUBLE_EQ(*error_percent(90, 100), -10.0);
  EXPECT_DOUBLE_EQ(*error_percent(0, 0), 0.0);
  EXPECT_FALSE(error_percent(5, 0).has_value());
  EXPECT_DOUBLE_EQ(*error_percent(0, 50), -100.0);
}

TEST(ValidationReport, MapeAndMaxPerGroupAndOverall) {
  // runtime errors: kA1 +10 %, kA2 -2 %, kA3 +4 %, kA4 -30 %
  const std::vector<Metrics> records = {
      record(kA1, Engine::Model, 110), record(kA1, Engine::Sim, 100),
      record(kA2, Engine::Model, 98),  record(kA2, Engine::Sim, 100),
      record(kA3, Engine::Model, 104), record(kA3, Engine::Sim, 100),
      record(kA4, Engine::Sim, 1000),  record(kA4, Engine::Model, 700),  // order does not matter
  };
  const Comparison c = compare({kA1, kA2, kA3, kA4}, kBoth, records, "s", "id");
  ASSERT_EQ(c.jobs.size(), 4u);
  EXPECT_EQ(c.overall.compared, 4u);
  EXPECT_EQ(c.overall.failed, 0u);
  EXPECT_NEAR(c.overall.runtime.mape(), (10 + 2 + 4 + 30) / 4.0, 1e-9);
  EXPECT_NEAR(c.overall.runtime.max_abs, 30, 1e-9);
  EXPECT_NEAR(c.overall.runtime.worst, -30, 1e-9);
  EXPECT_EQ(*c.overall.runtime.worst_job, 3u);

  ASSERT_EQ(c.by_dataflow.size(), 2u);
  EXPECT_EQ(c.by_dataflow[0].dataflow, "kcp_ws");
  EXPECT_NEAR(c.by_dataflow[0].runtime.mape(), 6, 1e-9);
  EXPECT_NEAR(c.by_dataflow[0].runtime.max_abs, 10, 1e-9);
  EXPECT_NEAR(c.by_dataflow[1].runtime.mape(), 17, 1e-9);
  ASSERT_EQ(c.by_hardware.size(), 2u);
  EXPECT_EQ(c.by_hardware[1].hardware, "mesh-64");
  EXPECT_NEAR(c.by_hardware[1].runtime.mape(), 16, 1e-9);
  EXPECT_NEAR(c.by_hardware[1].runtime.max_abs, 30, 1e-9);
  ASSERT_EQ(c.by_pair.size(), 4u);
  EXPECT_NEAR(c.by_pair[2].runtime.mape(), 4, 1e-9);

  // Every metric moves with the runtime here, so the traffic group's MAPE is the same.
  EXPECT_NEAR(c.overall.groups[static_cast<std::size_t>(MetricGroup::Traffic)].mape(), 11.5, 1e-9);
  EXPECT_NEAR(c.per_metric[0].mape(), 11.5, 1e-9);

  // Off by more than 5 %: kA1 (+10) and kA4 (-30); not kA2 (-2), kA3 (+4).
  EXPECT_TRUE(c.jobs[0].off());
  EXPECT_FALSE(c.jobs[1].off());
  EXPECT_FALSE(c.jobs[2].off());
  EXPECT_TRUE(c.jobs[3].off());
}

TEST(ValidationReport, ExactlyFivePercentIsNotOff) {
  const Comparison c =
      compare({kA1}, kBoth, {record(kA1, Engine::Model, 105), record(kA1, Engine::Sim, 100)});
  EXPECT_FALSE(c.jobs[0].off());
}

TEST(ValidationReport, SimZeroIsUndefinedAndOff) {
  Metrics model = record(kA1, Engine::Model, 100);
  Metrics sim = record(kA1, Engine::Sim, 100);
  model.noc.egress_words = 40;
  sim.noc.egress_words = 0;
  const Comparison c = compare({kA1}, kBoth, {model, sim});
  EXPECT_TRUE(c.jobs[0].off());
  EXPECT_EQ(c.overall.runtime.mape(), 0);
  std::size_t egress = 0;
  for (std::size_t i = 0; i < compared_metrics().size(); ++i)
    if (compared_metrics()[i].name == "noc.egress_words") egress = i;
  EXPECT_EQ(c.per_metric[egress].undefined, 1u);
  EXPECT_EQ(c.per_metric[egress].pairs, 0u);
}

TEST(ValidationReport, FailuresInvalidMappingsAndMissingRecords) {
  Metrics failed = record(kA1, Engine::Sim, 0);
  failed.status = RecordStatus::Failed;
  failed.note = "functional check failed: fail: output (0,1,0,0) is 3, expected 4";
  Metrics invalid_model = record(kA2, Engine::Model, 0);
  invalid_model.status = RecordStatus::InvalidMapping;
  invalid_model.missing_macs = 12;
  Metrics invalid_sim = invalid_model;
  invalid_sim.engine = Engine::Sim;
  Metrics na_model = record(kA3, Engine::Model, 0);
  na_model.status = RecordStatus::NotApplicable;
  na_model.note = "dataflow rs does not serve GEMM layers";
  Metrics na_sim = na_model;
  na_sim.engine = Engine::Sim;
  Metrics stray = record({"other/X", "kcp_ws", "ideal"}, Engine::Model, 5);
  const std::vector<Metrics> records = {
      record(kA1, Engine::Model, 100), failed, invalid_model, invalid_sim, na_model, na_sim,
      record(kA4, Engine::Model, 100), stray};
  const Comparison c = compare({kA1, kA2, kA3, kA4}, kBoth, records, "s", "id");
  EXPECT_EQ(c.overall.compared, 0u);
  EXPECT_EQ(c.overall.failed, 1u);
  EXPECT_EQ(c.overall.invalid, 1u);
  EXPECT_TRUE(c.jobs[0].failed);
  EXPECT_TRUE(c.jobs[1].invalid);
  EXPECT_FALSE(c.jobs[1].disagree);
  EXPECT_FALSE(c.jobs[2].failed);
  EXPECT_TRUE(c.jobs[3].missing);
  EXPECT_EQ(c.stray_records, 1u);
  EXPECT_EQ(c.records.size(), 7u);

  std::ostringstream report;
  write_report(report, c);
  const std::string r = report.str();
  const std::size_t failures = r.find("## Invalid mappings and failures");
  const std::size_t stats = r.find("## Error statistics");
  const std::size_t off = r.find("## Pairs off by more than 5 %");
  const std::size_t detail = r.find("## Model vs simulator, per job");
  ASSERT_NE(failures, std::string::npos) << r;
  EXPECT_LT(failures, stats);
  EXPECT_LT(stats, off);
  EXPECT_LT(off, detail);
  EXPECT_NE(r.find("| net/A | kcp_ws | ideal | sim | failed | functional check failed"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| net/A | kcp_ws | mesh-64 | model | invalid_mapping | 12 missing MACs"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| net/A | rs | mesh-64 | sim | missing |"), std::string::npos) << r;
  EXPECT_NE(r.find("| net/A | rs | ideal | not_applicable | dataflow rs does not serve"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("1 records in the results belong to no job"), std::string::npos) << r;
}

TEST(ValidationReport, StatusDisagreementIsListed) {
  Metrics sim = record(kA1, Engine::Sim, 0);
  sim.status = RecordStatus::InvalidMapping;
  const Comparison c = compare({kA1}, kBoth, {record(kA1, Engine::Model, 100), sim});
  EXPECT_TRUE(c.jobs[0].disagree);
  std::ostringstream report;
  write_report(report, c);
  EXPECT_NE(report.str().find("engines disagree | model ok, sim invalid_mapping"),
            std::string::npos)
      << report.str();
}

TEST(ValidationReport, OffPairsCarryTheSimulatorsStallAttribution) {
  const Comparison c = compare({kA1, kA2}, kBoth,
                               {record(kA1, Engine::Model, 80), record(kA1, Engine::Sim, 100),
                                record(kA2, Engine::Model, 100), record(kA2, Engine::Sim, 100)});
  std::ostringstream report;
  write_report(report, c);
  const std::string r = report.str();
  const std::string off = r.substr(r.find("## Pairs off by more than 5 %"));
  const std::string section = off.substr(0, off.find("## Model vs simulator"));
  EXPECT_NE(section.find("1 of 2 compared jobs"), std::string::npos) << section;
  EXPECT_NE(section.find("| net/A | kcp_ws | ideal | 80 | 100 | -20.00 (model under-estimates "
                         "runtime) |"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("dram 777 (largest: dram)"), std::string::npos) << section;
  EXPECT_NE(section.find("busiest l2->r0 0.90, r0->pe1 0.40"), std::string::npos) << section;
  EXPECT_EQ(section.find("mesh-64"), std::string::npos) << section;
  // The per-job table has model, sim and error for every metric.
  EXPECT_NE(r.find("| net/A | kcp_ws | ideal | traffic.l2.weight.reads | 80 | 100 | -20.00 |"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| net/A | kcp_ws | mesh-64 | runtime_cycles | 100 | 100 | +0.00 |"),
            std::string::npos)
      << r;
}

TEST(ValidationReport, SummaryTable) {
  Metrics failed = record(kA2, Engine::Sim, 0);
  failed.status = RecordStatus::Failed;
  const Comparison c = compare({kA1, kA2}, kBoth,
                               {record(kA1, Engine::Model, 110), record(kA1, Engine::Sim, 100),
                                record(kA2, Engine::Model, 100), failed});
  std::ostringstream out;
  write_summary(out, c);
  const std::string s = out.str();
  EXPECT_NE(s.find("dataflow  hardware  jobs  compared  runtime MAPE %  max |err| %  failed"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("kcp_ws    ideal        1         1           10.00        10.00       0"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("kcp_ws    mesh-64      1         0               -            -       1"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("all       all          2         1           10.00        10.00       1"),
            std::string::npos)
      << s;
}

Metrics contention_record(const JobKey& key, double value) {
  Metrics m = record(key, Engine::Model, value);
  m.noc_model = NocModelName::Contention;
  return m;
}

TEST(ValidationReport, ModelVariantsSideBySide) {
  // Runtime errors: exact/simple +10 % and -20 %, exact/contention +1 % and -4 %.
  const std::vector<Metrics> records = {
      record(kA1, Engine::Sim, 100),   contention_record(kA1, 101),
      record(kA1, Engine::Model, 110), record(kA3, Engine::Model, 80),
      record(kA3, Engine::Sim, 100),   contention_record(kA3, 96)};
  const Comparisons cs =
      compare_variants({kA1, kA3}, kBoth, {"exact/simple", "exact/contention"}, records, "s", "id");
  ASSERT_EQ(cs.per_variant.size(), 2u);
  EXPECT_NEAR(cs.per_variant[0].overall.runtime.mape(), 15, 1e-9);
  EXPECT_NEAR(cs.per_variant[1].overall.runtime.mape(), 2.5, 1e-9);
  EXPECT_EQ(cs.stray_records, 0u);
  // Records in job order: each variant's model record, then the simulator's.
  ASSERT_EQ(cs.records.size(), 6u);
  EXPECT_EQ(cs.records[0].runtime_cycles, 110);
  EXPECT_EQ(cs.records[1].runtime_cycles, 101);
  EXPECT_EQ(cs.records[2].engine, Engine::Sim);

  std::ostringstream report;
  write_report(report, cs);
  const std::string r = report.str();
  EXPECT_NE(r.find("2 model variants (`exact/simple`, `exact/contention`)"), std::string::npos)
      << r;
  EXPECT_NE(r.find("| dataflow | jobs | failed | compared `exact/simple` | runtime MAPE % "
                   "`exact/simple` | runtime max \\|err\\| % `exact/simple` | compared "
                   "`exact/contention` | runtime MAPE % `exact/contention` |"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| kcp_ws | 1 | 0 | 1 | 10.00 | 10.00 | 1 | 1.00 | 1.00 |"), std::string::npos)
      << r;
  EXPECT_NE(r.find("| **all** | 2 | 0 | 2 | 15.00 | 20.00 | 2 | 2.50 | 4.00 |"), std::string::npos)
      << r;
  EXPECT_NE(r.find("| ideal | 2 | 0 | 2 | 15.00 | 20.00 | 2 | 2.50 | 4.00 |"), std::string::npos)
      << r;
  // Per job: the simulator's runtime, then per variant the model's and the error.
  EXPECT_NE(r.find("| layer | dataflow | hardware | sim | model `exact/simple` | error % "
                   "`exact/simple` | model `exact/contention` | error % `exact/contention` |"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| net/A | kcp_ws | ideal | 100 | 110 | +10.00 | 101 | +1.00 |"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("| net/A | rs | ideal | 100 | 80 | -20.00 | 96 | -4.00 |"), std::string::npos)
      << r;
  // Then each variant's own statistics.
  EXPECT_NE(r.find("## Model variant `exact/simple`"), std::string::npos);
  EXPECT_NE(r.find("## Model variant `exact/contention`"), std::string::npos);
  EXPECT_LT(r.find("## Invalid mappings and failures"), r.find("## Model variants side by side"));

  std::ostringstream summary;
  write_summary(summary, cs);
  EXPECT_NE(summary.str().find("MAPE % exact/contention"), std::string::npos) << summary.str();

  // One variant: exactly the one-variant report, and the other variant's records are ignored.
  const Comparisons one = compare_variants({kA1, kA3}, kBoth, {}, records, "s", "id");
  std::ostringstream a, b;
  write_report(a, one);
  write_report(b, compare({kA1, kA3}, kBoth, records, "s", "id"));
  EXPECT_EQ(a.str(), b.str());
  EXPECT_EQ(one.per_variant[0].stray_records, 0u);
  EXPECT_NEAR(one.per_variant[0].overall.runtime.mape(), 15, 1e-9);
}

TEST(ValidationReport, AFailedRecordOfOneVariantFailsTheJob) {
  Metrics failed = contention_record(kA1, 0);
  failed.status = RecordStatus::Failed;
  failed.note = "no route";
  const Comparisons cs =
      compare_variants({kA1}, kBoth, {"exact/simple", "exact/contention"},
                       {record(kA1, Engine::Model, 100), failed, record(kA1, Engine::Sim, 100)});
  EXPECT_EQ(cs.failed_jobs(), 1u);
  std::ostringstream report;
  write_report(report, cs);
  EXPECT_NE(report.str().find("| net/A | kcp_ws | ideal | model exact/contention | failed | no "
                              "route |"),
            std::string::npos)
      << report.str();
}

}  // namespace
}  // namespace metronome::validation
