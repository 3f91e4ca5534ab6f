#pragma once
// The analytical cost model (MAESTRO family, exact directive semantics). Equations and the
// hardware behaviour each assumes: model/README.md.

#include <cstddef>
#include <memory>

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

// Evaluations that share their hardware-independent work. A network repeats layer shapes
// (ResNet-50: 53 layers, 23 shapes) and a sweep evaluates one layer x dataflow on several
// hardware descriptions; the validity analysis, the fill counts and the sharing factors depend
// only on the layer's shape, the resolved mapping and pe.macs_per_cycle, so they are computed
// once per such key and reused. Records are identical to evaluate_layer's. Not thread-safe.
class ModelSession {
 public:
  ModelSession();
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  Metrics evaluate(const Layer& layer, const Mapping& mapping, const Hardware& hardware,
                   const ModelOptions& options = {});
  std::size_t reused() const;  // evaluations that found their analysis already done

  struct Cache;  // defined in model.cpp

 private:
  std::unique_ptr<Cache> cache_;
};

}  // namespace metronome
