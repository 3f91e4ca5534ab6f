#include "cli/common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include "spec/error.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::cli {

namespace fs = std::filesystem;

namespace {

// "a, b, c, d, e, ... (12 in all)" for error messages.
std::string some_names(const std::vector<std::string>& names, std::size_t shown = 8) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  if (names.size() > shown) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_dataflow_path(const std::string& option) {
  return option.find('/') != std::string::npos || ends_with(option, ".m");
}

}  // namespace

std::string source_dir() {
  return METRONOME_SOURCE_DIR;
}

std::string default_hardware_path() {
  return source_dir() + "/configs/hardware/edge-256.yaml";
}

std::string dataflow_library_dir() {
  return source_dir() + "/configs/dataflows";
}

std::vector<std::string> library_dataflow_names() {
  return validation::config_names(dataflow_library_dir(), ".m");
}

std::string resolve_hardware(const std::string& option) {
  if (option.find('/') != std::string::npos || ends_with(option, ".yaml") ||
      ends_with(option, ".yml") || ends_with(option, ".m"))
    return option;
  const std::string dir = source_dir() + "/configs/hardware";
  const std::vector<std::string> names = validation::config_names(dir, ".yaml");
  if (std::find(names.begin(), names.end(), option) == names.end())
    throw UsageError(fmt::format(
        "--hw {}: no hardware of that name in {} (expected one of: {}; or a path to a .yaml or "
        ".m file)",
        option, dir, names.empty() ? "none found" : some_names(names, 100)));
  return dir + "/" + option + ".yaml";
}

std::vector<Mapping> select_dataflows(const std::string& option) {
  std::vector<Mapping> mappings;
  if (option.empty()) return mappings;
  if (is_dataflow_path(option)) {
    mappings.push_back(load_dataflow(option));
    return mappings;
  }
  const std::vector<std::string> names = library_dataflow_names();
  if (option == "all") {
    if (names.empty())
      throw UsageError(
          fmt::format("--dataflow all: no *.m dataflows in {}", dataflow_library_dir()));
    for (const std::string& name : names)
      mappings.push_back(load_dataflow(dataflow_library_dir() + "/" + name + ".m"));
    return mappings;
  }
  if (std::find(names.begin(), names.end(), option) == names.end())
    throw UsageError(fmt::format(
        "--dataflow {}: no dataflow of that name in {} (expected one of: {}; a path to a .m "
        "file; or all)",
        option, dataflow_library_dir(), names.empty() ? "none found" : some_names(names, 100)));
  mappings.push_back(load_dataflow(dataflow_library_dir() + "/" + option + ".m"));
  return mappings;
}

std::vector<const Layer*> select_layers(const Workload& workload, const std::string& name) {
  std::vector<const Layer*> layers;
  for (const Layer& layer : workload.layers)
    if (name.empty() || layer.name == name) layers.push_back(&layer);
  if (workload.layers.empty())
    throw InputError(SourceLocation{workload.file, 0}, "the workload has no layers",
                     "at least one Layer block");
  if (layers.empty()) {
    std::vector<std::string> names;
    for (const Layer& layer : workload.layers) names.push_back(shorten(layer.name));
    throw InputError(SourceLocation{workload.file, 0},
                     fmt::format("--layer {}: no layer of that name", shorten(name)),
                     "one of " + some_names(names));
  }
  return layers;
}

std::vector<Job> plan_jobs(const std::vector<const Layer*>& layers,
                           const std::vector<Mapping>& dataflows) {
  std::vector<Job> jobs;
  for (const Layer* layer : layers) {
    if (dataflows.empty()) {
      if (!layer->dataflow)
        throw InputError(layer->where,
                         fmt::format("layer {} has no Dataflow block", shorten(layer->name)),
                         "a Dataflow block in the layer, or --dataflow NAME|FILE|all");
      jobs.push_back({layer, &*layer->dataflow});
    } else {
      for (const Mapping& mapping : dataflows) jobs.push_back({layer, &mapping});
    }
  }
  return jobs;
}

void write_result_files(const std::vector<Metrics>& records, const std::string& json_path,
                        const std::string& csv_path, const std::vector<CsvColumn>& extra_csv) {
  auto write = [&](const std::string& path, const std::function<void(std::ostream&)>& writer) {
    if (path.empty()) return;
    if (path == "-") {
      writer(std::cout);
      std::cout.flush();
      return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (out) writer(out);
    out.close();
    if (!out) throw UsageError(fmt::format("{}: cannot write the results file", path));
  };
  write(json_path, [&](std::ostream& out) { write_json(out, records); });
  write(csv_path, [&](std::ostream& out) { write_csv(out, records, extra_csv); });
}

int report_records(const std::vector<Job>& jobs, const std::vector<Metrics>& records,
                   std::ostream& err) {
  int status = 0;
  for (std::size_t i = 0; i < records.size() && i < jobs.size(); ++i) {
    const Metrics& m = records[i];
    const Layer& layer = *jobs[i].layer;
    const Mapping& mapping = *jobs[i].mapping;
    // The dataflow is what is wrong with the layer: point at it (the layer's own Dataflow
    // block, or the dataflow file), falling back to the layer.
    const SourceLocation& where = mapping.where.file.empty() ? layer.where : mapping.where;
    const std::string dataflow = m.dataflow.empty() ? mapping.name : m.dataflow;
    if (m.status == RecordStatus::InvalidMapping) {
      std::vector<std::string> examples;
      if (!m.first_missing.empty())
        examples.push_back("first missing " + m.first_missing.front().str());
      if (!m.first_duplicated.empty())
        examples.push_back("first duplicated " + m.first_duplicated.front().str());
      std::string line = fmt::format(
          "metronome: {}: layer {} with dataflow {}: invalid mapping: {} missing MACs, {} "
          "duplicated MACs",
          where.str(), shorten(layer.name), shorten(dataflow), m.missing_macs, m.duplicated_macs);
      if (!examples.empty()) {
        line += " (" + examples.front();
        if (examples.size() > 1) line += ", " + examples.back();
        line += ")";
      }
      err << line << '\n';
      status = 2;
    } else if (m.status == RecordStatus::Ok && m.sim &&
               m.sim->functional_check.rfind("fail", 0) == 0) {
      err << fmt::format("metronome: {}: layer {} with dataflow {}: functional check {}\n",
                         where.str(), shorten(layer.name), shorten(dataflow),
                         m.sim->functional_check);
      status = std::max(status, 1);
    } else if (m.status == RecordStatus::Failed) {
      err << fmt::format("metronome: {}: layer {} with dataflow {}: the {} failed: {}\n",
                         where.str(), shorten(layer.name), shorten(dataflow), engine_name(m.engine),
                         m.note);
      status = std::max(status, 1);
    }
  }
  return status;
}

CLI::Validator decimal_integer(std::uint64_t min, std::uint64_t max) {
  const std::string expected = fmt::format("an integer from {} to {}", min, max);
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        std::uint64_t v = 0;
        const char* end = value.data() + value.size();
        const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
          return c >= '0' && c <= '9';
        });
        if (!digits || std::from_chars(value.data(), end, v).ec != std::errc() || v < min ||
            v > max)
          return fmt::format("{} is not {}", quote(value), expected);
        value = std::to_string(v);
        return {};
      },
      fmt::format("{}..{}", min, max));
}

std::vector<std::string> simulator_command(const std::string& option) {
  if (option.empty()) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return {ec ? std::string("/proc/self/exe") : self.string(), "simulate"};
  }
  std::istringstream in(option);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty())
    throw UsageError("--sim-command: empty (expected a program and its leading arguments)");
  const auto executable = [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
  };
  bool found = false;
  if (words.front().find('/') != std::string::npos) {
    found = executable(words.front());
  } else if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    for (std::string dir; !found && std::getline(dirs, dir, ':');)
      found = executable((dir.empty() ? std::string(".") : dir) + "/" + words.front());
  }
  if (!found)
    throw UsageError(fmt::format(
        "--sim-command: {} is not {}", quote(words.front()),
        words.front().find('/') != std::string::npos ? "an executable file" : "a program on PATH"));
  return words;
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        return value.empty() ? "empty (expected a value)" : "";
      },
      "");
}

void JobCommandOptions::add_to(CLI::App& command) {
  command.add_option("workload", workload, "MAESTRO .m workload (Network of Layers)")
      ->required()
      ->type_name("WORKLOAD.m");
  command
      .add_option(
          "--hw", hardware,
          "Hardware: a YAML (or MAESTRO .m) file, or the NAME of configs/hardware/NAME.yaml")
      ->type_name("FILE|NAME")
      ->check(non_empty())
      ->capture_default_str();
  command
      .add_option("--dataflow", dataflow,
                  "Library dataflow NAME (configs/dataflows/NAME.m), a .m FILE, or all; "
                  "default: each layer's own Dataflow block")
      ->type_name("NAME|FILE|all")
      ->check(non_empty());
  command.add_option("--layer", layer, "Evaluate only the layer named NAME")
      ->type_name("NAME")
      ->check(non_empty());
  command.add_option("--json", json, "Write the records as a JSON array to F (- = stdout)")
      ->type_name("F")
      ->check(non_empty());
  command.add_option("--csv", csv, "Write the records as CSV to F (- = stdout)")
      ->type_name("F")
      ->check(non_empty());
}

void ModelVariantOptions::add_to(CLI::App& command) {
  command
      .add_option("--semantics", semantics,
                  "Run the model with this directive semantics only: exact or maestro (instead "
                  "of the suite's `models`)")
      ->type_name("exact|maestro");
  command
      .add_option("--noc-model", noc_model,
                  "Run the model with this NoC cost model only: simple or contention (exact "
                  "semantics; instead of the suite's `models`)")
      ->type_name("simple|contention");
}

void ModelVariantOptions::apply_to(validation::ResolvedSuite& suite) const {
  if (!given()) return;
  if (!suite.runs(Engine::Model))
    throw UsageError(
        "--semantics / --noc-model: the suite does not run the model engine (expected a suite "
        "whose engines include model, or neither option)");
  suite.set_models({validation::model_variant_from_options(semantics, noc_model)});
}

int JobCommandOptions::run(std::ostream& out, std::ostream& err, const Evaluate& evaluate,
                           const ExtraCsvColumns& extra_csv) const {
  if (json == "-" && csv == "-")
    throw UsageError("--json - and --csv - both ask for stdout (expected at most one of them)");

  const Workload loaded = load_workload(workload);
  for (const std::string& warning : loaded.warnings)
    err << "metronome: warning: " << warning << '\n';
  const std::vector<const Layer*> layers = select_layers(loaded, layer);
  const Hardware hw = load_hardware(resolve_hardware(hardware));
  const std::vector<Mapping> dataflows = select_dataflows(dataflow);
  const std::vector<Job> jobs = plan_jobs(layers, dataflows);

  std::vector<Metrics> records;
  records.reserve(jobs.size());
  for (const Job& job : jobs) records.push_back(evaluate(job, hw));

  write_result_files(
      records, json, csv,
      extra_csv && !csv.empty() ? extra_csv(jobs, hw, loaded) : std::vector<CsvColumn>{});
  if (json != "-" && csv != "-") write_table(out, records);
  out.flush();
  return report_records(jobs, records, err);
}

}  // namespace metronome::cli
