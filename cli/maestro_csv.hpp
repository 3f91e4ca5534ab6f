#pragma once
// MAESTRO's own CSV column names for `metronome model --semantics maestro --csv F`
// (docs/maestro-compat.md, "MAESTRO's CSV columns"): the columns MAESTRO 4eb08d1 writes
// (cost-model/include/design-space-exploration/DSE_csv_writer.hpp, the ConfigurationV2 writer
// that maestro-top uses) for the figures metronome computes, spelled exactly as MAESTRO's header
// spells them (without the space MAESTRO puts after each comma), in MAESTRO's order.

#include <string>
#include <vector>

#include "cli/common.hpp"
#include "spec/hardware.hpp"
#include "spec/metrics.hpp"

namespace metronome::cli {

// The extra columns for `records[i]` of `jobs[i]` (same order) on `hw`, from the workload
// named `network`. A record without figures (status not ok) leaves the figure columns empty.
// For GEMM layers MAESTRO's `input` tensor is metronome's weight and its `filter` metronome's
// input (tests/data/maestro_reference.md, "GEMM tensor names"): the columns follow MAESTRO.
std::vector<CsvColumn> maestro_csv_columns(const std::vector<Job>& jobs, const Hardware& hw,
                                           const std::string& network);

}  // namespace metronome::cli
