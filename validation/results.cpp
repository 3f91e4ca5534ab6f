#include "validation/results.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "spec/workload_parser.hpp"

namespace metronome::validation {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifestFormat = "metronome-validation-manifest/1";

// Compact JSON; text that is not UTF-8 (a path, say) is written with U+FFFD instead of failing.
template <class Json>
std::string json_text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string read_all(const std::string& path, bool& exists) {
  std::ifstream in(path, std::ios::binary);
  exists = static_cast<bool>(in);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to path.tmp and renames it over `path`.
void replace_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
      throw InputError(SourceLocation{path, 0}, "cannot write the file",
                       "a writable output directory");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    throw InputError(SourceLocation{path, 0},
                     fmt::format("cannot replace the file: {}", ec.message()),
                     "a writable output directory");
}

}  // namespace

LoadedResults read_results(const std::string& path) {
  LoadedResults out;
  bool exists = false;
  const std::string text = read_all(path, exists);
  if (!exists) return out;
  std::map<RecordKey, std::size_t> index;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    ++line_number;
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      // No '\n': the run was killed while writing this record.
      ++out.dropped_lines;
      out.warnings.push_back(fmt::format("{}:{}: dropped a truncated last line ({} bytes)", path,
                                         line_number, text.size() - start));
      break;
    }
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      Metrics m = from_json(nlohmann::json::parse(line), SourceLocation{path, line_number});
      const RecordKey key = record_key(m);
      if (auto it = index.find(key); it != index.end()) {
        out.records[it->second] = std::move(m);
        ++out.replaced;
      } else {
        index.emplace(key, out.records.size());
        out.records.push_back(std::move(m));
      }
    } catch (const nlohmann::json::exception& e) {
      ++out.dropped_lines;
      out.warnings.push_back(
          fmt::format("{}:{}: dropped a line that is not JSON: {}", path, line_number, e.what()));
    } catch (const InputError& e) {
      ++out.dropped_lines;
      out.warnings.push_back(fmt::format("dropped a line that is not a record: {}", e.what()));
    }
  }
  return out;
}

std::string record_line(const Metrics& m) {
  // write_json keeps the schema's key order (docs/result-schema.md); one compact line of it.
  std::ostringstream array;
  write_json(array, {m});
  return json_text(nlohmann::ordered_json::parse(array.str()).at(0)) + "\n";
}

void write_results(const std::string& path, const std::vector<Metrics>& records) {
  std::string text;
  for (const Metrics& m : records) text += record_line(m);
  replace_file(path, text);
}

ResultsAppender::ResultsAppender(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw InputError(SourceLocation{path, 0},
                     fmt::format("cannot open the results file: {}", std::strerror(errno)),
                     "a writable output directory");
}

ResultsAppender::~ResultsAppender() {
  if (fd_ >= 0) ::close(fd_);
}

void ResultsAppender::append(const Metrics& m) {
  const std::string line = record_line(m);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw InputError(SourceLocation{path_, 0},
                       fmt::format("cannot append to the results file: {}", std::strerror(errno)),
                       "a writable output directory with free space");
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

Manifest manifest_of(const ResolvedSuite& suite, const std::string& shard) {
  Manifest m;
  m.suite_name = suite.name;
  m.suite_file = suite.file;
  m.identity = suite.identity;
  m.engines = suite.engines;
  m.models = suite.model_names();
  m.shard = shard;
  m.jobs = suite.job_keys();
  return m;
}

void write_manifest(const std::string& path, const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = kManifestFormat;
  j["suite"] = m.suite_name;
  j["suite_file"] = m.suite_file;
  j["suite_identity"] = m.identity;
  nlohmann::ordered_json engines = nlohmann::ordered_json::array();
  for (Engine e : m.engines) engines.push_back(std::string(engine_name(e)));
  j["engines"] = engines;
  j["model_variants"] = m.models;
  j["shard"] = m.shard;
  j["jobs_total"] = m.jobs.size();
  nlohmann::ordered_json jobs = nlohmann::ordered_json::array();
  for (const JobKey& k : m.jobs) jobs.push_back({k.layer, k.dataflow, k.hardware});
  j["jobs"] = jobs;
  // One job per line keeps the file readable and diffable.
  std::string text = "{\n";
  bool first = true;
  for (const auto& [key, value] : j.items()) {
    text += first ? "" : ",\n";
    first = false;
    text += "  " + json_text(nlohmann::ordered_json(key)) + ": ";
    if (key == "jobs") {
      text += "[";
      for (std::size_t i = 0; i < value.size(); ++i)
        text += (i ? ",\n    " : "\n    ") + json_text(value[i]);
      text += value.empty() ? "]" : "\n  ]";
    } else {
      text += json_text(value);
    }
  }
  text += "\n}\n";
  replace_file(path, text);
}

Manifest read_manifest(const std::string& path) {
  bool exists = false;
  const std::string text = read_all(path, exists);
  const SourceLocation where{path, 0};
  if (!exists)
    throw InputError(where, "no manifest (not an output directory of metronome validate?)",
                     "a directory written by metronome validate, with manifest.json");
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", std::string()) != kManifestFormat)
      throw InputError(where, "not a validation manifest",
                       fmt::format("a JSON object with \"format\": \"{}\"", kManifestFormat));
    Manifest m;
    m.suite_name = j.at("suite").get<std::string>();
    m.suite_file = j.at("suite_file").get<std::string>();
    m.identity = j.at("suite_identity").get<std::string>();
    for (const nlohmann::json& e : j.at("engines")) {
      const std::string name = e.get<std::string>();
      if (name == "model")
        m.engines.push_back(Engine::Model);
      else if (name == "sim")
        m.engines.push_back(Engine::Sim);
      else
        throw InputError(where, fmt::format("unknown engine {}", quote(name)), "model or sim");
    }
    if (auto it = j.find("model_variants"); it != j.end()) {
      m.models.clear();
      for (const nlohmann::json& v : *it) {
        const std::string name = v.get<std::string>();
        // Canonical names only (ModelVariant::name).
        if (parse_model_variant(name, where, "model_variants").name() != name)
          throw InputError(where,
                           fmt::format("model variant {} is not a canonical name", quote(name)),
                           "exact/simple, exact/contention or maestro");
        m.models.push_back(name);
      }
      if (m.models.empty())
        throw InputError(where, "model_variants is empty", "at least one model variant");
    }
    m.shard = j.at("shard").get<std::string>();
    for (const nlohmann::json& k : j.at("jobs")) {
      if (!k.is_array() || k.size() != 3)
        throw InputError(where, "a job that is not [layer, dataflow, hardware]",
                         "jobs as arrays of three names");
      m.jobs.push_back(
          JobKey{k[0].get<std::string>(), k[1].get<std::string>(), k[2].get<std::string>()});
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where, fmt::format("malformed manifest: {}", e.what()),
                     "the manifest.json metronome validate writes");
  }
}

}  // namespace metronome::validation
