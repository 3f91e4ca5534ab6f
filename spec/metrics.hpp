#pragma once
// The result schema shared by model and simulator (DESIGN.md, "Result schema"). Units are
// in the field names: *_cycles, *_words, *_pj; utilisations are fractions in [0, 1].

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spec/dims.hpp"
#include "spec/error.hpp"

namespace metronome {

enum class Engine : std::uint8_t { Model, Sim };
enum class SemanticsMode : std::uint8_t { Exact, Maestro };
// The NoC cost model behind a model record (`--noc-model simple|contention`). None in
// simulator records and in `--semantics maestro` records (MAESTRO's NoC model is its own).
enum class NocModelName : std::uint8_t { None, Simple, Contention };

// What a record is: numbers, or why there are none.
enum class RecordStatus : std::uint8_t {
  Ok,                // every figure filled
  InvalidMapping,    // missing/duplicated MACs; no cost figures
  NotApplicable,     // the dataflow does not serve this layer type
  UnsupportedLayer,  // e.g. TRCONV: metronome does not model it
  Failed,            // the engine failed (message in `note`)
};

std::string_view engine_name(Engine e);
std::string_view semantics_name(SemanticsMode s);
std::string_view noc_model_name(NocModelName n);  // "" for None
std::string_view status_name(RecordStatus s);

struct ReadWrite {
  std::int64_t reads = 0;   // words
  std::int64_t writes = 0;  // words
  friend bool operator==(const ReadWrite&, const ReadWrite&) = default;
};

struct LevelTraffic {
  PerTensor<ReadWrite> tensor;
  std::int64_t reads() const;
  std::int64_t writes() const;
  friend bool operator==(const LevelTraffic&, const LevelTraffic&) = default;
};

struct Traffic {
  LevelTraffic dram;
  LevelTraffic l2;
  LevelTraffic l1;
  friend bool operator==(const Traffic&, const Traffic&) = default;
};

struct NocCounts {
  std::int64_t ingress_words = 0;  // words leaving L2 towards the PEs (per copy sent by L2)
  std::int64_t egress_words = 0;   // words arriving at L2 from the PEs
  double multicast_factor = 0;     // words delivered to PEs / words sent by L2
};

struct BufferWords {
  std::int64_t l1 = 0;  // per PE
  std::int64_t l2 = 0;
};

struct EnergyPj {
  double total = 0;
  double mac = 0;
  double l1 = 0;
  double l2 = 0;
  double noc = 0;
  double dram = 0;
};

struct StallCycles {
  std::int64_t waiting_for_input = 0;
  std::int64_t output_backpressure = 0;
  std::int64_t l2_bank_conflict = 0;
  std::int64_t dram = 0;
};

struct LinkUtilization {
  double mean = 0;
  double max = 0;
  std::vector<std::pair<std::string, double>> busiest;  // link name, utilisation
};

// Simulator-only fields.
struct SimExtras {
  StallCycles stall_cycles;
  LinkUtilization link_utilization;
  // Most array steps a PE ran ahead of the slowest (siblings drift apart as far as the lookahead
  // and their buffers allow).
  std::int64_t max_drift_steps = 0;
  std::string functional_check;  // "pass" or "fail: ..."
  double wall_seconds = 0;
  double sim_cycles_per_second = 0;
};

struct MacCoordinate {
  std::int64_t n = 0, k = 0, c = 0, r = 0, s = 0, oy = 0, ox = 0;
  std::string str() const;  // "(n,k,c,r,s,y',x')"
  friend bool operator==(const MacCoordinate&, const MacCoordinate&) = default;
};

struct Metrics {
  std::string layer;
  std::string dataflow;
  std::string hardware;
  Engine engine = Engine::Model;
  SemanticsMode semantics = SemanticsMode::Exact;
  NocModelName noc_model = NocModelName::None;  // set by the caller of the model
  RecordStatus status = RecordStatus::Ok;
  std::string note;  // why a record has no figures, or warnings

  bool valid_mapping = false;
  std::int64_t missing_macs = 0;
  std::int64_t duplicated_macs = 0;
  std::vector<MacCoordinate> first_missing;
  std::vector<MacCoordinate> first_duplicated;
  std::int64_t steps = 0;
  std::int64_t empty_steps = 0;

  std::int64_t runtime_cycles = 0;
  std::int64_t macs = 0;
  double pe_utilization = 0;
  Traffic traffic;
  NocCounts noc;
  BufferWords buffer_words_required;
  EnergyPj energy_pj;

  std::optional<SimExtras> sim;
};

// One record as a JSON object (docs/result-schema.md). Records whose status is not `ok` have
// null cost figures; validity figures are null unless the status is `ok` or `invalid_mapping`.
nlohmann::json to_json(const Metrics& m);
// Reads a record written by to_json back. Null or absent figures keep their defaults (0). A
// model record with exact semantics and no `noc_model` field (written before the field
// existed) reads as NocModelName::Simple.
// Throws InputError at `where` for a record that is not an object, lacks an identity field
// (layer, dataflow, hardware, engine, semantics, status), or has wrong types or unknown names.
Metrics from_json(const nlohmann::json& j, const SourceLocation& where = {});
// One JSON array of records.
void write_json(std::ostream& out, const std::vector<Metrics>& records);
// CSV with one header line; nested fields are flattened with '.' (traffic.l2.input.reads).
std::vector<std::string> csv_columns();
void write_csv(std::ostream& out, const std::vector<Metrics>& records);
// A column a caller adds after the schema's (e.g. MAESTRO's own names, cli/maestro_csv.hpp):
// its header and the cell of record `index` (unquoted text; empty for no value).
struct CsvColumn {
  std::string name;
  std::function<std::string(const Metrics& record, std::size_t index)> cell;
};
// The schema's columns, then `extra` in order.
void write_csv(std::ostream& out, const std::vector<Metrics>& records,
               const std::vector<CsvColumn>& extra);
// Human-readable table (layer, dataflow, runtime, MACs, utilisation, DRAM/L2 traffic, energy).
void write_table(std::ostream& out, const std::vector<Metrics>& records);

}  // namespace metronome
