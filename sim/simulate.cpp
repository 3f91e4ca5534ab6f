#include "sim/simulate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "sim/tensors.hpp"
#include "spec/semantics.hpp"

namespace metronome::sim {
namespace {

constexpr std::size_t kBusiestLinks = 5;

double energy_of(const LevelTraffic& t, double read_pj, double write_pj) {
  return static_cast<double>(t.reads()) * read_pj + static_cast<double>(t.writes()) * write_pj;
}

LinkUtilization link_utilization(const NocStats& distribution, const NocStats& reduction) {
  LinkUtilization u;
  std::vector<std::pair<std::string, double>> all;
  double sum = 0;
  std::size_t finite = 0;
  for (const NocStats* net : {&distribution, &reduction})
    for (const LinkStats& l : net->links) {
      const double x = l.utilization(net->cycles);
      all.emplace_back(l.name, x);
      u.max = std::max(u.max, x);
      if (std::isfinite(l.words_per_cycle)) sum += x, ++finite;
    }
  u.mean = finite == 0 ? 0 : sum / static_cast<double>(finite);
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  all.resize(std::min(all.size(), kBusiestLinks));
  u.busiest = std::move(all);
  return u;
}

void fill_counts(Metrics& m, const EngineCounts& c, const Hardware& hw) {
  m.runtime_cycles = c.cycles;
  m.macs = c.macs;
  m.steps = c.controller.array_steps;
  m.empty_steps = c.controller.empty_steps;
  const double capacity =
      static_cast<double>(c.cycles) * static_cast<double>(hw.pe.count * hw.pe.macs_per_cycle);
  m.pe_utilization = capacity > 0 ? static_cast<double>(c.macs) / capacity : 0;
  m.traffic.l1 = c.l1;
  m.traffic.l2 = c.l2.traffic;
  m.traffic.dram = c.dram.traffic;
  m.noc.ingress_words = c.distribution.words_injected;
  m.noc.egress_words = c.reduction.words_delivered;
  m.noc.multicast_factor = c.distribution.words_injected > 0
                               ? static_cast<double>(c.distribution.words_delivered) /
                                     static_cast<double>(c.distribution.words_injected)
                               : 0;
  m.buffer_words_required.l1 = c.controller.max_l1_tile_words;
  m.buffer_words_required.l2 = c.l2.peak_words;

  const Hardware::Energy& e = hw.energy_pj;
  m.energy_pj.mac = static_cast<double>(c.macs) * e.mac;
  m.energy_pj.l1 = energy_of(m.traffic.l1, e.l1_read, e.l1_write);
  m.energy_pj.l2 = energy_of(m.traffic.l2, e.l2_read, e.l2_write);
  m.energy_pj.noc =
      static_cast<double>(c.distribution.link_words + c.reduction.link_words) * e.noc_hop_word;
  m.energy_pj.dram =
      static_cast<double>(m.traffic.dram.reads() + m.traffic.dram.writes()) * e.dram_word;
  m.energy_pj.total =
      m.energy_pj.mac + m.energy_pj.l1 + m.energy_pj.l2 + m.energy_pj.noc + m.energy_pj.dram;

  SimExtras& x = m.sim.emplace();
  x.stall_cycles.waiting_for_input = c.pe_totals.waiting_for_input_cycles;
  x.stall_cycles.output_backpressure = c.pe_totals.output_backpressure_cycles;
  x.stall_cycles.l2_bank_conflict = c.l2.conflict_cycles;
  x.stall_cycles.dram = c.controller.dram_wait_cycles;
  x.link_utilization = link_utilization(c.distribution, c.reduction);
  x.max_drift_steps = c.controller.max_drift_steps;
}

}  // namespace

void run_plain(Engine& engine) {
  while (!engine.done()) engine.cycle();
}

Metrics simulate_layer(const Layer& layer, const Mapping& mapping, const Hardware& hw,
                       const SimOptions& options, const CycleRunner& runner) {
  Metrics m;
  m.layer = layer.name;
  m.dataflow = mapping.name;
  m.hardware = hw.name;
  m.engine = metronome::Engine::Sim;
  m.semantics = SemanticsMode::Exact;
  if (!screen_record(layer, mapping, m)) return m;

  try {
    const ResolvedMapping resolved = resolve_mapping(mapping, layer, hw.pe.count);
    // The simulator refuses what the model refuses: the same exact validity analysis.
    const SemanticsReport semantics = analyze_mapping(layer, resolved, hw.pe.macs_per_cycle);
    if (!record_validity(semantics, m)) return m;

    const auto start = std::chrono::steady_clock::now();
    Engine engine(layer, resolved, hw, options);
    try {
      runner(engine);
    } catch (const SimulationStalled& e) {
      fill_counts(m, engine.counts(), hw);
      m.status = RecordStatus::Failed;
      m.note = e.what();
      m.sim->functional_check = "not run: the simulation did not finish";
      return m;
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fill_counts(m, engine.counts(), hw);

    std::vector<std::int64_t> expected;
    reference_output(layer, engine.tensors(), expected);
    const FunctionalCheck check = compare_outputs(layer, expected, engine.output());
    m.sim->functional_check = check.pass ? "pass" : "fail: " + check.message;
    m.sim->wall_seconds = wall;
    m.sim->sim_cycles_per_second = wall > 0 ? static_cast<double>(m.runtime_cycles) / wall : 0;
    m.status = RecordStatus::Ok;
    if (!check.pass) m.note = "functional check failed: " + check.message;
    return m;
  } catch (const InputError& e) {
    if (!e.where().file.empty() && e.where().file != hw.where.file) throw;
    throw InputError(e.where().file.empty() ? layer.where : e.where(),
                     fmt::format("layer {} with dataflow {} on {}: {}", quote(layer.name),
                                 quote(mapping.name), quote(hw.name), e.problem()),
                     e.expected());
  }
}

}  // namespace metronome::sim
