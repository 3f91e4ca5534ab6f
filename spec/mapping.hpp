#pragma once
// A dataflow as written (directives with symbolic sizes such as Sz(R)) and as resolved
// against one layer and one PE count (plain integers, units per level).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/dims.hpp"
#include "spec/error.hpp"

namespace metronome {

struct Layer;

// A size, offset or cluster count: a literal, or Sz(D) = the layer's full size of D.
struct Extent {
  std::int64_t literal = 0;
  std::optional<Dim> size_of;  // set for Sz(D)

  std::int64_t resolve(const Layer& layer) const;
  std::string str() const;
  friend bool operator==(const Extent&, const Extent&) = default;
};

enum class MapKind : std::uint8_t { Temporal, Spatial };

struct Directive {
  MapKind kind = MapKind::Temporal;
  MapDim dim = MapDim::K;
  Extent size;
  Extent offset;
  SourceLocation where;
};

// The directives between two Cluster(n, P) lines. The top level has no `units` extent: it
// gets floor(PEs / product of all cluster counts) units.
struct MappingLevel {
  std::optional<Extent> units;
  SourceLocation where;  // of the Cluster directive that opens the level
  std::vector<Directive> directives;
};

// Cluster levels a dataflow may have: a level of more than one unit at least doubles the PEs
// used (at most kMaxPes = 2^20), so real dataflows have a handful; the engines walk levels
// recursively, and thousands of Cluster(1, P) lines would exhaust the stack.
inline constexpr std::size_t kMaxMappingLevels = 64;

struct Mapping {
  std::string name;  // dataflow name, e.g. "kcp_ws", or the layer's name for inline dataflows
  SourceLocation where;
  // Layer types the dataflow serves, from a `// serves: CONV DSCONV` comment line in a
  // dataflow file; empty means every type. Other types get a "not applicable" record.
  std::vector<LayerType> serves;
  std::string serves_note;           // the rest of that comment line: why, for the record's note
  std::vector<MappingLevel> levels;  // top first; never empty
};

struct ResolvedDirective {
  MapKind kind = MapKind::Temporal;
  MapDim dim = MapDim::K;
  std::int64_t size = 1;
  std::int64_t offset = 1;
};

struct ResolvedLevel {
  std::int64_t units = 1;
  std::vector<ResolvedDirective> directives;
};

struct ResolvedMapping {
  std::string name;
  std::vector<ResolvedLevel> levels;  // top first
  std::int64_t pes_used = 0;          // product of units over all levels
};

// Resolves Sz() and unit counts. Throws InputError (naming the directive's file and line)
// for sizes/offsets < 1, cluster counts < 1, or clusters that need more PEs than there are.
ResolvedMapping resolve_mapping(const Mapping& mapping, const Layer& layer, std::int64_t num_pes);

}  // namespace metronome
