// The YAML mapping reader shared by hardware files and validation suites (spec/yaml_fields.hpp):
// every refusal names file, line and dotted path, in the wording of the file kind.

#include "spec/yaml_fields.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace metronome {
namespace {

const std::vector<std::string_view> kKeys = {"name", "pe"};

// The message for reading `text` as a mapping of kKeys, with `pe` a mapping of {count}.
std::string refusal(const std::string& text, YamlFields::Wording wording) {
  const YamlFields fields("f.yaml", wording);
  try {
    const YAML::Node root = fields.load(text);
    fields.for_each(root, "", 1, kKeys, [&](const std::string& path, const YAML::Node& v, int l) {
      if (path == "pe") fields.for_each(v, path, l, {"count"}, [](auto&&...) {});
    });
  } catch (const InputError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(YamlFields, RefusalsNameFileLinePathAndTheFilesWording) {
  const YamlFields::Wording key{"key", "under"}, field{"field", "in"};
  EXPECT_EQ(refusal("name: x\npe: {count: 1}\n", key), "accepted");
  EXPECT_EQ(refusal("- a\n", key),
            "f.yaml:1: the top level is a list (expected a mapping with "
            "keys name, pe)");
  EXPECT_EQ(refusal("name: x\nmane: y\n", field),
            "f.yaml:2: unknown field 'mane' (expected one of name, pe)");
  EXPECT_EQ(refusal("pe:\n  cnt: 1\n", key),
            "f.yaml:2: unknown key 'pe.cnt' (expected one of count under pe)");
  EXPECT_EQ(refusal("pe:\n  cnt: 1\n", field),
            "f.yaml:2: unknown field 'pe.cnt' (expected one of count in pe)");
  EXPECT_EQ(refusal("pe: 3\n", field),
            "f.yaml:1: pe: a scalar given (expected a mapping with fields count)");
  EXPECT_EQ(refusal("name: x\nname: y\n", field),
            "f.yaml:2: name given twice (first at line 1) (expected each field once)");
  EXPECT_EQ(refusal("name:\n", key), "f.yaml:1: name: no value (expected a value after the colon)");
  EXPECT_EQ(refusal("[a]: 1\n", field),
            "f.yaml:1: a top-level field that is not a name (expected one of name, pe)");
  EXPECT_EQ(refusal("pe:\n  [a]: 1\n", key),
            "f.yaml:2: pe: a key that is not a name (expected one of count)");
  EXPECT_NE(refusal("name: [x\n", key).find("f.yaml:2: YAML syntax error"), std::string::npos)
      << refusal("name: [x\n", key);
}

}  // namespace
}  // namespace metronome
