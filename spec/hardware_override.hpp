#pragma once
// The hardware fields by their dotted YAML names (docs/input-formats.md, "Hardware YAML"):
// one table that both the YAML parser (spec/hardware_parser.cpp) and the overrides below use,
// so that a key the parser reads can be overridden, with the same value rules and messages.
//
//   set_hardware_field(hw, "noc.distribution.link_words_per_cycle", "4", where);
//   set_hardware_field(hw, "noc.topology", "mesh", where);  // both networks
//   override_hardware(base, {{"pe.count", "64"}}, where);   // a renamed copy:
//   "edge-256[pe.count=64]" write_hardware_yaml(hw);                                 // YAML that
//   parses back to hw
//
// `metronome sweep` (validation/sweep.hpp) uses them to make and write hardware variants.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/error.hpp"
#include "spec/hardware.hpp"

namespace metronome {

enum class HardwareFieldKind : std::uint8_t {
  Name,       // a non-empty string
  Integer,    // a whole number in [min, max]
  Bandwidth,  // words per cycle >= kMinWordsPerCycle, or `unlimited`
  Energy,     // picojoules in [0, kMaxEnergyPj]
  Boolean,    // true / false (also True, TRUE, False, FALSE)
  Topology,   // a name of topology_names()
};

// One leaf key of the hardware YAML and the Hardware member it sets.
struct HardwareField {
  std::string_view name;  // dotted YAML path, e.g. "noc.distribution.link_words_per_cycle"
  HardwareFieldKind kind = HardwareFieldKind::Integer;
  std::int64_t min = 0;  // Integer only
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::string expected;  // a valid value, as messages say it: "a positive integer up to 1048576"
  // Where the value lives: the one accessor that matches `kind`.
  std::string& (*text)(Hardware&) = nullptr;      // Name
  std::int64_t& (*integer)(Hardware&) = nullptr;  // Integer
  double& (*real)(Hardware&) = nullptr;           // Bandwidth, Energy
  bool& (*flag)(Hardware&) = nullptr;             // Boolean
  Topology& (*topology)(Hardware&) = nullptr;     // Topology
};

// Every field, in the order of the YAML keys (name, word_bytes, pe.*, l2.*, dram.*,
// noc.distribution.*, noc.reduction.*, energy_pj.*).
const std::vector<HardwareField>& hardware_fields();
const HardwareField* find_hardware_field(std::string_view dotted_name);

// The keys directly under `section` ("" for the top level, "noc", "noc.distribution", ...),
// in table order: "pe" -> count, macs_per_cycle, l1_bytes.
std::vector<std::string_view> hardware_section_keys(std::string_view section);

// Parses `value` with the field's rules and stores it in `hw`, nothing else (no cross-field
// checks). Throws InputError at `where`: "pe.count: 'abc' is not an integer (expected a
// positive integer up to 1048576)", naming the field as `shown_name` (default: its own name).
void parse_hardware_value(const HardwareField& field, Hardware& hw, std::string_view value,
                          const SourceLocation& where, std::string_view shown_name = {});
// The field's value in `hw` as the YAML parser reads it back exactly: "256", "0.5",
// "unlimited", "true", "mesh"; a name as a double-quoted YAML string.
std::string hardware_value_text(const HardwareField& field, const Hardware& hw);

// A rule between fields that `hw` breaks (fat only with topology tree; L1 and L2 sizes whole
// numbers of words), the first one found; `fields` are the fields involved, the one to blame
// first.
struct HardwareProblem {
  std::vector<std::string_view> fields;
  std::string problem;
  std::string expected;
};
std::optional<HardwareProblem> hardware_consistency_problem(const Hardware& hw);

// Strict integer syntax shared by the hardware readers: an optional sign, then digits only.
enum class IntParse : std::uint8_t { Ok, NotInteger, OutOfRange };
IntParse parse_hardware_int(std::string_view text, std::int64_t& out);

// ---- overrides ------------------------------------------------------------------------------

// The names set_hardware_field accepts: every field of the table, and `noc.X` for every key X
// that both networks have (topology, link_words_per_cycle, hop_latency, fat), meaning both.
std::vector<std::string> overridable_hardware_fields();
// The table fields a name sets (two for a `noc.X` name). Throws InputError at `where` for an
// unknown name, listing the known ones.
std::vector<const HardwareField*> hardware_fields_named(std::string_view dotted_name,
                                                        const SourceLocation& where);

// Sets one field from text with the YAML parser's rules, then checks the rules between fields
// and the sanity limits (Hardware::check_limits). Throws InputError at `where` naming the field
// and what was expected; `hw` is unchanged then. The name stays as it is.
void set_hardware_field(Hardware& hw, std::string_view dotted_name, std::string_view value,
                        const SourceLocation& where);

struct FieldOverride {
  std::string field;  // as set_hardware_field names it
  std::string value;
};
// `base` with every override applied (in order; the rules between fields are checked once all
// are set, so e.g. noc.topology=mesh with noc.fat=false works on a fat tree) and named
// `BASE[FIELD=VALUE,FIELD=VALUE]` with each value in its canonical form (hardware_value_text).
// The result's `where` is `where`. Throws InputError at `where`.
Hardware override_hardware(const Hardware& base, const std::vector<FieldOverride>& overrides,
                           const SourceLocation& where);
// The canonical text of `value` for `dotted_name` ("4.0" -> "4", "TRUE" -> "true"); throws
// InputError at `where` as set_hardware_field does.
std::string canonical_hardware_value(std::string_view dotted_name, std::string_view value,
                                     const SourceLocation& where);

// `hw` as hardware YAML: every field, block style, parse_hardware_yaml gives `hw` back (the
// `where` aside). `comment`, if any, becomes leading `#` lines.
std::string write_hardware_yaml(const Hardware& hw, std::string_view comment = {});

}  // namespace metronome
