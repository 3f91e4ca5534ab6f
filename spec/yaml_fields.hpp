#pragma once
// Reading YAML mappings with the project's error messages (spec/error.hpp): every problem names
// the file, the line, the field's dotted path and what was expected. The hardware files and the
// validation suites both read through it.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/error.hpp"

namespace metronome {

class YamlFields {
 public:
  // How a file's documentation calls its entries: hardware "key ... under pe", suites
  // "field ... in networks[0]".
  struct Wording {
    std::string_view noun;    // "key" or "field"
    std::string_view within;  // "under" or "in"
  };
  using Handler = std::function<void(const std::string& path, const YAML::Node& value, int line)>;

  YamlFields(std::string file, Wording wording) : file_(std::move(file)), wording_(wording) {}

  const std::string& file() const { return file_; }
  // 1-based line of a node, 0 when yaml-cpp does not know it.
  static int line_of(const YAML::Node& n);
  // "a mapping", "a list", "no value" or "a scalar".
  static std::string kind_of(const YAML::Node& n);
  [[noreturn]] void fail(int line, std::string problem, std::string expected = {}) const;
  // The document in `text`; a syntax error is a problem at its line.
  YAML::Node load(const std::string& text) const;

  // Calls `handler(path.key, value, line)` for each entry of the mapping `map` (at `path`, ""
  // for the top level, on `line`), refusing a non-mapping, keys that are not names, keys not in
  // `keys`, a key given twice and a key without a value.
  void for_each(const YAML::Node& map, const std::string& path, int line,
                const std::vector<std::string_view>& keys, const Handler& handler) const;
  // The scalar `v` (at `path`), or a problem saying what was given instead.
  const std::string& scalar(const YAML::Node& v, const std::string& path, int line,
                            const std::string& expected) const;

 private:
  std::string file_;
  Wording wording_;
};

}  // namespace metronome
