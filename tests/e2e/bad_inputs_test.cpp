// Every malformed input in tests/bad_inputs/ (listed with the message fragment it must produce
// in tests/bad_inputs/cases.txt) is rejected by `metronome model` with exit status 2 and one
// clear message naming the file: no crash, no hang, no results on stdout.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/run_metronome.hpp"

namespace metronome::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kBadDir = source_path("tests/bad_inputs");

struct Case {
  std::vector<std::string> args;  // as written in cases.txt
  std::string fragment;
  int line = 0;
  std::string name;  // test name
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "cases.txt:" << c.line << " " << c.name;
}

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream in(kBadDir + "/cases.txt");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    Case c;
    c.line = number;
    std::istringstream words(line.substr(0, tab));
    for (std::string w; words >> w;) c.args.push_back(w);
    c.fragment = tab == std::string::npos ? "" : line.substr(tab + 1);
    for (const std::string& w : c.args)
      for (char ch : w) c.name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    cases.push_back(std::move(c));
  }
  return cases;
}

const char* const kGoodWorkload = R"(Network good {
Layer GOOD {
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
}
)";

const char* const kPlainWorkload = R"(Network plain {
Layer PLAIN {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 4, C: 4, R: 3, S: 3, Y: 6, X: 6 }
}
}
)";

// Makes a generated ("@") input in `dir` and returns its path.
std::string make_generated(const TempDir& dir, const std::string& name) {
  const std::string path = (dir.path() / name.substr(1)).string();
  if (name.rfind("@missing", 0) == 0) return path;
  if (name.rfind("@directory", 0) == 0) {
    fs::create_directory(path);
    return path;
  }
  if (name == "@binary.m") {
    std::string bytes(4096, '\0');
    std::uint32_t state = 12345;
    for (char& b : bytes) {
      state = state * 1664525u + 1013904223u;
      b = static_cast<char>(state >> 24);
    }
    return dir.write(name.substr(1), bytes);
  }
  const std::string big(10'000'000, 'x');
  if (name == "@long_name.m") return dir.write(name.substr(1), "Network " + big + " {\n");
  if (name == "@long_layer_name.m")
    return dir.write(name.substr(1), "Network n {\nLayer " + big + " {\n  Type: CONV\n}\n}\n");
  if (name == "@long_constant_name.m")
    return dir.write(name.substr(1),
                     "Network n {\nLayer L {\n  Type: CONV\n  Dimensions { K: " + big +
                         ", C: 4, R: 3, S: 3, Y: 6, X: 6 }\n}\n}\n\nConstant " + big + " 4;\n");
  if (name == "@long_value.yaml") return dir.write(name.substr(1), "pe:\n  count: " + big + "\n");
  if (name == "@long_line.m") return dir.write(name.substr(1), big + "\n");
  ADD_FAILURE() << "unknown generated input " << name;
  return path;
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, IsRejectedWithAClearMessage) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.args.empty());
  ASSERT_FALSE(c.fragment.empty()) << "cases.txt:" << c.line << ": no message fragment";
  TempDir dir;
  auto resolve = [&](const std::string& word) {
    if (word.rfind("@", 0) == 0) return make_generated(dir, word);
    if (word.rfind("--", 0) == 0) return word;
    return kBadDir + "/" + word;
  };
  auto is_yaml = [](const std::string& w) {
    return w.size() > 5 && (w.substr(w.size() - 5) == ".yaml" || w.substr(w.size() - 4) == ".yml");
  };

  std::vector<std::string> args = {"model"};
  std::string subject;
  std::size_t rest = 1;
  if (c.args[0] == "--hw" || c.args[0] == "--dataflow") {
    ASSERT_GE(c.args.size(), 2u) << "cases.txt:" << c.line;
    subject = resolve(c.args[1]);
    args.push_back(c.args[0] == "--hw" ? dir.write("good.m", kGoodWorkload)
                                       : dir.write("plain.m", kPlainWorkload));
    args.push_back(c.args[0]);
    args.push_back(subject);
    rest = 2;
  } else if (is_yaml(c.args[0])) {
    subject = resolve(c.args[0]);
    args.push_back(dir.write("good.m", kGoodWorkload));
    args.push_back("--hw");
    args.push_back(subject);
  } else {
    subject = resolve(c.args[0]);
    args.push_back(subject);
  }
  for (std::size_t i = rest; i < c.args.size(); ++i) args.push_back(resolve(c.args[i]));

  const RunResult r = run_metronome(args);
  ASSERT_FALSE(r.timed_out) << r.describe();
  ASSERT_EQ(r.signal, 0) << "crashed: " << r.describe();
  EXPECT_EQ(r.exit_status, 2) << r.describe();
  EXPECT_EQ(r.out, "") << "bad input must not print results: " << r.describe();
  EXPECT_EQ(r.err.rfind("metronome: ", 0), 0u) << r.describe();
  EXPECT_NE(r.err.find(subject), std::string::npos)
      << "the message must name " << subject << ": " << r.describe();
  EXPECT_NE(r.err.find(c.fragment), std::string::npos)
      << "the message must contain \"" << c.fragment << "\": " << r.describe();
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.describe();
  EXPECT_LT(r.err.size(), 2000u) << "messages quote a bounded excerpt: " << r.describe();
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInput, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

// Accepted but suspect input: the run succeeds and each warning is one line on stderr,
// `metronome: warning: FILE:LINE: ...`.
TEST(SuspectInputs, DuplicateLayerNameWarnsOnStderr) {
  TempDir dir;
  std::string text = kGoodWorkload;
  const std::string layer =
      text.substr(text.find("Layer GOOD"), text.rfind('}') - text.find("Layer GOOD"));
  text.insert(text.rfind('}'), layer);  // the same layer again, from line 15
  const std::string path = dir.write("dup.m", text);
  const RunResult r = run_metronome({"model", path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_EQ(r.err, "metronome: warning: " + path +
                       ":15: layer name 'GOOD' (line 2) is used again 1 time (line 15); renamed "
                       "'GOOD#2' (layer names should be unique in a network)\n")
      << r.describe();
  EXPECT_NE(r.out.find("GOOD#2"), std::string::npos) << r.describe();
}

TEST(SuspectInputs, MaestroLayerTypeWarnsOnStderr) {
  TempDir dir;
  std::string text = kGoodWorkload;
  text.replace(text.find("Type: CONV"), 10, "Type: NGCONV");
  const std::string path = dir.write("ng.m", text);
  const RunResult r = run_metronome({"model", path});
  ASSERT_EQ(r.exit_status, 0) << r.describe();
  EXPECT_EQ(r.err, "metronome: warning: " + path +
                       ":3: layer 'GOOD' has type NGCONV, which metronome does not model; it is "
                       "kept as an unsupported layer\n")
      << r.describe();
  EXPECT_NE(r.out.find("unsupported_layer"), std::string::npos) << r.describe();
}

TEST(BadInputs, ManifestCoversEveryFile) {
  const std::vector<Case> cases = load_cases();
  EXPECT_GE(cases.size(), 25u);
  std::set<std::string> named;
  for (const Case& c : cases)
    for (const std::string& w : c.args) named.insert(w);
  for (const auto& entry : fs::directory_iterator(kBadDir)) {
    const std::string file = entry.path().filename().string();
    if (file == "cases.txt") continue;
    EXPECT_TRUE(named.count(file)) << file << " is not listed in cases.txt";
  }
  for (const std::string& w : named)
    if (w.rfind("@", 0) != 0 && w.rfind("--", 0) != 0) {
      EXPECT_TRUE(fs::exists(kBadDir + "/" + w)) << "cases.txt names a missing file " << w;
    }
}

}  // namespace
}  // namespace metronome::e2e
