// Tests of the hardware parsers: YAML (every key, defaults, errors) and MAESTRO `.m` files.

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <string>

#include "spec/hardware.hpp"
#include "tests/unit/input_error_expectations.hpp"

namespace metronome {
namespace {

namespace fs = std::filesystem;

using testing_errors::expect_error;

constexpr const char* kEdge = R"(name: edge-256
word_bytes: 1
pe: { count: 256, macs_per_cycle: 1, l1_bytes: 512 }
l2: { bytes: 1048576, banks: 16, words_per_bank_per_cycle: 2 }
dram: { words_per_cycle: 16, latency_cycles: 100 }
noc:
  distribution: { topology: tree, link_words_per_cycle: 32, hop_latency: 1, multicast: true }
  reduction:    { topology: tree, link_words_per_cycle: 32, hop_latency: 1, in_network: true }
energy_pj: { mac: 0.2, l1_read: 0.1, l1_write: 0.1, l2_read: 6, l2_write: 6, noc_hop_word: 0.6, dram_word: 120 }
)";

TEST(HardwareYaml, DesignExample) {
  const Hardware hw = parse_hardware_yaml(kEdge, "edge.yaml");
  EXPECT_EQ(hw.name, "edge-256");
  EXPECT_EQ(hw.word_bytes, 1);
  EXPECT_EQ(hw.pe.count, 256);
  EXPECT_EQ(hw.pe.macs_per_cycle, 1);
  EXPECT_EQ(hw.pe.l1_bytes, 512);
  EXPECT_EQ(hw.l2.bytes, 1048576);
  EXPECT_EQ(hw.l2.banks, 16);
  EXPECT_DOUBLE_EQ(hw.l2.words_per_bank_per_cycle, 2);
  EXPECT_DOUBLE_EQ(hw.dram.words_per_cycle, 16);
  EXPECT_EQ(hw.dram.latency_cycles, 100);
  EXPECT_EQ(hw.noc.distribution.topology, Topology::Tree);
  EXPECT_DOUBLE_EQ(hw.noc.distribution.link_words_per_cycle, 32);
  EXPECT_EQ(hw.noc.distribution.hop_latency, 1);
  EXPECT_TRUE(hw.noc.distribution.multicast);
  EXPECT_TRUE(hw.noc.reduction.in_network);
  EXPECT_DOUBLE_EQ(hw.energy_pj.mac, 0.2);
  EXPECT_DOUBLE_EQ(hw.energy_pj.noc_hop_word, 0.6);
  EXPECT_DOUBLE_EQ(hw.energy_pj.dram_word, 120);
  EXPECT_EQ(hw.l1_words(), 512);
  EXPECT_EQ(hw.where.file, "edge.yaml");
}

TEST(HardwareYaml, EveryKeySet) {
  const Hardware hw = parse_hardware_yaml(R"(
name: big
word_bytes: 2
pe:
  count: 1024
  macs_per_cycle: 4
  l1_bytes: 1024
l2:
  bytes: 2097152
  banks: 32
  words_per_bank_per_cycle: unlimited
dram:
  words_per_cycle: 8.5
  latency_cycles: 0
noc:
  distribution:
    topology: mesh
    link_words_per_cycle: 4
    hop_latency: 2
    multicast: false
    fat: false
  reduction:
    topology: tree
    link_words_per_cycle: unlimited
    hop_latency: 3
    in_network: false
    fat: true
energy_pj:
  mac: 1
  l1_read: 2
  l1_write: 3
  l2_read: 4
  l2_write: 5
  noc_hop_word: 6
  dram_word: 7
)",
                                          "big.yaml");
  EXPECT_EQ(hw.name, "big");
  EXPECT_EQ(hw.word_bytes, 2);
  EXPECT_EQ(hw.pe.count, 1024);
  EXPECT_EQ(hw.pe.macs_per_cycle, 4);
  EXPECT_EQ(hw.pe.l1_bytes, 1024);
  EXPECT_EQ(hw.l1_words(), 512);
  EXPECT_EQ(hw.l2.bytes, 2097152);
  EXPECT_EQ(hw.l2.banks, 32);
  EXPECT_EQ(hw.l2.words_per_bank_per_cycle, kUnlimited);
  EXPECT_DOUBLE_EQ(hw.dram.words_per_cycle, 8.5);
  EXPECT_EQ(hw.dram.latency_cycles, 0);
  EXPECT_EQ(hw.noc.distribution.topology, Topology::Mesh);
  EXPECT_DOUBLE_EQ(hw.noc.distribution.link_words_per_cycle, 4);
  EXPECT_EQ(hw.noc.distribution.hop_latency, 2);
  EXPECT_FALSE(hw.noc.distribution.multicast);
  EXPECT_FALSE(hw.noc.distribution.fat);
  EXPECT_EQ(hw.noc.reduction.topology, Topology::Tree);
  EXPECT_EQ(hw.noc.reduction.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(hw.noc.reduction.hop_latency, 3);
  EXPECT_FALSE(hw.noc.reduction.in_network);
  EXPECT_TRUE(hw.noc.reduction.fat);
  EXPECT_DOUBLE_EQ(hw.energy_pj.mac, 1);
  EXPECT_DOUBLE_EQ(hw.energy_pj.l1_read, 2);
  EXPECT_DOUBLE_EQ(hw.energy_pj.l1_write, 3);
  EXPECT_DOUBLE_EQ(hw.energy_pj.l2_read, 4);
  EXPECT_DOUBLE_EQ(hw.energy_pj.l2_write, 5);
  EXPECT_DOUBLE_EQ(hw.energy_pj.noc_hop_word, 6);
  EXPECT_DOUBLE_EQ(hw.energy_pj.dram_word, 7);
}

TEST(HardwareYaml, DefaultsComeFromTheHeader) {
  const Hardware hw = parse_hardware_yaml("{}\n", "dir/plain.yaml");
  const Hardware def;
  EXPECT_EQ(hw.name, "plain");  // the file's stem when no name is given
  EXPECT_EQ(hw.word_bytes, def.word_bytes);
  EXPECT_EQ(hw.pe.count, def.pe.count);
  EXPECT_EQ(hw.pe.macs_per_cycle, def.pe.macs_per_cycle);
  EXPECT_EQ(hw.pe.l1_bytes, def.pe.l1_bytes);
  EXPECT_EQ(hw.l2.bytes, def.l2.bytes);
  EXPECT_EQ(hw.l2.banks, def.l2.banks);
  EXPECT_EQ(hw.l2.words_per_bank_per_cycle, def.l2.words_per_bank_per_cycle);
  EXPECT_EQ(hw.dram.words_per_cycle, def.dram.words_per_cycle);
  EXPECT_EQ(hw.dram.latency_cycles, def.dram.latency_cycles);
  EXPECT_EQ(hw.noc.distribution.topology, def.noc.distribution.topology);
  EXPECT_EQ(hw.noc.distribution.link_words_per_cycle, def.noc.distribution.link_words_per_cycle);
  EXPECT_EQ(hw.noc.reduction.hop_latency, def.noc.reduction.hop_latency);
  EXPECT_EQ(hw.noc.reduction.in_network, def.noc.reduction.in_network);
  EXPECT_EQ(hw.energy_pj.dram_word, def.energy_pj.dram_word);
  // Partial sections keep the other defaults.
  const Hardware partial = parse_hardware_yaml("pe: { count: 64 }\n", "p.yaml");
  EXPECT_EQ(partial.pe.count, 64);
  EXPECT_EQ(partial.pe.l1_bytes, def.pe.l1_bytes);
  EXPECT_EQ(parse_hardware_yaml("name: x\n", "").name, "x");
  EXPECT_EQ(parse_hardware_yaml("pe: {count: 2}\n", "").name, def.name);
}

TEST(HardwareYaml, WrongValues) {
  auto e = expect_error(
      [] { parse_hardware_yaml("name: edge\nword_bytes: 1\npe: { count: abc }\n", "edge.yaml"); });
  EXPECT_STREQ(
      e.what(),
      "edge.yaml:3: pe.count: 'abc' is not an integer (expected a positive integer up to 1048576)");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: 0\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:2: pe.count: 0 is out of range (expected a positive integer up to 1048576)");
  e = expect_error([] { parse_hardware_yaml("pe:\n  macs_per_cycle: -3\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: pe.macs_per_cycle: -3 is out of range");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: 2.5\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: pe.count: '2.5' is not an integer");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: 99999999999999999999\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "does not fit in a 64-bit integer");
  e = expect_error([] { parse_hardware_yaml("word_bytes: 2\npe:\n  l1_bytes: 513\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:3: pe.l1_bytes: 513 is not a multiple of word_bytes (2) (expected a whole "
               "number of words per L1)");
  e = expect_error([] { parse_hardware_yaml("word_bytes: 3\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:1: pe.l1_bytes: 512 is not a multiple of word_bytes (3)");
  e = expect_error([] { parse_hardware_yaml("word_bytes: 2\nl2: { bytes: 1001 }\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: l2.bytes: 1001 is not a multiple of word_bytes (2)");
  e = expect_error([] { parse_hardware_yaml("dram:\n  words_per_cycle: fast\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:2: dram.words_per_cycle: 'fast' is not a number (expected a positive "
               "number of words per cycle, or unlimited)");
  e = expect_error([] { parse_hardware_yaml("dram:\n  words_per_cycle: 0\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: dram.words_per_cycle: 0 is out of range");
  e = expect_error([] { parse_hardware_yaml("dram:\n  words_per_cycle: inf\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "'inf' is not a number");
  e = expect_error([] { parse_hardware_yaml("energy_pj:\n  mac: -1\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(),
                  "h.yaml:2: energy_pj.mac: -1 is out of range (expected a number of picojoules "
                  "from 0 to 1e+09)");
  e = expect_error(
      [] { parse_hardware_yaml("noc:\n  distribution:\n    multicast: maybe\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:3: noc.distribution.multicast: 'maybe' is not a boolean (expected true or "
               "false)");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: [1, 2]\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(),
                  "h.yaml:2: pe.count: a list given (expected a positive integer up to 1048576)");
  e = expect_error([] { parse_hardware_yaml("pe: 5\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(),
                  "h.yaml:1: pe: a scalar given (expected a mapping with keys count, "
                  "macs_per_cycle, l1_bytes)");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count:\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: pe.count: no value");
  e = expect_error(
      [] { parse_hardware_yaml("noc:\n  reduction:\n    hop_latency: -1\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:3: noc.reduction.hop_latency: -1 is out of range");
}

TEST(HardwareYaml, UnknownKeysAndTopologies) {
  auto e = expect_error([] { parse_hardware_yaml("name: a\npes: 4\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:2: unknown key 'pes' (expected one of name, word_bytes, pe, l2, dram, noc, "
               "energy_pj)");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: 4\n  cout: 5\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:3: unknown key 'pe.cout' (expected one of count, macs_per_cycle, l1_bytes "
               "under pe)");
  e = expect_error(
      [] { parse_hardware_yaml("noc:\n  distribution:\n    in_network: true\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:3: unknown key 'noc.distribution.in_network'");
  e = expect_error(
      [] { parse_hardware_yaml("noc:\n  reduction:\n    topology: ring\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:3: noc.reduction.topology: unknown topology 'ring' (expected one of bus, "
               "crossbar, tree, mesh, systolic)");
  e = expect_error([] {
    parse_hardware_yaml("noc:\n  distribution:\n    topology: mesh\n    fat: true\n", "h.yaml");
  });
  EXPECT_CONTAINS(e.what(), "h.yaml:4: noc.distribution.fat: true with topology mesh");
  e = expect_error([] { parse_hardware_yaml("pe:\n  count: 4\n  count: 5\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:3: pe.count given twice (first at line 2)");
}

TEST(HardwareYaml, SyntaxErrorsAndEmptyFiles) {
  auto e = expect_error([] { parse_hardware_yaml("name: a\npe: { count: 4\nl2: {}\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:");
  EXPECT_CONTAINS(e.what(), "YAML syntax error");
  EXPECT_GE(e.where().line, 2);
  e = expect_error([] { parse_hardware_yaml("name: a\n  bad: indentation: here\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:2: YAML syntax error");
  e = expect_error([] { parse_hardware_yaml("", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "empty hardware description");
  e = expect_error([] { parse_hardware_yaml("- 1\n- 2\n", "h.yaml"); });
  EXPECT_STREQ(e.what(),
               "h.yaml:1: the top level is a list (expected a mapping with keys name, word_bytes, "
               "pe, l2, dram, noc, energy_pj)");
  e = expect_error([] { parse_hardware_yaml("just words\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:1: the top level is a scalar (expected a mapping with keys");
  e = expect_error([] { parse_hardware_yaml("? [a, b]\n: 1\n", "h.yaml"); });
  EXPECT_CONTAINS(e.what(), "h.yaml:1: a top-level key that is not a name (expected one of name,");
}

TEST(HardwareYaml, LongKeysAndValuesAreShortenedInMessages) {
  const std::string big(100000, 'v');
  const std::string quoted = "'" + std::string(40, 'v') + "...' (100000 characters)";
  const auto check = [&](const std::string& text, const std::string& fragment) {
    SCOPED_TRACE(fragment);
    const auto e = expect_error([&] { parse_hardware_yaml(text, "h.yaml"); });
    EXPECT_LT(std::string(e.what()).size(), 400u) << std::string(e.what()).substr(0, 400);
    EXPECT_CONTAINS(e.what(), fragment);
  };
  check("pe:\n  count: " + big + "\n", "h.yaml:2: pe.count: " + quoted + " is not an integer");
  check("pe:\n  count: 1" + std::string(100000, '0') + "\n", "does not fit in a 64-bit integer");
  check("dram:\n  words_per_cycle: " + big + "\n", "dram.words_per_cycle: " + quoted);
  check("noc:\n  reduction:\n    topology: " + big + "\n", "unknown topology " + quoted);
  check("noc:\n  distribution:\n    multicast: " + big + "\n", quoted + " is not a boolean");
  // (YAML allows implicit keys of up to 1024 characters.)
  check("pe:\n  " + std::string(1000, 'v') + ": 1\n",
        "h.yaml:2: unknown key 'pe." + std::string(37, 'v') + "...' (1003 characters)");
  // Numbers that parse but are out of range are shortened too.
  const std::string minus_one = "-1." + std::string(100000, '0');
  check("dram:\n  words_per_cycle: " + minus_one + "\n",
        "dram.words_per_cycle: -1.0000000000000000000000000000000000000... (100003 characters) "
        "is out of range");
  check("energy_pj:\n  mac: " + minus_one + "\n",
        "energy_pj.mac: -1.0000000000000000000000000000000000000... (100003 characters) is out of "
        "range");
}

TEST(Topologies, Names) {
  const auto names = topology_names();
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names[0], "bus");
  EXPECT_EQ(names[4], "systolic");
  for (auto n : names) {
    const auto t = parse_topology(n);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(topology_name(*t), n);
  }
  EXPECT_EQ(parse_topology("crossbar"), Topology::Crossbar);
  EXPECT_FALSE(parse_topology("Tree").has_value());
  EXPECT_FALSE(parse_topology("").has_value());
}

TEST(HardwareMaestro, AllKeys) {
  const Hardware hw = parse_hardware_maestro(
      "num_pes: 256\nl1_size_cstr: 100\nl2_size_cstr: 3000\nnoc_bw_cstr: 1000\n"
      "offchip_bw_cstr: 50\nNoC_NumHops: 3   // comment\n",
      "hw/accelerator_1.m");
  EXPECT_EQ(hw.name, "accelerator_1");
  EXPECT_EQ(hw.word_bytes, 1);
  EXPECT_EQ(hw.pe.count, 256);
  EXPECT_EQ(hw.pe.l1_bytes, 100);
  EXPECT_EQ(hw.l1_words(), 100);
  EXPECT_EQ(hw.l2.bytes, 3000);
  EXPECT_DOUBLE_EQ(hw.dram.words_per_cycle, 50);
  for (const NetworkSpec* n : {&hw.noc.distribution, &hw.noc.reduction}) {
    EXPECT_EQ(n->topology, Topology::Bus);
    EXPECT_DOUBLE_EQ(n->link_words_per_cycle, 1000);
    EXPECT_EQ(n->hop_latency, 3);
    EXPECT_TRUE(n->multicast);
    EXPECT_TRUE(n->in_network);
    EXPECT_FALSE(n->fat);
  }
  // MAESTRO has no L2 bandwidth key and does not limit L2 bandwidth.
  EXPECT_EQ(hw.l2.words_per_bank_per_cycle, kUnlimited);
  EXPECT_EQ(hw.dram.latency_cycles, 0);  // nor DRAM latency
}

TEST(HardwareMaestro, MaestroDefaults) {
  // MAESTRO's HWConfig defaults: num_pes 1, sizes and bandwidths INT_MAX, NoC_NumHops 1 (a file
  // with no key at all is refused: MAESTRO would take it, but it is more likely a mistake).
  const Hardware hw = parse_hardware_maestro("// one key, at its default\nNoC_NumHops: 1\n", "d.m");
  EXPECT_EQ(hw.pe.count, 1);
  EXPECT_EQ(hw.pe.l1_bytes, INT_MAX);
  EXPECT_EQ(hw.l2.bytes, INT_MAX);
  EXPECT_EQ(hw.noc.distribution.link_words_per_cycle, kUnlimited);
  EXPECT_EQ(hw.dram.words_per_cycle, kUnlimited);
  EXPECT_EQ(hw.noc.reduction.hop_latency, 1);
  // MAESTRO has no L2 bandwidth limit.
  EXPECT_EQ(hw.l2.words_per_bank_per_cycle, kUnlimited);
  // Other fields keep the header's defaults.
  const Hardware def;
  EXPECT_EQ(hw.l2.banks, def.l2.banks);
  EXPECT_EQ(hw.dram.latency_cycles, 0);  // MAESTRO models no DRAM latency
  EXPECT_EQ(hw.energy_pj.mac, def.energy_pj.mac);
  // Separators as MAESTRO's tokenizer accepts them.
  const Hardware alt = parse_hardware_maestro("num_pes 64;\r\nnoc_bw_cstr:32\n", "alt.m");
  EXPECT_EQ(alt.pe.count, 64);
  EXPECT_DOUBLE_EQ(alt.noc.reduction.link_words_per_cycle, 32);
}

TEST(HardwareMaestro, AFileWithoutKeysIsAnError) {
  const auto e =
      expect_error([] { parse_hardware_maestro("// nothing but a comment\n\n", "empty.m"); });
  EXPECT_EQ(e.where().line, 2);
  EXPECT_CONTAINS(e.what(), "empty hardware description (no key)");
}

TEST(HardwareMaestro, Errors) {
  auto e = expect_error([] { parse_hardware_maestro("num_pes: 4\nnum_pe: 5\n", "a.m"); });
  EXPECT_STREQ(e.what(),
               "a.m:2: unknown key 'num_pe' (expected one of num_pes, l1_size_cstr, l2_size_cstr, "
               "noc_bw_cstr, offchip_bw_cstr, NoC_NumHops)");
  e = expect_error([] { parse_hardware_maestro("num_pes: many\n", "a.m"); });
  EXPECT_STREQ(e.what(), "a.m:1: num_pes: 'many' is not an integer (expected an integer >= 1)");
  e = expect_error([] { parse_hardware_maestro("\nnum_pes: 0\n", "a.m"); });
  EXPECT_CONTAINS(e.what(), "a.m:2: num_pes: 0 is out of range");
  e = expect_error([] { parse_hardware_maestro("num_pes:\n", "a.m"); });
  EXPECT_CONTAINS(e.what(), "a.m:1: num_pes: 0 values");
  e = expect_error([] { parse_hardware_maestro("num_pes: 4\nnum_pes: 8\n", "a.m"); });
  EXPECT_CONTAINS(e.what(), "a.m:2: num_pes given twice (first at line 1)");
  e = expect_error([] { parse_hardware_maestro("l1_size_cstr: 99999999999999999999\n", "a.m"); });
  EXPECT_CONTAINS(e.what(), "does not fit in a 64-bit integer");
  // Long words are shortened.
  const std::string big(100000, 'k');
  e = expect_error([&] { parse_hardware_maestro(big + ": 1\n", "a.m"); });
  EXPECT_LT(std::string(e.what()).size(), 400u);
  EXPECT_CONTAINS(e.what(),
                  "a.m:1: unknown key '" + std::string(40, 'k') + "...' (100000 characters)");
  e = expect_error([&] { parse_hardware_maestro("num_pes: " + big + "\n", "a.m"); });
  EXPECT_LT(std::string(e.what()).size(), 400u);
  EXPECT_CONTAINS(e.what(),
                  "a.m:1: num_pes: '" + std::string(40, 'k') + "...' (100000 characters)");
}

TEST(LoadHardware, ByExtension) {
  const fs::path dir = fs::temp_directory_path() / ("metronome_hw_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  EXPECT_EQ(load_hardware(write("edge.yaml", kEdge)).pe.count, 256);
  EXPECT_EQ(load_hardware(write("small.YML", "pe: { count: 8 }\n")).pe.count, 8);
  EXPECT_EQ(load_hardware(write("small.YML", "pe: { count: 8 }\n")).name, "small");
  EXPECT_EQ(load_hardware(write("acc.m", "num_pes: 16\n")).pe.count, 16);
  EXPECT_EQ(load_hardware(write("acc.m", "num_pes: 16\n")).l2.words_per_bank_per_cycle, kUnlimited);
  EXPECT_EQ(load_hardware(write("edge.yaml", kEdge)).l2.words_per_bank_per_cycle, 2);
  auto e = expect_error([&] { load_hardware(write("hw.json", "{}")); });
  EXPECT_CONTAINS(e.what(), "unknown hardware file type '.json' (expected .yaml or .yml");
  e = expect_error([&] { load_hardware(write("hw", "{}")); });
  EXPECT_CONTAINS(e.what(), "hardware file without an extension");
  e = expect_error([&] { load_hardware((dir / "missing.yaml").string()); });
  EXPECT_CONTAINS(e.what(), "missing.yaml: no such file");
  e = expect_error([&] { load_hardware(write("bad.yaml", "pe:\n  count: x\n")); });
  EXPECT_CONTAINS(e.what(), "bad.yaml:2: pe.count");
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace metronome

namespace metronome {
namespace {

// Limits that keep every derived count within 64 bits are checked where the value is read, so
// the message names the line.
TEST(HardwareYaml, SanityLimitsNameTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"pe:\n  count: 2000000\n", "h.yaml:2: pe.count: 2000000 is out of range"},
      {"pe:\n  macs_per_cycle: 9223372036854775807\n", "h.yaml:2: pe.macs_per_cycle:"},
      {"dram:\n  latency_cycles: 9223372036854775807\n", "h.yaml:2: dram.latency_cycles:"},
      {"dram:\n  words_per_cycle: 1e-300\n",
       "h.yaml:2: dram.words_per_cycle: 1e-300 is out of range"},
      {"noc:\n  distribution:\n    hop_latency: 4611686018427387904\n",
       "h.yaml:3: noc.distribution.hop_latency:"},
      {"energy_pj:\n  l1_read: 1e300\n", "h.yaml:2: energy_pj.l1_read: 1e300 is out of range"},
  };
  for (const auto& [text, fragment] : cases) {
    try {
      parse_hardware_yaml(text, "h.yaml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
}

TEST(HardwareMaestro, SanityLimitsApply) {
  EXPECT_THROW(parse_hardware_maestro("num_pes: 2000000\n", "hw.m"), InputError);
}

}  // namespace
}  // namespace metronome
