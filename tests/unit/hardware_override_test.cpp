// Tests of spec/hardware_override: the field table the YAML parser shares, setting every field
// by its dotted name (values, messages, the `noc.X` names for both networks, the rules between
// fields), renamed variants, and the YAML writer's round trip through the parser.

#include "spec/hardware_override.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "spec/hardware.hpp"
#include "tests/unit/input_error_expectations.hpp"

namespace metronome {
namespace {

namespace fs = std::filesystem;

using testing_errors::expect_error;

// Every field of two Hardware descriptions, as text (exact: the writer's numbers round-trip).
void expect_same_fields(const Hardware& a, const Hardware& b) {
  for (const HardwareField& f : hardware_fields())
    EXPECT_EQ(hardware_value_text(f, a), hardware_value_text(f, b)) << f.name;
  EXPECT_EQ(a.name, b.name);
}

// A valid value for `field` that differs from its default.
std::string other_value(const HardwareField& f) {
  switch (f.kind) {
    case HardwareFieldKind::Name:
      return "renamed";
    case HardwareFieldKind::Integer:
      if (f.name == "word_bytes") return "2";
      if (f.name == "l2.bytes") return "1032";  // a word per bank (16 by default), 2-byte words
      return std::to_string(f.min + 7);
    case HardwareFieldKind::Bandwidth:
      return "3.25";
    case HardwareFieldKind::Energy:
      return "1.5";
    case HardwareFieldKind::Boolean:
      return f.name.find("fat") != std::string_view::npos ? "true" : "false";
    case HardwareFieldKind::Topology:
      return "bus";
  }
  return {};
}

TEST(HardwareFields, TableHasEveryYamlKeyInOrder) {
  std::vector<std::string> names;
  for (const HardwareField& f : hardware_fields()) names.emplace_back(f.name);
  const std::vector<std::string> expected = {"name",
                                             "word_bytes",
                                             "pe.count",
                                             "pe.macs_per_cycle",
                                             "pe.l1_bytes",
                                             "l2.bytes",
                                             "l2.banks",
                                             "l2.words_per_bank_per_cycle",
                                             "dram.words_per_cycle",
                                             "dram.latency_cycles",
                                             "noc.distribution.topology",
                                             "noc.distribution.link_words_per_cycle",
                                             "noc.distribution.hop_latency",
                                             "noc.distribution.multicast",
                                             "noc.distribution.fat",
                                             "noc.reduction.topology",
                                             "noc.reduction.link_words_per_cycle",
                                             "noc.reduction.hop_latency",
                                             "noc.reduction.in_network",
                                             "noc.reduction.fat",
                                             "energy_pj.mac",
                                             "energy_pj.l1_read",
                                             "energy_pj.l1_write",
                                             "energy_pj.l2_read",
                                             "energy_pj.l2_write",
                                             "energy_pj.noc_hop_word",
                                             "energy_pj.dram_word"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(hardware_section_keys(""),
            (std::vector<std::string_view>{"name", "word_bytes", "pe", "l2", "dram", "noc",
                                           "energy_pj"}));
  EXPECT_EQ(hardware_section_keys("noc"),
            (std::vector<std::string_view>{"distribution", "reduction"}));
  EXPECT_EQ(hardware_section_keys("noc.reduction"),
            (std::vector<std::string_view>{"topology", "link_words_per_cycle", "hop_latency",
                                           "in_network", "fat"}));
  EXPECT_TRUE(hardware_section_keys("pe.count").empty());
}

TEST(HardwareOverride, SetsEveryField) {
  for (const HardwareField& f : hardware_fields()) {
    SCOPED_TRACE(std::string(f.name));
    Hardware hw;
    const std::string value = other_value(f);
    set_hardware_field(hw, f.name, value, SourceLocation{});
    EXPECT_EQ(hardware_value_text(f, hw),
              f.kind == HardwareFieldKind::Name ? "\"renamed\"" : value);
    // Nothing else changed.
    const Hardware def;
    for (const HardwareField& g : hardware_fields())
      if (g.name != f.name) {
        EXPECT_EQ(hardware_value_text(g, hw), hardware_value_text(g, def)) << g.name;
      }
    // The same text in a YAML file gives the same field.
    const Hardware parsed = parse_hardware_yaml(write_hardware_yaml(hw), "h.yaml");
    expect_same_fields(parsed, hw);
  }
}

TEST(HardwareOverride, SetsTheRightMembers) {
  Hardware hw;
  set_hardware_field(hw, "noc.distribution.link_words_per_cycle", "4", SourceLocation{});
  EXPECT_EQ(hw.noc.distribution.link_words_per_cycle, 4);
  EXPECT_EQ(hw.noc.reduction.link_words_per_cycle, 32);
  set_hardware_field(hw, "noc.link_words_per_cycle", "unlimited", SourceLocation{});
  EXPECT_EQ(hw.noc.distribution.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(hw.noc.reduction.link_words_per_cycle, kUnlimited);
  set_hardware_field(hw, "noc.topology", "mesh", SourceLocation{});
  EXPECT_EQ(hw.noc.distribution.topology, Topology::Mesh);
  EXPECT_EQ(hw.noc.reduction.topology, Topology::Mesh);
  set_hardware_field(hw, "pe.count", "+64", SourceLocation{});
  EXPECT_EQ(hw.pe.count, 64);
  set_hardware_field(hw, "l2.banks", "3", SourceLocation{});
  EXPECT_EQ(hw.l2.banks, 3);
  set_hardware_field(hw, "dram.words_per_cycle", "0.5", SourceLocation{});
  EXPECT_EQ(hw.dram.words_per_cycle, 0.5);
  set_hardware_field(hw, "noc.reduction.in_network", "FALSE", SourceLocation{});
  EXPECT_FALSE(hw.noc.reduction.in_network);
  set_hardware_field(hw, "energy_pj.dram_word", "0", SourceLocation{});
  EXPECT_EQ(hw.energy_pj.dram_word, 0);
  set_hardware_field(hw, "noc.hop_latency", "0", SourceLocation{});
  EXPECT_EQ(hw.noc.distribution.hop_latency, 0);
  EXPECT_EQ(hw.noc.reduction.hop_latency, 0);
}

TEST(HardwareOverride, BadValuesGiveTheParsersMessages) {
  const SourceLocation where{"sweep.yaml", 7};
  const auto error = [&](const char* field, const char* value) {
    Hardware hw;
    const Hardware before = hw;
    const InputError e = expect_error([&] { set_hardware_field(hw, field, value, where); });
    expect_same_fields(hw, before);  // unchanged
    EXPECT_EQ(e.where().file, "sweep.yaml");
    EXPECT_EQ(e.where().line, 7);
    return e;
  };
  InputError e = error("pe.count", "abc");
  EXPECT_STREQ(e.what(),
               "sweep.yaml:7: pe.count: 'abc' is not an integer (expected a positive integer up "
               "to 1048576)");
  e = error("pe.count", "0");
  EXPECT_EQ(e.problem(), "pe.count: 0 is out of range");
  e = error("pe.count", "2.5");
  EXPECT_EQ(e.problem(), "pe.count: '2.5' is not an integer");
  e = error("pe.count", "99999999999999999999");
  EXPECT_CONTAINS(e.problem(), "does not fit in a 64-bit integer");
  e = error("dram.words_per_cycle", "fast");
  EXPECT_EQ(e.problem(), "dram.words_per_cycle: 'fast' is not a number");
  EXPECT_EQ(e.expected(), "a positive number of words per cycle, or unlimited");
  e = error("noc.link_words_per_cycle", "0");
  EXPECT_EQ(e.problem(), "noc.link_words_per_cycle: 0 is out of range");
  EXPECT_EQ(e.expected(), "at least 0.0009765625 words per cycle, or unlimited");
  e = error("noc.link_words_per_cycle", "inf");
  EXPECT_EQ(e.problem(), "noc.link_words_per_cycle: 'inf' is not a number");
  e = error("energy_pj.mac", "-1");
  EXPECT_EQ(e.expected(), "a number of picojoules from 0 to 1e+09");
  e = error("energy_pj.mac", "");
  EXPECT_EQ(e.problem(), "energy_pj.mac: '' is not a number");
  e = error("noc.distribution.multicast", "maybe");
  EXPECT_STREQ(e.what(),
               "sweep.yaml:7: noc.distribution.multicast: 'maybe' is not a boolean (expected true "
               "or false)");
  e = error("noc.topology", "ring");
  EXPECT_STREQ(e.what(),
               "sweep.yaml:7: noc.topology: unknown topology 'ring' (expected one of bus, "
               "crossbar, tree, mesh, systolic)");
  e = error("noc.reduction.hop_latency", "-1");
  EXPECT_EQ(e.problem(), "noc.reduction.hop_latency: -1 is out of range");
  e = error("name", "");
  EXPECT_EQ(e.problem(), "name: empty");
  // Long values are shortened in messages.
  e = error("pe.count", std::string(100000, 'v').c_str());
  EXPECT_LT(std::string(e.what()).size(), 400u);
}

TEST(HardwareOverride, RulesBetweenFields) {
  Hardware hw;
  set_hardware_field(hw, "noc.distribution.topology", "mesh", SourceLocation{});
  InputError e = expect_error([&] {
    set_hardware_field(hw, "noc.distribution.fat", "true", SourceLocation{"cli", 0});
  });
  EXPECT_EQ(e.problem(), "noc.distribution.fat: true with topology mesh");
  EXPECT_EQ(e.expected(), "fat: true only with topology tree");
  EXPECT_FALSE(hw.noc.distribution.fat);
  e = expect_error([&] { set_hardware_field(hw, "word_bytes", "3", SourceLocation{}); });
  EXPECT_EQ(e.problem(), "pe.l1_bytes: 512 is not a multiple of word_bytes (3)");
  EXPECT_EQ(hw.word_bytes, 1);

  // override_hardware checks the rules once every override is set.
  Hardware fat;
  fat.name = "fat-tree";
  fat.noc.distribution.fat = true;
  fat.noc.reduction.fat = true;
  const Hardware mesh =
      override_hardware(fat, {{"noc.topology", "mesh"}, {"noc.fat", "false"}}, SourceLocation{});
  EXPECT_EQ(mesh.name, "fat-tree[noc.topology=mesh,noc.fat=false]");
  e = expect_error([&] {
    override_hardware(fat, {{"noc.topology", "mesh"}}, SourceLocation{"s.yaml", 3});
  });
  EXPECT_STREQ(e.what(),
               "s.yaml:3: fat-tree[noc.topology=mesh]: noc.distribution.fat: true with topology "
               "mesh (expected fat: true only with topology tree)");
}

TEST(HardwareOverride, UnknownFieldsListTheKnownOnes) {
  Hardware hw;
  for (const char* name : {"pe.cnt", "noc.multicast", "noc", "pe", "", "noc.distribution"}) {
    SCOPED_TRACE(name);
    const InputError e = expect_error([&] { set_hardware_field(hw, name, "1", SourceLocation{}); });
    EXPECT_EQ(e.problem(), std::string("unknown hardware field '") + name + "'");
    EXPECT_CONTAINS(e.expected(), "one of name, word_bytes, pe.count, pe.macs_per_cycle");
    EXPECT_CONTAINS(e.expected(),
                    "energy_pj.dram_word, noc.topology, noc.link_words_per_cycle, "
                    "noc.hop_latency, noc.fat");
  }
  const std::vector<std::string> names = overridable_hardware_fields();
  EXPECT_EQ(names.size(), hardware_fields().size() + 4);
  EXPECT_EQ(hardware_fields_named("noc.fat", SourceLocation{}).size(), 2u);
  EXPECT_EQ(hardware_fields_named("noc.reduction.fat", SourceLocation{}).size(), 1u);
}

TEST(HardwareOverride, VariantsAreRenamedWithCanonicalValues) {
  Hardware base;
  base.name = "edge-256";
  const Hardware v = override_hardware(base, {{"noc.distribution.link_words_per_cycle", "4.0"}},
                                       SourceLocation{"x", 0});
  EXPECT_EQ(v.name, "edge-256[noc.distribution.link_words_per_cycle=4]");
  EXPECT_EQ(v.where.file, "x");
  EXPECT_EQ(base.name, "edge-256");
  EXPECT_EQ(override_hardware(base, {}, SourceLocation{}).name, "edge-256");
  EXPECT_EQ(override_hardware(base,
                              {{"noc.topology", "systolic"},
                               {"noc.link_words_per_cycle", "unlimited"},
                               {"noc.distribution.multicast", "False"}},
                              SourceLocation{})
                .name,
            "edge-256[noc.topology=systolic,noc.link_words_per_cycle=unlimited,"
            "noc.distribution.multicast=false]");
  EXPECT_EQ(canonical_hardware_value("dram.words_per_cycle", "+08.50", SourceLocation{}), "8.5");
  EXPECT_EQ(canonical_hardware_value("pe.count", "+64", SourceLocation{}), "64");
  EXPECT_EQ(canonical_hardware_value("noc.fat", "TRUE", SourceLocation{}), "true");
}

TEST(HardwareYamlWriter, RoundTripsShippedConfigurations) {
  const fs::path dir = fs::path(METRONOME_SOURCE_DIR) / "configs" / "hardware";
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const Hardware hw = load_hardware(entry.path().string());
    const std::string text = write_hardware_yaml(hw, "a comment\nof two lines");
    EXPECT_EQ(text.rfind("# a comment\n# of two lines\nname: ", 0), 0u) << text;
    expect_same_fields(parse_hardware_yaml(text, "copy.yaml"), hw);
    ++files;
  }
  EXPECT_GE(files, 5u);
  // A MAESTRO file's huge buffers and unlimited bandwidths too.
  const Hardware maestro = parse_hardware_maestro("num_pes: 64\nl1_size_cstr: 100\n", "m.m");
  expect_same_fields(parse_hardware_yaml(write_hardware_yaml(maestro), "m.yaml"), maestro);
}

TEST(HardwareYamlWriter, RoundTripsEveryFieldAndAwkwardValues) {
  Hardware hw;
  for (const HardwareField& f : hardware_fields())
    if (f.name.find("fat") == std::string_view::npos)  // fat only with a tree: set below
      set_hardware_field(hw, f.name, other_value(f), SourceLocation{});
  set_hardware_field(hw, "noc.reduction.topology", "tree", SourceLocation{});
  set_hardware_field(hw, "noc.reduction.fat", "true", SourceLocation{});
  hw.name = "odd \"name\": [a,b] # not a comment \\ tab\there";
  hw.dram.words_per_cycle = 0.1;
  hw.l2.words_per_bank_per_cycle = 1.0 / 3;
  hw.energy_pj.mac = 1e-7;
  hw.energy_pj.dram_word = 123456.789;
  hw.noc.reduction.link_words_per_cycle = kUnlimited;
  hw.pe.count = kMaxPes;
  hw.dram.latency_cycles = kMaxLatencyCycles;
  const Hardware back = parse_hardware_yaml(write_hardware_yaml(hw), "rt.yaml");
  expect_same_fields(back, hw);
  EXPECT_EQ(back.name, hw.name);
  EXPECT_EQ(back.dram.words_per_cycle, 0.1);
  EXPECT_EQ(back.l2.words_per_bank_per_cycle, 1.0 / 3);
  EXPECT_EQ(back.energy_pj.mac, 1e-7);
  EXPECT_EQ(back.noc.reduction.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(back.noc.distribution.topology, Topology::Bus);
  EXPECT_TRUE(back.noc.reduction.fat);
  EXPECT_EQ(back.word_bytes, 2);
  EXPECT_EQ(back.pe.count, kMaxPes);
}

}  // namespace
}  // namespace metronome
