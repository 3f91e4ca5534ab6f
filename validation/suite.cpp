#include "validation/suite.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>

#include "spec/workload_parser.hpp"
#include "spec/yaml_fields.hpp"

namespace metronome::validation {

namespace fs = std::filesystem;

namespace {

constexpr double kMaxTimeoutSeconds = 1e7;
constexpr const char* kModelsExpected =
    "a list of model variants: exact/simple, exact/contention or maestro (short forms: simple, "
    "contention, exact)";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "a, b, c, ... (12 in all)" for error messages.
std::string some_names(const std::vector<std::string>& names, std::size_t shown = 12) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) {
    if (i) out += ", ";
    out += shorten(names[i]);
  }
  if (names.size() > shown) out += fmt::format(", ... ({} in all)", names.size());
  return out.empty() ? std::string("none") : out;
}

bool parse_real(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

// One kind of thing a suite names: networks, dataflows or hardware.
struct Catalogue {
  const char* what;                             // "network", "dataflow", "hardware"
  std::string dir;                              // where NAMEs live
  std::string extension;                        // of NAME files in dir
  std::vector<std::string_view> path_suffixes;  // a value ending in one of these is a path
};

class SuiteReader : YamlFields {
 public:
  SuiteReader(std::string file, const ConfigDirs& dirs, std::vector<std::string> extra_fields)
      : YamlFields(std::move(file), {"field", "in"}),
        dirs_(dirs),
        extra_fields_(std::move(extra_fields)) {
    base_dir_ = fs::path(this->file()).parent_path();
  }

  ResolvedSuite read(const std::string& text);

 private:
  const std::string& scalar(const YAML::Node& v, const std::string& path, int line,
                            const std::string& expected) const {
    const std::string& s = YamlFields::scalar(v, path, line, expected);
    if (s.empty()) fail(line, fmt::format("{}: empty", path), expected);
    return s;
  }
  // A list of scalars, or one scalar taken as a list of one. Calls `item(path[i], value, line)`.
  void scalars(const YAML::Node& v, const std::string& path, int line, const std::string& expected,
               const std::function<void(const std::string&, const std::string&, int)>& item) const;

  // NAME -> dir/NAME.ext, PATH -> PATH relative to the suite file; checks that it exists.
  std::string locate(const Catalogue& cat, const std::string& value, const std::string& path,
                     int line) const;

  void read_networks(const YAML::Node& v, int line, ResolvedSuite& suite);
  void read_dataflows(const YAML::Node& v, int line, ResolvedSuite& suite);
  void read_hardware(const YAML::Node& v, int line, ResolvedSuite& suite);

  ConfigDirs dirs_;
  std::vector<std::string> extra_fields_;  // top-level fields the caller reads (passed over)
  fs::path base_dir_;

  // Per network entry: the layers chosen (indices into the workload) and the line of the entry.
  struct NetworkEntry {
    std::size_t workload = 0;
    std::vector<std::size_t> layers;
    int line = 0;
  };
  std::vector<NetworkEntry> entries_;
  std::vector<int> dataflow_lines_;
  std::vector<int> hardware_lines_;
};

void SuiteReader::scalars(
    const YAML::Node& v, const std::string& path, int line, const std::string& expected,
    const std::function<void(const std::string&, const std::string&, int)>& item) const {
  if (v.IsScalar()) {
    item(path, scalar(v, path, line, expected), line);
    return;
  }
  if (!v.IsSequence()) fail(line, fmt::format("{}: {} given", path, kind_of(v)), expected);
  if (v.size() == 0) fail(line, fmt::format("{}: empty list", path), expected);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const YAML::Node e = v[i];
    const std::string p = fmt::format("{}[{}]", path, i);
    const int l = std::max(line_of(e), line);
    item(p, scalar(e, p, l, expected), l);
  }
}

std::string SuiteReader::locate(const Catalogue& cat, const std::string& value,
                                const std::string& path, int line) const {
  bool is_path = value.find('/') != std::string::npos;
  for (std::string_view suffix : cat.path_suffixes) is_path = is_path || ends_with(value, suffix);
  std::error_code ec;
  if (is_path) {
    fs::path p(value);
    if (p.is_relative()) p = base_dir_ / p;
    const std::string resolved = p.lexically_normal().string();
    if (!fs::is_regular_file(resolved, ec))
      fail(line,
           fmt::format("{}: {} file {} {}", path, cat.what, quote(resolved),
                       fs::is_directory(resolved, ec) ? "is a directory" : "does not exist"),
           fmt::format("a {} name, or a path relative to the suite file", cat.what));
    return resolved;
  }
  const std::vector<std::string> names = config_names(cat.dir, cat.extension);
  if (std::find(names.begin(), names.end(), value) == names.end())
    fail(line, fmt::format("{}: no {} named {} in {}", path, cat.what, quote(value), cat.dir),
         fmt::format("one of {}; or a path to a {} file", some_names(names), cat.extension));
  return (fs::path(cat.dir) / (value + cat.extension)).string();
}

void SuiteReader::read_networks(const YAML::Node& v, int line, ResolvedSuite& suite) {
  const Catalogue cat{"network", dirs_.networks, ".m", {".m"}};
  const std::string expected_entry =
      "a network NAME or path, or a mapping {network: NAME|PATH, layers: all | [LAYER, ...]}";
  if (!v.IsSequence() || v.size() == 0)
    fail(line, fmt::format("networks: {} given", v.IsSequence() ? "an empty list" : kind_of(v)),
         "a list of entries, each " + expected_entry);
  std::map<std::string, int> network_lines;  // qualifier -> line of its entry
  for (std::size_t i = 0; i < v.size(); ++i) {
    const YAML::Node e = v[i];
    const std::string path = fmt::format("networks[{}]", i);
    const int entry_line = std::max(line_of(e), line);
    std::string network;
    int network_line = entry_line;
    YAML::Node layers_node;
    bool has_layers = false;
    int layers_line = entry_line;
    if (e.IsScalar()) {
      network = scalar(e, path, entry_line, expected_entry);
    } else if (e.IsMap()) {
      for_each(e, path, entry_line, {"network", "layers"},
               [&](const std::string& key, const YAML::Node& value, int l) {
                 if (key == path + ".network") {
                   network = scalar(value, key, l, "a network NAME or a path to a .m file");
                   network_line = l;
                 } else {
                   layers_node = value;
                   has_layers = true;
                   layers_line = l;
                 }
               });
      if (network.empty())
        fail(entry_line, fmt::format("{}: no network field", path), expected_entry);
    } else {
      fail(entry_line, fmt::format("{}: {} given", path, kind_of(e)), expected_entry);
    }

    const std::string file =
        locate(cat, network, path + (e.IsMap() ? ".network" : ""), network_line);
    Workload workload = load_workload(file);
    std::string qualifier =
        workload.network.empty() ? fs::path(file).stem().string() : workload.network;
    if (auto it = network_lines.find(qualifier); it != network_lines.end())
      fail(network_line,
           fmt::format("{}: network {} is listed twice (first at line {})", path, quote(qualifier),
                       it->second),
           "each network once (list all its layers you want in one entry)");
    network_lines.emplace(qualifier, network_line);
    if (workload.layers.empty())
      fail(network_line, fmt::format("{}: network {} has no layers", path, quote(qualifier)));

    NetworkEntry entry;
    entry.workload = suite.workloads.size();
    entry.line = network_line;
    const bool all_layers =
        !has_layers || (layers_node.IsScalar() && layers_node.Scalar() == "all");
    if (all_layers) {
      for (std::size_t l = 0; l < workload.layers.size(); ++l) entry.layers.push_back(l);
    } else {
      std::vector<std::string> names;
      for (const Layer& layer : workload.layers) names.push_back(layer.name);
      std::map<std::string, int> chosen;
      scalars(layers_node, path + ".layers", layers_line, "all, or a list of layer names",
              [&](const std::string& p, const std::string& name, int l) {
                const auto it = std::find(names.begin(), names.end(), name);
                if (it == names.end())
                  fail(l,
                       fmt::format("{}: no layer {} in network {} ({})", p, quote(name),
                                   quote(qualifier), file),
                       "one of " + some_names(names));
                if (auto c = chosen.find(name); c != chosen.end())
                  fail(l,
                       fmt::format("{}: layer {} listed twice (first at line {})", p, quote(name),
                                   c->second),
                       "each layer once");
                chosen.emplace(name, l);
                entry.layers.push_back(static_cast<std::size_t>(it - names.begin()));
              });
    }
    suite.workloads.push_back(std::move(workload));
    suite.workload_paths.push_back(file);
    suite.network_names.push_back(std::move(qualifier));
    entries_.push_back(std::move(entry));
  }
}

void SuiteReader::read_dataflows(const YAML::Node& v, int line, ResolvedSuite& suite) {
  const Catalogue cat{"dataflow", dirs_.dataflows, ".m", {".m"}};
  std::map<std::string, int> seen;
  const auto add = [&](const std::string& path, const std::string& file, int l) {
    Mapping mapping = load_dataflow(file);
    if (auto it = seen.find(mapping.name); it != seen.end())
      fail(l,
           fmt::format("{}: a second dataflow named {} (first at line {})", path,
                       quote(mapping.name), it->second),
           "dataflows with different names (the name is the file's stem)");
    seen.emplace(mapping.name, l);
    suite.dataflows.push_back(std::move(mapping));
    suite.dataflow_paths.push_back(file);
    dataflow_lines_.push_back(l);
  };
  if (v.IsScalar() && v.Scalar() == "all") {
    const std::vector<std::string> names = config_names(cat.dir, cat.extension);
    if (names.empty()) fail(line, fmt::format("dataflows: all: no *.m dataflows in {}", cat.dir));
    for (const std::string& name : names)
      add("dataflows", (fs::path(cat.dir) / (name + cat.extension)).string(), line);
    return;
  }
  scalars(v, "dataflows", line, "all, or a list of dataflow NAMEs or paths to .m files",
          [&](const std::string& path, const std::string& value, int l) {
            add(path, locate(cat, value, path, l), l);
          });
}

void SuiteReader::read_hardware(const YAML::Node& v, int line, ResolvedSuite& suite) {
  const Catalogue cat{"hardware", dirs_.hardware, ".yaml", {".yaml", ".yml", ".m"}};
  std::map<std::string, int> seen;
  const auto add = [&](const std::string& path, const std::string& file, int l) {
    Hardware hw = load_hardware(file);
    if (auto it = seen.find(hw.name); it != seen.end())
      fail(l,
           fmt::format("{}: a second hardware named {} (first at line {})", path, quote(hw.name),
                       it->second),
           "hardware with different names (the YAML `name` field)");
    seen.emplace(hw.name, l);
    suite.hardware.push_back(std::move(hw));
    suite.hardware_paths.push_back(file);
    hardware_lines_.push_back(l);
  };
  if (v.IsScalar() && v.Scalar() == "all") {
    const std::vector<std::string> names = config_names(cat.dir, cat.extension);
    if (names.empty()) fail(line, fmt::format("hardware: all: no *.yaml files in {}", cat.dir));
    for (const std::string& name : names)
      add("hardware", (fs::path(cat.dir) / (name + cat.extension)).string(), line);
    return;
  }
  scalars(v, "hardware", line, "all, or a list of hardware NAMEs or paths to .yaml/.m files",
          [&](const std::string& path, const std::string& value, int l) {
            add(path, locate(cat, value, path, l), l);
          });
}

ResolvedSuite SuiteReader::read(const std::string& text) {
  const YAML::Node root = load(text);
  std::vector<std::string_view> keys = {"name",      "description",     "engines",
                                        "models",    "timeout_seconds", "networks",
                                        "dataflows", "hardware"};
  keys.insert(keys.end(), extra_fields_.begin(), extra_fields_.end());
  std::string fields;
  for (std::string_view k : keys) fields += (fields.empty() ? "" : ", ") + std::string(k);
  if (root.IsNull()) fail(1, "empty suite", "a YAML mapping with fields " + fields);

  ResolvedSuite suite;
  suite.file = file();
  bool has_networks = false, has_dataflows = false, has_hardware = false;
  int models_line = 0;  // of a `models` field
  for_each(root, "", 1, keys, [&](const std::string& key, const YAML::Node& v, int line) {
    if (std::find(extra_fields_.begin(), extra_fields_.end(), key) != extra_fields_.end()) {
      return;  // the caller's
    } else if (key == "name") {
      suite.name = scalar(v, key, line, "a name");
    } else if (key == "description") {
      suite.description = scalar(v, key, line, "a text");
    } else if (key == "engines") {
      std::set<Engine> chosen;
      scalars(v, key, line, "a list of model and/or sim",
              [&](const std::string& p, const std::string& value, int l) {
                Engine e = Engine::Model;
                if (value == "model")
                  e = Engine::Model;
                else if (value == "sim")
                  e = Engine::Sim;
                else
                  fail(l, fmt::format("{}: unknown engine {}", p, quote(value)), "model or sim");
                if (!chosen.insert(e).second)
                  fail(l, fmt::format("{}: engine {} listed twice", p, value), "each engine once");
              });
      suite.engines.assign(chosen.begin(), chosen.end());
    } else if (key == "models") {
      models_line = line;
      std::map<ModelVariant, std::pair<std::string, int>> chosen;
      suite.models.clear();
      scalars(
          v, key, line, kModelsExpected,
          [&](const std::string& p, const std::string& value, int l) {
            const ModelVariant variant = parse_model_variant(value, SourceLocation{file(), l}, p);
            if (auto it = chosen.find(variant); it != chosen.end())
              fail(l,
                   fmt::format("{}: model variant {} listed twice ({} at line {} is "
                               "the same variant)",
                               p, variant.name(), quote(it->second.first), it->second.second),
                   "each variant once");
            chosen.emplace(variant, std::pair{value, l});
            suite.models.push_back(variant);
          });
    } else if (key == "timeout_seconds") {
      const std::string expected =
          fmt::format("a number of seconds > 0 and <= {:g}", kMaxTimeoutSeconds);
      const std::string& s = scalar(v, key, line, expected);
      double t = 0;
      if (!parse_real(s, t))
        fail(line, fmt::format("{}: {} is not a number", key, quote(s)), expected);
      if (!(t > 0) || t > kMaxTimeoutSeconds)
        fail(line, fmt::format("{}: {} is out of range", key, shorten(s)), expected);
      suite.timeout_seconds = t;
    } else if (key == "networks") {
      has_networks = true;
      read_networks(v, line, suite);
    } else if (key == "dataflows") {
      has_dataflows = true;
      read_dataflows(v, line, suite);
    } else if (key == "hardware") {
      has_hardware = true;
      read_hardware(v, line, suite);
    }
  });
  if (suite.name.empty()) fail(1, "the suite has no name field", "name: SUITE-NAME");
  if (!has_networks) fail(1, "the suite has no networks field", "networks: [NAME, ...]");
  if (!has_dataflows) fail(1, "the suite has no dataflows field", "dataflows: all | [NAME, ...]");
  if (!has_hardware) fail(1, "the suite has no hardware field", "hardware: [NAME, ...]");
  if (suite.engines.empty()) suite.engines = {Engine::Model, Engine::Sim};

  for (const NetworkEntry& entry : entries_) {
    for (std::size_t l : entry.layers) {
      for (std::size_t d = 0; d < suite.dataflows.size(); ++d) {
        for (std::size_t h = 0; h < suite.hardware.size(); ++h) {
          ValidationJob job;
          job.index = suite.jobs.size();
          job.workload = entry.workload;
          job.layer = l;
          job.dataflow = d;
          job.hardware = h;
          job.key.layer = suite.network_names[entry.workload] + "/" +
                          suite.workloads[entry.workload].layers[l].name;
          job.key.dataflow = suite.dataflows[d].name;
          job.key.hardware = suite.hardware[h].name;
          suite.jobs.push_back(std::move(job));
        }
      }
    }
  }
  if (!suite.runs(Engine::Model) && models_line > 0)
    fail(models_line, "the suite lists models but does not run the model engine",
         "engines including model, or no models field");
  suite.identity = suite_identity(suite.job_keys(), suite.engines, suite.model_names());
  return suite;
}

// 64-bit FNV-1a.
struct Fnv1a {
  std::uint64_t h = 14695981039346656037ull;
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
};

}  // namespace

std::vector<std::string> config_names(const std::string& dir, const std::string& extension) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == extension && it->is_regular_file(ec)) names.push_back(p.stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ConfigDirs config_dirs_under(const std::string& root) {
  const fs::path r(root);
  return ConfigDirs{(r / "configs" / "networks").string(), (r / "configs" / "dataflows").string(),
                    (r / "configs" / "hardware").string()};
}

std::string JobKey::str() const {
  return fmt::format("{} x {} x {}", layer, dataflow, hardware);
}

std::string ModelVariant::name() const {
  if (semantics == SemanticsMode::Maestro) return "maestro";
  return fmt::format("exact/{}", noc_model == NocModelName::Contention ? "contention" : "simple");
}

ModelVariant parse_model_variant(const std::string& text, const SourceLocation& where,
                                 const std::string& what) {
  ModelVariant v;
  if (text == "exact/simple" || text == "simple" || text == "exact") return v;
  if (text == "exact/contention" || text == "contention") {
    v.noc_model = NocModelName::Contention;
    return v;
  }
  if (text == "maestro" || text == "maestro/simple") {
    v.semantics = SemanticsMode::Maestro;
    v.noc_model = NocModelName::None;
    return v;
  }
  if (text == "maestro/contention")
    throw InputError(where,
                     fmt::format("{}: model variant {}: the contention NoC model applies to the "
                                 "exact semantics only (maestro uses MAESTRO's own NoC model)",
                                 what, quote(text)),
                     "exact/contention, or maestro");
  throw InputError(where, fmt::format("{}: unknown model variant {}", what, quote(text)),
                   "one of exact/simple, exact/contention, maestro (short forms: simple, "
                   "contention, exact)");
}

ModelVariant model_variant_from_options(const std::string& semantics,
                                        const std::string& noc_model) {
  const std::string sem = semantics.empty() ? "exact" : semantics;
  const std::string noc = noc_model.empty() ? "simple" : noc_model;
  if (sem != "exact" && sem != "maestro")
    throw InputError(SourceLocation{}, fmt::format("--semantics {}: unknown semantics", quote(sem)),
                     "exact or maestro");
  if (noc != "simple" && noc != "contention")
    throw InputError(SourceLocation{}, fmt::format("--noc-model {}: unknown NoC model", quote(noc)),
                     "simple or contention");
  if (sem == "maestro") {
    if (noc == "contention")
      throw InputError(SourceLocation{},
                       "--noc-model contention: applies to --semantics exact only (--semantics "
                       "maestro uses MAESTRO's own NoC model)",
                       "--noc-model simple, or no --noc-model");
    return parse_model_variant("maestro", SourceLocation{}, "--semantics");
  }
  return parse_model_variant("exact/" + noc, SourceLocation{}, "--noc-model");
}

ModelVariant variant_of(const Metrics& m) {
  ModelVariant v;
  v.semantics = m.semantics;
  v.noc_model = m.semantics == SemanticsMode::Maestro     ? NocModelName::None
                : m.noc_model == NocModelName::Contention ? NocModelName::Contention
                                                          : NocModelName::Simple;
  return v;
}

RecordKey record_key(const Metrics& m) {
  return RecordKey{JobKey{m.layer, m.dataflow, m.hardware}, m.engine,
                   m.engine == Engine::Model ? variant_of(m).name() : std::string()};
}

RecordKey model_key(const JobKey& job, const ModelVariant& variant) {
  return RecordKey{job, Engine::Model, variant.name()};
}

RecordKey sim_key(const JobKey& job) {
  return RecordKey{job, Engine::Sim, {}};
}

std::vector<std::string> ResolvedSuite::model_names() const {
  std::vector<std::string> names;
  for (const ModelVariant& v : models) names.push_back(v.name());
  return names;
}

void ResolvedSuite::set_models(std::vector<ModelVariant> variants) {
  models = std::move(variants);
  identity = suite_identity(job_keys(), engines, model_names());
}

bool ResolvedSuite::runs(Engine e) const {
  return std::find(engines.begin(), engines.end(), e) != engines.end();
}

std::vector<JobKey> ResolvedSuite::job_keys() const {
  std::vector<JobKey> keys;
  keys.reserve(jobs.size());
  for (const ValidationJob& job : jobs) keys.push_back(job.key);
  return keys;
}

ResolvedSuite parse_suite(const std::string& text, const std::string& file_name,
                          const ConfigDirs& dirs, const std::vector<std::string>& extra_fields) {
  return SuiteReader(file_name, dirs, extra_fields).read(text);
}

ResolvedSuite load_suite(const std::string& path, const ConfigDirs& dirs,
                         const std::vector<std::string>& extra_fields) {
  return parse_suite(read_text_file(path), path, dirs, extra_fields);
}

std::string suite_identity(const std::vector<JobKey>& jobs, const std::vector<Engine>& engines,
                           const std::vector<std::string>& models) {
  // Two independent 64-bit hashes (different seeds via a prefix) make a 128-bit digest.
  Fnv1a a, b;
  b.add("metronome");
  for (Fnv1a* h : {&a, &b}) {
    h->add("metronome-validation-suite/1\n");
    for (Engine e : engines) {
      h->add(engine_name(e));
      h->add(",");
    }
    h->add("\n");
    for (const JobKey& k : jobs) {
      h->add(k.layer);
      h->add("\t");
      h->add(k.dataflow);
      h->add("\t");
      h->add(k.hardware);
      h->add("\n");
    }
    // The default variant list adds nothing: older output directories keep their identity.
    if (models != std::vector<std::string>{kDefaultModelVariant}) {
      h->add("models:");
      for (const std::string& m : models) {
        h->add(m);
        h->add(",");
      }
      h->add("\n");
    }
  }
  return fmt::format("{:016x}{:016x}", a.h, b.h);
}

std::string Shard::str() const {
  return fmt::format("{}/{}", index, count);
}

Shard parse_shard(const std::string& text, const std::string& option) {
  const std::string expected = "I/N with whole numbers 1 <= I <= N, e.g. 1/4";
  const auto bad = [&](const std::string& why) -> InputError {
    return InputError(SourceLocation{}, fmt::format("{} {}: {}", option, shorten(text), why),
                      expected);
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) throw bad("no '/'");
  const auto number = [&](std::string_view s, const char* what) {
    std::size_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size())
      throw bad(fmt::format("{} is not a whole number", what));
    return v;
  };
  Shard shard;
  shard.index = number(std::string_view(text).substr(0, slash), "I");
  shard.count = number(std::string_view(text).substr(slash + 1), "N");
  if (shard.count == 0) throw bad("N is 0");
  if (shard.index == 0) throw bad("I is 0 (shards are numbered from 1)");
  if (shard.index > shard.count) throw bad(fmt::format("I is larger than N"));
  return shard;
}

std::vector<ValidationJob> shard_jobs(const std::vector<ValidationJob>& jobs, const Shard& shard) {
  std::vector<ValidationJob> out;
  for (const ValidationJob& job : jobs)
    if (shard.contains(job.index)) out.push_back(job);
  return out;
}

}  // namespace metronome::validation
