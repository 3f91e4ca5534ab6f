#include "validation/harness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "model/model.hpp"
#include "validation/eta.hpp"
#include "validation/results.hpp"

namespace metronome::validation {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::string read_text(const std::string& path, bool& exists) {
  std::ifstream in(path, std::ios::binary);
  exists = static_cast<bool>(in);
  std::ostringstream s;
  if (in) s << in.rdbuf();
  return s.str();
}

// How far a running simulation is, from the last progress line in its stderr
// (cli/sim_progress.hpp: "metronome: progress: LABEL: 46.9 % of N MACs, ..., about 38 min left").
struct ChildProgress {
  double fraction = 0;  // of the layer's MACs
  std::string text;     // "46.9 % of its MACs, about 38 min 45 s left"
};
std::optional<ChildProgress> child_progress(const std::string& stderr_path) {
  std::ifstream in(stderr_path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.rfind("metronome: progress: ", 0) == 0) last = line;
  const std::size_t of = last.rfind(" % of ");
  if (of == std::string::npos) return std::nullopt;
  const std::size_t number = last.rfind(' ', of - 1);
  if (number == std::string::npos) return std::nullopt;
  ChildProgress p;
  try {
    p.fraction = std::stod(last.substr(number + 1, of - number - 1)) / 100.0;
  } catch (const std::exception&) {
    return std::nullopt;  // not a line of ours after all
  }
  p.text = last.substr(number + 1, of - number - 1) + " % of its MACs";
  const std::size_t about = last.rfind(", about ");
  if (about != std::string::npos && about > of) p.text += last.substr(about);
  return p;
}

// The line of a child's stderr that says what went wrong: the first "metronome: " line that is
// not a progress report (cli/sim_progress.hpp), else the last other non-empty line, else the
// last progress report (how far a killed run got); at most 300 characters.
std::string stderr_hint(const std::string& path) {
  bool exists = false;
  const std::string text = read_text(path, exists);
  std::string first_metronome, last, progress;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.rfind("metronome: progress: ", 0) == 0) {
      progress = line;  // how far a run got, if nothing else is said
      continue;
    }
    if (first_metronome.empty() && line.rfind("metronome: ", 0) == 0) first_metronome = line;
    last = line;
  }
  std::string hint = !first_metronome.empty() ? first_metronome : !last.empty() ? last : progress;
  while (!hint.empty() && (hint.back() == '\r' || hint.back() == ' ')) hint.pop_back();
  if (hint.size() > 300) hint = hint.substr(0, 300) + "...";
  return hint;
}

// A file name for a job's logs: the key with anything but [A-Za-z0-9._-] replaced by '_'.
std::string safe_name(const JobKey& key) {
  std::string s = key.layer + "__" + key.dataflow + "__" + key.hardware;
  for (char& ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_'))
      ch = '_';
  return s;
}

Metrics failed_record(const JobKey& key, Engine engine, std::string note) {
  Metrics m;
  m.layer = key.layer;
  m.dataflow = key.dataflow;
  m.hardware = key.hardware;
  m.engine = engine;
  m.status = RecordStatus::Failed;
  m.note = std::move(note);
  if (engine == Engine::Sim) m.sim = SimExtras{};
  return m;
}

void create_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(SourceLocation{dir, 0},
                     fmt::format("cannot create the output directory: {}",
                                 ec ? ec.message() : "not a directory"),
                     "a writable --out DIR");
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

// The stderr progress report: one line per finished job, or one redrawn line on a terminal.
class Progress {
 public:
  Progress(std::ostream& err, bool tty, const std::string& header, std::size_t total,
           std::size_t already_done)
      : err_(err), tty_(tty), total_(total), done_(already_done), start_(Clock::now()) {
    err_ << "metronome: validate: " << header << '\n';
    if (already_done > 0)
      err_ << fmt::format("metronome: validate: {} of {} jobs already in the results (--resume)\n",
                          already_done, total);
    if (tty_ && done_ < total_) {
      draw(fmt::format("[{}/{}] {:.0f}% | 0 failed | ETA ?", done_, total_, percent()));
    }
    err_ << std::flush;
  }
  // `eta`: seconds left (EtaEstimate), none while unknown.
  void job_done(const JobKey& key, const std::string& detail, bool failed,
                std::optional<double> eta) {
    ++done_;
    ++done_now_;
    if (failed) ++failed_;
    const std::string status =
        fmt::format("{} failed | ETA {}", failed_, eta ? format_duration(*eta) : "?");
    if (tty_) {
      draw(fmt::format("[{}/{}] {:.0f}% | {} | last: {}", done_, total_, percent(), status,
                       key.str()));
    } else {
      err_ << fmt::format("metronome: validate: [{}/{}] {}: {} | {}\n", done_, total_, key.str(),
                          detail, status)
           << std::flush;
    }
  }
  // How far the running simulations are: a line for each whose progress moved since it was
  // last reported (on a terminal, the redrawn line names the first).
  struct RunningReport {
    std::string job;
    ChildProgress progress;
  };
  void running(const std::vector<RunningReport>& jobs, std::optional<double> eta) {
    if (jobs.empty()) return;
    const std::string status =
        fmt::format("{} failed | ETA {}", failed_, eta ? format_duration(*eta) : "?");
    if (tty_) {
      const std::string more =
          jobs.size() > 1 ? fmt::format(" (+{} more)", jobs.size() - 1) : std::string();
      draw(fmt::format("[{}/{}] {:.0f}% | {} | running: {} {:.0f}%{}", done_, total_, percent(),
                       status, jobs.front().job, 100.0 * jobs.front().progress.fraction, more));
      return;
    }
    for (const RunningReport& r : jobs) {
      std::string& shown = shown_[r.job];
      if (shown == r.progress.text) continue;
      shown = r.progress.text;
      err_ << fmt::format("metronome: validate: running {}: {} | {}\n", r.job, r.progress.text,
                          status);
    }
    err_ << std::flush;
  }
  void finish() {
    if (tty_ && drawn_) err_ << '\n';
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    err_ << fmt::format("metronome: validate: {} jobs run in {}, {} of them failed\n", done_now_,
                        format_duration(elapsed), failed_);
  }

 private:
  double percent() const {
    return total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
  }
  // Redraws the terminal's progress line (kept short enough not to wrap on most terminals).
  void draw(std::string line) {
    constexpr std::size_t kMaxWidth = 118;
    if (line.size() > kMaxWidth) line = line.substr(0, kMaxWidth - 3) + "...";
    err_ << "\r\033[K" << line << std::flush;
    drawn_ = true;
  }

  std::ostream& err_;
  bool tty_;
  std::size_t total_;
  std::size_t done_;
  std::size_t done_now_ = 0;
  std::size_t failed_ = 0;
  Clock::time_point start_;
  bool drawn_ = false;
  std::map<std::string, std::string> shown_;  // running job -> its progress last reported
};

// What a progress line says about a finished job: `models` has one record (or null) per model
// variant of the suite, named after the variant when there are several.
std::string job_detail(const std::vector<const Metrics*>& models, const Metrics* sim) {
  std::vector<std::string> parts;
  const bool named = models.size() > 1;
  const auto engine = [&](const Metrics& m) {
    return m.engine == Engine::Model && named ? fmt::format("model {}", variant_of(m).name())
                                              : std::string(engine_name(m.engine));
  };
  std::vector<const Metrics*> all = models;
  all.push_back(sim);
  for (const Metrics* m : all) {
    if (!m || m->status == RecordStatus::Ok) continue;
    std::string note = m->note;
    if (note.size() > 160) note = note.substr(0, 160) + "...";
    parts.push_back(
        fmt::format("{} {}{}", engine(*m), status_name(m->status),
                    note.empty() || m->status != RecordStatus::Failed ? "" : ": " + note));
  }
  bool any_error = false;
  for (const Metrics* model : models) {
    if (!(model && sim && model->status == RecordStatus::Ok && sim->status == RecordStatus::Ok))
      continue;
    any_error = true;
    const std::optional<double> e = error_percent(static_cast<double>(model->runtime_cycles),
                                                  static_cast<double>(sim->runtime_cycles));
    const std::string label = named ? " " + variant_of(*model).name() : std::string();
    parts.push_back(e ? fmt::format("runtime error{} {:+.2f} %", label, *e)
                      : fmt::format("runtime error{} n/a", label));
  }
  if (!any_error && parts.empty()) parts.push_back("ok");
  if (sim && sim->sim && sim->sim->wall_seconds > 0)
    parts.push_back(fmt::format("sim {:.1f} s", sim->sim->wall_seconds));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

bool is_failed(const Metrics* m) {
  return m && m->status == RecordStatus::Failed;
}

// Runs plot_validation.py when a python3 with matplotlib is found; notes on `err` otherwise.
// The plots show the model variant `variant` (the suite's first).
void make_plots(const std::string& out_dir, const std::string& variant, const PlotOptions& plots,
                std::ostream& err) {
  if (!plots.enabled) return;
  run_plot_script(
      plots.script,
      {(fs::path(out_dir) / kResultsFile).string(), out_dir, "--model-variant", variant},
      (fs::path(out_dir) / "plots.log").string(), err);
}

// results.csv, report.md, the summary on `out` and the plots, from the records of `jobs`.
Comparisons write_outputs(const std::string& out_dir, const Manifest& manifest,
                          const std::vector<JobKey>& jobs, const std::vector<Metrics>& records,
                          const PlotOptions& plots, std::ostream& out, std::ostream& err) {
  Comparisons c = compare_variants(jobs, manifest.engines, manifest.models, records,
                                   manifest.suite_name, manifest.identity);
  const auto write = [&](const char* name, const auto& writer) {
    const std::string path = (fs::path(out_dir) / name).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (f) writer(f);
    f.close();
    if (!f)
      throw InputError(SourceLocation{path, 0}, "cannot write the file", "a writable --out DIR");
  };
  write(kResultsCsvFile, [&](std::ostream& f) { write_csv(f, c.records); });
  write(kReportFile, [&](std::ostream& f) { write_report(f, c); });
  make_plots(out_dir, c.per_variant.front().variant, plots, err);
  write_summary(out, c);
  std::string compared;
  for (const Comparison& v : c.per_variant)
    compared += fmt::format("{}{}{}", compared.empty() ? "" : ", ", v.overall.compared,
                            c.per_variant.size() > 1 ? " (" + v.variant + ")" : "");
  out << fmt::format("\n{} jobs, {} compared, {} failed. Report: {}\n",
                     c.per_variant.front().jobs.size(), compared, c.failed_jobs(),
                     (fs::path(out_dir) / kReportFile).string());
  out.flush();
  return c;
}

struct RunningJob {
  const ValidationJob* job = nullptr;
  std::size_t work = 0;  // index into run_suite's pending work (and its EtaEstimate)
  Clock::time_point started;
  std::optional<Metrics> model;  // this run's or an earlier run's model record
  std::string json_path;
  std::string stderr_path;
};

}  // namespace

Metrics run_model_job(const ResolvedSuite& suite, const ValidationJob& job,
                      const ModelVariant& variant) {
  ModelOptions options;
  options.semantics = variant.semantics;
  options.noc_model =
      variant.noc_model == NocModelName::Contention ? NocModel::Contention : NocModel::Simple;
  Metrics m;
  try {
    m = evaluate_layer(suite.layer_of(job), suite.dataflows[job.dataflow],
                       suite.hardware[job.hardware], options);
  } catch (const InputError& e) {
    m = failed_record(job.key, Engine::Model, e.what());
  } catch (const std::exception& e) {
    m = failed_record(job.key, Engine::Model, std::string("internal error: ") + e.what());
  }
  m.layer = job.key.layer;
  m.dataflow = job.key.dataflow;
  m.hardware = job.key.hardware;
  m.engine = Engine::Model;
  m.semantics = variant.semantics;
  m.noc_model = variant.noc_model;
  return m;
}

std::vector<std::string> simulate_arguments(const ResolvedSuite& suite, const ValidationJob& job,
                                            const std::string& json_path) {
  const auto absolute = [](const std::string& p) {
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
  };
  std::vector<std::string> args = {absolute(suite.workload_paths[job.workload]), "--hw",
                                   absolute(suite.hardware_paths[job.hardware])};
  // No dataflow file: the layer's own Dataflow block (suites built by `metronome sweep`).
  if (!suite.dataflow_paths[job.dataflow].empty())
    args.insert(args.end(), {"--dataflow", absolute(suite.dataflow_paths[job.dataflow])});
  args.insert(args.end(), {"--layer", suite.layer_of(job).name, "--json", json_path});
  return args;
}

namespace {

Metrics sim_record_of_child(const ValidationJob& job, const ChildResult& child,
                            const std::string& json_path, const std::string& stderr_path,
                            double timeout_seconds) {
  const auto with_hint = [&](std::string note) {
    const std::string hint = stderr_path.empty() ? std::string() : stderr_hint(stderr_path);
    if (!hint.empty()) note += ": " + hint;
    return note;
  };
  if (!child.started)
    return failed_record(job.key, Engine::Sim, "could not start the simulator: " + child.error);
  if (child.timed_out)
    return failed_record(job.key, Engine::Sim,
                         fmt::format("timed out after {:g} s (the suite's timeout_seconds) and "
                                     "was killed",
                                     timeout_seconds));
  if (child.signal)
    return failed_record(job.key, Engine::Sim,
                         with_hint(fmt::format("the simulator was {}", child.describe())));

  bool exists = false;
  const std::string text = read_text(json_path, exists);
  if (!exists || text.empty())
    return failed_record(job.key, Engine::Sim,
                         with_hint(fmt::format("the simulator exited with status {} and wrote "
                                               "no results",
                                               child.exit_status)));
  Metrics m;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    const nlohmann::json* record = &j;
    if (j.is_array()) {
      if (j.size() != 1)
        return failed_record(job.key, Engine::Sim,
                             fmt::format("the simulator wrote {} records (expected 1; exit "
                                         "status {})",
                                         j.size(), child.exit_status));
      record = &j.front();
    }
    m = from_json(*record, SourceLocation{json_path, 0});
  } catch (const nlohmann::json::exception& e) {
    return failed_record(job.key, Engine::Sim,
                         fmt::format("the simulator's results are not JSON (exit status {}): {}",
                                     child.exit_status, e.what()));
  } catch (const InputError& e) {
    return failed_record(job.key, Engine::Sim,
                         fmt::format("the simulator's results are not a record (exit status "
                                     "{}): {}",
                                     child.exit_status, e.what()));
  }
  // The child names the layer without its network; anything else is not this job's record.
  const std::string layer = job.key.layer.substr(job.key.layer.find('/') + 1);
  if ((m.layer != layer && m.layer != job.key.layer) || m.dataflow != job.key.dataflow ||
      m.hardware != job.key.hardware)
    return failed_record(
        job.key, Engine::Sim,
        fmt::format("the simulator's record is for layer {}, dataflow {}, "
                    "hardware {} (exit status {})",
                    quote(m.layer), quote(m.dataflow), quote(m.hardware), child.exit_status));
  m.layer = job.key.layer;
  m.engine = Engine::Sim;
  const bool check_failed = m.sim && m.sim->functional_check.rfind("fail", 0) == 0;
  const auto fail_with = [&](std::string note) {
    m.status = RecordStatus::Failed;  // figures become null; functional_check is kept
    m.note = std::move(note);
    return m;
  };
  switch (child.exit_status) {
    case 0:
      if (check_failed && m.status != RecordStatus::Failed)
        return fail_with("functional check failed: " + m.sim->functional_check);
      return m;
    case 1:
      if (m.status == RecordStatus::Failed) return m;
      if (check_failed) return fail_with("functional check failed: " + m.sim->functional_check);
      return fail_with(with_hint("the simulator reported a failed check (exit status 1)"));
    case 2:
      if (m.status == RecordStatus::InvalidMapping || m.status == RecordStatus::NotApplicable ||
          m.status == RecordStatus::UnsupportedLayer)
        return m;
      return fail_with(with_hint("the simulator exited with status 2 (bad input)"));
    default:
      return fail_with(
          with_hint(fmt::format("the simulator exited with status {}", child.exit_status)));
  }
}

}  // namespace

Metrics sim_record_from_child(const ValidationJob& job, const ChildResult& child,
                              const std::string& json_path, const std::string& stderr_path,
                              double timeout_seconds) {
  Metrics m = sim_record_of_child(job, child, json_path, stderr_path, timeout_seconds);
  // A simulator record without the simulator's own wall time (e.g. one made here for a
  // timeout) gets the child's. (A stand-in's record without simulator fields stays so.)
  if (m.sim && m.sim->wall_seconds == 0) m.sim->wall_seconds = child.wall_seconds;
  return m;
}

bool run_plot_script(const std::string& script, const std::vector<std::string>& args,
                     const std::string& log_path, std::ostream& err) {
  if (script.empty() || !fs::is_regular_file(script)) {
    err << fmt::format("metronome: note: no plots: the plot script {} does not exist\n",
                       script.empty() ? "(none given)" : script);
    return false;
  }
  std::vector<std::string> candidates;
  for (const char* name : {"python3", "/usr/bin/python3"})
    if (auto p = find_program(name);
        p && std::find(candidates.begin(), candidates.end(), *p) == candidates.end())
      candidates.push_back(*p);
  std::string python;
  for (const std::string& p : candidates) {
    ChildSpec probe;
    probe.argv = {p, "-c", "import matplotlib"};
    probe.timeout = std::chrono::seconds(60);
    if (run_process(probe).exited_ok()) {
      python = p;
      break;
    }
  }
  if (python.empty()) {
    err << "metronome: note: no plots: no python3 with matplotlib found "
           "(Debian: apt-get install python3-matplotlib); the report and results are complete\n";
    return false;
  }
  ChildSpec spec;
  spec.argv = {python, script};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stderr_path = log_path;
  spec.timeout = std::chrono::seconds(300);
  const ChildResult r = run_process(spec);
  if (!r.exited_ok()) {
    err << fmt::format("metronome: note: the plot script failed ({}): {} (see {})\n", r.describe(),
                       stderr_hint(spec.stderr_path), spec.stderr_path);
    return false;
  }
  std::error_code ec;
  fs::remove(spec.stderr_path, ec);
  return true;
}

int run_suite(const ResolvedSuite& suite, const RunOptions& options, std::ostream& out,
              std::ostream& err) {
  const std::string& dir = options.out_dir;
  create_dir(dir);
  const std::string results_path = (fs::path(dir) / kResultsFile).string();
  const std::string manifest_path = (fs::path(dir) / kManifestFile).string();
  const std::vector<ValidationJob> jobs = shard_jobs(suite.jobs, options.shard);
  if (suite.runs(Engine::Sim) && options.sim_command.empty())
    throw InputError(SourceLocation{}, "no simulate command given",
                     "a program and its leading arguments");

  std::map<RecordKey, Metrics> known;
  std::error_code ec;
  if (options.resume) {
    if (fs::exists(manifest_path, ec)) {
      const Manifest m = read_manifest(manifest_path);
      if (m.identity != suite.identity)
        throw InputError(
            SourceLocation{manifest_path, 0},
            fmt::format("--resume: the directory holds results of suite {} (identity {}), not of "
                        "suite {} in {} (identity {})",
                        quote(m.suite_name), m.identity, quote(suite.name), suite.file,
                        suite.identity),
            "the same suite and jobs, another --out DIR, or no --resume to start over");
      if (m.shard != options.shard.str())
        throw InputError(SourceLocation{manifest_path, 0},
                         fmt::format("--resume: the directory holds shard {}, not shard {}",
                                     m.shard, options.shard.str()),
                         fmt::format("--shard {}, or another --out DIR", m.shard));
    } else if (fs::exists(results_path, ec) && fs::file_size(results_path, ec) > 0) {
      throw InputError(SourceLocation{results_path, 0},
                       "--resume: results without a manifest.json, so of an unknown suite",
                       "an output directory written by metronome validate");
    }
    LoadedResults loaded = read_results(results_path);
    for (const std::string& w : loaded.warnings) err << "metronome: warning: " << w << '\n';
    if (!loaded.clean()) write_results(results_path, loaded.records);
    for (Metrics& m : loaded.records) known[record_key(m)] = std::move(m);
  } else {
    fs::remove(results_path, ec);
    fs::remove_all(fs::path(dir) / "logs", ec);  // stderr of an earlier run's failures
  }
  write_manifest(manifest_path, manifest_of(suite, options.shard.str()));

  const std::string tmp_dir = (fs::path(dir) / "tmp").string();
  const std::string log_dir = (fs::path(dir) / "logs").string();
  fs::remove_all(tmp_dir, ec);
  create_dir(tmp_dir);

  struct Work {
    const ValidationJob* job;
    std::vector<const ModelVariant*> models;  // the model variants without a record
    bool sim;
  };
  std::vector<Work> work;
  for (const ValidationJob& job : jobs) {
    Work w{&job, {}, false};
    if (suite.runs(Engine::Model))
      for (const ModelVariant& v : suite.models)
        if (!known.count(model_key(job.key, v))) w.models.push_back(&v);
    w.sim = suite.runs(Engine::Sim) && !known.count(sim_key(job.key));
    if (!w.models.empty() || w.sim) work.push_back(std::move(w));
  }
  if (options.smallest_first)
    std::stable_sort(work.begin(), work.end(), [&](const Work& a, const Work& b) {
      return suite.layer_of(*a.job).macs() < suite.layer_of(*b.job).macs();
    });

  {
    ResultsAppender appender(results_path);
    const std::string header =
        fmt::format("suite {} ({}): {} jobs{}, {} simulations at a time, results in {}", suite.name,
                    suite.file, jobs.size(),
                    options.shard.whole()
                        ? std::string()
                        : fmt::format(" in shard {} of {}", options.shard.str(), suite.jobs.size()),
                    options.parallel, dir);
    Progress progress(err, options.progress_tty, header, jobs.size(), jobs.size() - work.size());
    std::vector<EtaEstimate::Job> eta_jobs;
    for (const Work& w : work)
      eta_jobs.push_back(
          {suite.layer_of(*w.job).macs(), w.job->key.dataflow + " x " + w.job->key.hardware});
    EtaEstimate eta(std::move(eta_jobs), options.parallel);
    ProcessPool pool(options.parallel);
    std::map<std::size_t, RunningJob> running;  // by job index
    const auto lookup = [&](const RecordKey& key) -> const Metrics* {
      const auto it = known.find(key);
      return it == known.end() ? nullptr : &it->second;
    };
    // The progress line of a finished job, from every record it has by now.
    const auto finished = [&](const ValidationJob& job, std::size_t work_index,
                              Clock::time_point started) {
      // A job refused at once (not applicable, invalid, unsupported) says nothing about speed.
      const Metrics* simulated = lookup(sim_key(job.key));
      const bool ran = simulated == nullptr ? !suite.runs(Engine::Sim)
                                            : simulated->status == RecordStatus::Ok ||
                                                  simulated->status == RecordStatus::Failed;
      eta.finished(work_index,
                   ran ? std::chrono::duration<double>(Clock::now() - started).count() : -1.0);
      std::vector<const Metrics*> models;
      bool failed = false;
      if (suite.runs(Engine::Model))
        for (const ModelVariant& v : suite.models) {
          models.push_back(lookup(model_key(job.key, v)));
          failed = failed || is_failed(models.back());
        }
      const Metrics* sim = lookup(sim_key(job.key));
      progress.job_done(job.key, job_detail(models, sim), failed || is_failed(sim),
                        eta.remaining_seconds());
    };

    const auto report_every =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
            options.progress_tty ? std::min(5.0, options.running_report_seconds)
                                 : options.running_report_seconds));
    std::size_t next = 0;
    while (next < work.size() || pool.running() > 0) {
      while (next < work.size() && (pool.has_room() || !work[next].sim)) {
        const std::size_t work_index = next++;
        const Work& w = work[work_index];
        const ValidationJob& job = *w.job;
        const Clock::time_point started = Clock::now();
        for (const ModelVariant* v : w.models) {
          Metrics m = run_model_job(suite, job, *v);
          appender.append(m);
          known[record_key(m)] = std::move(m);
        }
        if (!w.sim) {
          finished(job, work_index, started);
          continue;
        }
        RunningJob r;
        r.job = &job;
        r.work = work_index;
        r.started = started;
        const std::string base = fmt::format("job{}", job.index);
        r.json_path = (fs::path(tmp_dir) / (base + ".json")).string();
        r.stderr_path = (fs::path(tmp_dir) / (base + ".stderr")).string();
        ChildSpec spec;
        spec.argv = options.sim_command;
        for (std::string& a : simulate_arguments(suite, job, r.json_path))
          spec.argv.push_back(std::move(a));
        spec.stdout_path = (fs::path(tmp_dir) / (base + ".stdout")).string();
        spec.stderr_path = r.stderr_path;
        spec.timeout = std::chrono::duration<double>(suite.timeout_seconds);
        pool.start(job.index, spec);
        running.emplace(job.index, std::move(r));
      }
      const std::vector<ChildResult> ended = pool.wait(report_every);
      if (ended.empty() && pool.running() > 0) {
        std::vector<Progress::RunningReport> reports;
        for (const auto& [index, r] : running) {
          std::optional<ChildProgress> p = child_progress(r.stderr_path);
          if (!p) continue;
          eta.progress(r.work, p->fraction);
          reports.push_back({r.job->key.str(), std::move(*p)});
        }
        progress.running(reports, eta.remaining_seconds());
        continue;
      }
      for (const ChildResult& result : ended) {
        const auto it = running.find(result.tag);
        if (it == running.end()) continue;
        const RunningJob& r = it->second;
        const ValidationJob& job = *r.job;
        Metrics m =
            sim_record_from_child(job, result, r.json_path, r.stderr_path, suite.timeout_seconds);
        if (m.status == RecordStatus::Failed && fs::exists(r.stderr_path, ec) &&
            fs::file_size(r.stderr_path, ec) > 0) {
          create_dir(log_dir);
          fs::copy_file(r.stderr_path, fs::path(log_dir) / (safe_name(job.key) + ".sim.stderr"),
                        fs::copy_options::overwrite_existing, ec);
        }
        const std::string base = fmt::format("job{}", job.index);
        for (const char* ext : {".json", ".stderr", ".stdout"})
          fs::remove(fs::path(tmp_dir) / (base + ext), ec);
        appender.append(m);
        known[record_key(m)] = std::move(m);
        finished(job, r.work, r.started);
        running.erase(it);
      }
    }
    progress.finish();
  }
  fs::remove_all(tmp_dir, ec);

  LoadedResults final_results = read_results(results_path);
  for (const std::string& w : final_results.warnings) err << "metronome: warning: " << w << '\n';
  std::vector<JobKey> keys;
  for (const ValidationJob& job : jobs) keys.push_back(job.key);
  const Comparisons c = write_outputs(dir, manifest_of(suite, options.shard.str()), keys,
                                      final_results.records, options.plots, out, err);
  return c.failed_jobs() > 0 ? 1 : 0;
}

int merge_results(const std::vector<std::string>& dirs, const MergeOptions& options,
                  std::ostream& out, std::ostream& err, const ResolvedSuite* suite) {
  if (dirs.empty())
    throw InputError(SourceLocation{}, "--merge: no directories given",
                     "--merge DIR... with the output directories of the shards");
  std::vector<Manifest> manifests;
  for (const std::string& d : dirs) {
    if (!fs::is_directory(d))
      throw InputError(SourceLocation{d, 0}, "--merge: not a directory",
                       "an output directory of metronome validate");
    manifests.push_back(read_manifest((fs::path(d) / kManifestFile).string()));
  }
  const Manifest& first = manifests.front();
  for (std::size_t i = 1; i < manifests.size(); ++i) {
    const Manifest& m = manifests[i];
    if (m.identity != first.identity)
      throw InputError(
          SourceLocation{(fs::path(dirs[i]) / kManifestFile).string(), 0},
          fmt::format("--merge: {} holds suite {} (identity {}), but {} holds suite {} (identity "
                      "{}); refusing to merge different suites",
                      dirs[i], quote(m.suite_name), m.identity, dirs[0], quote(first.suite_name),
                      first.identity),
          "shard directories of one suite (same jobs, same engines)");
  }
  if (suite && suite->identity != first.identity)
    throw InputError(SourceLocation{suite->file, 0},
                     fmt::format("--merge: the shards hold suite {} (identity {}), not this "
                                 "suite (identity {})",
                                 quote(first.suite_name), first.identity, suite->identity),
                     "the suite the shards were run with, or no SUITE.yaml");
  std::set<std::string> shards;
  for (std::size_t i = 0; i < manifests.size(); ++i)
    if (!shards.insert(manifests[i].shard).second)
      err << fmt::format("metronome: warning: --merge: shard {} given twice ({})\n",
                         manifests[i].shard, dirs[i]);

  std::vector<Metrics> records;
  std::map<RecordKey, std::size_t> seen;
  std::size_t duplicates = 0;
  for (const std::string& d : dirs) {
    LoadedResults loaded = read_results((fs::path(d) / kResultsFile).string());
    for (const std::string& w : loaded.warnings) err << "metronome: warning: " << w << '\n';
    for (Metrics& m : loaded.records) {
      if (!seen.emplace(record_key(m), records.size()).second) {
        ++duplicates;
        continue;
      }
      records.push_back(std::move(m));
    }
  }
  if (duplicates)
    err << fmt::format(
        "metronome: warning: --merge: {} records appear in more than one "
        "directory; the first one is kept\n",
        duplicates);

  create_dir(options.out_dir);
  Manifest merged = first;
  merged.shard = "merged";
  const Comparisons c = compare_variants(first.jobs, first.engines, first.models, records);
  const std::size_t missing = c.missing_jobs();
  if (missing)
    err << fmt::format(
        "metronome: warning: --merge: {} of {} jobs have no complete results in "
        "these directories (listed in the report)\n",
        missing, first.jobs.size());
  write_results((fs::path(options.out_dir) / kResultsFile).string(), c.records);
  write_manifest((fs::path(options.out_dir) / kManifestFile).string(), merged);
  const Comparisons final_c =
      write_outputs(options.out_dir, merged, first.jobs, c.records, options.plots, out, err);
  return final_c.failed_jobs() > 0 ? 1 : 0;
}

}  // namespace metronome::validation
