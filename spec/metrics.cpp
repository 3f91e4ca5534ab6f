#include "spec/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

namespace metronome {

std::string_view engine_name(Engine e) {
  switch (e) {
    case Engine::Model:
      return "model";
    case Engine::Sim:
      return "sim";
  }
  return "?";
}

std::string_view semantics_name(SemanticsMode s) {
  switch (s) {
    case SemanticsMode::Exact:
      return "exact";
    case SemanticsMode::Maestro:
      return "maestro";
  }
  return "?";
}

std::string_view noc_model_name(NocModelName n) {
  switch (n) {
    case NocModelName::None:
      return "";
    case NocModelName::Simple:
      return "simple";
    case NocModelName::Contention:
      return "contention";
  }
  return "?";
}

std::string_view status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::Ok:
      return "ok";
    case RecordStatus::InvalidMapping:
      return "invalid_mapping";
    case RecordStatus::NotApplicable:
      return "not_applicable";
    case RecordStatus::UnsupportedLayer:
      return "unsupported_layer";
    case RecordStatus::Failed:
      return "failed";
  }
  return "?";
}

std::int64_t LevelTraffic::reads() const {
  std::int64_t sum = 0;
  for (Tensor t : kAllTensors) sum += tensor[t].reads;
  return sum;
}

std::int64_t LevelTraffic::writes() const {
  std::int64_t sum = 0;
  for (Tensor t : kAllTensors) sum += tensor[t].writes;
  return sum;
}

std::string MacCoordinate::str() const {
  return fmt::format("({},{},{},{},{},{},{})", n, k, c, r, s, oy, ox);
}

namespace {

constexpr std::array<Engine, 2> kAllEngines = {Engine::Model, Engine::Sim};
constexpr std::array<SemanticsMode, 2> kAllSemantics = {SemanticsMode::Exact,
                                                        SemanticsMode::Maestro};
constexpr std::array<NocModelName, 2> kNamedNocModels = {NocModelName::Simple,
                                                         NocModelName::Contention};
constexpr std::array<RecordStatus, 5> kAllStatuses = {
    RecordStatus::Ok, RecordStatus::InvalidMapping, RecordStatus::NotApplicable,
    RecordStatus::UnsupportedLayer, RecordStatus::Failed};

// Which groups of figures a record of a given status carries (docs/result-schema.md).
bool has_costs(RecordStatus s) {
  return s == RecordStatus::Ok;
}
bool has_validity(RecordStatus s) {
  return s == RecordStatus::Ok || s == RecordStatus::InvalidMapping;
}

// Levels of the traffic object, in schema order, with their member.
struct LevelField {
  const char* name;
  LevelTraffic Traffic::*member;
};
constexpr std::array<LevelField, 3> kLevels = {
    {{"dram", &Traffic::dram}, {"l2", &Traffic::l2}, {"l1", &Traffic::l1}}};

// The JSON of one record; J is nlohmann::json (sorted keys) or nlohmann::ordered_json (schema
// order, used for files and CSV columns).
template <typename J>
J int_or_null(std::int64_t v, bool present) {
  return present ? J(v) : J(nullptr);
}

template <typename J>
J real_or_null(double v, bool present) {
  return present && std::isfinite(v) ? J(v) : J(nullptr);
}

template <typename J>
J coordinates_json(const std::vector<MacCoordinate>& coordinates) {
  J array = J::array();
  for (const MacCoordinate& m : coordinates) {
    J o = J::object();
    o["n"] = m.n;
    o["k"] = m.k;
    o["c"] = m.c;
    o["r"] = m.r;
    o["s"] = m.s;
    o["oy"] = m.oy;
    o["ox"] = m.ox;
    array.push_back(std::move(o));
  }
  return array;
}

template <typename J>
J record_json(const Metrics& m) {
  const bool costs = has_costs(m.status);
  const bool validity = has_validity(m.status);
  J j = J::object();
  j["layer"] = m.layer;
  j["dataflow"] = m.dataflow;
  j["hardware"] = m.hardware;
  j["engine"] = std::string(engine_name(m.engine));
  j["semantics"] = std::string(semantics_name(m.semantics));
  j["noc_model"] =
      m.noc_model == NocModelName::None ? J(nullptr) : J(std::string(noc_model_name(m.noc_model)));
  j["status"] = std::string(status_name(m.status));
  j["note"] = m.note;

  j["runtime_cycles"] = int_or_null<J>(m.runtime_cycles, costs);
  j["macs"] = int_or_null<J>(m.macs, costs);
  j["pe_utilization"] = real_or_null<J>(m.pe_utilization, costs);

  J traffic = J::object();
  for (const LevelField& level : kLevels) {
    J per_tensor = J::object();
    for (Tensor t : kAllTensors) {
      const ReadWrite& rw = (m.traffic.*level.member).tensor[t];
      J o = J::object();
      o["reads"] = int_or_null<J>(rw.reads, costs);
      o["writes"] = int_or_null<J>(rw.writes, costs);
      per_tensor[std::string(tensor_name(t))] = std::move(o);
    }
    traffic[level.name] = std::move(per_tensor);
  }
  j["traffic"] = std::move(traffic);

  J noc = J::object();
  noc["ingress_words"] = int_or_null<J>(m.noc.ingress_words, costs);
  noc["egress_words"] = int_or_null<J>(m.noc.egress_words, costs);
  noc["multicast_factor"] = real_or_null<J>(m.noc.multicast_factor, costs);
  j["noc"] = std::move(noc);

  J buffers = J::object();
  buffers["l1"] = int_or_null<J>(m.buffer_words_required.l1, costs);
  buffers["l2"] = int_or_null<J>(m.buffer_words_required.l2, costs);
  j["buffer_words_required"] = std::move(buffers);

  J energy = J::object();
  energy["total"] = real_or_null<J>(m.energy_pj.total, costs);
  energy["mac"] = real_or_null<J>(m.energy_pj.mac, costs);
  energy["l1"] = real_or_null<J>(m.energy_pj.l1, costs);
  energy["l2"] = real_or_null<J>(m.energy_pj.l2, costs);
  energy["noc"] = real_or_null<J>(m.energy_pj.noc, costs);
  energy["dram"] = real_or_null<J>(m.energy_pj.dram, costs);
  j["energy_pj"] = std::move(energy);

  j["valid_mapping"] = validity ? J(m.valid_mapping) : J(nullptr);
  j["missing_macs"] = int_or_null<J>(m.missing_macs, validity);
  j["duplicated_macs"] = int_or_null<J>(m.duplicated_macs, validity);
  j["steps"] = int_or_null<J>(m.steps, validity);
  j["empty_steps"] = int_or_null<J>(m.empty_steps, validity);
  j["first_missing"] = validity ? coordinates_json<J>(m.first_missing) : J(nullptr);
  j["first_duplicated"] = validity ? coordinates_json<J>(m.first_duplicated) : J(nullptr);

  if (m.sim) {
    const SimExtras& s = *m.sim;
    J stalls = J::object();
    stalls["waiting_for_input"] = int_or_null<J>(s.stall_cycles.waiting_for_input, costs);
    stalls["output_backpressure"] = int_or_null<J>(s.stall_cycles.output_backpressure, costs);
    stalls["l2_bank_conflict"] = int_or_null<J>(s.stall_cycles.l2_bank_conflict, costs);
    stalls["dram"] = int_or_null<J>(s.stall_cycles.dram, costs);
    j["stall_cycles"] = std::move(stalls);

    J links = J::object();
    links["mean"] = real_or_null<J>(s.link_utilization.mean, costs);
    links["max"] = real_or_null<J>(s.link_utilization.max, costs);
    if (costs) {
      J busiest = J::array();
      for (const auto& [link, utilization] : s.link_utilization.busiest) {
        J o = J::object();
        o["link"] = link;
        o["utilization"] = real_or_null<J>(utilization, true);
        busiest.push_back(std::move(o));
      }
      links["busiest"] = std::move(busiest);
    } else {
      links["busiest"] = nullptr;
    }
    j["link_utilization"] = std::move(links);
    j["max_drift_steps"] = int_or_null<J>(s.max_drift_steps, costs);

    j["functional_check"] = s.functional_check.empty() ? J(nullptr) : J(s.functional_check);
    j["wall_seconds"] = real_or_null<J>(s.wall_seconds, true);
    j["sim_cycles_per_second"] = real_or_null<J>(s.sim_cycles_per_second, costs);
  }
  return j;
}

// ----- from_json -------------------------------------------------------------------------

template <typename E, std::size_t N>
E parse_name(const nlohmann::json& j, const char* key, const std::array<E, N>& all,
             std::string_view (*name)(E), const SourceLocation& where) {
  const std::string text = j.at(key).get<std::string>();
  for (E e : all)
    if (name(e) == text) return e;
  std::string expected;
  for (E e : all) {
    if (!expected.empty()) expected += ", ";
    expected += std::string(name(e));
  }
  throw InputError(where, fmt::format("unknown {} \"{}\" in a result record", key, text),
                   "one of " + expected);
}

// Every number of a record is a count, a coordinate, a time or a ratio: never negative.
[[noreturn]] void negative_field(const char* key, const std::string& value,
                                 const SourceLocation& where) {
  throw InputError(where, fmt::format("\"{}\" in a result record is negative ({})", key, value),
                   "a number >= 0");
}

void read_int(const nlohmann::json& j, const char* key, std::int64_t& out,
              const SourceLocation& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  out = it->get<std::int64_t>();
  if (out < 0) negative_field(key, std::to_string(out), where);
}

void read_real(const nlohmann::json& j, const char* key, double& out, const SourceLocation& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  out = it->get<double>();
  if (out < 0) negative_field(key, fmt::format("{}", out), where);
}

// The object at `key`, or an empty object when it is absent or null.
const nlohmann::json& object_at(const nlohmann::json& j, const char* key,
                                const SourceLocation& where) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  if (!it->is_object())
    throw InputError(where,
                     fmt::format("\"{}\" in a result record is a JSON {}", key, it->type_name()),
                     "an object");
  return *it;
}

std::vector<MacCoordinate> read_coordinates(const nlohmann::json& j, const char* key,
                                            const SourceLocation& where) {
  std::vector<MacCoordinate> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array())
    throw InputError(where,
                     fmt::format("\"{}\" in a result record is a JSON {}", key, it->type_name()),
                     "an array of {n, k, c, r, s, oy, ox} objects");
  for (const nlohmann::json& e : *it) {
    MacCoordinate m;
    read_int(e, "n", m.n, where);
    read_int(e, "k", m.k, where);
    read_int(e, "c", m.c, where);
    read_int(e, "r", m.r, where);
    read_int(e, "s", m.s, where);
    read_int(e, "oy", m.oy, where);
    read_int(e, "ox", m.ox, where);
    out.push_back(m);
  }
  return out;
}

Metrics read_record(const nlohmann::json& j, const SourceLocation& where) {
  if (!j.is_object())
    throw InputError(where, fmt::format("a result record is a JSON {}", j.type_name()),
                     "a JSON object");
  Metrics m;
  for (const char* key : {"layer", "dataflow", "hardware", "engine", "semantics", "status"})
    if (!j.contains(key))
      throw InputError(where, fmt::format("result record has no \"{}\"", key),
                       "the fields of docs/result-schema.md");
  m.layer = j.at("layer").get<std::string>();
  m.dataflow = j.at("dataflow").get<std::string>();
  m.hardware = j.at("hardware").get<std::string>();
  m.engine = parse_name(j, "engine", kAllEngines, &engine_name, where);
  m.semantics = parse_name(j, "semantics", kAllSemantics, &semantics_name, where);
  m.status = parse_name(j, "status", kAllStatuses, &status_name, where);
  if (auto it = j.find("noc_model"); it != j.end() && !it->is_null())
    m.noc_model = parse_name(j, "noc_model", kNamedNocModels, &noc_model_name, where);
  else if (it == j.end() && m.engine == Engine::Model && m.semantics == SemanticsMode::Exact)
    m.noc_model = NocModelName::Simple;  // a record from before the field existed
  if (auto it = j.find("note"); it != j.end() && !it->is_null()) m.note = it->get<std::string>();

  read_int(j, "runtime_cycles", m.runtime_cycles, where);
  read_int(j, "macs", m.macs, where);
  read_real(j, "pe_utilization", m.pe_utilization, where);

  const nlohmann::json& traffic = object_at(j, "traffic", where);
  for (const LevelField& level : kLevels) {
    const nlohmann::json& per_tensor = object_at(traffic, level.name, where);
    for (Tensor t : kAllTensors) {
      const std::string tensor(tensor_name(t));
      const nlohmann::json& rw = object_at(per_tensor, tensor.c_str(), where);
      read_int(rw, "reads", (m.traffic.*level.member).tensor[t].reads, where);
      read_int(rw, "writes", (m.traffic.*level.member).tensor[t].writes, where);
    }
  }

  const nlohmann::json& noc = object_at(j, "noc", where);
  read_int(noc, "ingress_words", m.noc.ingress_words, where);
  read_int(noc, "egress_words", m.noc.egress_words, where);
  read_real(noc, "multicast_factor", m.noc.multicast_factor, where);

  const nlohmann::json& buffers = object_at(j, "buffer_words_required", where);
  read_int(buffers, "l1", m.buffer_words_required.l1, where);
  read_int(buffers, "l2", m.buffer_words_required.l2, where);

  const nlohmann::json& energy = object_at(j, "energy_pj", where);
  read_real(energy, "total", m.energy_pj.total, where);
  read_real(energy, "mac", m.energy_pj.mac, where);
  read_real(energy, "l1", m.energy_pj.l1, where);
  read_real(energy, "l2", m.energy_pj.l2, where);
  read_real(energy, "noc", m.energy_pj.noc, where);
  read_real(energy, "dram", m.energy_pj.dram, where);

  if (auto it = j.find("valid_mapping"); it != j.end() && !it->is_null())
    m.valid_mapping = it->get<bool>();
  read_int(j, "missing_macs", m.missing_macs, where);
  read_int(j, "duplicated_macs", m.duplicated_macs, where);
  read_int(j, "steps", m.steps, where);
  read_int(j, "empty_steps", m.empty_steps, where);
  m.first_missing = read_coordinates(j, "first_missing", where);
  m.first_duplicated = read_coordinates(j, "first_duplicated", where);

  // Simulator records are recognised by any of the simulator-only fields.
  const bool sim = j.contains("stall_cycles") || j.contains("link_utilization") ||
                   j.contains("functional_check") || j.contains("wall_seconds") ||
                   j.contains("sim_cycles_per_second");
  if (sim) {
    SimExtras s;
    const nlohmann::json& stalls = object_at(j, "stall_cycles", where);
    read_int(stalls, "waiting_for_input", s.stall_cycles.waiting_for_input, where);
    read_int(stalls, "output_backpressure", s.stall_cycles.output_backpressure, where);
    read_int(stalls, "l2_bank_conflict", s.stall_cycles.l2_bank_conflict, where);
    read_int(stalls, "dram", s.stall_cycles.dram, where);
    const nlohmann::json& links = object_at(j, "link_utilization", where);
    read_real(links, "mean", s.link_utilization.mean, where);
    read_real(links, "max", s.link_utilization.max, where);
    if (auto it = links.find("busiest"); it != links.end() && !it->is_null()) {
      for (const nlohmann::json& e : *it) {
        double utilization = 0;
        read_real(e, "utilization", utilization, where);
        s.link_utilization.busiest.emplace_back(e.at("link").get<std::string>(), utilization);
      }
    }
    read_int(j, "max_drift_steps", s.max_drift_steps,
             where);  // absent in records before 2026-11-28
    if (auto it = j.find("functional_check"); it != j.end() && !it->is_null())
      s.functional_check = it->get<std::string>();
    read_real(j, "wall_seconds", s.wall_seconds, where);
    read_real(j, "sim_cycles_per_second", s.sim_cycles_per_second, where);
    m.sim = std::move(s);
  }
  return m;
}

// ----- CSV -------------------------------------------------------------------------------

// A JSON scalar as a CSV cell (before quoting): null -> empty, numbers in their shortest
// round-trip form. Arrays become space-separated "(v1,v2,...)" groups, one per element.
std::string cell_text(const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::null:
      return {};
    case nlohmann::ordered_json::value_t::string:
      return v.get<std::string>();
    case nlohmann::ordered_json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case nlohmann::ordered_json::value_t::number_integer:
      return fmt::format("{}", v.get<std::int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return fmt::format("{}", v.get<std::uint64_t>());
    case nlohmann::ordered_json::value_t::number_float:
      return fmt::format("{}", v.get<double>());
    case nlohmann::ordered_json::value_t::array: {
      std::string out;
      for (const auto& element : v) {
        if (!out.empty()) out += ' ';
        if (element.is_object() || element.is_array()) {
          std::string inner;
          for (const auto& field : element) {
            if (!inner.empty()) inner += ',';
            inner += cell_text(field);
          }
          out += "(" + inner + ")";
        } else {
          out += cell_text(element);
        }
      }
      return out;
    }
    default:
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// Flattens objects into '.'-joined names; arrays and scalars are leaves.
void flatten(const nlohmann::ordered_json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object())
      flatten(value, name, out);
    else
      out.emplace_back(name, cell_text(value));
  }
}

std::string csv_quote(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char ch : cell) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

// ----- table -----------------------------------------------------------------------------

// 1234567 -> "1,234,567".
std::string group_digits(std::string digits) {
  std::string sign;
  if (!digits.empty() && digits[0] == '-') {
    sign = "-";
    digits.erase(0, 1);
  }
  const std::size_t dot = digits.find('.');
  std::string integer = digits.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : digits.substr(dot);
  std::string grouped;
  const std::size_t n = integer.size();
  for (std::size_t i = 0; i < n; ++i) {
    grouped += integer[i];
    const std::size_t left = n - 1 - i;
    if (left > 0 && left % 3 == 0) grouped += ',';
  }
  return sign + grouped + fraction;
}

std::string grouped(std::int64_t v) {
  return group_digits(fmt::format("{}", v));
}

std::string grouped(double v, int decimals) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  return group_digits(fmt::format("{:.{}f}", v, decimals));
}

std::string status_cell(const Metrics& m) {
  switch (m.status) {
    case RecordStatus::Ok:
      return "ok";
    case RecordStatus::InvalidMapping:
      return fmt::format("invalid_mapping: {} missing, {} duplicated MACs", grouped(m.missing_macs),
                         grouped(m.duplicated_macs));
    default:
      break;
  }
  std::string note = m.note;
  std::replace(note.begin(), note.end(), '\n', ' ');
  if (note.empty()) return std::string(status_name(m.status));
  return fmt::format("{}: {}", status_name(m.status), note);
}

}  // namespace

nlohmann::json to_json(const Metrics& m) {
  return record_json<nlohmann::json>(m);
}

Metrics from_json(const nlohmann::json& j, const SourceLocation& where) {
  try {
    return read_record(j, where);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where, fmt::format("malformed result record: {}", e.what()),
                     "the fields of docs/result-schema.md");
  }
}

void write_json(std::ostream& out, const std::vector<Metrics>& records) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const Metrics& m : records) array.push_back(record_json<nlohmann::ordered_json>(m));
  out << array.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::vector<std::string> csv_columns() {
  // Every field appears in a record with status ok and simulator figures.
  Metrics full;
  full.sim = SimExtras{};
  std::vector<std::pair<std::string, std::string>> cells;
  flatten(record_json<nlohmann::ordered_json>(full), "", cells);
  std::vector<std::string> names;
  names.reserve(cells.size());
  for (auto& [name, value] : cells) names.push_back(std::move(name));
  return names;
}

void write_csv(std::ostream& out, const std::vector<Metrics>& records) {
  write_csv(out, records, {});
}

void write_csv(std::ostream& out, const std::vector<Metrics>& records,
               const std::vector<CsvColumn>& extra) {
  const std::vector<std::string> columns = csv_columns();
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_quote(columns[i]);
  for (const CsvColumn& c : extra) out << ',' << csv_quote(c.name);
  out << '\n';
  for (std::size_t r = 0; r < records.size(); ++r) {
    const Metrics& m = records[r];
    std::vector<std::pair<std::string, std::string>> cells;
    flatten(record_json<nlohmann::ordered_json>(m), "", cells);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto it = std::find_if(cells.begin(), cells.end(),
                             [&](const auto& cell) { return cell.first == columns[i]; });
      out << (i ? "," : "") << (it == cells.end() ? std::string() : csv_quote(it->second));
    }
    for (const CsvColumn& c : extra) out << ',' << csv_quote(c.cell(m, r));
    out << '\n';
  }
}

void write_table(std::ostream& out, const std::vector<Metrics>& records) {
  // Energy in microjoules when any record reaches one, else picojoules.
  double max_energy = 0;
  bool several_engines = false;
  for (const Metrics& m : records) {
    if (m.status == RecordStatus::Ok) max_energy = std::max(max_energy, m.energy_pj.total);
    if (m.engine != records.front().engine) several_engines = true;
  }
  const bool microjoules = max_energy >= 1e6;

  struct Column {
    std::string header;
    bool right_aligned;
  };
  std::vector<Column> columns = {{"layer", false}, {"dataflow", false}, {"hardware", false}};
  if (several_engines) columns.push_back({"engine", false});
  for (const char* header : {"runtime cycles", "MACs", "PE util %", "DRAM words", "L2 words"})
    columns.push_back({header, true});
  columns.push_back({microjoules ? "energy uJ" : "energy pJ", true});
  columns.push_back({"status", false});

  std::vector<std::vector<std::string>> rows;
  for (const Metrics& m : records) {
    std::vector<std::string> row = {m.layer, m.dataflow, m.hardware};
    if (several_engines) row.emplace_back(engine_name(m.engine));
    if (m.status == RecordStatus::Ok) {
      row.push_back(grouped(m.runtime_cycles));
      row.push_back(grouped(m.macs));
      row.push_back(grouped(m.pe_utilization * 100, 1));
      row.push_back(grouped(m.traffic.dram.reads() + m.traffic.dram.writes()));
      row.push_back(grouped(m.traffic.l2.reads() + m.traffic.l2.writes()));
      row.push_back(microjoules ? grouped(m.energy_pj.total / 1e6, 3)
                                : grouped(m.energy_pj.total, 1));
    } else {
      for (int i = 0; i < 6; ++i) row.emplace_back("-");
    }
    row.push_back(status_cell(m));
    rows.push_back(std::move(row));
  }

  std::vector<std::size_t> widths(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    widths[i] = columns[i].header.size();
    for (const auto& row : rows) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) line += "  ";
      const bool last = i + 1 == cells.size();
      if (columns[i].right_aligned)
        line += fmt::format("{:>{}}", cells[i], widths[i]);
      else if (last)
        line += cells[i];
      else
        line += fmt::format("{:<{}}", cells[i], widths[i]);
    }
    out << line << '\n';
  };
  std::vector<std::string> headers;
  for (const Column& c : columns) headers.push_back(c.header);
  print_row(headers);
  std::vector<std::string> rules;
  for (std::size_t w : widths) rules.emplace_back(w, '-');
  rules.back().assign(columns.back().header.size(), '-');  // status texts vary in length
  print_row(rules);
  for (const auto& row : rows) print_row(row);
}

}  // namespace metronome
