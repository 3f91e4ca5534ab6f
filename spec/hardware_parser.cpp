// Hardware descriptions: YAML (the native format; keys in docs/input-formats.md) and MAESTRO's
// hardware `.m` files (num_pes, l1_size_cstr, ...). Defaults are the initialisers in
// spec/hardware.hpp, except for what a MAESTRO file implies (see parse_hardware_maestro).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/hardware_override.hpp"
#include "spec/workload_parser.hpp"
#include "spec/yaml_fields.hpp"

namespace metronome {

namespace {

constexpr std::array<std::pair<std::string_view, Topology>, 5> kTopologies = {{
    {"bus", Topology::Bus},
    {"crossbar", Topology::Crossbar},
    {"tree", Topology::Tree},
    {"mesh", Topology::Mesh},
    {"systolic", Topology::Systolic},
}};

std::string stem_of(const std::string& file_name) {
  if (file_name.empty()) return {};
  return std::filesystem::path(file_name).stem().string();
}

// ------------------------------------------------------------------------------------------
// YAML: the keys, their value rules and their messages come from the field table
// (spec/hardware_override.hpp), which the overrides of `metronome sweep` share.

class YamlReader : YamlFields {
 public:
  explicit YamlReader(std::string file) : YamlFields(std::move(file), {"key", "under"}) {}

  Hardware read(const std::string& text);

 private:
  // Reads the mapping of `section` ("" for the top level) into `hw`: leaves by the field
  // table's rules, sub-sections recursively. Records each leaf's line in lines_.
  void section(const YAML::Node& v, const std::string& path, int line, Hardware& hw);

  std::map<std::string, int, std::less<>> lines_;  // field -> line of its value
};

void YamlReader::section(const YAML::Node& v, const std::string& path, int line, Hardware& hw) {
  for_each(v, path, line, hardware_section_keys(path),
           [&](const std::string& key, const YAML::Node& value, int l) {
             if (const HardwareField* field = find_hardware_field(key)) {
               const std::string& s = scalar(value, key, l, field->expected);
               parse_hardware_value(*field, hw, s, SourceLocation{file(), l});
               lines_[key] = l;
             } else {
               section(value, key, l, hw);
             }
           });
}

Hardware YamlReader::read(const std::string& text) {
  const YAML::Node root = load(text);
  Hardware hw;
  hw.where = SourceLocation{file(), 0};
  if (const std::string stem = stem_of(file()); !stem.empty()) hw.name = stem;
  if (root.IsNull())
    fail(1, "empty hardware description",
         fmt::format("a YAML mapping with keys {}", fmt::join(hardware_section_keys(""), ", ")));

  try {
    section(root, "", 1, hw);
  } catch (const YAML::Exception& e) {
    fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, fmt::format("YAML error: {}", e.msg),
         "a valid hardware description");
  }
  if (const auto problem = hardware_consistency_problem(hw)) {
    int line = 0;
    for (std::string_view field : problem->fields)
      if (const auto it = lines_.find(field); it != lines_.end()) {
        line = it->second;
        break;
      }
    fail(line, problem->problem, problem->expected);
  }
  return hw;
}

}  // namespace

// ------------------------------------------------------------------------------------------

std::string_view topology_name(Topology t) {
  for (const auto& [name, topo] : kTopologies)
    if (topo == t) return name;
  return "unknown";
}

std::optional<Topology> parse_topology(std::string_view name) {
  for (const auto& [n, topo] : kTopologies)
    if (n == name) return topo;
  return std::nullopt;
}

std::vector<std::string_view> topology_names() {
  std::vector<std::string_view> out;
  out.reserve(kTopologies.size());
  for (const auto& entry : kTopologies) out.push_back(entry.first);
  return out;
}

void Hardware::check_limits() const {
  auto fail = [&](const std::string& field, const std::string& value, const std::string& range) {
    throw InputError(where, fmt::format("{}: {} is out of range", field, value), range);
  };
  if (pe.count > kMaxPes)
    fail("pe.count", std::to_string(pe.count), fmt::format("at most {} PEs", kMaxPes));
  if (pe.macs_per_cycle > kMaxMacsPerCycle)
    fail("pe.macs_per_cycle", std::to_string(pe.macs_per_cycle),
         fmt::format("at most {}", kMaxMacsPerCycle));
  const std::pair<const char*, double> bandwidths[] = {
      {"l2.words_per_bank_per_cycle", l2.words_per_bank_per_cycle},
      {"dram.words_per_cycle", dram.words_per_cycle},
      {"noc.distribution.link_words_per_cycle", noc.distribution.link_words_per_cycle},
      {"noc.reduction.link_words_per_cycle", noc.reduction.link_words_per_cycle}};
  for (const auto& [field, value] : bandwidths)
    if (!(value >= kMinWordsPerCycle))
      fail(field, fmt::format("{}", value),
           fmt::format("at least {} words per cycle, or unlimited", kMinWordsPerCycle));
  const std::pair<const char*, std::int64_t> latencies[] = {
      {"dram.latency_cycles", dram.latency_cycles},
      {"noc.distribution.hop_latency", noc.distribution.hop_latency},
      {"noc.reduction.hop_latency", noc.reduction.hop_latency}};
  for (const auto& [field, value] : latencies)
    if (value > kMaxLatencyCycles)
      fail(field, std::to_string(value), fmt::format("at most {} cycles", kMaxLatencyCycles));
}

Hardware parse_hardware_yaml(const std::string& text, const std::string& file_name) {
  Hardware hw = YamlReader(file_name).read(text);
  hw.check_limits();
  return hw;
}

// MAESTRO's hardware file (its DFSL_hw-parser.hpp): `key: value` lines, `//` comments.
// A key that is absent keeps MAESTRO's own default (HWConfig in that file): num_pes 1,
// l1_size_cstr / l2_size_cstr / noc_bw_cstr / offchip_bw_cstr INT_MAX (here: INT_MAX words for
// the buffers, unlimited for the bandwidths), NoC_NumHops 1. L2 bandwidth is always unlimited.
Hardware parse_hardware_maestro(const std::string& text, const std::string& file_name) {
  struct Key {
    std::string_view name;
    std::int64_t min, max;
    std::optional<std::int64_t> value;
    int line = 0;
  };
  constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
  std::array<Key, 6> keys = {{{"num_pes", 1, kMaxPes, {}, 0},
                              {"l1_size_cstr", 1, kNoMax, {}, 0},
                              {"l2_size_cstr", 1, kNoMax, {}, 0},
                              {"noc_bw_cstr", 1, kNoMax, {}, 0},
                              {"offchip_bw_cstr", 1, kNoMax, {}, 0},
                              {"NoC_NumHops", 0, kMaxLatencyCycles, {}, 0}}};
  const auto fail = [&](int line, std::string problem, std::string expected) {
    throw InputError(SourceLocation{file_name, line}, std::move(problem), std::move(expected));
  };
  const std::string valid =
      "num_pes, l1_size_cstr, l2_size_cstr, noc_bw_cstr, offchip_bw_cstr, NoC_NumHops";

  std::string_view rest = text;
  int line = 0;
  while (!rest.empty()) {
    ++line;
    const std::size_t eol = rest.find('\n');
    std::string_view l = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (l.find('\0') != std::string_view::npos) fail(line, "binary data", "a text file");
    if (const std::size_t c = l.find("//"); c != std::string_view::npos) l = l.substr(0, c);
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    const auto sep = [](char ch) {
      return ch == ' ' || ch == '\t' || ch == '\r' || ch == ':' || ch == ';' || ch == ',';
    };
    while (i < l.size()) {
      while (i < l.size() && sep(l[i])) ++i;
      const std::size_t start = i;
      while (i < l.size() && !sep(l[i])) ++i;
      if (i > start) tokens.push_back(l.substr(start, i - start));
    }
    if (tokens.empty()) continue;
    auto it =
        std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == tokens[0]; });
    if (it == keys.end())
      fail(line, fmt::format("unknown key {}", quote(tokens[0])), fmt::format("one of {}", valid));
    if (tokens.size() != 2)
      fail(line, fmt::format("{}: {} values", it->name, tokens.size() - 1),
           fmt::format("`{}: VALUE`", it->name));
    if (it->value)
      fail(line, fmt::format("{} given twice (first at line {})", it->name, it->line),
           "each key once");
    std::int64_t v = 0;
    switch (parse_hardware_int(tokens[1], v)) {
      case IntParse::NotInteger:
        fail(line, fmt::format("{}: {} is not an integer", it->name, quote(tokens[1])),
             fmt::format("an integer >= {}", it->min));
        break;
      case IntParse::OutOfRange:
        fail(line,
             fmt::format("{}: {} does not fit in a 64-bit integer", it->name, quote(tokens[1])),
             "a smaller integer");
        break;
      case IntParse::Ok:
        break;
    }
    if (v < it->min || v > it->max)
      fail(line, fmt::format("{}: {} is out of range", it->name, v),
           it->max == kNoMax ? fmt::format("an integer >= {}", it->min)
                             : fmt::format("an integer from {} to {}", it->min, it->max));
    it->value = v;
    it->line = line;
  }

  if (std::none_of(keys.begin(), keys.end(), [](const Key& k) { return k.value.has_value(); }))
    fail(std::max(line, 1), "empty hardware description (no key)",
         fmt::format("`key: value` lines with keys {}", valid));

  constexpr std::int64_t kMaestroIntMax = INT_MAX;  // MAESTRO's "no constraint"
  Hardware hw;
  hw.where = SourceLocation{file_name, 0};
  if (const std::string stem = stem_of(file_name); !stem.empty()) hw.name = stem;
  hw.word_bytes = 1;
  hw.pe.count = keys[0].value.value_or(1);
  hw.pe.l1_bytes = keys[1].value.value_or(kMaestroIntMax);
  hw.l2.bytes = keys[2].value.value_or(kMaestroIntMax);
  // MAESTRO has no L2 bandwidth parameter (no key for it above) and does not limit L2 reads
  // and writes, so neither does metronome for its files.
  hw.l2.words_per_bank_per_cycle = kUnlimited;
  // Nor banks: the default 16, or one per word of a smaller L2.
  hw.l2.banks = std::min(hw.l2.banks, hw.l2.bytes / hw.word_bytes);
  // MAESTRO models no DRAM latency either (only the off-chip bandwidth).
  hw.dram.latency_cycles = 0;
  const double noc_bw = keys[3].value ? static_cast<double>(*keys[3].value) : kUnlimited;
  hw.dram.words_per_cycle = keys[4].value ? static_cast<double>(*keys[4].value) : kUnlimited;
  const std::int64_t hops = keys[5].value.value_or(1);
  for (NetworkSpec* net : {&hw.noc.distribution, &hw.noc.reduction}) {
    net->topology = Topology::Bus;
    net->link_words_per_cycle = noc_bw;
    net->hop_latency = hops;
    net->fat = false;
    net->multicast = true;
    net->in_network = true;
  }
  hw.check_limits();
  return hw;
}

Hardware load_hardware(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".yaml" || ext == ".yml") return parse_hardware_yaml(read_text_file(path), path);
  if (ext == ".m") return parse_hardware_maestro(read_text_file(path), path);
  throw InputError(SourceLocation{path, 0},
                   ext.empty() ? std::string("hardware file without an extension")
                               : fmt::format("unknown hardware file type {}", quote(ext)),
                   ".yaml or .yml (metronome YAML) or .m (MAESTRO hardware file)");
}

}  // namespace metronome
