#pragma once
// Brute-force reference for the directive semantics (DESIGN.md "Semantics of the directives",
// docs/semantics.md): walks every level's loop nest for every unit, enumerates every MAC of
// every unit in every step and counts it. Written independently of spec/semantics.cpp so that
// tests can check the fast analysis against it. Slow on purpose; meant for tiny cases only.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome::bruteforce {

struct BruteForceResult {
  std::int64_t layer_macs = 0;       // MACs the layer has
  std::int64_t performed_macs = 0;   // MACs performed, duplicates included
  std::int64_t missing_macs = 0;     // layer MACs performed by nobody
  std::int64_t duplicated_macs = 0;  // sum over MACs of (times performed - 1)
  std::int64_t steps = 0;            // steps of the whole array (lockstep)
  std::int64_t empty_steps = 0;      // steps in which no unit performs a MAC
  // Times each MAC of the layer is performed, indexed in lexicographic order of
  // (n, k, c, r, s, oy, ox); for DSCONV the k index is left out (k = c).
  std::vector<int> mac_counts;
  std::vector<bool> step_has_mac;  // one entry per array step
  // Per array step, the MACs of its busiest unit (the step's length at one MAC per cycle).
  std::vector<std::int64_t> step_busiest_macs;
  // Loop-nest iterations (at any level) in which every unit idles: a fold of paired SpatialMaps
  // with different chunk counts where unit 0 has no chunk of one of them. DESIGN.md and
  // docs/semantics.md assume this never happens ("unit 0 is never idle"), so `steps` and
  // `empty_steps` are not defined by the documents when this is > 0; the brute force then counts
  // such an iteration as no step at all. MAC counts are well defined either way.
  std::int64_t all_idle_iterations = 0;
  // Times a unit idled in an iteration of a TemporalMap because its own chunk (narrowed by a
  // SpatialMap listed before) has fewer chunks than another unit's: the loop runs to the largest
  // count (every unit holds chunk i, and a unit with no chunk i idles, as for SpatialMaps).
  std::int64_t temporal_idles = 0;
  // First (in the order of mac_counts) missing / duplicated MACs, at most kMaxExamples each.
  std::vector<MacCoordinate> first_missing;
  std::vector<MacCoordinate> first_duplicated;
  static constexpr std::size_t kMaxExamples = 5;

  bool valid() const { return missing_macs == 0 && duplicated_macs == 0; }
};

// DESIGN.md/docs/semantics.md refuse the mapping (exit 2): a SpatialMap whose chunk depends on
// a TemporalMap of the same dimension listed after the level's first SpatialMap.
class BruteForceRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The documents do not define the result: a later SpatialMap of a level whose chunk count where
// a unit meets it differs from its chunk count at the level's fold loop (it depends on a map
// listed at or after the first SpatialMap: a second SpatialMap of the same dimension, Y' paired
// with a SpatialMap on R, ...), so the fold count is not known. Also thrown for cases too large
// to enumerate.
class BruteForceUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BruteForceOptions {
  // Where every unit would idle in a fold (see all_idle_iterations), unit 0 instead holds an
  // empty chunk of the map it has no chunk of and runs the rest of the loop nest (its steps
  // count, all without MACs). Not what the documents say (they assume unit 0 never idles); a
  // candidate reading to settle the undefined case.
  bool unit0_never_idle = false;
};

BruteForceResult brute_force(const Layer& layer, const ResolvedMapping& mapping,
                             const BruteForceOptions& options = {});

// Index into BruteForceResult::mac_counts <-> coordinates.
MacCoordinate mac_coordinate(const Layer& layer, std::size_t index);

// Human-readable description of a resolved mapping ("L0 units=4: TemporalMap(2,2) K; ...").
std::string describe(const ResolvedMapping& mapping);
std::string describe(const Layer& layer);
// "[(n,k,c,r,s,y',x') ...]", for readable test failures.
std::string coordinates_text(const std::vector<MacCoordinate>& coordinates);

}  // namespace metronome::bruteforce
