#pragma once
// The analytical cost model (MAESTRO family, exact directive semantics). Equations and the
// hardware behaviour each assumes: model/README.md.

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome {

enum class NocModel : std::uint8_t { Simple, Contention };

struct ModelOptions {
  SemanticsMode semantics = SemanticsMode::Exact;
  NocModel noc_model = NocModel::Simple;
};

// One record for one layer x dataflow x hardware. Never throws for an invalid mapping or an
// unsupported layer / not-applicable dataflow: those come back as records with that status
// and no cost figures. Throws InputError for malformed input (e.g. clusters needing more PEs
// than the hardware has). With SemanticsMode::Maestro the record is MAESTRO 4eb08d1's
// (model/maestro_semantics.hpp), and InputError is also thrown where MAESTRO crashes or rejects
// the mapping (docs/maestro-model.md, section 13).
Metrics evaluate_layer(const Layer& layer, const Mapping& mapping, const Hardware& hardware,
                       const ModelOptions& options = {});

}  // namespace metronome
