#pragma once
// `--semantics maestro`: MAESTRO 4eb08d1's own computation of runtime, MAC count, buffer
// traffic, buffer sizes and energy for one layer, one mapping and one hardware description,
// following docs/maestro-model.md rule by rule (MAESTRO's quirks included; docs/maestro-compat.md
// lists where it differs from the exact semantics).

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome {

// A record with semantics = maestro: MAESTRO's MAC count (also in `macs`), runtime, L2/L1 reads
// and writes per tensor (metronome's tensor names: for GEMM, MAESTRO's `input` is metronome's
// weight and its `filter` metronome's input), L1/L2 size requirements, NoC words and energy in
// MAESTRO's units (one MAC = hardware.energy_pj.mac). Where MAESTRO crashes or rejects the input
// (docs/maestro-model.md section 13) it throws InputError saying what MAESTRO would do.
Metrics evaluate_maestro(const Layer& layer, const Mapping& mapping, const Hardware& hardware);

}  // namespace metronome
