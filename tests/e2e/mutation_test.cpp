// Mutation test (the issue's "every shipped .m and .yaml file, mutated at random a thousand
// times with a fixed seed"): every shipped input file (configs/networks/*.m,
// configs/dataflows/*.m, configs/hardware/*.yaml) is mutated at the token level -- tokens
// deleted, duplicated or swapped, numbers replaced by garbage or by huge values, stray
// punctuation inserted, the file truncated -- and each mutant is run through `metronome model`
// as a child process. Every run must end normally (no signal, no hang, no sanitizer report)
// with exit status 0 or 2; every stderr line starts with "metronome: ", and on exit status 2
// every error names the file it is about ("metronome: FILE:LINE: ..."). Overflow is an error,
// not a wrap-around: the records written (--json) have finite, non-negative numbers, a PE
// utilisation of at most 1 and, when `ok`, a positive runtime and MAC count.
//
// MutationTest: 1000 random mutants in kShards shards (one ctest entry each, so they run in
// parallel). Mutant i mutates shipped file i % (number of files), 1-3 mutations, with its own
// generator seeded from (kSeed, i), so any mutant can be regenerated alone.
// MutationExtremesTest: every number of the hardware files, the dataflow files and alexnet.m
// replaced in turn by a few extreme values (random mutation rarely hits a given field).
//
// A failing mutant is kept in $TMPDIR/metronome-mutation-failures/mutant-N/ and the failure
// message gives the command that reproduces it. With METRONOME_MUTATION_LOG_DIR set, every run
// is logged there (one file per shard) with every mutant beside it (mutant-N-NAME), for
// reviewing the messages by eye.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/run_metronome.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define METRONOME_MUTATION_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define METRONOME_MUTATION_SANITIZED 1
#endif
#endif

namespace metronome::e2e {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kSeed = 0x6d6574726f6e6f6dULL;  // "metronom"
constexpr int kShards = 20;
constexpr int kMutantsPerShard = 50;  // kShards * kMutantsPerShard = 1000 mutants in all

// A run longer than this is a hang (the slowest shipped run, ResNet-50 with --dataflow all,
// takes well under a second in release; sanitized builds are 10-30 times slower).
#ifdef METRONOME_MUTATION_SANITIZED
constexpr std::chrono::seconds kTimeout{120};
#else
constexpr std::chrono::seconds kTimeout{20};
#endif

// ---------------------------------------------------------------------------------------------
// Shipped files

enum class Kind { Network, Dataflow, Hardware };

struct Original {
  std::string relative;   // e.g. "configs/networks/alexnet.m"
  std::string file_name;  // e.g. "alexnet.m"
  Kind kind = Kind::Network;
  std::string text;
};

std::vector<Original> shipped_files() {
  std::vector<Original> files;
  const std::array<std::pair<const char*, Kind>, 3> dirs = {{{"configs/networks", Kind::Network},
                                                             {"configs/dataflows", Kind::Dataflow},
                                                             {"configs/hardware", Kind::Hardware}}};
  for (const auto& [dir, kind] : dirs) {
    const std::string extension = kind == Kind::Hardware ? ".yaml" : ".m";
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(source_path(dir)))
      if (entry.is_regular_file() && entry.path().extension() == extension)
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      Original o;
      o.relative = std::string(dir) + "/" + name;
      o.file_name = name;
      o.kind = kind;
      o.text = read_file(source_path(o.relative));
      files.push_back(std::move(o));
    }
  }
  return files;
}

const std::vector<Original>& originals() {
  static const std::vector<Original> files = shipped_files();
  return files;
}

// ---------------------------------------------------------------------------------------------
// Tokens and mutations

enum class TokenType { Space, Comment, Number, Word, Punct };

struct Token {
  TokenType type = TokenType::Punct;
  std::string text;
};

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Splits `text` into whitespace runs, comments (to the end of the line: `//` in .m files,
// `#` in YAML), numbers (digits, fraction, exponent), words and single punctuation characters.
// Joining the tokens gives `text` back.
std::vector<Token> tokenize(const std::string& text, bool yaml) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    TokenType type = TokenType::Punct;
    const char c = text[i];
    if (is_space(c)) {
      type = TokenType::Space;
      while (i < text.size() && is_space(text[i])) ++i;
    } else if ((yaml && c == '#') || (!yaml && text.compare(i, 2, "//") == 0)) {
      type = TokenType::Comment;
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (is_digit(c)) {
      type = TokenType::Number;
      while (i < text.size() && is_digit(text[i])) ++i;
      if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
        ++i;
        while (i < text.size() && is_digit(text[i])) ++i;
      }
      if (i + 1 < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
        if (j < text.size() && is_digit(text[j])) {
          i = j;
          while (i < text.size() && is_digit(text[i])) ++i;
        }
      }
    } else if (is_word_start(c)) {
      type = TokenType::Word;
      while (i < text.size() && is_word_char(text[i])) ++i;
    } else {
      ++i;
    }
    tokens.push_back({type, text.substr(start, i - start)});
  }
  return tokens;
}

std::string join(const std::vector<Token>& tokens) {
  std::string text;
  for (const Token& t : tokens) text += t.text;
  return text;
}

// Portable across standard libraries (std::uniform_int_distribution is not): the mutants must
// be the same everywhere for a failure to be reproducible.
std::size_t pick(std::mt19937_64& rng, std::size_t n) {
  return n == 0 ? 0 : static_cast<std::size_t>(rng() % n);
}

const std::vector<std::string>& garbage_numbers() {
  static const std::vector<std::string> values = {
      "12x",  "-5",   "0",     "",    "1e9",  "-1",          "0.5", "1.5",
      "-0",   "0x10", "1e400", "nan", "inf",  "+3",          "007", ".",
      "1..2", "--1",  "3,",    "1/0", "1e-9", "-2147483648", "2.0", "1_000"};
  return values;
}

const std::vector<std::string>& huge_numbers() {
  static const std::vector<std::string> values = {"9223372036854775807",
                                                  "9223372036854775808",
                                                  "99999999999999999999",
                                                  "2147483648",
                                                  "4294967296",
                                                  "4294967295",
                                                  "100000000",
                                                  "10000000",
                                                  "3037000500",
                                                  "65536",
                                                  "18446744073709551616",
                                                  "1000000000000"};
  return values;
}

const std::vector<std::string>& stray_characters() {
  static const std::vector<std::string> values = {"{",
                                                  "}",
                                                  ";",
                                                  ":",
                                                  ",",
                                                  "(",
                                                  ")",
                                                  "[",
                                                  "]",
                                                  "\"",
                                                  "'",
                                                  "-",
                                                  "\n",
                                                  "//",
                                                  "#",
                                                  "&",
                                                  "*",
                                                  "!",
                                                  std::string(1, '\0'),
                                                  "\xff"};
  return values;
}

// Printable form of a token for the failure message.
std::string show(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (std::isprint(static_cast<unsigned char>(c)))
      out += c;
    else {
      static const char* const hex = "0123456789abcdef";
      const auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  if (out.size() > 41) out = out.substr(0, 38) + "...";
  return out + "'";
}

struct Mutant {
  std::string text;
  std::vector<std::string> mutations;  // what was done, in order
};

// Applies 1-3 random mutations to `original`.
Mutant mutate(const Original& original, std::mt19937_64& rng) {
  std::vector<Token> tokens = tokenize(original.text, original.kind == Kind::Hardware);
  Mutant mutant;
  bool truncate = false;

  auto indices_of = [&](auto predicate) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (predicate(tokens[i])) found.push_back(i);
    return found;
  };
  auto significant = [&] {
    return indices_of([](const Token& t) { return t.type != TokenType::Space; });
  };
  auto numbers = [&] {
    return indices_of([](const Token& t) { return t.type == TokenType::Number; });
  };

  // Weights of the mutation kinds, in the order of the switch below.
  const std::array<int, 7> weights = {3, 2, 2, 3, 3, 2, 1};
  int total = 0;
  for (int w : weights) total += w;

  const std::size_t count = 1 + pick(rng, 3);
  for (std::size_t m = 0; m < count; ++m) {
    auto roll = static_cast<int>(pick(rng, static_cast<std::size_t>(total)));
    std::size_t kind = 0;
    while (roll >= weights[kind]) roll -= weights[kind++];
    const std::vector<std::size_t> sig = significant();
    const std::vector<std::size_t> nums = numbers();
    if (sig.empty()) kind = 5;  // only stray characters make sense
    if ((kind == 3 || kind == 4) && nums.empty()) kind = 0;
    std::ostringstream what;
    switch (kind) {
      case 0: {  // delete a token
        const std::size_t i = sig[pick(rng, sig.size())];
        what << "delete token " << i << " " << show(tokens[i].text);
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      case 1: {  // duplicate a token
        const std::size_t i = sig[pick(rng, sig.size())];
        what << "duplicate token " << i << " " << show(tokens[i].text);
        const Token copy = tokens[i];
        tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(i) + 1, copy);
        break;
      }
      case 2: {  // swap two tokens
        const std::size_t i = sig[pick(rng, sig.size())];
        const std::size_t j = sig[pick(rng, sig.size())];
        what << "swap tokens " << i << " " << show(tokens[i].text) << " and " << j << " "
             << show(tokens[j].text);
        std::swap(tokens[i], tokens[j]);
        break;
      }
      case 3:
      case 4: {  // a number to garbage or to a huge number
        const std::size_t i = nums[pick(rng, nums.size())];
        const std::vector<std::string>& pool = kind == 3 ? garbage_numbers() : huge_numbers();
        const std::string& replacement = pool[pick(rng, pool.size())];
        what << "number " << i << " " << show(tokens[i].text) << " -> " << show(replacement);
        tokens[i] = {TokenType::Punct, replacement};
        break;
      }
      case 5: {  // a stray character between two tokens
        const std::size_t i = pick(rng, tokens.size() + 1);
        const std::string& stray = stray_characters()[pick(rng, stray_characters().size())];
        what << "insert " << show(stray) << " before token " << i;
        tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(i), {TokenType::Punct, stray});
        break;
      }
      default:
        truncate = true;
        break;
    }
    if (kind != 6) mutant.mutations.push_back(what.str());
  }
  mutant.text = join(tokens);
  if (truncate) {
    const std::size_t at = pick(rng, mutant.text.size() + 1);
    mutant.mutations.push_back("truncate at byte " + std::to_string(at) + " of " +
                               std::to_string(mutant.text.size()));
    mutant.text.resize(at);
  }
  return mutant;
}

// ---------------------------------------------------------------------------------------------
// Running a mutant

struct Plan {
  std::vector<std::string> args;  // for `metronome`, with the mutant's path in it
};

std::vector<std::string> library_dataflows() {
  std::vector<std::string> names;
  for (const Original& o : originals())
    if (o.kind == Kind::Dataflow) names.push_back(fs::path(o.file_name).stem().string());
  return names;
}

Plan plan_for(const Original& original, const std::string& mutant_path,
              const std::string& json_path, std::mt19937_64& rng) {
  const std::string alexnet = source_path("configs/networks/alexnet.m");
  const std::string edge = source_path("configs/hardware/edge-256.yaml");
  Plan plan;
  switch (original.kind) {
    case Kind::Network:
      // `all` (every library dataflow) one time in four: it costs six times a single one.
      plan.args = {"model", mutant_path, "--dataflow", pick(rng, 4) == 0 ? "all" : "kcp_ws",
                   "--hw",  edge};
      break;
    case Kind::Dataflow:
      plan.args = {"model", alexnet, "--dataflow", mutant_path};
      break;
    case Kind::Hardware: {
      // kcp_ws mostly; every other library dataflow sometimes, for the other NoC patterns.
      const std::vector<std::string> names = library_dataflows();
      const std::string dataflow =
          pick(rng, 2) == 0 || names.empty() ? "kcp_ws" : names[pick(rng, names.size())];
      plan.args = {"model", alexnet, "--dataflow", dataflow, "--hw", mutant_path};
      break;
    }
  }
  plan.args.push_back("--json");
  plan.args.push_back(json_path);
  return plan;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every number in `j` finite and non-negative; in an `ok` record (`ok_record`), no figure
// null (the writers turn a non-finite number into null: an overflow). Adds the problems found.
void check_json_value(const nlohmann::json& j, const std::string& path, bool ok_record,
                      std::vector<std::string>& problems) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      check_json_value(it.value(), path + "." + it.key(), ok_record, problems);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      check_json_value(j[i], path + "[" + std::to_string(i) + "]", ok_record, problems);
  } else if (j.is_number()) {
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < 0)
      problems.push_back(path + " = " + j.dump() + " (a wrapped-around or negative figure)");
  } else if (j.is_null() && ok_record) {
    problems.push_back(path + " = null in an ok record (an overflowed or non-finite figure)");
  }
}

// The records of the --json file: see check_json_value; a PE utilisation at most 1; an `ok`
// record has a positive runtime and MAC count.
std::vector<std::string> check_json(const std::string& json_path) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!fs::exists(json_path, ec)) return problems;
  const nlohmann::json records = nlohmann::json::parse(read_file(json_path), nullptr, false);
  if (records.is_discarded() || !records.is_array()) {
    problems.push_back("the --json file is not a JSON array");
    return problems;
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const nlohmann::json& r = records[i];
    const std::string where = "record " + std::to_string(i);
    if (!r.is_object()) {
      problems.push_back(where + " is not a JSON object");
      continue;
    }
    const bool ok = r.value("status", "") == "ok";
    check_json_value(r, where, ok, problems);
    const auto u = r.find("pe_utilization");
    if (u != r.end() && u->is_number() && u->get<double>() > 1 + 1e-9)
      problems.push_back(where + ".pe_utilization = " + u->dump() + " > 1");
    if (ok)
      for (const char* key : {"runtime_cycles", "macs"}) {
        const auto v = r.find(key);
        if (v == r.end() || !v->is_number() || v->get<double>() <= 0)
          problems.push_back(where + "." + key + " = " + (v == r.end() ? "absent" : v->dump()) +
                             " in an ok record");
      }
  }
  return problems;
}

// "metronome: FILE:LINE: ..." or "metronome: FILE: ..." with FILE an existing file: the
// message says where the problem is.
bool names_a_file(const std::string& line) {
  const std::string rest = line.substr(std::string("metronome: ").size());
  const std::size_t colon = rest.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::error_code ec;
  return fs::is_regular_file(rest.substr(0, colon), ec);
}

// The problems with one run, empty when it behaved.
std::vector<std::string> check_run(const RunResult& run, const std::string& json_path) {
  std::vector<std::string> problems;
  if (run.timed_out) {
    problems.push_back("hang: no exit within " + std::to_string(kTimeout.count()) + " s");
    return problems;
  }
  if (run.exit_status < 0 && run.signal == 0) {
    problems.push_back("could not run " + std::string(METRONOME_BINARY) + ": " + run.err);
    return problems;
  }
  if (run.signal != 0) {
    problems.push_back("crash: killed by signal " + std::to_string(run.signal));
    return problems;
  }
  if (run.exit_status != 0 && run.exit_status != 2)
    problems.push_back("exit status " + std::to_string(run.exit_status) + " (expected 0 or 2)");
  const std::vector<std::string> err = lines_of(run.err);
  if (run.exit_status == 2 && err.empty()) problems.push_back("exit status 2 with no message");
  for (const std::string& line : err) {
    bool bad_marker = false;
    for (const char* bad : {"terminate called", "Sanitizer", "runtime error", "internal error"})
      if (line.find(bad) != std::string::npos) {
        problems.push_back(std::string("stderr has \"") + bad + "\": " + line);
        bad_marker = true;
      }
    if (bad_marker) continue;
    if (line.rfind("metronome: ", 0) != 0)
      problems.push_back("stderr line not starting with \"metronome: \": " + line);
    else if (run.exit_status == 2 && line.rfind("metronome: warning: ", 0) != 0 &&
             !names_a_file(line))
      problems.push_back("error message naming no input file (expected FILE:LINE: ...): " + line);
  }
  if (!run.out.empty() && run.out.rfind("layer ", 0) != 0)
    problems.push_back("stdout is not the results table");
  for (std::string& p : check_json(json_path)) problems.push_back(std::move(p));
  return problems;
}

std::string quoted_command(const std::vector<std::string>& args) {
  std::string command = METRONOME_BINARY;
  for (const std::string& a : args) command += " '" + a + "'";
  return command;
}

// Copies the failing mutant to a directory that outlives the test and returns the command
// line that runs it again.
std::string keep_for_reproduction(int index, const Original& original, const std::string& text,
                                  std::vector<std::string> args, const std::string& mutant_path) {
  const fs::path dir = fs::temp_directory_path() / "metronome-mutation-failures" /
                       ("mutant-" + std::to_string(index));
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path kept = dir / original.file_name;
  {
    std::ofstream out(kept, std::ios::binary | std::ios::trunc);
    out << text;
  }
  for (std::string& a : args) {
    if (a == mutant_path) a = kept.string();
    if (a.size() > 5 && a.substr(a.size() - 5) == ".json") a = (dir / "out.json").string();
  }
  return quoted_command(args);
}

// Short form of a run for failure messages: how it ended, stderr, the start of stdout.
std::string summary(const RunResult& run) {
  std::ostringstream s;
  if (run.timed_out)
    s << "timed out after " << kTimeout.count() << " s";
  else if (run.signal)
    s << "killed by signal " << run.signal;
  else
    s << "exit status " << run.exit_status;
  s << "\n--- stderr (" << run.err.size() << " bytes) ---\n"
    << run.err.substr(0, 2000) << "\n--- stdout (" << run.out.size() << " bytes) ---\n"
    << run.out.substr(0, 400) << (run.out.size() > 400 ? "...\n" : "");
  return s.str();
}

// Runs mutants and collects the failures of one shard; with METRONOME_MUTATION_LOG_DIR set,
// logs every run and keeps every mutant there.
class ShardRunner {
 public:
  explicit ShardRunner(const std::string& shard_name) {
    if (const char* dir = std::getenv("METRONOME_MUTATION_LOG_DIR"); dir && *dir) {
      log_dir_ = dir;
      log_.open(log_dir_ + "/" + shard_name + ".log", std::ios::trunc);
    }
  }

  // Runs `mutant` of `original` (numbered `index` in failure messages and file names);
  // reports a test failure for a misbehaving run.
  void run(int index, const Original& original, const Mutant& mutant, std::mt19937_64& rng) {
    ++runs_;
    TempDir dir;
    const std::string mutant_path = dir.write(original.file_name, mutant.text);
    const std::string json_path = (dir.path() / "out.json").string();
    const Plan plan = plan_for(original, mutant_path, json_path, rng);
    const RunResult run = run_metronome(plan.args, kTimeout);
    log(index, original, mutant, run);

    std::vector<std::string> problems = check_run(run, json_path);
    if (problems.empty()) return;
    ++failures_;
    std::ostringstream message;
    message << "mutant " << index << " of " << original.relative << " (";
    for (std::size_t i = 0; i < mutant.mutations.size(); ++i)
      message << (i ? "; " : "") << mutant.mutations[i];
    message << "):\n";
    constexpr std::size_t kShown = 8;
    for (std::size_t i = 0; i < problems.size() && i < kShown; ++i)
      message << "  " << problems[i] << "\n";
    if (problems.size() > kShown) message << "  ... " << problems.size() - kShown << " more\n";
    message << "reproduce with:\n  "
            << keep_for_reproduction(index, original, mutant.text, plan.args, mutant_path) << "\n"
            << summary(run);
    ADD_FAILURE() << message.str();
  }

  void expect_no_failures() const {
    EXPECT_EQ(failures_, 0) << failures_ << " of " << runs_ << " mutants misbehaved";
  }

 private:
  void log(int index, const Original& original, const Mutant& mutant, const RunResult& run) {
    if (!log_) return;
    log_ << "=== mutant " << index << " of " << original.relative << ": ";
    for (std::size_t i = 0; i < mutant.mutations.size(); ++i)
      log_ << (i ? "; " : "") << mutant.mutations[i];
    log_ << "\n";
    if (run.timed_out)
      log_ << "TIMED OUT\n";
    else if (run.signal)
      log_ << "SIGNAL " << run.signal << "\n";
    else
      log_ << "exit " << run.exit_status << "\n";
    log_ << run.err;
    std::ofstream(log_dir_ + "/mutant-" + std::to_string(index) + "-" + original.file_name,
                  std::ios::binary)
        << mutant.text;
  }

  std::string log_dir_;
  std::ofstream log_;
  int runs_ = 0;
  int failures_ = 0;
};

std::mt19937_64 generator_for(int index) {
  std::seed_seq seed{static_cast<std::uint32_t>(kSeed), static_cast<std::uint32_t>(kSeed >> 32),
                     static_cast<std::uint32_t>(index)};
  return std::mt19937_64(seed);
}

// The 1000 random mutants, kMutantsPerShard per shard.
class MutationTest : public ::testing::TestWithParam<int> {};

TEST_P(MutationTest, ShippedFilesMutatedEndWithExit0Or2AndClearErrors) {
  const std::vector<Original>& files = originals();
  ASSERT_FALSE(files.empty()) << "no shipped files under " << source_path("configs");
  const int shard = GetParam();
  ShardRunner runner("shard-" + std::to_string(shard));
  for (int k = 0; k < kMutantsPerShard; ++k) {
    const int index = shard * kMutantsPerShard + k;
    const Original& original = files[static_cast<std::size_t>(index) % files.size()];
    std::mt19937_64 rng = generator_for(index);
    runner.run(index, original, mutate(original, rng), rng);
  }
  runner.expect_no_failures();
}

INSTANTIATE_TEST_SUITE_P(Shards, MutationTest, ::testing::Range(0, kShards));

// Extreme values, systematically: random mutation rarely puts a huge value into a given field,
// so every number (outside comments) of every hardware file, every dataflow file and of
// alexnet.m (the other networks use the same grammar) is also replaced, one at a time, by
// 2^63 - 1 and 2^62 (which overflow when added to or multiplied by anything) and, in YAML
// files, by 1e-300 and 1e300 (which overflow any division or product). Mutant numbers start at
// kExtremeBase.
constexpr int kExtremeBase = 100000;
constexpr int kExtremeShards = 8;

struct Extreme {
  std::size_t file = 0;   // in originals()
  std::size_t token = 0;  // a Number token of that file
  std::string value;
};

const std::vector<Extreme>& extremes() {
  static const std::vector<Extreme> cases = [] {
    std::vector<Extreme> all;
    const std::vector<Original>& files = originals();
    for (std::size_t f = 0; f < files.size(); ++f) {
      const Original& o = files[f];
      if (o.kind == Kind::Network && o.file_name != "alexnet.m") continue;
      const bool yaml = o.kind == Kind::Hardware;
      std::vector<std::string> values = {"9223372036854775807", "4611686018427387904"};
      if (yaml) values.insert(values.end(), {"1e-300", "1e300"});
      const std::vector<Token> tokens = tokenize(o.text, yaml);
      for (std::size_t t = 0; t < tokens.size(); ++t)
        if (tokens[t].type == TokenType::Number)
          for (const std::string& v : values) all.push_back({f, t, v});
    }
    return all;
  }();
  return cases;
}

class MutationExtremesTest : public ::testing::TestWithParam<int> {};

TEST_P(MutationExtremesTest, EveryNumberReplacedByExtremeValuesEndsWithExit0Or2) {
  const std::vector<Original>& files = originals();
  ASSERT_FALSE(files.empty()) << "no shipped files under " << source_path("configs");
  const int shard = GetParam();
  ShardRunner runner("extremes-" + std::to_string(shard));
  const std::vector<Extreme>& cases = extremes();
  for (std::size_t i = static_cast<std::size_t>(shard); i < cases.size(); i += kExtremeShards) {
    const Extreme& c = cases[i];
    const Original& original = files[c.file];
    std::vector<Token> tokens = tokenize(original.text, original.kind == Kind::Hardware);
    Mutant mutant;
    mutant.mutations.push_back("number " + std::to_string(c.token) + " " +
                               show(tokens[c.token].text) + " -> " + show(c.value));
    tokens[c.token].text = c.value;
    mutant.text = join(tokens);
    const int index = kExtremeBase + static_cast<int>(i);
    std::mt19937_64 rng = generator_for(index);
    runner.run(index, original, mutant, rng);
  }
  runner.expect_no_failures();
}

INSTANTIATE_TEST_SUITE_P(Shards, MutationExtremesTest, ::testing::Range(0, kExtremeShards));

// The tokenizer gives the text back unchanged, and mutants are reproducible.
TEST(MutationTokenizer, RoundTripsEveryShippedFileAndMutatesDeterministically) {
  for (const Original& o : originals()) {
    EXPECT_EQ(join(tokenize(o.text, o.kind == Kind::Hardware)), o.text) << o.relative;
    std::mt19937_64 a = generator_for(1), b = generator_for(1);
    EXPECT_EQ(mutate(o, a).text, mutate(o, b).text) << o.relative;
  }
}

}  // namespace
}  // namespace metronome::e2e
