#pragma once
// Hardware description shared by model and simulator. Every field's unit and default lives
// here and nowhere else; docs/input-formats.md documents the YAML keys that set them.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/error.hpp"

namespace metronome {

inline constexpr double kUnlimited = std::numeric_limits<double>::infinity();

// Sanity limits, so that every count the engines derive fits in 64 bits and every run ends.
inline constexpr std::int64_t kMaxPes = std::int64_t{1} << 20;            // PEs
inline constexpr std::int64_t kMaxMacsPerCycle = std::int64_t{1} << 20;   // per PE
inline constexpr std::int64_t kMaxL2Banks = std::int64_t{1} << 16;        // state per bank
inline constexpr double kMinWordsPerCycle = 1.0 / 1024;                   // any bandwidth
inline constexpr std::int64_t kMaxLatencyCycles = std::int64_t{1} << 32;  // any latency
inline constexpr double kMaxEnergyPj = 1e9;                               // per event

enum class Topology : std::uint8_t { Bus, Crossbar, Tree, Mesh, Systolic };

std::string_view topology_name(Topology t);
std::optional<Topology> parse_topology(std::string_view name);
std::vector<std::string_view> topology_names();

struct NetworkSpec {
  Topology topology = Topology::Tree;
  double link_words_per_cycle = 32;  // words per cycle per link; kUnlimited allowed
  std::int64_t hop_latency = 1;      // cycles per hop
  bool fat = false;                  // tree only: links double in width towards the root
  bool multicast = true;             // distribution: one copy per tree edge
  bool in_network = true;            // reduction: partial sums added in the network
};

struct Hardware {
  std::string name = "unnamed";
  std::int64_t word_bytes = 1;  // bytes per data word

  struct Pe {
    std::int64_t count = 256;         // processing elements
    std::int64_t macs_per_cycle = 1;  // per PE
    std::int64_t l1_bytes = 512;      // scratchpad per PE
  } pe;

  struct L2 {
    std::int64_t bytes = 1048576;  // global buffer
    std::int64_t banks = 16;
    double words_per_bank_per_cycle = 2;  // kUnlimited allowed
  } l2;

  struct Dram {
    double words_per_cycle = 16;  // off-chip bandwidth; kUnlimited allowed
    std::int64_t latency_cycles = 100;
  } dram;

  struct Noc {
    NetworkSpec distribution;
    NetworkSpec reduction;
  } noc;

  // Energy per event in picojoules.
  struct Energy {
    double mac = 0.2;
    double l1_read = 0.1;
    double l1_write = 0.1;
    double l2_read = 6;
    double l2_write = 6;
    double noc_hop_word = 0.6;
    double dram_word = 120;
  } energy_pj;

  SourceLocation where;

  // Checks the sanity limits above; throws InputError naming the field.
  void check_limits() const;

  std::int64_t l1_words() const { return pe.l1_bytes / word_bytes; }
  std::int64_t l2_words() const { return l2.bytes / word_bytes; }
};

// Loads YAML (.yaml/.yml) or a MAESTRO hardware file (.m). Throws InputError.
Hardware load_hardware(const std::string& path);
Hardware parse_hardware_yaml(const std::string& text, const std::string& file_name);
Hardware parse_hardware_maestro(const std::string& text, const std::string& file_name);

}  // namespace metronome
