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
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/hardware_override.hpp"
#include "spec/workload_parser.hpp"

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

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Hardware read(const std::string& text);

 private:
  using Handler = std::function<void(const std::string& key, const YAML::Node& value, int line)>;

  static int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.line >= 0 ? m.line + 1 : 0;
  }
  [[noreturn]] void fail(int line, std::string problem, std::string expected) const {
    throw InputError(SourceLocation{file_, line}, std::move(problem), std::move(expected));
  }
  static std::string kind_of(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Null:
        return "no value";
      default:
        return "a scalar";
    }
  }

  // Walks a mapping, refusing unknown and repeated keys.
  void for_each(const YAML::Node& map, const std::string& path, int line,
                const std::vector<std::string_view>& keys, const Handler& handler) const;
  const std::string& scalar(const YAML::Node& v, const std::string& path, int line,
                            const std::string& expected) const {
    if (!v.IsScalar()) fail(line, fmt::format("{}: {} given", path, kind_of(v)), expected);
    return v.Scalar();
  }
  // Reads the mapping of `section` ("" for the top level) into `hw`: leaves by the field
  // table's rules, sub-sections recursively. Records each leaf's line in lines_.
  void section(const YAML::Node& v, const std::string& path, int line, Hardware& hw);

  std::string file_;
  std::map<std::string, int, std::less<>> lines_;  // field -> line of its value
};

void YamlReader::for_each(const YAML::Node& map, const std::string& path, int line,
                          const std::vector<std::string_view>& keys, const Handler& handler) const {
  const std::string valid = fmt::format("{}", fmt::join(keys, ", "));
  if (!map.IsMap())
    fail(line,
         path.empty() ? fmt::format("the top level is {}", kind_of(map))
                      : fmt::format("{}: {} given", path, kind_of(map)),
         fmt::format("a mapping with keys {}", valid));
  std::map<std::string, int, std::less<>> seen;
  for (const auto& kv : map) {
    const int key_line = line_of(kv.first);
    if (!kv.first.IsScalar())
      fail(key_line,
           path.empty() ? std::string("a top-level key that is not a name")
                        : fmt::format("{}: a key that is not a name", path),
           fmt::format("one of {}", valid));
    const std::string& key = kv.first.Scalar();
    const std::string full = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (std::find(keys.begin(), keys.end(), std::string_view(key)) == keys.end())
      fail(key_line, fmt::format("unknown key {}", quote(full)),
           path.empty() ? fmt::format("one of {}", valid)
                        : fmt::format("one of {} under {}", valid, path));
    if (auto it = seen.find(key); it != seen.end())
      fail(key_line, fmt::format("{} given twice (first at line {})", full, it->second),
           "each key once");
    seen.emplace(key, key_line);
    const int value_line = kv.second.IsNull() ? key_line : std::max(line_of(kv.second), key_line);
    if (kv.second.IsNull())
      fail(key_line, fmt::format("{}: no value", full), "a value after the colon");
    handler(full, kv.second, value_line);
  }
}

void YamlReader::section(const YAML::Node& v, const std::string& path, int line, Hardware& hw) {
  for_each(v, path, line, hardware_section_keys(path),
           [&](const std::string& key, const YAML::Node& value, int l) {
             if (const HardwareField* field = find_hardware_field(key)) {
               const std::string& s = scalar(value, key, l, field->expected);
               parse_hardware_value(*field, hw, s, SourceLocation{file_, l});
               lines_[key] = l;
             } else {
               section(value, key, l, hw);
             }
           });
}

Hardware YamlReader::read(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, fmt::format("YAML syntax error: {}", e.msg),
         "valid YAML");
  }
  Hardware hw;
  hw.where = SourceLocation{file_, 0};
  if (const std::string stem = stem_of(file_); !stem.empty()) hw.name = stem;
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
    std::int64_t min;
    std::optional<std::int64_t> value;
    int line = 0;
  };
  std::array<Key, 6> keys = {{{"num_pes", 1, {}, 0},
                              {"l1_size_cstr", 1, {}, 0},
                              {"l2_size_cstr", 1, {}, 0},
                              {"noc_bw_cstr", 1, {}, 0},
                              {"offchip_bw_cstr", 1, {}, 0},
                              {"NoC_NumHops", 0, {}, 0}}};
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
    if (v < it->min)
      fail(line, fmt::format("{}: {} is out of range", it->name, v),
           fmt::format("an integer >= {}", it->min));
    it->value = v;
    it->line = line;
  }

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
