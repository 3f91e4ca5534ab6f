#include "validation/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

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

// Jobs of a group (dataflow and/or hardware; empty = any) with a failed record in any variant.
std::size_t failed_in_group(const Comparisons& cs, const std::string& dataflow,
                            const std::string& hardware) {
  std::size_t n = 0;
  const std::vector<JobComparison>& jobs = cs.per_variant.front().jobs;
  for (std::size_t ji = 0; ji < jobs.size(); ++ji) {
    if (!dataflow.empty() && jobs[ji].key.dataflow != dataflow) continue;
    if (!hardware.empty() && jobs[ji].key.hardware != hardware) continue;
    n += std::any_of(cs.per_variant.begin(), cs.per_variant.end(),
                     [&](const Comparison& c) { return c.jobs[ji].failed; })
             ? 1
             : 0;
  }
  return n;
}

}  // namespace

std::string_view metric_group_name(MetricGroup g) {
  return kGroupNames[static_cast<std::size_t>(g)];
}

const std::vector<MetricDef>& compared_metrics() {
  static const std::vector<MetricDef> metrics = make_metrics();
  return metrics;
}

std::string markdown_cell(std::string_view text) {
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
                   const std::string& identity, const std::string& variant) {
  Comparison c;
  c.suite_name = suite_name;
  c.identity = identity;
  c.engines = engines;
  c.variant = variant;
  // This variant's model records and the simulator's; other variants' records are not ours.
  std::map<RecordKey, const Metrics*> by_key;
  for (const Metrics& m : records) {
    RecordKey k = record_key(m);
    if (k.engine == Engine::Model && k.variant != variant) continue;
    by_key[std::move(k)] = &m;
  }
  std::size_t matched = 0;
  const std::vector<MetricDef>& defs = compared_metrics();
  c.per_metric.resize(defs.size());
  const bool both = std::find(engines.begin(), engines.end(), Engine::Model) != engines.end() &&
                    std::find(engines.begin(), engines.end(), Engine::Sim) != engines.end();

  for (const JobKey& key : jobs) {
    JobComparison j;
    j.key = key;
    for (Engine e : engines) {
      const auto it = by_key.find(RecordKey{key, e, e == Engine::Model ? variant : std::string()});
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

namespace {

// A plain-text table: columns padded to their widest cell, the first two (names) left-aligned,
// the others right-aligned, a rule above the last row (the totals) when there are others.
void write_text_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(rows.front().size());
  for (const auto& r : rows)
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    if (ri + 1 == rows.size() && rows.size() > 1) {
      std::string rule;
      for (std::size_t i = 0; i < width.size(); ++i)
        rule += (i ? "  " : "") + std::string(width[i], '-');
      out << rule << '\n';
    }
    std::string line;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string& s = rows[ri][i];
      const std::string pad(width[i] - s.size(), ' ');
      line += (i ? "  " : "") + (i < 2 ? s + pad : pad + s);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

}  // namespace

void write_summary(std::ostream& out, const Comparison& c) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back(
      {"dataflow", "hardware", "jobs", "compared", "runtime MAPE %", "max |err| %", "failed"});
  const auto add = [&](const GroupSummary& g, const std::string& dataflow,
                       const std::string& hardware) {
    rows.push_back({dataflow, hardware, fmt::format("{}", g.jobs), fmt::format("{}", g.compared),
                    stats_mape(g.runtime), stats_max(g.runtime), fmt::format("{}", g.failed)});
  };
  for (const GroupSummary& g : c.by_pair) add(g, g.dataflow, g.hardware);
  add(c.overall, "all", "all");
  write_text_table(out, rows);
}

namespace {

// The report's "engine" cell for a record: "model" or "sim"; with several model variants the
// model's variant too ("model exact/contention").
std::string engine_label(const Comparison& c, Engine e, bool with_variant) {
  if (e == Engine::Model && with_variant) return "model " + c.variant;
  return std::string(engine_name(e));
}

// Section 1: failed and invalid records, disagreements and missing records (rows), then the
// jobs not compared for a reason that is not a failure. Rows repeated across variants (the
// simulator's) are written once.
void write_failures(std::ostream& out, const std::vector<const Comparison*>& cs) {
  const bool with_variant = cs.size() > 1;
  std::vector<std::string> rows, skipped;
  std::set<std::string> seen_rows, seen_skipped;
  const auto add = [](std::vector<std::string>& list, std::set<std::string>& seen,
                      std::string row) {
    if (seen.insert(row).second) list.push_back(std::move(row));
  };
  for (std::size_t ji = 0; ji < (cs.empty() ? 0 : cs.front()->jobs.size()); ++ji) {
    for (const Comparison* cp : cs) {
      const Comparison& c = *cp;
      const JobComparison& j = c.jobs[ji];
      for (const std::optional<std::size_t>& index : {j.model, j.sim}) {
        if (!index) continue;
        const Metrics& m = c.records[*index];
        const std::string engine = engine_label(c, m.engine, with_variant);
        if (m.status == RecordStatus::Failed) {
          add(rows, seen_rows,
              fmt::format("| {} | {} | {} | {} | failed | {} |", markdown_cell(j.key.layer),
                          markdown_cell(j.key.dataflow), markdown_cell(j.key.hardware), engine,
                          markdown_cell(m.note)));
        } else if (m.status == RecordStatus::InvalidMapping) {
          std::string what =
              fmt::format("{} missing MACs, {} duplicated MACs", m.missing_macs, m.duplicated_macs);
          if (!m.first_missing.empty()) what += ", first missing " + m.first_missing.front().str();
          if (!m.first_duplicated.empty())
            what += ", first duplicated " + m.first_duplicated.front().str();
          add(rows, seen_rows,
              fmt::format("| {} | {} | {} | {} | invalid_mapping | {} |",
                          markdown_cell(j.key.layer), markdown_cell(j.key.dataflow),
                          markdown_cell(j.key.hardware), engine, markdown_cell(what)));
        }
      }
      if (j.disagree) {
        const Metrics& model = c.records[*j.model];
        const Metrics& sim = c.records[*j.sim];
        add(rows, seen_rows,
            fmt::format("| {} | {} | {} | both | engines disagree | {} {}, sim {} |",
                        markdown_cell(j.key.layer), markdown_cell(j.key.dataflow),
                        markdown_cell(j.key.hardware), engine_label(c, Engine::Model, with_variant),
                        status_name(model.status), status_name(sim.status)));
      }
      if (j.missing) {
        std::string which;
        for (Engine e : c.engines) {
          const bool present = e == Engine::Model ? j.model.has_value() : j.sim.has_value();
          if (!present) which += (which.empty() ? "" : ", ") + engine_label(c, e, with_variant);
        }
        add(rows, seen_rows,
            fmt::format("| {} | {} | {} | {} | missing | no record (job not run yet, or "
                        "its shard not merged) |",
                        markdown_cell(j.key.layer), markdown_cell(j.key.dataflow),
                        markdown_cell(j.key.hardware), which));
      }
      // Jobs not compared for a reason that is not a failure (e.g. GEMM under xp_ws).
      if (j.compared || j.failed || j.invalid || j.disagree || j.missing) continue;
      const Metrics& m = c.records[j.model ? *j.model : *j.sim];
      if (m.status == RecordStatus::Ok) continue;  // e.g. a one-engine suite
      add(skipped, seen_skipped,
          fmt::format("| {} | {} | {} | {} | {} |", markdown_cell(j.key.layer),
                      markdown_cell(j.key.dataflow), markdown_cell(j.key.hardware),
                      status_name(m.status), markdown_cell(m.note)));
    }
  }
  out << "## Invalid mappings and failures\n\n";
  if (rows.empty()) {
    out << "None: every record is `ok`, `not_applicable` or `unsupported_layer`.\n\n";
  } else {
    out << "| layer | dataflow | hardware | engine | status | note |\n"
           "|---|---|---|---|---|---|\n";
    for (const std::string& r : rows) out << r << '\n';
    out << '\n';
  }
  if (!skipped.empty()) {
    out << "### Not compared (both engines agree the job has no figures)\n\n"
           "| layer | dataflow | hardware | status | note |\n|---|---|---|---|---|\n";
    for (const std::string& r : skipped) out << r << '\n';
    out << '\n';
  }
}

// Section 2 of one variant: per dataflow, per hardware, per dataflow x hardware, per metric.
// `h2` / `h3` are the heading markers ("##"/"###", or one level deeper inside a variant).
void write_statistics(std::ostream& out, const Comparison& c, const std::string& h2,
                      const std::string& h3) {
  const std::vector<MetricDef>& defs = compared_metrics();
  const auto group_table = [&](const char* title, const std::vector<GroupSummary>& groups,
                               bool by_dataflow) {
    out << h3 << " " << title << "\n\n";
    out << fmt::format(
        "| {} | jobs | compared | failed | runtime MAPE % | runtime max \\|err\\| % | "
        "traffic MAPE % | NoC MAPE % | buffers MAPE % | energy MAPE % |\n",
        by_dataflow ? "dataflow" : "hardware");
    out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    const auto row = [&](const GroupSummary& g, const std::string& name) {
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                         markdown_cell(name), g.jobs, g.compared, g.failed, stats_mape(g.runtime),
                         stats_max(g.runtime), stats_mape(g.groups[1]), stats_mape(g.groups[2]),
                         stats_mape(g.groups[3]), stats_mape(g.groups[4]));
    };
    for (const GroupSummary& g : groups) row(g, by_dataflow ? g.dataflow : g.hardware);
    row(c.overall, "**all**");
    out << '\n';
  };
  out << h2 << " Error statistics\n\n";
  out << "Runtime columns: one error per compared job. Traffic, NoC, buffers, energy: every "
         "metric of the group pooled (values that are 0 in both engines left out).\n\n";
  group_table("Per dataflow", c.by_dataflow, true);
  group_table("Per hardware", c.by_hardware, false);

  out << h3 << " Per dataflow x hardware (runtime)\n\n```\n";
  write_summary(out, c);
  out << "```\n\n";

  out << h3
      << " Overall, per metric\n\n"
         "| metric | pairs | MAPE % | max \\|err\\| % | worst error % | worst job | n/a (sim 0) |\n"
         "|---|---:|---:|---:|---:|---|---:|\n";
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const ErrorStats& s = c.per_metric[i];
    std::string worst_job = "-";
    if (s.worst_job) {
      const JobKey& k = c.jobs[*s.worst_job].key;
      worst_job = markdown_cell(k.str());
    }
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", defs[i].name, s.pairs,
                       stats_mape(s), stats_max(s), s.pairs ? fmt::format("{:+.2f}", s.worst) : "-",
                       worst_job, s.undefined);
  }
  out << '\n';
}

// Sections 3 and 4 of one variant: pairs off by more than 5 %, every compared value.
void write_pairs(std::ostream& out, const Comparison& c, const std::string& h2) {
  const std::vector<MetricDef>& defs = compared_metrics();
  out << fmt::format("{} Pairs off by more than {:g} %\n\n", h2, kOffThresholdPercent);
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
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(j.key.layer),
          markdown_cell(j.key.dataflow), markdown_cell(j.key.hardware),
          value_text(static_cast<double>(model.runtime_cycles), true),
          value_text(static_cast<double>(sim.runtime_cycles), true),
          error_text(j.runtime_error()) + (direction.empty() ? "" : " (" + direction + ")"),
          markdown_cell(metrics_off), markdown_cell(stall_text(sim)),
          markdown_cell(links_text(sim)));
    }
    out << '\n';
  }

  out << h2 << " Model vs simulator, per job\n\n";
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
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(j.key.layer),
                         markdown_cell(j.key.dataflow), markdown_cell(j.key.hardware), def.name,
                         value_text(e.model, def.integer), value_text(e.sim, def.integer),
                         error_text(e.error));
    }
  }
}

// "exact/simple" -> "`exact/simple`" for headers and text.
std::string code(const std::string& s) {
  return "`" + s + "`";
}

// The side-by-side statistics table of several variants: per group, jobs and failures, then
// per variant the compared jobs, the runtime MAPE and the largest |runtime error|.
void write_variant_groups(std::ostream& out, const Comparisons& cs, const char* title,
                          bool by_dataflow) {
  const Comparison& first = cs.per_variant.front();
  const std::vector<GroupSummary>& groups0 = by_dataflow ? first.by_dataflow : first.by_hardware;
  out << "### " << title << "\n\n| " << (by_dataflow ? "dataflow" : "hardware")
      << " | jobs | failed |";
  std::string rule = "|---|---:|---:|";
  for (const Comparison& c : cs.per_variant) {
    out << fmt::format(" compared {0} | runtime MAPE % {0} | runtime max \\|err\\| % {0} |",
                       code(c.variant));
    rule += "---:|---:|---:|";
  }
  out << '\n' << rule << '\n';
  const auto row = [&](std::size_t gi, bool overall) {
    const GroupSummary& g0 = overall ? first.overall : groups0[gi];
    const std::size_t failed = overall       ? cs.failed_jobs()
                               : by_dataflow ? failed_in_group(cs, g0.dataflow, "")
                                             : failed_in_group(cs, "", g0.hardware);
    out << fmt::format(
        "| {} | {} | {} |",
        overall ? std::string("**all**") : markdown_cell(by_dataflow ? g0.dataflow : g0.hardware),
        g0.jobs, failed);
    for (const Comparison& c : cs.per_variant) {
      const GroupSummary& g =
          overall ? c.overall : (by_dataflow ? c.by_dataflow : c.by_hardware)[gi];
      out << fmt::format(" {} | {} | {} |", g.compared, stats_mape(g.runtime),
                         stats_max(g.runtime));
    }
    out << '\n';
  };
  for (std::size_t gi = 0; gi < groups0.size(); ++gi) row(gi, false);
  row(0, true);
  out << '\n';
}

// Every job's runtime: the simulator's, then per variant the model's and the error.
void write_variant_runtimes(std::ostream& out, const Comparisons& cs) {
  out << "## Runtime per job, every model variant\n\n"
         "Runtime cycles; `-` where a record is missing or not `ok`.\n\n"
         "| layer | dataflow | hardware | sim |";
  std::string rule = "|---|---|---|---:|";
  for (const Comparison& c : cs.per_variant) {
    out << fmt::format(" model {0} | error % {0} |", code(c.variant));
    rule += "---:|---:|";
  }
  out << '\n' << rule << '\n';
  const Comparison& first = cs.per_variant.front();
  const auto runtime = [](const Comparison& c, const std::optional<std::size_t>& index) {
    if (!index || c.records[*index].status != RecordStatus::Ok) return std::string("-");
    return value_text(static_cast<double>(c.records[*index].runtime_cycles), true);
  };
  for (std::size_t ji = 0; ji < first.jobs.size(); ++ji) {
    const JobComparison& j0 = first.jobs[ji];
    out << fmt::format("| {} | {} | {} | {} |", markdown_cell(j0.key.layer),
                       markdown_cell(j0.key.dataflow), markdown_cell(j0.key.hardware),
                       runtime(first, j0.sim));
    for (const Comparison& c : cs.per_variant) {
      const JobComparison& j = c.jobs[ji];
      out << fmt::format(" {} | {} |", runtime(c, j.model),
                         j.compared ? error_text(j.runtime_error()) : std::string("-"));
    }
    out << '\n';
  }
  out << '\n';
}

}  // namespace

Comparisons compare_variants(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                             const std::vector<std::string>& variants,
                             const std::vector<Metrics>& records, const std::string& suite_name,
                             const std::string& identity) {
  Comparisons cs;
  const std::vector<std::string> names =
      variants.empty() ? std::vector<std::string>{kDefaultModelVariant} : variants;
  for (const std::string& v : names)
    cs.per_variant.push_back(compare(jobs, engines, records, suite_name, identity, v));
  if (cs.per_variant.size() == 1) {
    cs.records = cs.per_variant.front().records;
    cs.stray_records = cs.per_variant.front().stray_records;
    return cs;
  }
  // Job order: each variant's model record, then the simulator's record (once).
  for (std::size_t ji = 0; ji < jobs.size(); ++ji) {
    for (const Comparison& c : cs.per_variant)
      if (const auto& m = c.jobs[ji].model) cs.records.push_back(c.records[*m]);
    const Comparison& first = cs.per_variant.front();
    if (const auto& sim = first.jobs[ji].sim) cs.records.push_back(first.records[*sim]);
  }
  std::set<RecordKey> known;
  for (const Metrics& m : cs.records) known.insert(record_key(m));
  std::set<RecordKey> given;
  for (const Metrics& m : records) given.insert(record_key(m));
  for (const RecordKey& k : given) cs.stray_records += known.count(k) ? 0 : 1;
  return cs;
}

std::size_t Comparisons::count_jobs(bool JobComparison::*flag) const {
  std::size_t n = 0;
  for (std::size_t ji = 0; ji < per_variant.front().jobs.size(); ++ji)
    n += std::any_of(per_variant.begin(), per_variant.end(),
                     [&](const Comparison& c) { return c.jobs[ji].*flag; })
             ? 1
             : 0;
  return n;
}

std::size_t Comparisons::failed_jobs() const {
  return count_jobs(&JobComparison::failed);
}
std::size_t Comparisons::invalid_jobs() const {
  return count_jobs(&JobComparison::invalid);
}
std::size_t Comparisons::missing_jobs() const {
  return count_jobs(&JobComparison::missing);
}

void write_summary(std::ostream& out, const Comparisons& cs) {
  if (cs.per_variant.size() == 1) {
    write_summary(out, cs.per_variant.front());
    return;
  }
  std::vector<std::string> header = {"dataflow", "hardware", "jobs"};
  for (const Comparison& c : cs.per_variant)
    for (const char* h : {"compared", "MAPE %", "max %"})
      header.push_back(fmt::format("{} {}", h, c.variant));
  header.emplace_back("failed");
  std::vector<std::vector<std::string>> rows = {header};
  const Comparison& first = cs.per_variant.front();
  const auto add = [&](std::size_t gi, bool overall) {
    const GroupSummary& g0 = overall ? first.overall : first.by_pair[gi];
    std::vector<std::string> r = {overall ? "all" : g0.dataflow, overall ? "all" : g0.hardware,
                                  fmt::format("{}", g0.jobs)};
    for (const Comparison& c : cs.per_variant) {
      const GroupSummary& g = overall ? c.overall : c.by_pair[gi];
      r.push_back(fmt::format("{}", g.compared));
      r.push_back(stats_mape(g.runtime));
      r.push_back(stats_max(g.runtime));
    }
    r.push_back(fmt::format(
        "{}", overall ? cs.failed_jobs() : failed_in_group(cs, g0.dataflow, g0.hardware)));
    rows.push_back(std::move(r));
  };
  for (std::size_t gi = 0; gi < first.by_pair.size(); ++gi) add(gi, false);
  add(0, true);
  write_text_table(out, rows);
}

namespace {

// The lines under a report's title: how errors are defined, and records that fit no job.
void write_legend(std::ostream& out, std::size_t stray_records) {
  out << "Error % = (model − sim) / sim × 100 (0 when both are 0; *n/a* when only the simulator "
         "value is 0). MAPE = mean |error %| over the compared jobs; max = largest |error %|. "
         "See validation/README.md.\n\n";
  if (stray_records)
    out << fmt::format(
        "{} records in the results belong to no job of the suite and are "
        "ignored.\n\n",
        stray_records);
}

}  // namespace

void write_report(std::ostream& out, const Comparison& c) {
  std::size_t records = c.records.size();

  out << "# Validation report: suite " << markdown_cell(c.suite_name) << "\n\n";
  out << fmt::format(
      "Suite identity `{}`. {} jobs (layer x dataflow x hardware), {} records, {} "
      "jobs compared (both engines `ok`), {} with a failed record, {} with an "
      "invalid mapping.\n\n",
      c.identity, c.jobs.size(), records, c.overall.compared, c.overall.failed, c.overall.invalid);
  write_legend(out, c.stray_records);

  // ---- 1. failures first -------------------------------------------------------------
  write_failures(out, {&c});
  // ---- 2. statistics ------------------------------------------------------------------
  write_statistics(out, c, "##", "###");
  // ---- 3. pairs off by more than 5 %, 4. every compared value -------------------------
  write_pairs(out, c, "##");
}

void write_report(std::ostream& out, const Comparisons& cs) {
  if (cs.per_variant.size() == 1) {
    write_report(out, cs.per_variant.front());
    return;
  }
  const Comparison& first = cs.per_variant.front();
  out << "# Validation report: suite " << markdown_cell(first.suite_name) << "\n\n";
  std::string variants, compared;
  for (const Comparison& c : cs.per_variant) {
    variants += (variants.empty() ? "" : ", ") + code(c.variant);
    compared +=
        fmt::format("{}{} {}", compared.empty() ? "" : ", ", c.overall.compared, code(c.variant));
  }
  out << fmt::format(
      "Suite identity `{}`. {} jobs (layer x dataflow x hardware), {} records, {} model "
      "variants ({}), each compared with the simulator on its own. Jobs compared (both engines "
      "`ok`): {}; {} jobs with a failed record, {} with an invalid mapping.\n\n",
      first.identity, first.jobs.size(), cs.records.size(), cs.per_variant.size(), variants,
      compared, cs.failed_jobs(), cs.invalid_jobs());
  write_legend(out, cs.stray_records);

  std::vector<const Comparison*> all;
  for (const Comparison& c : cs.per_variant) all.push_back(&c);
  write_failures(out, all);

  out << "## Model variants side by side\n\n"
         "Runtime only; every other statistic of each variant is in its own section below.\n\n";
  write_variant_groups(out, cs, "Per dataflow", true);
  write_variant_groups(out, cs, "Per hardware", false);
  out << "### Per dataflow x hardware (runtime)\n\n```\n";
  write_summary(out, cs);
  out << "```\n\n";
  write_variant_runtimes(out, cs);

  for (const Comparison& c : cs.per_variant) {
    out << "## Model variant " << code(c.variant) << "\n\n";
    write_statistics(out, c, "###", "####");
    write_pairs(out, c, "###");
    out << '\n';
  }
}

}  // namespace metronome::validation
