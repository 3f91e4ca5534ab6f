// The table of hardware fields shared by the YAML parser and the overrides, value parsing with
// the parser's messages, overrides and the YAML writer (spec/hardware_override.hpp).

#include "spec/hardware_override.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace metronome {

namespace {

bool parse_real(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

constexpr std::string_view kBandwidthExpected =
    "a positive number of words per cycle, or unlimited";
constexpr std::string_view kEnergyExpected = "a number of picojoules >= 0";

HardwareField name_field(std::string_view name, std::string& (*slot)(Hardware&)) {
  HardwareField f;
  f.name = name;
  f.kind = HardwareFieldKind::Name;
  f.expected = "a name";
  f.text = slot;
  return f;
}

HardwareField integer_field(std::string_view name, std::int64_t min, std::int64_t max,
                            std::string expected, std::int64_t& (*slot)(Hardware&)) {
  HardwareField f;
  f.name = name;
  f.kind = HardwareFieldKind::Integer;
  f.min = min;
  f.max = max;
  f.expected = std::move(expected);
  f.integer = slot;
  return f;
}

HardwareField real_field(std::string_view name, HardwareFieldKind kind,
                         double& (*slot)(Hardware&)) {
  HardwareField f;
  f.name = name;
  f.kind = kind;
  f.expected =
      std::string(kind == HardwareFieldKind::Bandwidth ? kBandwidthExpected : kEnergyExpected);
  f.real = slot;
  return f;
}

HardwareField flag_field(std::string_view name, bool& (*slot)(Hardware&)) {
  HardwareField f;
  f.name = name;
  f.kind = HardwareFieldKind::Boolean;
  f.expected = "true or false";
  f.flag = slot;
  return f;
}

HardwareField topology_field(std::string_view name, Topology& (*slot)(Hardware&)) {
  HardwareField f;
  f.name = name;
  f.kind = HardwareFieldKind::Topology;
  f.expected = fmt::format("one of {}", fmt::join(topology_names(), ", "));
  f.topology = slot;
  return f;
}

std::vector<HardwareField> make_fields() {
  using H = Hardware;
  const std::string positive = "a positive integer";
  const std::string bytes = "a positive integer number of bytes";
  const std::string cycles =
      fmt::format("an integer number of cycles from 0 to {}", kMaxLatencyCycles);
  constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kBw = HardwareFieldKind::Bandwidth;
  constexpr auto kPj = HardwareFieldKind::Energy;
  return {
      name_field("name", [](H& h) -> std::string& { return h.name; }),
      integer_field("word_bytes", 1, kNoMax, positive,
                    [](H& h) -> std::int64_t& { return h.word_bytes; }),
      integer_field("pe.count", 1, kMaxPes, fmt::format("a positive integer up to {}", kMaxPes),
                    [](H& h) -> std::int64_t& { return h.pe.count; }),
      integer_field("pe.macs_per_cycle", 1, kMaxMacsPerCycle,
                    fmt::format("a positive integer up to {}", kMaxMacsPerCycle),
                    [](H& h) -> std::int64_t& { return h.pe.macs_per_cycle; }),
      integer_field("pe.l1_bytes", 1, kNoMax, bytes,
                    [](H& h) -> std::int64_t& { return h.pe.l1_bytes; }),
      integer_field("l2.bytes", 1, kNoMax, bytes, [](H& h) -> std::int64_t& { return h.l2.bytes; }),
      integer_field("l2.banks", 1, kMaxL2Banks,
                    fmt::format("a positive integer up to {}", kMaxL2Banks),
                    [](H& h) -> std::int64_t& { return h.l2.banks; }),
      real_field("l2.words_per_bank_per_cycle", kBw,
                 [](H& h) -> double& { return h.l2.words_per_bank_per_cycle; }),
      real_field("dram.words_per_cycle", kBw,
                 [](H& h) -> double& { return h.dram.words_per_cycle; }),
      integer_field("dram.latency_cycles", 0, kMaxLatencyCycles, cycles,
                    [](H& h) -> std::int64_t& { return h.dram.latency_cycles; }),
      topology_field("noc.distribution.topology",
                     [](H& h) -> Topology& { return h.noc.distribution.topology; }),
      real_field("noc.distribution.link_words_per_cycle", kBw,
                 [](H& h) -> double& { return h.noc.distribution.link_words_per_cycle; }),
      integer_field("noc.distribution.hop_latency", 0, kMaxLatencyCycles, cycles,
                    [](H& h) -> std::int64_t& { return h.noc.distribution.hop_latency; }),
      flag_field("noc.distribution.multicast",
                 [](H& h) -> bool& { return h.noc.distribution.multicast; }),
      flag_field("noc.distribution.fat", [](H& h) -> bool& { return h.noc.distribution.fat; }),
      topology_field("noc.reduction.topology",
                     [](H& h) -> Topology& { return h.noc.reduction.topology; }),
      real_field("noc.reduction.link_words_per_cycle", kBw,
                 [](H& h) -> double& { return h.noc.reduction.link_words_per_cycle; }),
      integer_field("noc.reduction.hop_latency", 0, kMaxLatencyCycles, cycles,
                    [](H& h) -> std::int64_t& { return h.noc.reduction.hop_latency; }),
      flag_field("noc.reduction.in_network",
                 [](H& h) -> bool& { return h.noc.reduction.in_network; }),
      flag_field("noc.reduction.fat", [](H& h) -> bool& { return h.noc.reduction.fat; }),
      real_field("energy_pj.mac", kPj, [](H& h) -> double& { return h.energy_pj.mac; }),
      real_field("energy_pj.l1_read", kPj, [](H& h) -> double& { return h.energy_pj.l1_read; }),
      real_field("energy_pj.l1_write", kPj, [](H& h) -> double& { return h.energy_pj.l1_write; }),
      real_field("energy_pj.l2_read", kPj, [](H& h) -> double& { return h.energy_pj.l2_read; }),
      real_field("energy_pj.l2_write", kPj, [](H& h) -> double& { return h.energy_pj.l2_write; }),
      real_field("energy_pj.noc_hop_word", kPj,
                 [](H& h) -> double& { return h.energy_pj.noc_hop_word; }),
      real_field("energy_pj.dram_word", kPj, [](H& h) -> double& { return h.energy_pj.dram_word; }),
  };
}

// A `noc.X` name: the distribution and reduction fields X, when both networks have X.
std::vector<const HardwareField*> both_networks(std::string_view dotted_name) {
  constexpr std::string_view kNoc = "noc.";
  if (dotted_name.substr(0, kNoc.size()) != kNoc) return {};
  const std::string_view leaf = dotted_name.substr(kNoc.size());
  if (leaf.empty() || leaf.find('.') != std::string_view::npos) return {};
  const HardwareField* d = find_hardware_field(fmt::format("noc.distribution.{}", leaf));
  const HardwareField* r = find_hardware_field(fmt::format("noc.reduction.{}", leaf));
  if (!d || !r) return {};
  return {d, r};
}

// YAML double-quoted scalar.
std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// A value as it appears in a variant's name: a name as given, anything else canonical.
std::string label_text(const HardwareField& field, const Hardware& hw) {
  if (field.kind == HardwareFieldKind::Name) return hw.name;  // the one Name field
  return hardware_value_text(field, hw);
}

}  // namespace

const std::vector<HardwareField>& hardware_fields() {
  static const std::vector<HardwareField> fields = make_fields();
  return fields;
}

const HardwareField* find_hardware_field(std::string_view dotted_name) {
  for (const HardwareField& f : hardware_fields())
    if (f.name == dotted_name) return &f;
  return nullptr;
}

std::vector<std::string_view> hardware_section_keys(std::string_view section) {
  const std::string prefix = section.empty() ? std::string() : std::string(section) + ".";
  std::vector<std::string_view> keys;
  for (const HardwareField& f : hardware_fields()) {
    if (f.name.substr(0, prefix.size()) != prefix || f.name.size() == prefix.size()) continue;
    std::string_view rest = f.name.substr(prefix.size());
    rest = rest.substr(0, rest.find('.'));
    if (std::find(keys.begin(), keys.end(), rest) == keys.end()) keys.push_back(rest);
  }
  return keys;
}

IntParse parse_hardware_int(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return IntParse::NotInteger;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) return IntParse::OutOfRange;
  if (ec != std::errc() || ptr != s.data() + s.size()) return IntParse::NotInteger;
  return IntParse::Ok;
}

void parse_hardware_value(const HardwareField& field, Hardware& hw, std::string_view s,
                          const SourceLocation& where, std::string_view shown_name) {
  const std::string_view name = shown_name.empty() ? field.name : shown_name;
  const auto fail = [&](std::string problem, std::string expected) {
    throw InputError(where, std::move(problem), std::move(expected));
  };
  switch (field.kind) {
    case HardwareFieldKind::Name:
      if (s.empty()) fail(fmt::format("{}: empty", name), "a non-empty name");
      if (!is_utf8(s))
        fail(fmt::format("{}: {} is not UTF-8 text", name, quote(s)), "a name in UTF-8");
      field.text(hw) = std::string(s);
      return;
    case HardwareFieldKind::Integer: {
      std::int64_t out = 0;
      switch (parse_hardware_int(s, out)) {
        case IntParse::NotInteger:
          fail(fmt::format("{}: {} is not an integer", name, quote(s)), field.expected);
          break;
        case IntParse::OutOfRange:
          fail(fmt::format("{}: {} does not fit in a 64-bit integer", name, quote(s)),
               field.expected);
          break;
        case IntParse::Ok:
          break;
      }
      if (out < field.min || out > field.max)
        fail(fmt::format("{}: {} is out of range", name, out), field.expected);
      field.integer(hw) = out;
      return;
    }
    case HardwareFieldKind::Bandwidth: {
      if (s == "unlimited") {
        field.real(hw) = kUnlimited;
        return;
      }
      double out = 0;
      if (!parse_real(s, out))
        fail(fmt::format("{}: {} is not a number", name, quote(s)), field.expected);
      if (!(out >= kMinWordsPerCycle))
        fail(fmt::format("{}: {} is out of range", name, shorten(s)),
             fmt::format("at least {} words per cycle, or unlimited", kMinWordsPerCycle));
      field.real(hw) = out;
      return;
    }
    case HardwareFieldKind::Energy: {
      double out = 0;
      if (!parse_real(s, out))
        fail(fmt::format("{}: {} is not a number", name, quote(s)), field.expected);
      if (out < 0 || out > kMaxEnergyPj)
        fail(fmt::format("{}: {} is out of range", name, shorten(s)),
             fmt::format("a number of picojoules from 0 to {:g}", kMaxEnergyPj));
      field.real(hw) = out;
      return;
    }
    case HardwareFieldKind::Boolean:
      if (s == "true" || s == "True" || s == "TRUE") {
        field.flag(hw) = true;
      } else if (s == "false" || s == "False" || s == "FALSE") {
        field.flag(hw) = false;
      } else {
        fail(fmt::format("{}: {} is not a boolean", name, quote(s)), field.expected);
      }
      return;
    case HardwareFieldKind::Topology: {
      const auto t = parse_topology(s);
      if (!t) fail(fmt::format("{}: unknown topology {}", name, quote(s)), field.expected);
      field.topology(hw) = *t;
      return;
    }
  }
}

std::string hardware_value_text(const HardwareField& field, const Hardware& hw) {
  // The accessors hand out references into a Hardware; reading through them changes nothing.
  Hardware& h = const_cast<Hardware&>(hw);
  switch (field.kind) {
    case HardwareFieldKind::Name:
      return yaml_quoted(field.text(h));
    case HardwareFieldKind::Integer:
      return std::to_string(field.integer(h));
    case HardwareFieldKind::Bandwidth:
    case HardwareFieldKind::Energy: {
      const double v = field.real(h);
      if (std::isinf(v) && v > 0) return "unlimited";
      return fmt::format("{}", v);  // the shortest text that reads back as exactly v
    }
    case HardwareFieldKind::Boolean:
      return field.flag(h) ? "true" : "false";
    case HardwareFieldKind::Topology:
      return std::string(topology_name(field.topology(h)));
  }
  return {};
}

std::optional<HardwareProblem> hardware_consistency_problem(const Hardware& hw) {
  const std::pair<const NetworkSpec*, std::string_view> networks[] = {
      {&hw.noc.distribution, "noc.distribution"}, {&hw.noc.reduction, "noc.reduction"}};
  for (const auto& [net, path] : networks)
    if (net->fat && net->topology != Topology::Tree)
      return HardwareProblem{
          {path == "noc.distribution" ? std::string_view("noc.distribution.fat")
                                      : std::string_view("noc.reduction.fat"),
           path == "noc.distribution" ? std::string_view("noc.distribution.topology")
                                      : std::string_view("noc.reduction.topology")},
          fmt::format("{}.fat: true with topology {}", path, topology_name(net->topology)),
          "fat: true only with topology tree"};
  if (hw.pe.l1_bytes % hw.word_bytes != 0)
    return HardwareProblem{{"pe.l1_bytes", "word_bytes"},
                           fmt::format("pe.l1_bytes: {} is not a multiple of word_bytes ({})",
                                       hw.pe.l1_bytes, hw.word_bytes),
                           "a whole number of words per L1"};
  if (hw.l2.bytes % hw.word_bytes != 0)
    return HardwareProblem{{"l2.bytes", "word_bytes"},
                           fmt::format("l2.bytes: {} is not a multiple of word_bytes ({})",
                                       hw.l2.bytes, hw.word_bytes),
                           "a whole number of words in L2"};
  if (hw.l2.banks > hw.l2.bytes / hw.word_bytes)
    return HardwareProblem{{"l2.banks", "l2.bytes"},
                           fmt::format("l2.banks: {} banks for the L2's {} words", hw.l2.banks,
                                       hw.l2.bytes / hw.word_bytes),
                           "at most one bank per L2 word"};
  return std::nullopt;
}

std::vector<std::string> overridable_hardware_fields() {
  std::vector<std::string> names;
  for (const HardwareField& f : hardware_fields()) names.emplace_back(f.name);
  for (std::string_view key : hardware_section_keys("noc.distribution")) {
    const std::string alias = fmt::format("noc.{}", key);
    if (!both_networks(alias).empty()) names.push_back(alias);
  }
  return names;
}

std::vector<const HardwareField*> hardware_fields_named(std::string_view dotted_name,
                                                        const SourceLocation& where) {
  if (const HardwareField* f = find_hardware_field(dotted_name)) return {f};
  std::vector<const HardwareField*> both = both_networks(dotted_name);
  if (!both.empty()) return both;
  throw InputError(where, fmt::format("unknown hardware field {}", quote(dotted_name)),
                   fmt::format("one of {}", fmt::join(overridable_hardware_fields(), ", ")));
}

void set_hardware_field(Hardware& hw, std::string_view dotted_name, std::string_view value,
                        const SourceLocation& where) {
  Hardware copy = hw;
  for (const HardwareField* f : hardware_fields_named(dotted_name, where))
    parse_hardware_value(*f, copy, value, where, dotted_name);
  if (const auto p = hardware_consistency_problem(copy))
    throw InputError(where, p->problem, p->expected);
  try {
    copy.check_limits();
  } catch (const InputError& e) {
    throw InputError(where, e.problem(), e.expected());
  }
  hw = std::move(copy);
}

std::string canonical_hardware_value(std::string_view dotted_name, std::string_view value,
                                     const SourceLocation& where) {
  Hardware scratch;
  const std::vector<const HardwareField*> fields = hardware_fields_named(dotted_name, where);
  for (const HardwareField* f : fields)
    parse_hardware_value(*f, scratch, value, where, dotted_name);
  return label_text(*fields.front(), scratch);
}

Hardware override_hardware(const Hardware& base, const std::vector<FieldOverride>& overrides,
                           const SourceLocation& where) {
  Hardware hw = base;
  std::vector<std::string> labels;
  for (const FieldOverride& o : overrides) {
    const std::vector<const HardwareField*> fields = hardware_fields_named(o.field, where);
    for (const HardwareField* f : fields) parse_hardware_value(*f, hw, o.value, where, o.field);
    labels.push_back(fmt::format("{}={}", o.field, label_text(*fields.front(), hw)));
  }
  const std::string name =
      labels.empty() ? hw.name : fmt::format("{}[{}]", base.name, fmt::join(labels, ","));
  if (const auto p = hardware_consistency_problem(hw))
    throw InputError(where, fmt::format("{}: {}", shorten(name), p->problem), p->expected);
  hw.name = name;
  hw.where = where;
  hw.check_limits();
  return hw;
}

std::string write_hardware_yaml(const Hardware& hw, std::string_view comment) {
  std::string out;
  while (!comment.empty()) {
    const std::size_t eol = comment.find('\n');
    out += fmt::format("# {}\n", comment.substr(0, eol));
    comment = eol == std::string_view::npos ? std::string_view{} : comment.substr(eol + 1);
  }
  std::vector<std::string_view> open;  // the sections of the previous field
  for (const HardwareField& f : hardware_fields()) {
    std::vector<std::string_view> parts;
    for (std::string_view rest = f.name;;) {
      const std::size_t dot = rest.find('.');
      parts.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    const std::string_view leaf = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < parts.size() && common < open.size() && parts[common] == open[common]) ++common;
    for (std::size_t i = common; i < parts.size(); ++i)
      out += fmt::format("{:{}}{}:\n", "", 2 * i, parts[i]);
    out += fmt::format("{:{}}{}: {}\n", "", 2 * parts.size(), leaf, hardware_value_text(f, hw));
    open = std::move(parts);
  }
  return out;
}

}  // namespace metronome
