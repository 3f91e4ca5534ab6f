#pragma once
// Validation suites (validation/README.md, "Suite format"): which networks and layers, which
// dataflows, which hardware and which engines a `metronome validate` run covers, resolved into
// a deterministic list of jobs (layer x dataflow x hardware), and the shards of that list.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/metrics.hpp"

namespace metronome::validation {

// Where names in a suite are looked up: NAME means DIR/NAME.m (networks, dataflows) or
// DIR/NAME.yaml (hardware).
struct ConfigDirs {
  std::string networks;
  std::string dataflows;
  std::string hardware;
};
// configs/{networks,dataflows,hardware} under a repository root.
ConfigDirs config_dirs_under(const std::string& root);
// The NAMEs a config directory offers: sorted stems of its regular files whose extension is
// `extension` (".m", ".yaml").
std::vector<std::string> config_names(const std::string& dir, const std::string& extension);

// The suite-independent identity of one job: the qualified layer name ("NETWORK/LAYER"), the
// dataflow name and the hardware name, exactly as the records of the job spell them.
struct JobKey {
  std::string layer;
  std::string dataflow;
  std::string hardware;
  std::string str() const;  // "layer x dataflow x hardware"
  friend auto operator<=>(const JobKey&, const JobKey&) = default;
};

// A variant of the analytical model (validation/README.md, "Model variants"): the directive
// semantics and, for the exact semantics, the NoC cost model -- `metronome model`'s
// --semantics and --noc-model. Named "exact/simple" (the default), "exact/contention" or
// "maestro" (MAESTRO's semantics has its own NoC model: noc_model None).
struct ModelVariant {
  SemanticsMode semantics = SemanticsMode::Exact;
  NocModelName noc_model = NocModelName::Simple;
  std::string name() const;
  friend auto operator<=>(const ModelVariant&, const ModelVariant&) = default;
};
inline constexpr const char* kDefaultModelVariant = "exact/simple";
// The variant named by `text`: exact/simple, exact/contention, maestro, or the short forms
// simple (= exact/simple), contention (= exact/contention) and exact (= exact/simple). Throws
// InputError at `where`, starting with `what` (e.g. "models[1]"), for anything else,
// maestro/contention included.
ModelVariant parse_model_variant(const std::string& text, const SourceLocation& where,
                                 const std::string& what);
// The variant --semantics and --noc-model name (each empty = its default: exact, simple).
// Throws InputError for an unknown name or --noc-model with --semantics maestro.
ModelVariant model_variant_from_options(const std::string& semantics, const std::string& noc_model);
// The variant that produced a model record (its `semantics` and `noc_model` fields).
ModelVariant variant_of(const Metrics& m);

// One record's identity in results.jsonl: the job, the engine and, for model records, the
// model variant's name (empty for simulator records).
struct RecordKey {
  JobKey job;
  Engine engine = Engine::Model;
  std::string variant;
  friend auto operator<=>(const RecordKey&, const RecordKey&) = default;
};
RecordKey record_key(const Metrics& m);
// The key of a job's model record of `variant`, and of its simulator record.
RecordKey model_key(const JobKey& job, const ModelVariant& variant = {});
RecordKey sim_key(const JobKey& job);

struct ValidationJob {
  std::size_t index = 0;  // position in the suite's job list (0-based)
  JobKey key;
  std::size_t workload = 0;  // indices into ResolvedSuite's vectors
  std::size_t layer = 0;     // index into workloads[workload].layers
  std::size_t dataflow = 0;
  std::size_t hardware = 0;
};

// A suite with every file loaded and every job listed, in a fixed order: networks as listed,
// layers as listed (or in the network's order for `all`), then dataflows, then hardware
// (hardware changes fastest).
struct ResolvedSuite {
  std::string name;
  std::string file;
  std::string description;
  std::vector<Engine> engines;  // model first when both
  // The model variants run (`models:`), in the suite's order; the first is the primary one
  // (sweep knees). Default: exact/simple alone.
  std::vector<ModelVariant> models = {ModelVariant{}};
  double timeout_seconds = 600;  // wall-clock limit of one simulation

  std::vector<Workload> workloads;
  std::vector<std::string> workload_paths;
  std::vector<std::string> network_names;  // qualifier of each workload's layer names
  std::vector<Mapping> dataflows;
  std::vector<std::string> dataflow_paths;
  std::vector<Hardware> hardware;
  std::vector<std::string> hardware_paths;

  std::vector<ValidationJob> jobs;
  std::string identity;  // suite_identity() of the job list and engines

  bool runs(Engine e) const;
  const Layer& layer_of(const ValidationJob& job) const {
    return workloads[job.workload].layers[job.layer];
  }
  std::vector<JobKey> job_keys() const;
  std::vector<std::string> model_names() const;
  // Replaces the model variants (--semantics / --noc-model) and recomputes the identity.
  void set_models(std::vector<ModelVariant> variants);
};

// Parses and resolves a suite. Relative paths in the suite are relative to the suite file's
// directory. Throws InputError naming the suite file, the line and the field for anything
// wrong (unknown field, unknown name, missing file, repeated job, ...), and the spec parsers'
// InputError for malformed network, dataflow or hardware files. `extra_fields` are top-level
// fields a caller reads itself from the same file (metronome sweep's `vary`): accepted, listed
// among the valid fields in messages, and otherwise passed over.
ResolvedSuite parse_suite(const std::string& text, const std::string& file_name,
                          const ConfigDirs& dirs,
                          const std::vector<std::string>& extra_fields = {});
ResolvedSuite load_suite(const std::string& path, const ConfigDirs& dirs,
                         const std::vector<std::string>& extra_fields = {});

// A hex digest of the engines, the ordered job keys and the model variants: equal for two runs
// of the same jobs, whatever the suite file is called or where it lives. The default variant
// list (exact/simple alone) adds nothing, so such suites keep the identity they had before
// variants existed.
std::string suite_identity(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                           const std::vector<std::string>& models = {kDefaultModelVariant});

// --shard I/N: jobs whose index i has i % N == I - 1 (1 <= I <= N).
struct Shard {
  std::size_t index = 1;
  std::size_t count = 1;
  std::string str() const;  // "I/N"
  bool whole() const { return count == 1; }
  bool contains(std::size_t job_index) const { return job_index % count == index - 1; }
  friend bool operator==(const Shard&, const Shard&) = default;
};
// Parses "I/N"; throws InputError naming `option` (e.g. "--shard") for anything else.
Shard parse_shard(const std::string& text, const std::string& option = "--shard");
std::vector<ValidationJob> shard_jobs(const std::vector<ValidationJob>& jobs, const Shard& shard);

}  // namespace metronome::validation
