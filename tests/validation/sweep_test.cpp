// `metronome sweep` (validation/sweep.hpp): --vary parsing, sweep files, the job list a sweep
// generates, the hardware files it writes, the knee and the slowdown attribution on synthetic
// curves, and the command end to end through the real binary with `metronome model` standing in
// for the simulator.

#include "validation/sweep.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "spec/hardware_override.hpp"
#include "spec/workload_parser.hpp"
#include "tests/unit/input_error_expectations.hpp"
#include "tests/validation/validation_test_util.hpp"

namespace metronome::validation {
namespace {

namespace fs = std::filesystem;
using e2e::run_metronome;
using testing::shipped_dirs;
using testing::TempDir;

const std::string kStandIn = std::string(METRONOME_BINARY) + " model";

using testing_errors::expect_error;

// ---- --vary ------------------------------------------------------------------------------------

TEST(SweepVary, ParsesFieldsAndCanonicalValues) {
  VariedField v = parse_vary_option("noc.distribution.link_words_per_cycle=1,2.0,+4,unlimited");
  EXPECT_EQ(v.field, "noc.distribution.link_words_per_cycle");
  EXPECT_EQ(v.values, (std::vector<std::string>{"1", "2", "4", "unlimited"}));
  EXPECT_TRUE(v.bandwidth);
  v = parse_vary_option("noc.topology=bus,mesh");
  EXPECT_EQ(v.values, (std::vector<std::string>{"bus", "mesh"}));
  EXPECT_FALSE(v.bandwidth);
  v = parse_vary_option("noc.link_words_per_cycle=8");
  EXPECT_TRUE(v.bandwidth);
  EXPECT_FALSE(parse_vary_option("pe.count=64,256").bandwidth);
}

TEST(SweepVary, BadSyntaxAndValuesAreClear) {
  const auto error = [](const std::string& text) {
    SCOPED_TRACE(text);
    const InputError e = expect_error([&] { parse_vary_option(text); });
    EXPECT_TRUE(e.where().file.empty());
    EXPECT_EQ(std::string(e.problem()).rfind("--vary " + text + ": ", 0), 0u) << e.problem();
    return e;
  };
  InputError e = error("pe.count");
  EXPECT_EQ(e.problem(), "--vary pe.count: no '=' between the field and its values");
  EXPECT_EQ(e.expected(),
            "FIELD=VALUE,VALUE,..., e.g. --vary noc.distribution.link_words_per_cycle=1,2,4,"
            "unlimited");
  EXPECT_CONTAINS(error("=1,2").problem(), "no field before '='");
  EXPECT_CONTAINS(error("pe.count=").problem(), "no values after '='");
  EXPECT_CONTAINS(error("pe.count=1,,2").problem(), "an empty value");
  EXPECT_CONTAINS(error("pe.count=1,2,").problem(), "an empty value");
  EXPECT_CONTAINS(error("noc.link_words_per_cycle=4,4.0").problem(), "value 4 given twice");
  e = error("pe.cnt=1");
  EXPECT_EQ(e.problem(), "--vary pe.cnt=1: unknown hardware field 'pe.cnt'");
  EXPECT_CONTAINS(e.expected(), "one of name, word_bytes, pe.count");
  EXPECT_CONTAINS(e.expected(), "noc.link_words_per_cycle");
  EXPECT_CONTAINS(error("name=a,b").problem(), "the hardware name cannot be varied");
  e = error("pe.count=64,0");
  EXPECT_EQ(e.problem(), "--vary pe.count=64,0: pe.count: 0 is out of range");
  e = error("noc.topology=bus,ring");
  EXPECT_EQ(e.problem(), "--vary noc.topology=bus,ring: noc.topology: unknown topology 'ring'");
  EXPECT_EQ(e.expected(), "one of bus, crossbar, tree, mesh, systolic");
  EXPECT_CONTAINS(error("dram.words_per_cycle=1,0").problem(), "0 is out of range");
}

// ---- the job list
// --------------------------------------------------------------------------------

struct TinyBase {
  TempDir dir;
  Workload workload;
  std::vector<Mapping> dataflows;
  std::vector<std::string> dataflow_paths;
  Hardware hw;
  std::string hw_path;
  TinyBase() {
    const std::string net = dir.write("tiny.m", testing::kTinyNetwork);
    workload = load_workload(net);
    for (const char* name : {"kcp_ws", "rs"}) {
      dataflow_paths.push_back(shipped_dirs().dataflows + "/" + name + ".m");
      dataflows.push_back(load_dataflow(dataflow_paths.back()));
    }
    hw_path = shipped_dirs().hardware + "/mesh-64.yaml";
    hw = load_hardware(hw_path);
  }
  SweepSpec spec(std::vector<std::string> vary, const std::string& layer = "") const {
    SweepSpec s;
    s.base = command_line_suite(workload, dir.path() / "tiny.m", layer, dataflows, dataflow_paths,
                                hw, hw_path);
    for (const std::string& v : vary) s.vary.push_back(parse_vary_option(v));
    return s;
  }
};

TEST(SweepJobs, EveryBaseJobTimesEveryCombinationInOrder) {
  TinyBase b;
  const SweepSpec spec =
      b.spec({"noc.topology=bus,mesh", "noc.link_words_per_cycle=1,4,unlimited"});
  ASSERT_EQ(spec.base.jobs.size(), 4u);  // 2 layers x 2 dataflows
  const Sweep s = make_sweep(spec, (b.dir.path() / "out" / "hardware").string());
  ASSERT_EQ(s.variants.size(), 6u);
  ASSERT_EQ(s.suite.hardware.size(), 6u);
  ASSERT_EQ(s.suite.jobs.size(), 24u);
  ASSERT_EQ(s.jobs.size(), 24u);
  EXPECT_EQ(s.axis, std::optional<std::size_t>(1));
  EXPECT_EQ(s.series, std::optional<std::size_t>(0));
  const std::vector<std::string> names = {
      "mesh-64[noc.topology=bus,noc.link_words_per_cycle=1]",
      "mesh-64[noc.topology=bus,noc.link_words_per_cycle=4]",
      "mesh-64[noc.topology=bus,noc.link_words_per_cycle=unlimited]",
      "mesh-64[noc.topology=mesh,noc.link_words_per_cycle=1]",
      "mesh-64[noc.topology=mesh,noc.link_words_per_cycle=4]",
      "mesh-64[noc.topology=mesh,noc.link_words_per_cycle=unlimited]"};
  for (std::size_t v = 0; v < 6; ++v) {
    EXPECT_EQ(s.suite.hardware[v].name, names[v]);
    EXPECT_EQ(fs::path(s.suite.hardware_paths[v]).parent_path(), b.dir.path() / "out" / "hardware");
  }
  EXPECT_EQ(fs::path(s.suite.hardware_paths[0]).filename(),
            "mesh-64_noc.topology=bus_noc.link_words_per_cycle=1.yaml");
  EXPECT_EQ(s.suite.hardware[4].noc.reduction.topology, Topology::Mesh);
  EXPECT_EQ(s.suite.hardware[4].noc.reduction.link_words_per_cycle, 4);
  EXPECT_EQ(s.variants[4].values, (std::vector<std::size_t>{1, 1}));
  // Base jobs in their order (layer, then dataflow), each with every combination.
  for (std::size_t j = 0; j < 24; ++j) {
    const ValidationJob& job = s.suite.jobs[j];
    EXPECT_EQ(job.index, j);
    EXPECT_EQ(s.jobs[j].base_job, j / 6);
    EXPECT_EQ(s.jobs[j].variant, j % 6);
    EXPECT_EQ(job.hardware, j % 6);
    EXPECT_EQ(job.key.hardware, names[j % 6]);
    EXPECT_EQ(job.key.layer, j < 12 ? "tiny/A" : "tiny/B");
    EXPECT_EQ(job.key.dataflow, (j / 6) % 2 == 0 ? "kcp_ws" : "rs");
  }
  // The identity is that of the job list: another value list is another sweep.
  EXPECT_EQ(s.suite.identity, suite_identity(s.suite.job_keys(), s.suite.engines));
  EXPECT_NE(s.suite.identity, spec.base.identity);
  const Sweep again = make_sweep(spec, "elsewhere");
  EXPECT_EQ(again.suite.identity, s.suite.identity);
  const Sweep other =
      make_sweep(b.spec({"noc.topology=bus,mesh", "noc.link_words_per_cycle=1,unlimited"}), "x");
  EXPECT_NE(other.suite.identity, s.suite.identity);
}

TEST(SweepJobs, OneLayerAndAxisChoice) {
  TinyBase b;
  Sweep s = make_sweep(b.spec({"pe.count=16,64"}, "B"), "hw");
  EXPECT_EQ(s.suite.jobs.size(), 4u);  // 1 layer x 2 dataflows x 2 values
  EXPECT_FALSE(s.axis.has_value());
  EXPECT_EQ(s.series, std::optional<std::size_t>(0));
  s = make_sweep(b.spec({"dram.words_per_cycle=1,unlimited", "noc.link_words_per_cycle=1,2"}),
                 "hw");
  EXPECT_EQ(s.axis, std::optional<std::size_t>(0));  // the first bandwidth field
  EXPECT_EQ(s.series, std::optional<std::size_t>(1));
}

TEST(SweepJobs, RefusesRepeatedFieldsNothingToVaryAndBadCombinations) {
  TinyBase b;
  InputError e = expect_error([&] {
    make_sweep(b.spec({"noc.topology=bus", "noc.distribution.topology=mesh"}), "hw");
  });
  EXPECT_EQ(e.problem(),
            "hardware field noc.distribution.topology is varied twice (by noc.topology and by "
            "noc.distribution.topology)");
  e = expect_error([&] { make_sweep(b.spec({"pe.count=1", "pe.count=2"}), "hw"); });
  EXPECT_EQ(e.problem(), "hardware field pe.count is varied twice");
  e = expect_error([&] { make_sweep(b.spec({}), "hw"); });
  EXPECT_EQ(e.problem(), "nothing to vary");
  e = expect_error([&] { make_sweep(b.spec({"noc.distribution.fat=true,false"}), "hw"); });
  EXPECT_CONTAINS(e.problem(),
                  "mesh-64[noc.distribution.fat=true]: noc.distribution.fat: true "
                  "with topology mesh");
}

TEST(SweepJobs, HardwareFilesReadBackAndInlineDataflowsHaveNoFile) {
  TinyBase b;
  Sweep s =
      make_sweep(b.spec({"noc.link_words_per_cycle=2,unlimited"}), (b.dir.path() / "hw").string());
  write_sweep_hardware(s);
  for (std::size_t v = 0; v < s.suite.hardware.size(); ++v) {
    const Hardware back = load_hardware(s.suite.hardware_paths[v]);
    EXPECT_EQ(back.name, s.suite.hardware[v].name);
    EXPECT_EQ(s.suite.hardware[v].where.file, s.suite.hardware_paths[v]);  // reloaded
  }
  EXPECT_EQ(s.suite.hardware[0].noc.distribution.link_words_per_cycle, 2);
  EXPECT_EQ(s.suite.hardware[1].noc.reduction.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(s.suite.hardware[1].pe.count, 64);

  // A layer's own Dataflow block: no --dataflow for the child.
  const std::string net = b.dir.write("inline.m", R"(Network own {
Layer L {
  Type: CONV
  Dimensions { K: 4, C: 2, R: 1, S: 1, Y: 4, X: 4 }
  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(1,1) C;
    TemporalMap(1,1) Y;
    TemporalMap(1,1) X;
  }
}
}
)");
  SweepSpec spec;
  spec.base = command_line_suite(load_workload(net), net, "", {}, {}, b.hw, b.hw_path);
  ASSERT_EQ(spec.base.jobs.size(), 1u);
  EXPECT_EQ(spec.base.jobs[0].key.dataflow, "L");
  EXPECT_EQ(spec.base.dataflow_paths, std::vector<std::string>{""});
  const std::vector<std::string> args =
      simulate_arguments(spec.base, spec.base.jobs[0], "out.json");
  EXPECT_EQ(std::find(args.begin(), args.end(), "--dataflow"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--layer"), args.end());

  // A layer without one needs --dataflow.
  const InputError e = expect_error([&] {
    command_line_suite(b.workload, b.dir.path() / "tiny.m", "", {}, {}, b.hw, b.hw_path);
  });
  EXPECT_EQ(e.problem(), "layer A has no Dataflow block");
  EXPECT_EQ(e.expected(), "a Dataflow block in the layer, or --dataflow NAME|FILE|all");
  const InputError l = expect_error([&] { b.spec({"pe.count=1"}, "C"); });
  EXPECT_EQ(l.problem(), "--layer C: no layer of that name");
}

// ---- sweep files --------------------------------------------------------------------------------

const char* const kSweepFile = R"(name: tiny-noc
networks:
  - network: tiny.m
    layers: [A]
dataflows: [kcp_ws]
hardware: [mesh-64]
vary:
  noc.topology: [bus, mesh]
  noc.link_words_per_cycle: [2, unlimited]
)";

TEST(SweepFile, ParsesTheSuiteAndVary) {
  TempDir dir;
  dir.write("tiny.m", testing::kTinyNetwork);
  const SweepSpec spec = load_sweep_file(dir.write("s.yaml", kSweepFile), shipped_dirs());
  EXPECT_EQ(spec.base.name, "tiny-noc");
  EXPECT_EQ(spec.base.jobs.size(), 1u);
  ASSERT_EQ(spec.vary.size(), 2u);
  EXPECT_EQ(spec.vary[0].field, "noc.topology");
  EXPECT_EQ(spec.vary[1].values, (std::vector<std::string>{"2", "unlimited"}));
  EXPECT_EQ(spec.vary[1].where.line, 9);
  EXPECT_EQ(make_sweep(spec, "hw").suite.jobs.size(), 4u);
  // A single value without brackets.
  const SweepSpec one =
      parse_sweep_file(std::string(kSweepFile).substr(0, std::string(kSweepFile).find("vary:")) +
                           "vary: {pe.count: 64}\n",
                       (dir.path() / "one.yaml").string(), shipped_dirs());
  EXPECT_EQ(one.vary[0].values, std::vector<std::string>{"64"});
}

TEST(SweepFile, ErrorsNameTheFileLineAndField) {
  TempDir dir;
  dir.write("tiny.m", testing::kTinyNetwork);
  const std::string head = std::string(kSweepFile).substr(0, std::string(kSweepFile).find("vary:"));
  const auto error = [&](const std::string& tail) {
    SCOPED_TRACE(tail);
    const std::string path = dir.write("bad.yaml", head + tail);
    const InputError e = expect_error([&] { load_sweep_file(path, shipped_dirs()); });
    EXPECT_EQ(e.where().file, path);
    return e;
  };
  InputError e = error("");
  EXPECT_EQ(e.problem(), "the sweep has no vary field");
  e = error("vary: [noc.topology]\n");
  EXPECT_EQ(e.problem(), "vary: a list given");
  EXPECT_EQ(e.where().line, 7);
  e = error("vary: {}\n");
  EXPECT_EQ(e.problem(), "vary: empty");
  e = error("vary:\n  noc.topolgy: [bus]\n");
  EXPECT_EQ(e.problem(), "unknown hardware field 'noc.topolgy'");
  EXPECT_EQ(e.where().line, 8);
  e = error("vary:\n  noc.topology:\n    - bus\n    - ring\n");
  EXPECT_EQ(e.problem(), "noc.topology: unknown topology 'ring'");
  EXPECT_EQ(e.where().line, 10);
  e = error("vary:\n  noc.topology: []\n");
  EXPECT_EQ(e.problem(), "vary.noc.topology: empty list");
  e = error("vary:\n  noc.topology: [bus, [mesh]]\n");
  EXPECT_EQ(e.problem(), "vary.noc.topology: a list or mapping given");
  e = error("vary:\n  noc.topology: [bus]\n  noc.distribution.topology: [mesh]\n");
  EXPECT_CONTAINS(e.problem(), "is varied twice");
  EXPECT_EQ(e.where().line, 9);
  e = error("vary: {pe.count: 1}\nvaries: 2\n");
  EXPECT_EQ(e.problem(), "unknown field 'varies'");
  EXPECT_CONTAINS(e.expected(), "networks, dataflows, hardware, vary");
}

// ---- knees and attribution ------------------------------------------------------------------

std::vector<CurvePoint> curve(std::vector<std::pair<double, std::optional<double>>> points,
                              std::vector<double> utilization = {}) {
  std::vector<CurvePoint> out;
  for (std::size_t i = 0; i < points.size(); ++i)
    out.push_back({points[i].first, points[i].second, i < utilization.size() ? utilization[i] : 0});
  return out;
}

TEST(SweepKnee, SmallestBandwidthFromWhichOnWithinFivePercent) {
  const double inf = kUnlimited;
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, 150}, {4, 104}, {8, 101}, {16, 100}, {inf, 100}})),
            4);
  // Exactly 5 % is within.
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, 105}, {4, 100}, {inf, 100}})), 2);
  // Order of the points does not matter.
  EXPECT_EQ(knee_bandwidth(curve({{inf, 100}, {4, 100}, {1, 300}, {2, 150}})), 4);
  // Not monotone: 2 is within, but 4 is not, so the curve settles only from 8 on.
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, 104}, {4, 120}, {8, 100}, {inf, 100}})), 8);
  // Within everywhere: the smallest bandwidth.
  EXPECT_EQ(knee_bandwidth(curve({{1, 101}, {2, 100}, {inf, 100}})), 1);
  // Nowhere within: only at unlimited.
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {64, 120}, {inf, 100}})), kUnlimited);
  // Missing points are skipped; without a runtime at unlimited there is no knee.
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, std::nullopt}, {4, 100}, {inf, 100}})), 4);
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, 100}, {inf, std::nullopt}})), std::nullopt);
  EXPECT_EQ(knee_bandwidth(curve({{inf, 100}})), std::nullopt);
  // Another tolerance.
  EXPECT_EQ(knee_bandwidth(curve({{1, 300}, {2, 110}, {4, 100}, {inf, 100}}), 0.2), 2);
}

TEST(SweepKnee, SlowdownSplitsIntoBandwidthAndContention) {
  const double inf = kUnlimited;
  // T0 = 100. At 1: S = 200, the busiest link forces 0.9 x 300 = 270 cycles -> B = 170, C = 30.
  // At 2: S = 50, the busiest link forces 75 < T0 -> B = 0, C = 50. At 4 (the knee): S = 4,
  // forced 31.2 -> C = 4. At 8: above the knee, not counted.
  const auto pts =
      curve({{1, 300}, {2, 150}, {4, 104}, {8, 130}, {inf, 100}}, {0.9, 0.5, 0.3, 0.99, 0});
  const std::optional<double> knee = 4;
  const SlowdownAttribution a = attribute_slowdown(pts, knee);
  EXPECT_EQ(a.points, 3u);
  EXPECT_DOUBLE_EQ(a.slowdown_cycles, 254);
  EXPECT_DOUBLE_EQ(a.bandwidth_cycles, 170);
  EXPECT_DOUBLE_EQ(a.contention_cycles, 84);
  EXPECT_NEAR(*a.contention_share(), 84.0 / 254, 1e-12);
  EXPECT_EQ(curve_limit(pts, knee, a), Limit::Bandwidth);

  // Links far from saturated yet the runtime triples: contention.
  const auto busy = curve({{1, 300}, {2, 200}, {4, 100}, {inf, 100}}, {0.2, 0.3, 0.1, 0});
  const SlowdownAttribution c = attribute_slowdown(busy, knee_bandwidth(busy));
  EXPECT_DOUBLE_EQ(c.contention_cycles, 300);
  EXPECT_DOUBLE_EQ(c.bandwidth_cycles, 0);
  EXPECT_EQ(curve_limit(busy, knee_bandwidth(busy), c), Limit::Contention);

  // The knee at the smallest bandwidth: the NoC never limits.
  const auto flat = curve({{1, 102}, {2, 100}, {inf, 100}}, {0.9, 0.5, 0});
  EXPECT_EQ(curve_limit(flat, knee_bandwidth(flat), attribute_slowdown(flat, knee_bandwidth(flat))),
            Limit::None);
  // No knee: unknown, nothing attributed.
  const auto none = curve({{1, 300}, {inf, std::nullopt}});
  EXPECT_EQ(attribute_slowdown(none, std::nullopt).points, 0u);
  EXPECT_FALSE(attribute_slowdown(none, std::nullopt).contention_share().has_value());
  EXPECT_EQ(curve_limit(none, std::nullopt, {}), Limit::Unknown);
  EXPECT_EQ(limit_name(Limit::Contention), "contention");
}

// ---- the command, end to end --------------------------------------------------------------------

std::vector<std::string> sweep_args(const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"sweep",         "--out", (dir.path() / "out").string(),
                                   "--jobs",        "2",     "--no-plots",
                                   "--sim-command", kStandIn};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(SweepCli, RunsATinySweepAndResumes) {
  TempDir dir;
  const std::string net = dir.write("tiny.m", testing::kTinyNetwork);
  const std::vector<std::string> args =
      sweep_args(dir, {net, "--dataflow", "kcp_ws", "--hw", "ideal", "--vary",
                       "noc.link_words_per_cycle=2,unlimited"});
  e2e::RunResult r = run_metronome(args);
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const fs::path out = dir.path() / "out";
  const auto counts = testing::record_counts((out / "results.jsonl").string());
  EXPECT_EQ(counts.size(), 8u);  // 2 layers x 2 values x 2 engines
  EXPECT_TRUE(
      counts.count(sim_key(JobKey{"tiny/B", "kcp_ws", "ideal[noc.link_words_per_cycle=2]"})));
  EXPECT_NE(r.out.find("4 jobs, 4 compared, 0 failed."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Knees (noc.link_words_per_cycle in words per cycle"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tiny/A x kcp_ws x ideal"), std::string::npos) << r.out;

  const std::vector<std::string> csv =
      testing::lines_of(testing::read_file((out / "sweep.csv").string()));
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0].rfind("layer,dataflow,base_hardware,hardware,noc.link_words_per_cycle,"
                         "noc.distribution.topology,noc.distribution.link_words_per_cycle,",
                         0),
            0u)
      << csv[0];
  EXPECT_EQ(csv[1].rfind("tiny/A,kcp_ws,ideal,ideal[noc.link_words_per_cycle=2],2,crossbar,2,"
                         "crossbar,2,tiny/A x kcp_ws x ideal,,noc.link_words_per_cycle,2,ok,",
                         0),
            0u)
      << csv[1];
  const std::vector<std::string> knees =
      testing::lines_of(testing::read_file((out / "knees.csv").string()));
  EXPECT_EQ(knees.size(), 3u);  // header + one curve per layer
  const std::string md = testing::read_file((out / "knees.md").string());
  EXPECT_NE(md.find("# Knees and contention: sweep sweep-tiny"), std::string::npos) << md;
  EXPECT_NE(md.find("| tiny/B x kcp_ws x ideal | - |"), std::string::npos) << md;
  for (const char* f : {"report.md", "results.csv", "manifest.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  std::size_t yaml = 0;
  for (const auto& e : fs::directory_iterator(out / "hardware")) {
    EXPECT_EQ(load_hardware(e.path().string()).pe.count, 256);
    ++yaml;
  }
  EXPECT_EQ(yaml, 2u);

  // Resumed: nothing left to run, the same outputs.
  std::vector<std::string> again = args;
  again.push_back("--resume");
  r = run_metronome(again);
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_NE(r.err.find("4 of 4 jobs already in the results (--resume)"), std::string::npos)
      << r.err;
  EXPECT_EQ(testing::lines_of(testing::read_file((out / "sweep.csv").string())), csv);

  // --resume with other values is another sweep: refused, and its hardware files are kept.
  std::vector<std::string> other = again;
  other[other.size() - 2] = "noc.link_words_per_cycle=4,unlimited";
  r = run_metronome(other);
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--resume: the directory holds results of suite 'sweep-tiny'"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::exists(out / "hardware" / "ideal_noc.link_words_per_cycle=2.yaml"));
}

TEST(SweepCli, RunsASweepFileWithTwoFields) {
  TempDir dir;
  dir.write("tiny.m", testing::kTinyNetwork);
  const std::string file = dir.write("s.yaml", kSweepFile);
  const e2e::RunResult r = run_metronome(sweep_args(dir, {"--suite", file}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_NE(r.out.find("4 jobs, 4 compared, 0 failed."), std::string::npos) << r.out;
  const std::string md = testing::read_file((dir.path() / "out" / "knees.md").string());
  EXPECT_NE(md.find("## Per `noc.topology`"), std::string::npos) << md;
  EXPECT_NE(md.find("| tiny/A x kcp_ws x mesh-64 | mesh |"), std::string::npos) << md;
  EXPECT_NE(md.find("| bus | 1 |"), std::string::npos) << md;
}

TEST(SweepCli, ModelVariantsOfASweepFileGiveBothColumns) {
  TempDir dir;
  dir.write("tiny.m", testing::kTinyNetwork);
  std::string text = kSweepFile;
  text.insert(text.find("vary:"), "models: [simple, contention]\n");
  const std::string file = dir.write("s.yaml", text);
  const e2e::RunResult r = run_metronome(sweep_args(dir, {"--suite", file}));
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const fs::path out = dir.path() / "out";
  EXPECT_EQ(testing::record_counts((out / "results.jsonl").string()).size(), 12u);  // 4 x 3
  const std::vector<std::string> csv =
      testing::lines_of(testing::read_file((out / "sweep.csv").string()));
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_NE(csv[0].find(",note,model_runtime_cycles.exact/contention,"
                        "runtime_error_percent.exact/contention"),
            std::string::npos)
      << csv[0];
  const std::string report = testing::read_file((out / "report.md").string());
  EXPECT_NE(report.find("runtime MAPE % `exact/simple`"), std::string::npos);
  EXPECT_NE(report.find("runtime MAPE % `exact/contention`"), std::string::npos);
  EXPECT_NE(report.find("| model `exact/simple` | error % `exact/simple` | model "
                        "`exact/contention` | error % `exact/contention` |"),
            std::string::npos);

  // --noc-model on the command line replaces the file's list: another sweep for --resume.
  std::vector<std::string> args =
      sweep_args(dir, {"--suite", file, "--noc-model", "contention", "--resume"});
  const e2e::RunResult other = run_metronome(args);
  EXPECT_EQ(other.exit_status, 2) << other.describe();
  EXPECT_NE(other.err.find("--resume: the directory holds results of suite 'tiny-noc'"),
            std::string::npos)
      << other.err;
  args.pop_back();
  const e2e::RunResult only = run_metronome(args);
  ASSERT_EQ(only.exit_status, 0) << only.describe();
  for (const auto& [key, n] : testing::record_counts((out / "results.jsonl").string()))
    if (key.engine == Engine::Model) {
      EXPECT_EQ(key.variant, "exact/contention");
    }
}

TEST(SweepCli, BadModelVariantsExitWithStatus2) {
  TempDir dir;
  const std::string net = dir.write("tiny.m", testing::kTinyNetwork);
  const std::vector<std::string> base = {net, "--dataflow", "kcp_ws", "--vary",
                                         "noc.link_words_per_cycle=2,unlimited"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--semantics", "fuzzy"});
  e2e::RunResult r = run_metronome(sweep_args(dir, args));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_EQ(r.err,
            "metronome: --semantics 'fuzzy': unknown semantics (expected exact or maestro)\n");
  args = base;
  args.insert(args.end(), {"--semantics", "maestro", "--noc-model", "contention"});
  r = run_metronome(sweep_args(dir, args));
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--noc-model contention: applies to --semantics exact only"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(SweepCli, BadInputExitsWithStatus2) {
  TempDir dir;
  const std::string net = dir.write("tiny.m", testing::kTinyNetwork);
  const auto run = [&](std::vector<std::string> extra) {
    return run_metronome(sweep_args(dir, std::move(extra)));
  };
  e2e::RunResult r = run({net, "--dataflow", "kcp_ws", "--vary", "noc.link_words_per_cycle"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_EQ(r.err,
            "metronome: --vary noc.link_words_per_cycle: no '=' between the field and its values "
            "(expected FIELD=VALUE,VALUE,..., e.g. --vary "
            "noc.distribution.link_words_per_cycle=1,2,4,unlimited)\n");
  r = run({net, "--dataflow", "kcp_ws", "--vary", "noc.link_words_per_cycle=1,,2"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("an empty value"), std::string::npos) << r.err;
  r = run({net, "--dataflow", "kcp_ws", "--vary", "noc.bandwidth=1,2"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("metronome: --vary noc.bandwidth=1,2: unknown hardware field "
                       "'noc.bandwidth' (expected one of name, word_bytes, pe.count"),
            std::string::npos)
      << r.err;
  r = run({net, "--dataflow", "kcp_ws", "--vary", "noc.topology=bus,torus"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("unknown topology 'torus' (expected one of bus, crossbar, tree, mesh, "
                       "systolic)"),
            std::string::npos)
      << r.err;
  r = run({net, "--dataflow", "kcp_ws"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("nothing to vary"), std::string::npos) << r.err;
  r = run({"--vary", "pe.count=1"});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("no workload"), std::string::npos) << r.err;
  r = run({net, "--suite", net});
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("--suite takes the layers"), std::string::npos) << r.err;
  r = run({net, "--vary", "pe.count=1,2"});  // tiny.m has no Dataflow blocks
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_NE(r.err.find("layer A has no Dataflow block"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(SweepCli, ContentionCurvesOrANote) {
  TempDir dir;
  const std::string net = dir.write("tiny.m", testing::kTinyNetwork);
  // (A workload after a --vary is the workload, not a second value.)
  std::vector<std::string> args = sweep_args(
      dir, {"--vary", "noc.topology=bus,mesh", net, "--layer", "A", "--dataflow", "kcp_ws", "--hw",
            "mesh-64", "--vary", "noc.link_words_per_cycle=1,4,unlimited"});
  args.erase(std::find(args.begin(), args.end(), "--no-plots"));
  const e2e::RunResult r = run_metronome(args);
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  const fs::path png = dir.path() / "out" / "contention_tiny_A_x_kcp_ws_x_mesh-64.png";
  if (!fs::exists(png)) {
    EXPECT_NE(r.err.find("metronome: note: no plots"), std::string::npos) << r.err;
    GTEST_SKIP() << "no python3 with matplotlib: " << r.err;
  }
  EXPECT_GT(fs::file_size(png), 1000u);
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "plots_sweep.log"));
}

}  // namespace
}  // namespace metronome::validation
