#include "spec/yaml_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace metronome {

int YamlFields::line_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

std::string YamlFields::kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "no value";
    default:
      return "a scalar";
  }
}

void YamlFields::fail(int line, std::string problem, std::string expected) const {
  throw InputError(SourceLocation{file_, line}, std::move(problem), std::move(expected));
}

YAML::Node YamlFields::load(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, fmt::format("YAML syntax error: {}", e.msg),
         "valid YAML");
  }
}

void YamlFields::for_each(const YAML::Node& map, const std::string& path, int line,
                          const std::vector<std::string_view>& keys, const Handler& handler) const {
  std::string valid;
  for (std::string_view k : keys) valid += (valid.empty() ? "" : ", ") + std::string(k);
  const std::string_view noun = wording_.noun;
  if (!map.IsMap())
    fail(line,
         path.empty() ? fmt::format("the top level is {}", kind_of(map))
                      : fmt::format("{}: {} given", path, kind_of(map)),
         fmt::format("a mapping with {}s {}", noun, valid));
  std::map<std::string, int, std::less<>> seen;
  for (const auto& kv : map) {
    const int key_line = line_of(kv.first);
    if (!kv.first.IsScalar())
      fail(key_line,
           path.empty() ? fmt::format("a top-level {} that is not a name", noun)
                        : fmt::format("{}: a {} that is not a name", path, noun),
           fmt::format("one of {}", valid));
    const std::string& key = kv.first.Scalar();
    const std::string full = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (std::find(keys.begin(), keys.end(), std::string_view(key)) == keys.end())
      fail(key_line, fmt::format("unknown {} {}", noun, quote(full)),
           path.empty() ? fmt::format("one of {}", valid)
                        : fmt::format("one of {} {} {}", valid, wording_.within, path));
    if (auto it = seen.find(key); it != seen.end())
      fail(key_line, fmt::format("{} given twice (first at line {})", full, it->second),
           fmt::format("each {} once", noun));
    seen.emplace(key, key_line);
    if (kv.second.IsNull())
      fail(key_line, fmt::format("{}: no value", full), "a value after the colon");
    handler(full, kv.second, std::max(line_of(kv.second), key_line));
  }
}

const std::string& YamlFields::scalar(const YAML::Node& v, const std::string& path, int line,
                                      const std::string& expected) const {
  if (!v.IsScalar()) fail(line, fmt::format("{}: {} given", path, kind_of(v)), expected);
  return v.Scalar();
}

}  // namespace metronome
