#pragma once
// The exact directive semantics of DESIGN.md ("Semantics of the directives"), computed
// without enumerating MACs: validity (missing/duplicated MACs), step counts, empty steps.

#include <cstdint>
#include <vector>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome {

struct SemanticsReport {
  std::int64_t layer_macs = 0;       // MACs the layer has
  std::int64_t performed_macs = 0;   // MACs performed, duplicates included
  std::int64_t missing_macs = 0;     // layer MACs performed by nobody
  std::int64_t duplicated_macs = 0;  // sum over MACs of (times performed - 1)
  std::int64_t steps = 0;            // time steps of the whole array (lockstep)
  std::int64_t empty_steps = 0;      // steps in which no PE performs a MAC
  // Sum over steps of ceil(MACs of the step's busiest PE / macs_per_cycle): the array's compute
  // time in cycles when siblings move in lockstep (docs/semantics.md).
  std::int64_t compute_cycles = 0;
  std::vector<MacCoordinate> first_missing;     // at most kMaxExamples
  std::vector<MacCoordinate> first_duplicated;  // at most kMaxExamples
  static constexpr std::size_t kMaxExamples = 5;

  bool valid() const { return missing_macs == 0 && duplicated_macs == 0; }
};

// Whether a layer can be evaluated with a mapping at all, shared by both engines: an unsupported
// layer type (status unsupported_layer) or a dataflow whose `// serves:` line excludes the
// layer's type (status not_applicable) sets the record's status and note and returns false.
bool screen_record(const Layer& layer, const Mapping& mapping, Metrics& record);

// Copies the validity figures (valid_mapping, missing/duplicated MACs and examples, steps, empty
// steps, MACs) into a record; an invalid mapping also gets status invalid_mapping and a note.
// Returns whether the mapping is valid.
bool record_validity(const SemanticsReport& report, Metrics& record);

// The exact validity and step analysis (docs/semantics.md). Thread-safe; each thread keeps one
// analysis's working memory between calls (walkers, coverage tables up to 65,536 cells: a few MB
// at most) so that repeated calls do not allocate; results never depend on earlier calls.
SemanticsReport analyze_mapping(const Layer& layer, const ResolvedMapping& mapping,
                                std::int64_t macs_per_cycle = 1);

}  // namespace metronome
