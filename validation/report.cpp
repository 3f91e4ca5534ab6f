#include "validation/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

namespace metronome::validation {

namespace {

constexpr std::array<std::string_view, kNumMetricGroups> kGroupNames = {"runtime", "traffic", "NoC",
                                                                        "buffers", "energy"};

std::vector<MetricDef> make_metrics() {
  std::vector<MetricDef> m;
  m.push_back({"runtime_cycles", MetricGroup::Runtime, true,
               [](const Metrics& r) { return static_cast<double>(r.runtime_cycles); }});
  struct Level {
    const char* name;
    LevelTraffic Traffic::*member;
  };
  for (const Level level :
       {Level{"dram", &Traffic::dram}, Level{"l2", &Traffic::l2}, Level{"l1", &Traffic::l1}}) {
    for (Tensor t : kAllTensors) {
      const std::string base = fmt::format("traffic.{}.{}", level.name, tensor_name(t));
      LevelTraffic Traffic::*member = level.member;
      m.push_back({base + ".reads", MetricGroup::Traffic, true, [member, t](const Metrics& r) {
                     return static_cast<double>((r.traffic.*member).tensor[t].reads);
                   }});
      m.push_back({base + ".writes", MetricGroup::Traffic, true, [member, t](const Metrics& r) {
                     return static_cast<double>((r.traffic.*member).tensor[t].writes);
                   }});
    }
  }
  m.push_back({"noc.ingress_words", MetricGroup::Noc, true,
               [](const Metrics& r) { return static_cast<double>(r.noc.ingress_words); }});
  m.push_back({"noc.egress_words", MetricGroup::Noc, true,
               [](const Metrics& r) { return static_cast<double>(r.noc.egress_words); }});
  m.push_back({"buffer_words_required.l1", MetricGroup::Buffer, true,
               [](const Metrics& r) { return static_cast<double>(r.buffer_words_required.l1); }});
  m.push_back({"buffer_words_required.l2", MetricGroup::Buffer, true,
               [](const Metrics& r) { return static_cast<double>(r.buffer_words_required.l2); }});
  m.push_back({"energy_pj.total", MetricGroup::Energy, false,
               [](const Metrics& r) { return r.energy_pj.total; }});
  return m;
}

// Markdown table cell: '|' and line breaks would break the table.
std::string cell(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n' || ch == '\r')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string group_digits(std::string digits) {
  std::size_t start = digits.empty() || digits[0] != '-' ? 0 : 1;
  std::string out;
  const std::size_t n = digits.size() - start;
  for (std::size_t i = 0; i < n; ++i) {
    if (i && (n - i) % 3 == 0) out += ',';
    out += digits[start + i];
  }
  return (start ? "-" : "") + out;
}

std::string value_text(double v, bool integer) {
  if (!std::isfinite(v)) return "-";
  if (integer && std::fabs(v) < 9e18) return group_digits(fmt::format("{}", std::llround(v)));
  return fmt::format("{:.6g}", v);
}

std::string error_text(const std::optional<double>& e) {
  if (!e) return "n/a (sim 0)";
  return fmt::format("{:+.2f}", *e);
}

std::string percent_text(double v) {
  return fmt::format("{:.2f}", v);
}

std::string stats_mape(const ErrorStats& s) {
  return s.pairs ? percent_text(s.mape()) : "-";
}
std::string stats_max(const ErrorStats& s) {
  return s.pairs ? percent_text(s.max_abs) : "-";
}

GroupSummary& group_for(std::vector<GroupSummary>& groups, const std::string& dataflow,
                        const std::string& hardware) {
  for (GroupSummary& g : groups)
    if (g.dataflow == dataflow && g.hardware == hardware) return g;
  groups.push_back(GroupSummary{});
  groups.back().dataflow = dataflow;
  groups.back().hardware = hardware;
  return groups.back();
}

void add_to(GroupSummary& g, const JobComparison& j, std::size_t job_index) {
  ++g.jobs;
  if (j.failed) ++g.failed;
  if (j.invalid) ++g.invalid;
  if (!j.compared) return;
  ++g.compared;
  const std::vector<MetricDef>& defs = compared_metrics();
  for (const MetricError& e : j.errors) {
    const MetricDef& def = defs[e.metric];
    if (def.group == MetricGroup::Runtime) g.runtime.add(e.error, job_index);
    // Values that are 0 in both engines say nothing about accuracy: pooled only when present.
    if (e.model == 0 && e.sim == 0) continue;
    g.groups[static_cast<std::size_t>(def.group)].add(e.error, job_index);
  }
}

std::string stall_text(const Metrics& sim) {
  if (!sim.sim) return "not reported";
  const StallCycles& s = sim.sim->stall_cycles;
  const std::array<std::pair<const char*, std::int64_t>, 4> parts = {{
      {"waiting_for_input", s.waiting_for_input},
      {"output_backpressure", s.output_backpressure},
      {"l2_bank_conflict", s.l2_bank_conflict},
      {"dram", s.dram},
  }};
  std::string out;
  const auto* largest = &parts[0];
  for (const auto& p : parts) {
    if (p.second > largest->second) largest = &p;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", p.first,
                       group_digits(fmt::format("{}", p.second)));
  }
  if (largest->second > 0) out += fmt::format(" (largest: {})", largest->first);
  return out;
}

std::string links_text(const Metrics& sim) {
  if (!sim.sim) return "not reported";
  const LinkUtilization& l = sim.sim->link_utilization;
  std::string out = fmt::format("mean {:.2f}, max {:.2f}", l.mean, l.max);
  for (std::size_t i = 0; i < l.busiest.size() && i < 3; ++i)
    out += fmt::format("{}{} {:.2f}", i ? ", " : "; busiest ", l.busiest[i].first,
                       l.busiest[i].second);
  return out;
}

// "sim slower than the model" etc., from the runtime error.
std::string direction_text(const JobComparison& j) {
  const std::optional<double> e = j.runtime_error();
  if (!e) return "";
  if (*e < -kOffThresholdPercent) return "model under-estimates runtime";
  if (*e > kOffThresholdPercent) return "model over-estimates runtime";
  return "runtime within 5 %";
}

}  // namespace

std::string_view metric_group_name(MetricGroup g) {
  return kGroupNames[static_cast<std::size_t>(g)];
}

const std::vector<MetricDef>& compared_metrics() {
  static const std::vector<MetricDef> metrics = make_metrics();
  return metrics;
}

std::optional<double> error_percent(double model, double sim) {
  if (sim == 0) {
    if (model == 0) return 0.0;
    return std::nullopt;
  }
  return (model - sim) / sim * 100.0;
}

void ErrorStats::add(std::optional<double> error, std::size_t job) {
  if (!error) {
    ++undefined;
    return;
  }
  const double a = std::fabs(*error);
  ++pairs;
  sum_abs += a;
  if (!worst_job || a > max_abs) {
    max_abs = a;
    worst = *error;
    worst_job = job;
  }
}

bool MetricError::off() const {
  return !error || std::fabs(*error) > kOffThresholdPercent;
}

std::optional<double> JobComparison::runtime_error() const {
  for (const MetricError& e : errors)
    if (compared_metrics()[e.metric].group == MetricGroup::Runtime) return e.error;
  return std::nullopt;
}

bool JobComparison::off() const {
  if (!compared) return false;
  return std::any_of(errors.begin(), errors.end(), [](const MetricError& e) { return e.off(); });
}

Comparison compare(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                   const std::vector<Metrics>& records, const std::string& suite_name,
                   const std::string& identity) {
  Comparison c;
  c.suite_name = suite_name;
  c.identity = identity;
  c.engines = engines;
  std::map<RecordKey, const Metrics*> by_key;
  for (const Metrics& m : records) by_key[record_key(m)] = &m;
  std::size_t matched = 0;
  const std::vector<MetricDef>& defs = compared_metrics();
  c.per_metric.resize(defs.size());
  const bool both = std::find(engines.begin(), engines.end(), Engine::Model) != engines.end() &&
                    std::find(engines.begin(), engines.end(), Engine::Sim) != engines.end();

  for (const JobKey& key : jobs) {
    JobComparison j;
    j.key = key;
    for (Engine e : engines) {
      const auto it = by_key.find(RecordKey{key, e});
      if (it == by_key.end()) {
        j.missing = true;
        continue;
      }
      ++matched;
      (e == Engine::Model ? j.model : j.sim) = c.records.size();
      c.records.push_back(*it->second);
    }
    const Metrics* model = j.model ? &c.records[*j.model] : nullptr;
    const Metrics* sim = j.sim ? &c.records[*j.sim] : nullptr;
    for (const Metrics* m : {model, sim}) {
      if (!m) continue;
      if (m->status == RecordStatus::Failed) j.failed = true;
      if (m->status == RecordStatus::InvalidMapping) j.invalid = true;
    }
    if (model && sim && !j.failed && model->status != sim->status) j.disagree = true;
    if (both && model && sim && model->status == RecordStatus::Ok &&
        sim->status == RecordStatus::Ok) {
      j.compared = true;
      for (std::size_t i = 0; i < defs.size(); ++i) {
        MetricError e;
        e.metric = i;
        e.model = defs[i].value(*model);
        e.sim = defs[i].value(*sim);
        e.error = error_percent(e.model, e.sim);
        j.errors.push_back(e);
      }
    }
    c.jobs.push_back(std::move(j));
  }
  c.stray_records = by_key.size() - matched;

  for (std::size_t i = 0; i < c.jobs.size(); ++i) {
    const JobComparison& j = c.jobs[i];
    add_to(group_for(c.by_dataflow, j.key.dataflow, ""), j, i);
    add_to(group_for(c.by_hardware, "", j.key.hardware), j, i);
    add_to(group_for(c.by_pair, j.key.dataflow, j.key.hardware), j, i);
    add_to(c.overall, j, i);
    for (const MetricError& e : j.errors) {
      if (e.model == 0 && e.sim == 0) continue;
      c.per_metric[e.metric].add(e.error, i);
    }
  }
  return c;
}

void write_summary(std::ostream& out, const Comparison& c) {
  struct Row {
    std::array<std::string, 7> cells;
  };
  std::vector<Row> rows;
  rows.push_back(
      {{"dataflow", "hardware", "jobs", "compared", "runtime MAPE %", "max |err| %", "failed"}});
  const auto add = [&](const GroupSummary& g, const std::string& dataflow,
                       const std::string& hardware) {
    rows.push_back({{dataflow, hardware, fmt::format("{}", g.jobs), fmt::format("{}", g.compared),
                     stats_mape(g.runtime), stats_max(g.runtime), fmt::format("{}", g.failed)}});
  };
  for (const GroupSummary& g : c.by_pair) add(g, g.dataflow, g.hardware);
  add(c.overall, "all", "all");
  std::array<std::size_t, 7> width{};
  for (const Row& r : rows)
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], r.cells[i].size());
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    if (ri + 1 == rows.size() && rows.size() > 1) {
      std::string rule;
      for (std::size_t i = 0; i < width.size(); ++i)
        rule += (i ? "  " : "") + std::string(width[i], '-');
      out << rule << '\n';
    }
    std::string line;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string& s = rows[ri].cells[i];
      const bool left = i < 2;
      const std::string pad(width[i] - s.size(), ' ');
      line += (i ? "  " : "") + (left ? s + pad : pad + s);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

void write_report(std::ostream& out, const Comparison& c) {
  const std::vector<MetricDef>& defs = compared_metrics();
  std::size_t records = c.records.size();

  out << "# Validation report: suite " << cell(c.suite_name) << "\n\n";
  out << fmt::format(
      "Suite identity `{}`. {} jobs (layer x dataflow x hardware), {} records, {} "
      "jobs compared (both engines `ok`), {} with a failed record, {} with an "
      "invalid mapping.\n\n",
      c.identity, c.jobs.size(), records, c.overall.compared, c.overall.failed, c.overall.invalid);
  out << "Error % = (model − sim) / sim × 100 (0 when both are 0; *n/a* when only the simulator "
         "value is 0). MAPE = mean |error %| over the compared jobs; max = largest |error %|. "
         "See validation/README.md.\n\n";
  if (c.stray_records)
    out << fmt::format(
        "{} records in the results belong to no job of the suite and are "
        "ignored.\n\n",
        c.stray_records);

  // ---- 1. failures first -------------------------------------------------------------
  out << "## Invalid mappings and failures\n\n";
  std::vector<std::string> rows;
  for (const JobComparison& j : c.jobs) {
    for (const std::optional<std::size_t>& index : {j.model, j.sim}) {
      if (!index) continue;
      const Metrics& m = c.records[*index];
      if (m.status == RecordStatus::Failed) {
        rows.push_back(fmt::format("| {} | {} | {} | {} | failed | {} |", cell(j.key.layer),
                                   cell(j.key.dataflow), cell(j.key.hardware),
                                   engine_name(m.engine), cell(m.note)));
      } else if (m.status == RecordStatus::InvalidMapping) {
        std::string what =
            fmt::format("{} missing MACs, {} duplicated MACs", m.missing_macs, m.duplicated_macs);
        if (!m.first_missing.empty()) what += ", first missing " + m.first_missing.front().str();
        if (!m.first_duplicated.empty())
          what += ", first duplicated " + m.first_duplicated.front().str();
        rows.push_back(fmt::format("| {} | {} | {} | {} | invalid_mapping | {} |",
                                   cell(j.key.layer), cell(j.key.dataflow), cell(j.key.hardware),
                                   engine_name(m.engine), cell(what)));
      }
    }
    if (j.disagree) {
      const Metrics& model = c.records[*j.model];
      const Metrics& sim = c.records[*j.sim];
      rows.push_back(fmt::format("| {} | {} | {} | both | engines disagree | model {}, sim {} |",
                                 cell(j.key.layer), cell(j.key.dataflow), cell(j.key.hardware),
                                 status_name(model.status), status_name(sim.status)));
    }
    if (j.missing) {
      std::string which;
      for (Engine e : c.engines) {
        const bool present = e == Engine::Model ? j.model.has_value() : j.sim.has_value();
        if (!present) which += std::string(which.empty() ? "" : ", ") + std::string(engine_name(e));
      }
      rows.push_back(
          fmt::format("| {} | {} | {} | {} | missing | no record (job not run yet, or "
                      "its shard not merged) |",
                      cell(j.key.layer), cell(j.key.dataflow), cell(j.key.hardware), which));
    }
  }
  if (rows.empty()) {
    out << "None: every record is `ok`, `not_applicable` or `unsupported_layer`.\n\n";
  } else {
    out << "| layer | dataflow | hardware | engine | status | note |\n"
           "|---|---|---|---|---|---|\n";
    for (const std::string& r : rows) out << r << '\n';
    out << '\n';
  }

  // Jobs not compared for a reason that is not a failure (e.g. GEMM under xp_ws).
  std::vector<std::string> skipped;
  for (const JobComparison& j : c.jobs) {
    if (j.compared || j.failed || j.invalid || j.disagree || j.missing) continue;
    const Metrics& m = c.records[j.model ? *j.model : *j.sim];
    if (m.status == RecordStatus::Ok) continue;  // e.g. a one-engine suite
    skipped.push_back(fmt::format("| {} | {} | {} | {} | {} |", cell(j.key.layer),
                                  cell(j.key.dataflow), cell(j.key.hardware), status_name(m.status),
                                  cell(m.note)));
  }
  if (!skipped.empty()) {
    out << "### Not compared (both engines agree the job has no figures)\n\n"
           "| layer | dataflow | hardware | status | note |\n|---|---|---|---|---|\n";
    for (const std::string& r : skipped) out << r << '\n';
    out << '\n';
  }

  // ---- 2. statistics ------------------------------------------------------------------
  const auto group_table = [&](const char* title, const std::vector<GroupSummary>& groups,
                               bool by_dataflow) {
    out << "### " << title << "\n\n";
    out << fmt::format(
        "| {} | jobs | compared | failed | runtime MAPE % | runtime max \\|err\\| % | "
        "traffic MAPE % | NoC MAPE % | buffers MAPE % | energy MAPE % |\n",
        by_dataflow ? "dataflow" : "hardware");
    out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    const auto row = [&](const GroupSummary& g, const std::string& name) {
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(name),
                         g.jobs, g.compared, g.failed, stats_mape(g.runtime), stats_max(g.runtime),
                         stats_mape(g.groups[1]), stats_mape(g.groups[2]), stats_mape(g.groups[3]),
                         stats_mape(g.groups[4]));
    };
    for (const GroupSummary& g : groups) row(g, by_dataflow ? g.dataflow : g.hardware);
    row(c.overall, "**all**");
    out << '\n';
  };
  out << "## Error statistics\n\n";
  out << "Runtime columns: one error per compared job. Traffic, NoC, buffers, energy: every "
         "metric of the group pooled (values that are 0 in both engines left out).\n\n";
  group_table("Per dataflow", c.by_dataflow, true);
  group_table("Per hardware", c.by_hardware, false);

  out << "### Per dataflow x hardware (runtime)\n\n```\n";
  write_summary(out, c);
  out << "```\n\n";

  out << "### Overall, per metric\n\n"
         "| metric | pairs | MAPE % | max \\|err\\| % | worst error % | worst job | n/a (sim 0) |\n"
         "|---|---:|---:|---:|---:|---|---:|\n";
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const ErrorStats& s = c.per_metric[i];
    std::string worst_job = "-";
    if (s.worst_job) {
      const JobKey& k = c.jobs[*s.worst_job].key;
      worst_job = cell(k.str());
    }
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", defs[i].name, s.pairs,
                       stats_mape(s), stats_max(s), s.pairs ? fmt::format("{:+.2f}", s.worst) : "-",
                       worst_job, s.undefined);
  }
  out << '\n';

  // ---- 3. pairs off by more than 5 % ----------------------------------------------------
  out << fmt::format("## Pairs off by more than {:g} %\n\n", kOffThresholdPercent);
  std::size_t off = 0;
  for (const JobComparison& j : c.jobs) off += j.off() ? 1 : 0;
  if (off == 0) {
    out << "None.\n\n";
  } else {
    out << fmt::format(
        "{} of {} compared jobs have at least one metric off by more than {:g} % (or a value "
        "the simulator reports as 0). Stall cycles and link utilisation are the simulator's "
        "(result-schema.md): where its runtime exceeds the model's, the largest stall "
        "component says what the model leaves out.\n\n",
        off, c.overall.compared, kOffThresholdPercent);
    out << "| layer | dataflow | hardware | runtime model | runtime sim | runtime error % | "
           "metrics off (error %) | sim stall cycles | sim link utilisation |\n"
           "|---|---|---|---:|---:|---:|---|---|---|\n";
    for (const JobComparison& j : c.jobs) {
      if (!j.off()) continue;
      const Metrics& model = c.records[*j.model];
      const Metrics& sim = c.records[*j.sim];
      std::string metrics_off;
      std::size_t listed = 0, total = 0;
      for (const MetricError& e : j.errors) {
        if (!e.off()) continue;
        ++total;
        if (listed < 6) {
          metrics_off +=
              fmt::format("{}{} {}", listed ? ", " : "", defs[e.metric].name, error_text(e.error));
          ++listed;
        }
      }
      if (total > listed) metrics_off += fmt::format(", ... ({} in all)", total);
      const std::string direction = direction_text(j);
      out << fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(j.key.layer),
          cell(j.key.dataflow), cell(j.key.hardware),
          value_text(static_cast<double>(model.runtime_cycles), true),
          value_text(static_cast<double>(sim.runtime_cycles), true),
          error_text(j.runtime_error()) + (direction.empty() ? "" : " (" + direction + ")"),
          cell(metrics_off), cell(stall_text(sim)), cell(links_text(sim)));
    }
    out << '\n';
  }

  // ---- 4. every compared value ------------------------------------------------------------
  out << "## Model vs simulator, per job\n\n";
  if (c.overall.compared == 0) {
    out << "No job has `ok` records from both engines yet.\n";
    return;
  }
  out << "Every compared metric of every compared job; metrics that are 0 in both engines are "
         "left out.\n\n"
         "| layer | dataflow | hardware | metric | model | sim | error % |\n"
         "|---|---|---|---|---:|---:|---:|\n";
  for (const JobComparison& j : c.jobs) {
    if (!j.compared) continue;
    for (const MetricError& e : j.errors) {
      if (e.model == 0 && e.sim == 0) continue;
      const MetricDef& def = defs[e.metric];
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cell(j.key.layer),
                         cell(j.key.dataflow), cell(j.key.hardware), def.name,
                         value_text(e.model, def.integer), value_text(e.sim, def.integer),
                         error_text(e.error));
    }
  }
}

}  // namespace metronome::validation
