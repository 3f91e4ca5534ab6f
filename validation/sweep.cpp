#include "validation/sweep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "spec/hardware_override.hpp"
#include "spec/workload_parser.hpp"
#include "spec/yaml_fields.hpp"
#include "validation/report.hpp"
#include "validation/results.hpp"

namespace metronome::validation {

namespace fs = std::filesystem;

namespace {

const char* const kVaryExpected =
    "FIELD=VALUE,VALUE,..., e.g. --vary noc.distribution.link_words_per_cycle=1,2,4,unlimited";
const char* const kVaryFieldExpected =
    "a mapping from hardware fields to lists of values, e.g. vary: {noc.topology: [bus, mesh], "
    "noc.link_words_per_cycle: [1, 2, unlimited]}";

struct RawValue {
  std::string text;
  SourceLocation where;
};

// Checks a varied field and canonicalises its values (errors at the value's location).
VariedField make_varied(const std::string& field, const std::vector<RawValue>& values,
                        const SourceLocation& where) {
  if (field == "name")
    throw InputError(where, "the hardware name cannot be varied",
                     "another hardware field (variants are named BASE[FIELD=VALUE,...])");
  const std::vector<const HardwareField*> fields = hardware_fields_named(field, where);
  VariedField v;
  v.field = field;
  v.where = where;
  v.bandwidth = std::all_of(fields.begin(), fields.end(), [](const HardwareField* f) {
    return f->kind == HardwareFieldKind::Bandwidth;
  });
  for (const RawValue& raw : values) {
    std::string value = canonical_hardware_value(field, raw.text, raw.where);
    if (std::find(v.values.begin(), v.values.end(), value) != v.values.end())
      throw InputError(raw.where, fmt::format("{}: value {} given twice", field, shorten(value)),
                       "each value once");
    v.values.push_back(std::move(value));
  }
  return v;
}

// No table field may be set by two varied fields (noc.X sets both noc.distribution.X and
// noc.reduction.X).
void check_distinct(const std::vector<VariedField>& vary) {
  for (std::size_t j = 0; j < vary.size(); ++j) {
    const auto fj = hardware_fields_named(vary[j].field, vary[j].where);
    for (std::size_t i = 0; i < j; ++i)
      for (const HardwareField* f : hardware_fields_named(vary[i].field, vary[i].where))
        if (std::find(fj.begin(), fj.end(), f) != fj.end())
          throw InputError(vary[j].where,
                           vary[i].field == vary[j].field
                               ? fmt::format("hardware field {} is varied twice", vary[j].field)
                               : fmt::format("hardware field {} is varied twice (by {} and by {})",
                                             f->name, vary[i].field, vary[j].field),
                           "each field varied once");
  }
}

// A file name for a hardware variant: anything but [A-Za-z0-9._=-] becomes '_'.
std::string safe_file_name(const std::string& name) {
  std::string s = name;
  for (char& ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_' ||
          ch == '='))
      ch = '_';
  if (s.size() > 180) s = s.substr(0, 180);
  while (!s.empty() && s.back() == '_') s.pop_back();  // the closing ']'
  return s;
}

std::string format_number(double v) {
  if (std::isinf(v)) return "unlimited";
  return fmt::format("{}", v);
}

// ---- CSV and Markdown cells ----

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  f.close();
  if (!f)
    throw InputError(SourceLocation{path, 0}, "cannot write the file", "a writable --out DIR");
}

// ---- the analysis ----

bool ok(const Metrics* m) {
  return m && m->status == RecordStatus::Ok;
}

// The axis value of a variant as a number (kUnlimited for `unlimited`).
double axis_number(const std::string& value) {
  if (value == "unlimited") return kUnlimited;
  return std::stod(value);
}

struct Curve {
  std::size_t base_job = 0;
  std::vector<std::size_t> values;  // value indices of the variant (axis entry: of the first job)
  std::string figure;
  std::string series;
  std::vector<std::size_t> jobs;  // indices into Sweep::jobs, by increasing axis value
  std::vector<CurvePoint> sim;
  std::vector<CurvePoint> model;
  std::optional<double> sim_knee;
  std::optional<double> model_knee;
  SlowdownAttribution attribution;
  Limit limit = Limit::Unknown;
};

struct Analysis {
  std::vector<const Metrics*> model;  // per job (nullptr: no record), the first model variant
  // The other model variants (suite order): their names and per job their records.
  std::vector<std::string> other_variants;
  std::vector<std::vector<const Metrics*>> other_models;
  std::vector<const Metrics*> sim;
  std::vector<std::string> figure;  // per job
  std::vector<std::string> series;  // per job
  std::vector<Curve> curves;        // only with an axis
  double min_finite = 0;            // smallest and largest finite axis value
  double max_finite = 0;
};

std::string figure_label(const Sweep& s, const SweepJob& job) {
  const JobKey& base = s.base_jobs[job.base_job];
  std::string label = fmt::format("{} x {} x {}", base.layer, base.dataflow, base.hardware);
  const SweepVariant& v = s.variants[job.variant];
  for (std::size_t i = 0; i < s.vary.size(); ++i)
    if (i != s.axis && i != s.series)
      label += fmt::format(" x {}={}", s.vary[i].field, s.vary[i].values[v.values[i]]);
  return label;
}

std::string series_label(const Sweep& s, const SweepJob& job) {
  if (!s.series) return {};
  const VariedField& f = s.vary[*s.series];
  return fmt::format("{}={}", f.field, f.values[s.variants[job.variant].values[*s.series]]);
}

Analysis analyze(const Sweep& s, const std::map<RecordKey, Metrics>& records) {
  Analysis a;
  const auto find = [&](const RecordKey& key) -> const Metrics* {
    const auto it = records.find(key);
    return it == records.end() ? nullptr : &it->second;
  };
  // The knees and sweep.csv's model columns use the suite's first model variant.
  const ModelVariant primary = s.suite.models.empty() ? ModelVariant{} : s.suite.models.front();
  for (std::size_t v = 1; v < s.suite.models.size(); ++v) {
    a.other_variants.push_back(s.suite.models[v].name());
    a.other_models.emplace_back();
    for (std::size_t j = 0; j < s.jobs.size(); ++j)
      a.other_models.back().push_back(find(model_key(s.suite.jobs[j].key, s.suite.models[v])));
  }
  for (std::size_t j = 0; j < s.jobs.size(); ++j) {
    a.model.push_back(find(model_key(s.suite.jobs[j].key, primary)));
    a.sim.push_back(find(sim_key(s.suite.jobs[j].key)));
    a.figure.push_back(figure_label(s, s.jobs[j]));
    a.series.push_back(series_label(s, s.jobs[j]));
  }
  if (!s.axis) return a;
  const std::size_t axis = *s.axis;
  bool first_finite = true;
  for (const std::string& v : s.vary[axis].values) {
    const double b = axis_number(v);
    if (std::isinf(b)) continue;
    a.min_finite = first_finite ? b : std::min(a.min_finite, b);
    a.max_finite = first_finite ? b : std::max(a.max_finite, b);
    first_finite = false;
  }

  std::map<std::pair<std::size_t, std::vector<std::size_t>>, std::size_t> index;
  for (std::size_t j = 0; j < s.jobs.size(); ++j) {
    const SweepJob& job = s.jobs[j];
    std::vector<std::size_t> key = s.variants[job.variant].values;
    key[axis] = 0;
    const auto [it, fresh] = index.emplace(std::make_pair(job.base_job, key), a.curves.size());
    if (fresh) {
      Curve c;
      c.base_job = job.base_job;
      c.values = s.variants[job.variant].values;
      c.figure = a.figure[j];
      c.series = a.series[j];
      a.curves.push_back(std::move(c));
    }
    a.curves[it->second].jobs.push_back(j);
  }
  const auto axis_of = [&](std::size_t j) {
    return axis_number(s.vary[axis].values[s.variants[s.jobs[j].variant].values[axis]]);
  };
  for (Curve& c : a.curves) {
    std::stable_sort(c.jobs.begin(), c.jobs.end(),
                     [&](std::size_t x, std::size_t y) { return axis_of(x) < axis_of(y); });
    for (std::size_t j : c.jobs) {
      CurvePoint sim{axis_of(j), std::nullopt, 0};
      if (ok(a.sim[j])) {
        sim.runtime = static_cast<double>(a.sim[j]->runtime_cycles);
        if (a.sim[j]->sim) sim.busiest_utilization = a.sim[j]->sim->link_utilization.max;
      }
      CurvePoint model{axis_of(j), std::nullopt, 0};
      if (ok(a.model[j])) model.runtime = static_cast<double>(a.model[j]->runtime_cycles);
      c.sim.push_back(sim);
      c.model.push_back(model);
    }
    c.sim_knee = knee_bandwidth(c.sim);
    c.model_knee = knee_bandwidth(c.model);
    c.attribution = attribute_slowdown(c.sim, c.sim_knee);
    c.limit = curve_limit(c.sim, c.sim_knee, c.attribution);
  }
  return a;
}

std::string knee_text(std::optional<double> knee, double max_finite) {
  if (!knee) return "n/a";
  if (std::isinf(*knee)) return fmt::format("> {}", format_number(max_finite));
  return format_number(*knee);
}

std::string knee_csv(std::optional<double> knee) {
  return knee ? format_number(*knee) : std::string();
}

std::string share_text(const SlowdownAttribution& a) {
  const auto share = a.contention_share();
  return share ? fmt::format("{:.0f} %", 100 * *share) : "-";
}

// The point at the smallest swept bandwidth with a simulator record.
std::optional<std::size_t> lowest_sim_job(const Curve& c, const Analysis& a) {
  for (std::size_t k = 0; k < c.jobs.size(); ++k)
    if (ok(a.sim[c.jobs[k]]) && !std::isinf(c.sim[k].bandwidth)) return c.jobs[k];
  return std::nullopt;
}

std::string busiest_text(const Metrics* sim) {
  if (!sim || !sim->sim || sim->sim->link_utilization.busiest.empty()) return "-";
  const auto& [link, u] = sim->sim->link_utilization.busiest.front();
  return fmt::format("{} ({:.0f} %)", link, 100 * u);
}

// The largest PE / memory stall category and its share of all stall cycles.
std::string stall_text(const Metrics* sim) {
  if (!ok(sim) || !sim->sim) return "-";
  const StallCycles& st = sim->sim->stall_cycles;
  const std::pair<const char*, std::int64_t> parts[] = {
      {"waiting_for_input", st.waiting_for_input},
      {"output_backpressure", st.output_backpressure},
      {"l2_bank_conflict", st.l2_bank_conflict},
      {"dram", st.dram}};
  std::int64_t total = 0;
  const std::pair<const char*, std::int64_t>* top = &parts[0];
  for (const auto& p : parts) {
    total += p.second;
    if (p.second > top->second) top = &p;
  }
  if (total == 0) return "none";
  return fmt::format("{} {:.0f} %", top->first,
                     100.0 * static_cast<double>(top->second) / static_cast<double>(total));
}

void write_sweep_csv(const std::string& path, const Sweep& s, const Analysis& a) {
  std::ostringstream o;
  std::vector<std::string> header = {"layer", "dataflow", "base_hardware", "hardware"};
  for (const VariedField& f : s.vary) header.push_back(f.field);
  for (const char* h : {"noc.distribution.topology",
                        "noc.distribution.link_words_per_cycle",
                        "noc.reduction.topology",
                        "noc.reduction.link_words_per_cycle",
                        "figure",
                        "series",
                        "axis_field",
                        "axis_value",
                        "model_status",
                        "model_runtime_cycles",
                        "sim_status",
                        "sim_runtime_cycles",
                        "runtime_error_percent",
                        "stall_cycles.waiting_for_input",
                        "stall_cycles.output_backpressure",
                        "stall_cycles.l2_bank_conflict",
                        "stall_cycles.dram",
                        "link_utilization.mean",
                        "link_utilization.max",
                        "link_utilization.busiest",
                        "sim_wall_seconds",
                        "note"})
    header.emplace_back(h);
  // Further model variants (the suite's `models` after the first): runtime and error of each.
  for (const std::string& v : a.other_variants) {
    header.push_back("model_runtime_cycles." + v);
    header.push_back("runtime_error_percent." + v);
  }
  for (std::size_t i = 0; i < header.size(); ++i) o << (i ? "," : "") << csv_cell(header[i]);
  o << '\n';
  for (std::size_t j = 0; j < s.jobs.size(); ++j) {
    const SweepJob& job = s.jobs[j];
    const JobKey& base = s.base_jobs[job.base_job];
    const SweepVariant& v = s.variants[job.variant];
    const Hardware& hw = s.suite.hardware[job.variant];
    const Metrics* model = a.model[j];
    const Metrics* sim = a.sim[j];
    std::vector<std::string> row = {base.layer, base.dataflow, base.hardware, hw.name};
    for (std::size_t i = 0; i < s.vary.size(); ++i) row.push_back(s.vary[i].values[v.values[i]]);
    row.emplace_back(topology_name(hw.noc.distribution.topology));
    row.push_back(format_number(hw.noc.distribution.link_words_per_cycle));
    row.emplace_back(topology_name(hw.noc.reduction.topology));
    row.push_back(format_number(hw.noc.reduction.link_words_per_cycle));
    row.push_back(a.figure[j]);
    row.push_back(a.series[j]);
    row.push_back(s.axis ? s.vary[*s.axis].field : "");
    row.push_back(s.axis ? s.vary[*s.axis].values[v.values[*s.axis]] : "");
    row.push_back(model ? std::string(status_name(model->status)) : "missing");
    row.push_back(ok(model) ? std::to_string(model->runtime_cycles) : "");
    row.push_back(sim ? std::string(status_name(sim->status)) : "missing");
    row.push_back(ok(sim) ? std::to_string(sim->runtime_cycles) : "");
    std::optional<double> error;
    if (ok(model) && ok(sim))
      error = error_percent(static_cast<double>(model->runtime_cycles),
                            static_cast<double>(sim->runtime_cycles));
    row.push_back(error ? fmt::format("{:.2f}", *error) : "");
    const bool figures = ok(sim) && sim->sim;
    const auto int_cell = [&](std::int64_t x) { return figures ? std::to_string(x) : ""; };
    row.push_back(int_cell(figures ? sim->sim->stall_cycles.waiting_for_input : 0));
    row.push_back(int_cell(figures ? sim->sim->stall_cycles.output_backpressure : 0));
    row.push_back(int_cell(figures ? sim->sim->stall_cycles.l2_bank_conflict : 0));
    row.push_back(int_cell(figures ? sim->sim->stall_cycles.dram : 0));
    row.push_back(figures ? fmt::format("{:.4f}", sim->sim->link_utilization.mean) : "");
    row.push_back(figures ? fmt::format("{:.4f}", sim->sim->link_utilization.max) : "");
    std::string busiest;
    if (figures)
      for (const auto& [link, u] : sim->sim->link_utilization.busiest)
        busiest += fmt::format("{}({},{:.4f})", busiest.empty() ? "" : " ", link, u);
    row.push_back(busiest);
    row.push_back(sim && sim->sim ? fmt::format("{:.3f}", sim->sim->wall_seconds) : "");
    std::string note;
    for (const Metrics* m : {model, sim})
      if (m && !m->note.empty() && m->status != RecordStatus::Ok)
        note += fmt::format("{}{}: {}", note.empty() ? "" : "; ", engine_name(m->engine), m->note);
    row.push_back(note);
    for (const std::vector<const Metrics*>& others : a.other_models) {
      const Metrics* other = others[j];
      row.push_back(ok(other) ? std::to_string(other->runtime_cycles) : "");
      std::optional<double> e;
      if (ok(other) && ok(sim))
        e = error_percent(static_cast<double>(other->runtime_cycles),
                          static_cast<double>(sim->runtime_cycles));
      row.push_back(e ? fmt::format("{:.2f}", *e) : "");
    }
    for (std::size_t i = 0; i < row.size(); ++i) o << (i ? "," : "") << csv_cell(row[i]);
    o << '\n';
  }
  write_file(path, o.str());
}

void write_knees_csv(const std::string& path, const Sweep& s, const Analysis& a) {
  std::ostringstream o;
  o << "figure,series,layer,dataflow,base_hardware,axis_field,sim_knee,model_knee,"
       "sim_runtime_unlimited_cycles,model_runtime_unlimited_cycles,slowdown_at_lowest,"
       "slowdown_cycles,bandwidth_cycles,contention_cycles,contention_share,limited_by,"
       "busiest_link_at_lowest,busiest_utilization_at_lowest\n";
  for (const Curve& c : a.curves) {
    const JobKey& base = s.base_jobs[c.base_job];
    const auto at_unlimited = [](const std::vector<CurvePoint>& pts) -> std::string {
      for (const CurvePoint& p : pts)
        if (std::isinf(p.bandwidth) && p.runtime) return fmt::format("{}", *p.runtime);
      return "";
    };
    std::string slowdown;
    const std::optional<std::size_t> low = lowest_sim_job(c, a);
    std::optional<double> t0;
    for (const CurvePoint& p : c.sim)
      if (std::isinf(p.bandwidth) && p.runtime) t0 = p.runtime;
    if (low && t0 && *t0 > 0)
      slowdown = fmt::format("{:.4f}", static_cast<double>(a.sim[*low]->runtime_cycles) / *t0);
    std::string link, util;
    if (low && a.sim[*low]->sim && !a.sim[*low]->sim->link_utilization.busiest.empty()) {
      link = a.sim[*low]->sim->link_utilization.busiest.front().first;
      util = fmt::format("{:.4f}", a.sim[*low]->sim->link_utilization.busiest.front().second);
    }
    const auto share = c.attribution.contention_share();
    const std::vector<std::string> row = {c.figure,
                                          c.series,
                                          base.layer,
                                          base.dataflow,
                                          base.hardware,
                                          s.vary[*s.axis].field,
                                          knee_csv(c.sim_knee),
                                          knee_csv(c.model_knee),
                                          at_unlimited(c.sim),
                                          at_unlimited(c.model),
                                          slowdown,
                                          fmt::format("{:.0f}", c.attribution.slowdown_cycles),
                                          fmt::format("{:.0f}", c.attribution.bandwidth_cycles),
                                          fmt::format("{:.0f}", c.attribution.contention_cycles),
                                          share ? fmt::format("{:.4f}", *share) : "",
                                          std::string(limit_name(c.limit)),
                                          link,
                                          util};
    for (std::size_t i = 0; i < row.size(); ++i) o << (i ? "," : "") << csv_cell(row[i]);
    o << '\n';
  }
  write_file(path, o.str());
}

// Curves grouped by their series value (one group when nothing else varies).
std::vector<std::pair<std::string, std::vector<const Curve*>>> by_series(const Analysis& a) {
  std::vector<std::pair<std::string, std::vector<const Curve*>>> groups;
  for (const Curve& c : a.curves) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == c.series; });
    if (it == groups.end()) it = groups.insert(groups.end(), {c.series, {}});
    it->second.push_back(&c);
  }
  return groups;
}

void write_knees_md(const std::string& path, const Sweep& s, const Analysis& a) {
  std::ostringstream o;
  o << "# Knees and contention: sweep " << markdown_cell(s.suite.name) << "\n\n";
  if (!s.axis) {
    o << "No bandwidth field is varied, so there are no runtime-vs-bandwidth curves and no "
         "knees. Vary a words-per-cycle field with `unlimited` among its values, e.g. "
         "`--vary noc.link_words_per_cycle=1,2,4,8,unlimited`. The per-job figures are in "
         "`sweep.csv`.\n";
    write_file(path, o.str());
    return;
  }
  const VariedField& axis = s.vary[*s.axis];
  const std::string series_field = s.series ? s.vary[*s.series].field : std::string();
  const std::string lowest = format_number(a.min_finite);
  o << fmt::format(
      "{} jobs. Runtime against `{}` (words per cycle) for each layer x dataflow x base "
      "hardware{}, {}. Figures: `contention_*.png`; every job: `sweep.csv`; these rows: "
      "`knees.csv`.\n\n",
      s.jobs.size(), axis.field,
      s.vary.size() > 2 || (s.vary.size() == 2 && !s.series) ? " x the other varied fields" : "",
      s.series ? fmt::format("one curve per `{}`", series_field) : std::string("one curve"));
  o << fmt::format(
      "* **Knee**: the smallest swept bandwidth from which on the simulated runtime stays within "
      "{:g} % of its value at unlimited bandwidth (`> {}`: only at unlimited; `n/a`: no "
      "simulator runtime at unlimited). The model's knee follows the same rule on the model's "
      "runtimes.\n",
      100 * kKneeTolerance, format_number(a.max_finite));
  o << "* **Limited by** (from the simulator's records): at each swept bandwidth b at or below "
       "the knee, the slowdown `S = T(b) - T(unlimited)` is split into *bandwidth* "
       "`B = clamp(u x T(b) - T(unlimited), 0, S)`, where `u` is `link_utilization.max`, so "
       "`u x T(b)` is the busiest link's words at its bandwidth (the runtime that link alone "
       "forces), and *contention* `C = S - B`: cycles lost while no link runs at full rate "
       "(arbitration, credit back-pressure, serialisation, latency). Summed over those "
       "bandwidths, **contention** dominates when `C > S / 2`, else **bandwidth**; **none**: the "
       "knee is the smallest swept bandwidth (the NoC never costs more than 5 %); "
       "**unknown**: no knee.\n";
  o << fmt::format(
      "* At the smallest bandwidth ({}): the slowdown `T({}) / T(unlimited)`, the busiest "
      "link and its utilisation (words / (cycles x bandwidth)), and the largest share of the "
      "simulator's stall cycles (`stall_cycles`: PE cycles waiting for input or blocked on "
      "output, L2 bank conflicts, DRAM).\n\n",
      lowest, lowest);

  // Per series value.
  o << fmt::format("## Per {}\n\n", s.series ? "`" + series_field + "`" : std::string("sweep"));
  o << fmt::format(
      "| {} | curves | contention | bandwidth | none | unknown | median sim knee | mean "
      "contention share |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
      s.series ? series_field : std::string("curves"));
  for (const auto& [series, curves] : by_series(a)) {
    std::array<std::size_t, 4> count{};
    std::vector<double> knees;
    double share_sum = 0;
    std::size_t shares = 0;
    for (const Curve* c : curves) {
      ++count[static_cast<std::size_t>(c->limit)];
      if (c->sim_knee) knees.push_back(*c->sim_knee);
      if (const auto sh = c->attribution.contention_share();
          sh && (c->limit == Limit::Contention || c->limit == Limit::Bandwidth)) {
        share_sum += *sh;
        ++shares;
      }
    }
    std::sort(knees.begin(), knees.end());
    const std::string median =
        knees.empty() ? std::string("n/a") : knee_text(knees[(knees.size() - 1) / 2], a.max_finite);
    const std::string label = s.series ? series.substr(series.find('=') + 1) : std::string("all");
    o << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(label), curves.size(),
        count[static_cast<std::size_t>(Limit::Contention)],
        count[static_cast<std::size_t>(Limit::Bandwidth)],
        count[static_cast<std::size_t>(Limit::None)],
        count[static_cast<std::size_t>(Limit::Unknown)], median,
        shares ? fmt::format("{:.0f} %", 100 * share_sum / static_cast<double>(shares)) : "-");
  }

  o << fmt::format("\n## Per layer x dataflow{}\n\n",
                   s.series ? " x `" + series_field + "`" : std::string());
  o << fmt::format(
      "| figure | {} | sim knee | model knee | sim cycles at unlimited | slowdown at {} | "
      "contention share | limited by | busiest link at {} | largest stall at {} |\n"
      "|---|---|---:|---:|---:|---:|---:|---|---|---|\n",
      s.series ? series_field : std::string("series"), lowest, lowest, lowest);
  for (const Curve& c : a.curves) {
    std::optional<double> t0;
    for (const CurvePoint& p : c.sim)
      if (std::isinf(p.bandwidth) && p.runtime) t0 = p.runtime;
    const std::optional<std::size_t> low = lowest_sim_job(c, a);
    const std::string slowdown =
        low && t0 && *t0 > 0
            ? fmt::format("{:.2f}x", static_cast<double>(a.sim[*low]->runtime_cycles) / *t0)
            : "-";
    o << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(c.figure),
        markdown_cell(s.series ? c.series.substr(c.series.find('=') + 1) : std::string("-")),
        knee_text(c.sim_knee, a.max_finite), knee_text(c.model_knee, a.max_finite),
        t0 ? fmt::format("{:.0f}", *t0) : "-", slowdown,
        c.limit == Limit::None || c.limit == Limit::Unknown ? "-" : share_text(c.attribution),
        limit_name(c.limit), markdown_cell(low ? busiest_text(a.sim[*low]) : "-"),
        low ? stall_text(a.sim[*low]) : "-");
  }
  write_file(path, o.str());
}

// The knee table on stdout: one line per curve.
void write_knee_summary(std::ostream& out, const Sweep& s, const Analysis& a) {
  if (!s.axis) return;
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"figure", s.series ? s.vary[*s.series].field : "series", "sim knee", "model knee",
                  "contention", "limited by"});
  for (const Curve& c : a.curves)
    rows.push_back(
        {c.figure, s.series ? c.series.substr(c.series.find('=') + 1) : std::string("-"),
         knee_text(c.sim_knee, a.max_finite), knee_text(c.model_knee, a.max_finite),
         c.limit == Limit::None || c.limit == Limit::Unknown ? "-" : share_text(c.attribution),
         std::string(limit_name(c.limit))});
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  out << fmt::format("\nKnees ({} in words per cycle, within {:g} % of unlimited):\n",
                     s.vary[*s.axis].field, 100 * kKneeTolerance);
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string pad(width[i] - r[i].size(), ' ');
      line += (i ? "  " : "") + (i < 2 || i == 5 ? r[i] + pad : pad + r[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

}  // namespace

// ---- varied fields and sweep files -------------------------------------------------------------

VariedField parse_vary_option(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return InputError(SourceLocation{}, fmt::format("--vary {}: {}", shorten(text), why),
                      kVaryExpected);
  };
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) throw bad("no '=' between the field and its values");
  const std::string field = text.substr(0, eq);
  if (field.empty()) throw bad("no field before '='");
  const std::string list = text.substr(eq + 1);
  if (list.empty()) throw bad("no values after '='");
  std::vector<RawValue> values;
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    const std::string value = list.substr(start, comma - start);
    if (value.empty()) throw bad("an empty value (two commas in a row, or one at an end)");
    values.push_back({value, SourceLocation{}});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  try {
    return make_varied(field, values, SourceLocation{});
  } catch (const InputError& e) {
    throw InputError(SourceLocation{}, fmt::format("--vary {}: {}", shorten(text), e.problem()),
                     e.expected());
  }
}

SweepSpec parse_sweep_file(const std::string& text, const std::string& file_name,
                           const ConfigDirs& dirs) {
  SweepSpec spec;
  spec.base = parse_suite(text, file_name, dirs, {"vary"});
  // parse_suite read the same text, so it is valid YAML with a mapping at the top.
  const YAML::Node root = YAML::Load(text);
  const auto line_of = &YamlFields::line_of;
  const auto at = [&](int line) { return SourceLocation{file_name, line}; };
  int vary_line = 0;
  YAML::Node vary;
  bool has_vary = false;
  for (const auto& kv : root)
    if (kv.first.IsScalar() && kv.first.Scalar() == "vary") {
      vary = kv.second;
      vary_line = line_of(kv.first);
      has_vary = true;
    }
  if (!has_vary) throw InputError(at(1), "the sweep has no vary field", kVaryFieldExpected);
  if (!vary.IsMap() || vary.size() == 0)
    throw InputError(at(vary_line),
                     vary.IsMap()
                         ? std::string("vary: empty")
                         : fmt::format("vary: {} given", vary.IsSequence() ? "a list" : "a scalar"),
                     kVaryFieldExpected);
  for (const auto& kv : vary) {
    const int line = std::max(line_of(kv.first), vary_line);
    if (!kv.first.IsScalar())
      throw InputError(at(line), "vary: a key that is not a hardware field", kVaryFieldExpected);
    const std::string field = kv.first.Scalar();
    const std::string path = "vary." + field;
    std::vector<RawValue> values;
    const auto add = [&](const YAML::Node& v, int l) {
      if (!v.IsScalar() || v.Scalar().empty())
        throw InputError(at(l),
                         fmt::format("{}: {}", shorten(path),
                                     v.IsNull()     ? "no value"
                                     : v.IsScalar() ? "empty value"
                                                    : "a list or mapping given"),
                         "a value, or a list of values");
      values.push_back({v.Scalar(), at(l)});
    };
    if (kv.second.IsSequence()) {
      if (kv.second.size() == 0)
        throw InputError(at(line), fmt::format("{}: empty list", shorten(path)),
                         "a value, or a list of values");
      for (const YAML::Node& v : kv.second) add(v, std::max(line_of(v), line));
    } else {
      add(kv.second, std::max(line_of(kv.second), line));
    }
    spec.vary.push_back(make_varied(field, values, at(line)));
  }
  check_distinct(spec.vary);
  return spec;
}

SweepSpec load_sweep_file(const std::string& path, const ConfigDirs& dirs) {
  return parse_sweep_file(read_text_file(path), path, dirs);
}

ResolvedSuite command_line_suite(const Workload& workload, const std::string& workload_path,
                                 const std::string& layer, const std::vector<Mapping>& dataflows,
                                 const std::vector<std::string>& dataflow_paths, const Hardware& hw,
                                 const std::string& hardware_path) {
  ResolvedSuite suite;
  const std::string network =
      workload.network.empty() ? fs::path(workload_path).stem().string() : workload.network;
  suite.name = "sweep-" + network;
  suite.file = workload_path;
  suite.engines = {Engine::Model, Engine::Sim};
  suite.workloads = {workload};
  suite.workload_paths = {workload_path};
  suite.network_names = {network};
  suite.hardware = {hw};
  suite.hardware_paths = {hardware_path};
  if (workload.layers.empty())
    throw InputError(SourceLocation{workload_path, 0}, "the workload has no layers",
                     "at least one Layer block");
  std::vector<std::size_t> layers;
  for (std::size_t l = 0; l < workload.layers.size(); ++l)
    if (layer.empty() || workload.layers[l].name == layer) layers.push_back(l);
  if (layers.empty()) {
    std::vector<std::string> names;
    for (const Layer& x : workload.layers) names.push_back(shorten(x.name));
    throw InputError(SourceLocation{workload_path, 0},
                     fmt::format("--layer {}: no layer of that name", shorten(layer)),
                     fmt::format("one of {}", fmt::join(names, ", ")));
  }
  const auto add_job = [&](std::size_t l, std::size_t d) {
    ValidationJob job;
    job.index = suite.jobs.size();
    job.layer = l;
    job.dataflow = d;
    job.key = JobKey{network + "/" + workload.layers[l].name, suite.dataflows[d].name, hw.name};
    suite.jobs.push_back(std::move(job));
  };
  if (dataflows.empty()) {
    for (std::size_t l : layers) {
      const Layer& x = workload.layers[l];
      if (!x.dataflow)
        throw InputError(x.where, fmt::format("layer {} has no Dataflow block", shorten(x.name)),
                         "a Dataflow block in the layer, or --dataflow NAME|FILE|all");
      suite.dataflows.push_back(*x.dataflow);
      suite.dataflow_paths.emplace_back();  // the child uses the layer's own block
      add_job(l, suite.dataflows.size() - 1);
    }
  } else {
    suite.dataflows = dataflows;
    suite.dataflow_paths = dataflow_paths;
    for (std::size_t l : layers)
      for (std::size_t d = 0; d < dataflows.size(); ++d) add_job(l, d);
  }
  suite.identity = suite_identity(suite.job_keys(), suite.engines);
  return suite;
}

// ---- generating the sweep ----------------------------------------------------------------------

Sweep make_sweep(const SweepSpec& spec, const std::string& hardware_dir) {
  if (spec.vary.empty())
    throw InputError(SourceLocation{spec.base.file, 0}, "nothing to vary",
                     "at least one --vary FIELD=VALUE,... (or a vary field in a sweep file)");
  check_distinct(spec.vary);
  Sweep s;
  s.vary = spec.vary;
  for (std::size_t i = 0; i < s.vary.size(); ++i)
    if (s.vary[i].bandwidth) {
      s.axis = i;
      break;
    }
  for (std::size_t i = 0; i < s.vary.size(); ++i)
    if (i != s.axis) {
      s.series = i;
      break;
    }

  std::size_t combinations = 1;
  for (const VariedField& f : s.vary) combinations *= f.values.size();
  const SourceLocation where = s.vary.front().where;

  s.suite = spec.base;
  s.suite.hardware.clear();
  s.suite.hardware_paths.clear();
  s.suite.jobs.clear();
  s.base_jobs = spec.base.job_keys();
  std::set<std::string> files;
  for (std::size_t h = 0; h < spec.base.hardware.size(); ++h) {
    std::vector<std::size_t> idx(s.vary.size(), 0);
    for (std::size_t c = 0; c < combinations; ++c) {
      std::vector<FieldOverride> overrides;
      for (std::size_t i = 0; i < s.vary.size(); ++i)
        overrides.push_back({s.vary[i].field, s.vary[i].values[idx[i]]});
      Hardware hw = override_hardware(spec.base.hardware[h], overrides, where);
      std::string file = safe_file_name(hw.name);
      for (int n = 2; !files.insert(file).second; ++n)
        file = fmt::format("{}-{}", safe_file_name(hw.name), n);
      s.suite.hardware_paths.push_back((fs::path(hardware_dir) / (file + ".yaml")).string());
      s.suite.hardware.push_back(std::move(hw));
      s.variants.push_back({h, idx});
      // Odometer: the last varied field changes fastest.
      for (std::size_t i = s.vary.size(); i-- > 0;) {
        if (++idx[i] < s.vary[i].values.size()) break;
        idx[i] = 0;
      }
    }
  }
  for (std::size_t b = 0; b < spec.base.jobs.size(); ++b) {
    const ValidationJob& base = spec.base.jobs[b];
    for (std::size_t c = 0; c < combinations; ++c) {
      const std::size_t v = base.hardware * combinations + c;
      ValidationJob job = base;
      job.index = s.suite.jobs.size();
      job.hardware = v;
      job.key.hardware = s.suite.hardware[v].name;
      s.suite.jobs.push_back(std::move(job));
      s.jobs.push_back({b, v});
    }
  }
  s.suite.identity = suite_identity(s.suite.job_keys(), s.suite.engines, s.suite.model_names());
  return s;
}

void write_sweep_hardware(Sweep& sweep) {
  for (std::size_t v = 0; v < sweep.suite.hardware.size(); ++v) {
    const std::string& path = sweep.suite.hardware_paths[v];
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const Hardware& hw = sweep.suite.hardware[v];
    write_file(path,
               write_hardware_yaml(hw, fmt::format("written by metronome sweep (suite {}): {}",
                                                   sweep.suite.name, hw.name)));
    Hardware loaded = load_hardware(path);
    if (loaded.name != hw.name)
      throw std::logic_error("write_sweep_hardware: the hardware file does not read back");
    sweep.suite.hardware[v] = std::move(loaded);
  }
}

int run_sweep(Sweep& sweep, const SweepRunOptions& options, std::ostream& out, std::ostream& err) {
  const std::string& dir = options.run.out_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(SourceLocation{dir, 0},
                     fmt::format("cannot create the output directory: {}",
                                 ec ? ec.message() : "not a directory"),
                     "a writable --out DIR");
  const std::string manifest = (fs::path(dir) / kManifestFile).string();
  if (options.run.resume && fs::exists(manifest, ec)) {
    // Refuse before the hardware files of the other sweep are overwritten.
    const Manifest m = read_manifest(manifest);
    if (m.identity != sweep.suite.identity)
      throw InputError(SourceLocation{manifest, 0},
                       fmt::format("--resume: the directory holds results of suite {} (identity "
                                   "{}), not of this sweep (identity {})",
                                   quote(m.suite_name), m.identity, sweep.suite.identity),
                       "the same sweep, another --out DIR, or no --resume to start over");
  }
  if (!options.run.resume) fs::remove_all(fs::path(dir) / kSweepHardwareDir, ec);
  write_sweep_hardware(sweep);

  const int status = run_suite(sweep.suite, options.run, out, err);

  std::map<RecordKey, Metrics> records;
  for (Metrics& m : read_results((fs::path(dir) / kResultsFile).string()).records)
    records[record_key(m)] = std::move(m);
  const Analysis a = analyze(sweep, records);
  write_sweep_csv((fs::path(dir) / kSweepCsvFile).string(), sweep, a);
  write_knees_csv((fs::path(dir) / kKneesCsvFile).string(), sweep, a);
  write_knees_md((fs::path(dir) / kKneesFile).string(), sweep, a);
  write_knee_summary(out, sweep, a);
  out << fmt::format("Sweep: {} jobs. Knees: {}; every job: {}\n", sweep.jobs.size(),
                     (fs::path(dir) / kKneesFile).string(),
                     (fs::path(dir) / kSweepCsvFile).string());
  out.flush();
  if (options.run.plots.enabled && sweep.axis)
    run_plot_script(options.plot_script, {dir}, (fs::path(dir) / "plots_sweep.log").string(), err);
  return status;
}

// ---- analysis ----------------------------------------------------------------------------------

std::optional<double> knee_bandwidth(const std::vector<CurvePoint>& points, double tolerance) {
  std::optional<double> t0;
  std::vector<const CurvePoint*> finite;
  for (const CurvePoint& p : points) {
    if (!p.runtime) continue;
    if (std::isinf(p.bandwidth))
      t0 = p.runtime;
    else
      finite.push_back(&p);
  }
  if (!t0 || finite.empty()) return std::nullopt;
  std::stable_sort(finite.begin(), finite.end(), [](const CurvePoint* a, const CurvePoint* b) {
    return a->bandwidth < b->bandwidth;
  });
  std::optional<double> knee;
  for (std::size_t i = finite.size(); i-- > 0;) {
    if (*finite[i]->runtime > *t0 * (1 + tolerance)) break;
    knee = finite[i]->bandwidth;
  }
  return knee ? knee : std::optional<double>(kUnlimited);
}

std::string_view limit_name(Limit l) {
  switch (l) {
    case Limit::None:
      return "none";
    case Limit::Bandwidth:
      return "bandwidth";
    case Limit::Contention:
      return "contention";
    case Limit::Unknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<double> SlowdownAttribution::contention_share() const {
  if (!(slowdown_cycles > 0)) return std::nullopt;
  return contention_cycles / slowdown_cycles;
}

SlowdownAttribution attribute_slowdown(const std::vector<CurvePoint>& sim_points,
                                       std::optional<double> knee) {
  SlowdownAttribution a;
  if (!knee) return a;
  std::optional<double> t0;
  for (const CurvePoint& p : sim_points)
    if (std::isinf(p.bandwidth) && p.runtime) t0 = p.runtime;
  if (!t0) return a;
  for (const CurvePoint& p : sim_points) {
    if (std::isinf(p.bandwidth) || !p.runtime || p.bandwidth > *knee) continue;
    const double slowdown = *p.runtime - *t0;
    if (!(slowdown > 0)) continue;
    const double forced = p.busiest_utilization * *p.runtime - *t0;
    const double bandwidth = std::clamp(forced, 0.0, slowdown);
    a.slowdown_cycles += slowdown;
    a.bandwidth_cycles += bandwidth;
    a.contention_cycles += slowdown - bandwidth;
    ++a.points;
  }
  return a;
}

Limit curve_limit(const std::vector<CurvePoint>& sim_points, std::optional<double> knee,
                  const SlowdownAttribution& attribution) {
  if (!knee) return Limit::Unknown;
  std::optional<double> smallest;
  for (const CurvePoint& p : sim_points)
    if (p.runtime && !std::isinf(p.bandwidth) && (!smallest || p.bandwidth < *smallest))
      smallest = p.bandwidth;
  if (smallest && *knee <= *smallest) return Limit::None;
  const std::optional<double> share = attribution.contention_share();
  if (!share) return Limit::None;
  return *share > 0.5 ? Limit::Contention : Limit::Bandwidth;
}

}  // namespace metronome::validation
