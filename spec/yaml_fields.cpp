#include "spec/yaml_fields.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>

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

namespace {
// Ignores a document's events but where it starts: load() asks only whether a second document
// follows (YAML::LoadAll never returns on some malformed text: it finds empty documents without
// end).
class DocumentStart : public YAML::EventHandler {
 public:
  int line = 0;  // 1-based, of the last document begun
  void OnDocumentStart(const YAML::Mark& mark) override { line = mark.line + 1; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};
}  // namespace

YAML::Node YamlFields::load(const std::string& text) const {
  try {
    YAML::Node root = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStart start;
    if (parser.HandleNextDocument(start) && parser.HandleNextDocument(start))
      fail(start.line, "a second YAML document", "one document per file (no second `---`)");
    return root;
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
