// Validation suites: parsing, the job list, the suite identity, shards, and the errors a
// malformed suite gives (file, line, field).

#include "validation/suite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tests/validation/validation_test_util.hpp"

namespace metronome::validation {
namespace {

using testing::shipped_dirs;
using testing::TempDir;
using testing::tiny_suite;
using testing::write_tiny_suite;

std::size_t library_dataflow_count() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(shipped_dirs().dataflows))
    n += e.path().extension() == ".m" ? 1 : 0;
  return n;
}

// Parses `text` as suite.yaml next to tiny.m and returns the InputError it throws.
InputError suite_error(const std::string& text) {
  TempDir dir;
  const std::string path = write_tiny_suite(dir, text);
  try {
    load_suite(path, shipped_dirs());
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path) << e.what();
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return InputError(SourceLocation{}, "none");
}

TEST(ConfigNames, SortedStemsOfRegularFilesWithTheExtension) {
  TempDir dir;
  dir.write("b.m", "");
  dir.write("a.m", "");
  dir.write("c.yaml", "");
  dir.write("notes.txt", "");
  std::filesystem::create_directory(dir.path() / "sub.m");  // a directory is not a config
  EXPECT_EQ(config_names(dir.path().string(), ".m"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config_names(dir.path().string(), ".yaml"), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(config_names((dir.path() / "missing").string(), ".m").empty());
}

TEST(ValidationSuite, ParsesNamesPathsAndListsJobsInOrder) {
  TempDir dir;
  const ResolvedSuite s = load_suite(write_tiny_suite(dir), shipped_dirs());
  EXPECT_EQ(s.name, "tiny");
  EXPECT_EQ(s.engines, (std::vector<Engine>{Engine::Model, Engine::Sim}));  // default
  EXPECT_EQ(s.timeout_seconds, 600);
  ASSERT_EQ(s.jobs.size(), 8u);
  // layers outermost, then dataflows, hardware fastest
  const std::vector<JobKey> expected = {
      {"tiny/A", "kcp_ws", "ideal"}, {"tiny/A", "kcp_ws", "mesh-64"},
      {"tiny/A", "rs", "ideal"},     {"tiny/A", "rs", "mesh-64"},
      {"tiny/B", "kcp_ws", "ideal"}, {"tiny/B", "kcp_ws", "mesh-64"},
      {"tiny/B", "rs", "ideal"},     {"tiny/B", "rs", "mesh-64"},
  };
  EXPECT_EQ(s.job_keys(), expected);
  for (std::size_t i = 0; i < s.jobs.size(); ++i) EXPECT_EQ(s.jobs[i].index, i);
  EXPECT_EQ(s.layer_of(s.jobs[4]).name, "B");
  EXPECT_EQ(std::filesystem::path(s.workload_paths[0]).filename(), "tiny.m");
  EXPECT_EQ(std::filesystem::path(s.dataflow_paths[1]).filename(), "rs.m");
  EXPECT_EQ(std::filesystem::path(s.hardware_paths[1]).filename(), "mesh-64.yaml");
}

TEST(ValidationSuite, OptionalFieldsAndShorthands) {
  TempDir dir;
  const std::string text =
      "name: short\ndescription: one engine\nengines: model\ntimeout_seconds: 2.5\n"
      "networks: [tiny.m]\ndataflows: all\nhardware: edge-256\n";
  const ResolvedSuite s = load_suite(write_tiny_suite(dir, text), shipped_dirs());
  EXPECT_EQ(s.engines, std::vector<Engine>{Engine::Model});
  EXPECT_EQ(s.timeout_seconds, 2.5);
  EXPECT_EQ(s.dataflows.size(), library_dataflow_count());
  EXPECT_EQ(s.jobs.size(), 2 * library_dataflow_count());
  EXPECT_TRUE(std::is_sorted(s.dataflows.begin(), s.dataflows.end(),
                             [](const Mapping& a, const Mapping& b) { return a.name < b.name; }));
}

TEST(ValidationSuite, ShippedSuitesLoad) {
  const std::size_t dataflows = library_dataflow_count();
  const ResolvedSuite quick = load_suite(
      std::string(METRONOME_SOURCE_DIR) + "/configs/validation/quick.yaml", shipped_dirs());
  EXPECT_EQ(quick.name, "quick");
  EXPECT_EQ(quick.jobs.size(), 7 * dataflows * 3);  // small.m's 5 layers + 2 MobileNetV2 layers
  for (const ValidationJob& job : quick.jobs)
    EXPECT_LT(quick.layer_of(job).macs(), 1'000'000) << job.key.str();
  const ResolvedSuite full = load_suite(
      std::string(METRONOME_SOURCE_DIR) + "/configs/validation/full.yaml", shipped_dirs());
  EXPECT_EQ(full.jobs.size(), (13 + 53 + 52 + 5) * dataflows * 4);
  const std::vector<JobKey> keys = full.job_keys();
  EXPECT_EQ(std::set<JobKey>(keys.begin(), keys.end()).size(), full.jobs.size());
  const ResolvedSuite mobilenet =
      load_suite(std::string(METRONOME_SOURCE_DIR) + "/configs/validation/mobilenet-edge.yaml",
                 shipped_dirs());
  EXPECT_EQ(mobilenet.jobs.size(), 21 * dataflows);
  // Issue 4's acceptance run: every layer of every shipped network (small 5, AlexNet 5,
  // MobileNetV2 52, ResNet-50 53, VGG16 13, BERT-base 8) x every library dataflow on edge-256.
  const ResolvedSuite every =
      load_suite(std::string(METRONOME_SOURCE_DIR) + "/configs/validation/every-layer-edge.yaml",
                 shipped_dirs());
  EXPECT_EQ(every.jobs.size(), (5 + 5 + 52 + 53 + 13 + 8) * dataflows);
  const std::vector<JobKey> every_keys = every.job_keys();
  EXPECT_EQ(std::set<JobKey>(every_keys.begin(), every_keys.end()).size(), every.jobs.size());
}

TEST(ValidationSuite, IdentityDependsOnJobsAndEnginesOnly) {
  TempDir a, b;
  const ResolvedSuite s1 = load_suite(write_tiny_suite(a), shipped_dirs());
  // Same jobs from a suite with another name, in another directory.
  std::string renamed = tiny_suite();
  renamed.replace(renamed.find("tiny\n"), 5, "other\n");
  const ResolvedSuite s2 = load_suite(write_tiny_suite(b, renamed), shipped_dirs());
  EXPECT_EQ(s1.identity, s2.identity);
  EXPECT_EQ(s1.identity.size(), 32u);
  const ResolvedSuite fewer =
      load_suite(write_tiny_suite(b, tiny_suite("", "[ideal]")), shipped_dirs());
  EXPECT_NE(fewer.identity, s1.identity);
  const ResolvedSuite model_only =
      load_suite(write_tiny_suite(b, tiny_suite("engines: [model]\n")), shipped_dirs());
  EXPECT_NE(model_only.identity, s1.identity);
}

TEST(ValidationSuite, ModelVariantsParseAndEnterTheIdentity) {
  TempDir a, b;
  const ResolvedSuite plain = load_suite(write_tiny_suite(a), shipped_dirs());
  EXPECT_EQ(plain.model_names(), std::vector<std::string>{"exact/simple"});
  // Naming the default variant changes nothing, not even the identity.
  const ResolvedSuite explicit_default =
      load_suite(write_tiny_suite(b, tiny_suite("models: exact/simple\n")), shipped_dirs());
  EXPECT_EQ(explicit_default.identity, plain.identity);
  const ResolvedSuite two = load_suite(
      write_tiny_suite(b, tiny_suite("models: [simple, contention, maestro]\n")), shipped_dirs());
  EXPECT_EQ(two.model_names(),
            (std::vector<std::string>{"exact/simple", "exact/contention", "maestro"}));
  EXPECT_EQ(two.models[1].noc_model, NocModelName::Contention);
  EXPECT_EQ(two.models[2].semantics, SemanticsMode::Maestro);
  EXPECT_EQ(two.models[2].noc_model, NocModelName::None);
  EXPECT_EQ(two.jobs.size(), plain.jobs.size());  // variants are not jobs
  EXPECT_NE(two.identity, plain.identity);
  // The order of the variants is part of the identity (the first is the primary one).
  const ResolvedSuite swapped = load_suite(
      write_tiny_suite(b, tiny_suite("models: [contention, simple, maestro]\n")), shipped_dirs());
  EXPECT_NE(swapped.identity, two.identity);
  // --semantics / --noc-model replace the list and the identity with it.
  ResolvedSuite replaced = two;
  replaced.set_models({model_variant_from_options("", "")});
  EXPECT_EQ(replaced.identity, plain.identity);
  replaced.set_models({model_variant_from_options("", "contention")});
  EXPECT_EQ(replaced.model_names(), std::vector<std::string>{"exact/contention"});
  EXPECT_EQ(model_variant_from_options("maestro", "").name(), "maestro");
  EXPECT_EQ(model_variant_from_options("maestro", "simple").name(), "maestro");
  EXPECT_THROW(model_variant_from_options("maestro", "contention"), InputError);
  EXPECT_THROW(model_variant_from_options("fuzzy", ""), InputError);
  EXPECT_THROW(model_variant_from_options("", "mesh"), InputError);
}

TEST(ValidationSuite, RecordKeysTellVariantsApart) {
  Metrics m;
  m.layer = "tiny/A";
  m.dataflow = "kcp_ws";
  m.hardware = "ideal";
  m.noc_model = NocModelName::Simple;
  const RecordKey simple = record_key(m);
  m.noc_model = NocModelName::Contention;
  const RecordKey contention = record_key(m);
  EXPECT_NE(simple, contention);
  EXPECT_EQ(simple, model_key(JobKey{"tiny/A", "kcp_ws", "ideal"}));
  EXPECT_EQ(contention.variant, "exact/contention");
  m.semantics = SemanticsMode::Maestro;
  m.noc_model = NocModelName::None;
  EXPECT_EQ(record_key(m).variant, "maestro");
  m.engine = Engine::Sim;  // the simulator's record has no variant, whatever it says
  EXPECT_EQ(record_key(m), sim_key(JobKey{"tiny/A", "kcp_ws", "ideal"}));
}

TEST(ValidationSuite, ShardsAreDisjointAndCoverEveryJob) {
  TempDir dir;
  const ResolvedSuite s = load_suite(write_tiny_suite(dir), shipped_dirs());
  for (std::size_t n = 1; n <= 10; ++n) {
    std::vector<int> seen(s.jobs.size(), 0);
    for (std::size_t i = 1; i <= n; ++i) {
      const std::vector<ValidationJob> part = shard_jobs(s.jobs, Shard{i, n});
      for (const ValidationJob& job : part) ++seen[job.index];
      // every N-th job, in order
      for (std::size_t k = 1; k < part.size(); ++k) EXPECT_EQ(part[k].index, part[k - 1].index + n);
      if (!part.empty()) {
        EXPECT_EQ(part.front().index, i - 1);
      }
    }
    for (std::size_t j = 0; j < seen.size(); ++j)
      EXPECT_EQ(seen[j], 1) << "job " << j << " with " << n << " shards";
  }
}

TEST(ValidationSuite, ParsesShardSpecs) {
  EXPECT_EQ(parse_shard("1/1"), (Shard{1, 1}));
  EXPECT_EQ(parse_shard("3/4"), (Shard{3, 4}));
  EXPECT_EQ(parse_shard("4/4").str(), "4/4");
  for (const char* bad :
       {"3/2", "0/2", "1/0", "a/b", "2", "", "1/", "/2", "-1/2", "1/2/3", " 1/2", "1.5/2"}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
      EXPECT_NE(e.expected().find("1 <= I <= N"), std::string::npos) << e.what();
    }
  }
  try {
    parse_shard("3/2");
  } catch (const InputError& e) {
    EXPECT_NE(e.problem().find("I is larger than N"), std::string::npos) << e.what();
  }
}

struct BadSuite {
  const char* text;
  int line;
  const char* problem;  // a part of the message
};

TEST(ValidationSuite, ErrorsNameFileLineAndField) {
  const std::vector<BadSuite> cases = {
      {"name: x\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\nhardwares: [x]\n", 5,
       "unknown field 'hardwares'"},
      {"name: x\nnetworks:\n  - network: tiny.m\n    layer: [A]\ndataflows: all\nhardware: "
       "[ideal]\n",
       4, "unknown field 'networks[0].layer'"},
      {"name: x\nnetworks:\n  - network: tiny.m\n    layer: [A]\ndataflows: all\nhardware: "
       "[ideal]\n",
       4, " in networks[0])"},
      {"name:\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 1,
       "name: no value (expected a value after the colon)"},
      {"name: x\n[a, b]: 1\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "a top-level field that is not a name (expected one of name, "},
      {"name: x\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\nname: y\n", 5,
       "name given twice (first at line 1) (expected each field once)"},
      {"name: x\nnetworks: [missing.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "networks[0]: network file"},
      {"name: x\nnetworks: [nosuchnet]\ndataflows: all\nhardware: [ideal]\n", 2,
       "networks[0]: no network named 'nosuchnet'"},
      {"name: x\nnetworks:\n  - network: tiny.m\n    layers: [A, Z]\ndataflows: all\nhardware: "
       "[ideal]\n",
       4, "networks[0].layers[1]: no layer 'Z'"},
      {"name: x\nnetworks:\n  - network: tiny.m\n    layers:\n      - A\n      - A\n"
       "dataflows: all\nhardware: [ideal]\n",
       6, "layer 'A' listed twice"},
      {"name: x\nnetworks: [tiny.m, tiny.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "listed twice"},
      {"name: x\nnetworks: [tiny.m]\ndataflows: [kcp_ws, nosuch]\nhardware: [ideal]\n", 3,
       "dataflows[1]: no dataflow named 'nosuch'"},
      {"name: x\nnetworks: [tiny.m]\ndataflows: [kcp_ws, kcp_ws]\nhardware: [ideal]\n", 3,
       "a second dataflow named 'kcp_ws'"},
      {"name: x\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal, big-iron]\n", 4,
       "hardware[1]: no hardware named 'big-iron'"},
      {"name: x\nnetworks: [tiny.m]\ndataflows: all\nhardware: [hw/none.yaml]\n", 4,
       "hardware[0]: hardware file"},
      {"name: x\nengines: [model, simulator]\nnetworks: [tiny.m]\ndataflows: all\nhardware: "
       "[ideal]\n",
       2, "engines[1]: unknown engine 'simulator'"},
      {"name: x\ntimeout_seconds: -3\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "timeout_seconds: -3 is out of range"},
      {"name: x\ntimeout_seconds: soon\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "timeout_seconds: 'soon' is not a number"},
      {"name: x\nmodels: [simple, fancy]\nnetworks: [tiny.m]\ndataflows: all\nhardware: "
       "[ideal]\n",
       2, "models[1]: unknown model variant 'fancy'"},
      {"name: x\nmodels:\n  - exact\n  - exact/simple\nnetworks: [tiny.m]\ndataflows: "
       "all\nhardware: [ideal]\n",
       4, "models[1]: model variant exact/simple listed twice ('exact' at line 3"},
      {"name: x\nmodels: [maestro/contention]\nnetworks: [tiny.m]\ndataflows: all\nhardware: "
       "[ideal]\n",
       2, "the contention NoC model applies to the exact semantics only"},
      {"name: x\nengines: [sim]\nmodels: [contention]\nnetworks: [tiny.m]\ndataflows: "
       "all\nhardware: [ideal]\n",
       3, "lists models but does not run the model engine"},
      // Also when the list is the default's.
      {"name: x\nengines: [sim]\nmodels: [simple]\nnetworks: [tiny.m]\ndataflows: "
       "all\nhardware: [ideal]\n",
       3, "lists models but does not run the model engine"},
      {"networks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 1, "no name field"},
      {"name: x\ndataflows: all\nhardware: [ideal]\n", 1, "no networks field"},
      {"name: x\nnetworks: []\ndataflows: all\nhardware: [ideal]\n", 2, "empty list"},
      {"name: x\nname: y\nnetworks: [tiny.m]\ndataflows: all\nhardware: [ideal]\n", 2,
       "name given twice"},
      {"name: x\nnetworks: [tiny.m\ndataflows: all\n", 0, "YAML syntax error"},
      {"- just\n- a list\n", 1, "the top level is a list"},
      {"", 1, "empty suite"},
  };
  for (const BadSuite& c : cases) {
    const InputError e = suite_error(c.text);
    if (c.line > 0) {
      EXPECT_EQ(e.where().line, c.line) << c.text << "\n" << e.what();
    }
    EXPECT_NE(std::string(e.what()).find(c.problem), std::string::npos)
        << "expected '" << c.problem << "' in: " << e.what();
  }
}

TEST(ValidationSuite, ErrorsInsideNamedFilesPointAtThoseFiles) {
  TempDir dir;
  dir.write("broken.m", "Network broken {\nLayer L {\n  Type: CONV\n  Dimensions { K: 0 }\n}\n}\n");
  const std::string suite =
      dir.write("suite.yaml", "name: x\nnetworks: [broken.m]\ndataflows: all\nhardware: [ideal]\n");
  try {
    load_suite(suite, shipped_dirs());
    FAIL() << "a malformed network was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(e.where().file.find("broken.m"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace metronome::validation
