#include "sim/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace metronome::sim {
namespace {

std::vector<Pe> make_pes(const Hardware& hw, BufferCapacity capacity) {
  std::vector<Pe> pes;
  pes.reserve(static_cast<std::size_t>(hw.pe.count));
  for (std::int64_t p = 0; p < hw.pe.count; ++p) pes.emplace_back(hw, p, capacity);
  return pes;
}

// The most words L2 can read in one cycle (its banks' bandwidth, each rounded up), hence the
// most the controller injects into the distribution network per cycle: it injects the words L2
// read, and the network empties its injection queue every cycle when express is on.
std::int64_t l2_reads_per_cycle(const Hardware& hw) {
  const double per_bank = hw.l2.words_per_bank_per_cycle;
  if (!std::isfinite(per_bank) || per_bank * static_cast<double>(hw.l2.banks) >= 1e15)
    return kUnbounded;
  return hw.l2.banks * static_cast<std::int64_t>(std::ceil(per_bank));
}

void add(LevelTraffic& into, const LevelTraffic& from) {
  for (Tensor t : kAllTensors) {
    into.tensor[t].reads += from.tensor[t].reads;
    into.tensor[t].writes += from.tensor[t].writes;
  }
}

}  // namespace

Engine::Engine(const Layer& layer, const ResolvedMapping& mapping, const Hardware& hw,
               const SimOptions& options)
    : hw_(hw),
      options_(options),
      tensors_(make_tensors(layer, options.seed)),
      dram_(hw),
      l2_(hw, options.capacity),
      distribution_(
          NocTopology::build(hw.noc.distribution.topology, hw.pe.count, hw.noc.distribution.fat),
          hw.noc.distribution, Direction::Distribution),
      reduction_(NocTopology::build(hw.noc.reduction.topology, hw.pe.count, hw.noc.reduction.fat),
                 hw.noc.reduction, Direction::Reduction),
      pes_(make_pes(hw, options.capacity)) {
  if (options_.watchdog_cycles == 0) {
    // No route is longer than its network's node count.
    const auto crossing = [](const Network& net, const NetworkSpec& spec) {
      return spec.hop_latency * static_cast<std::int64_t>(net.topology().node_count());
    };
    options_.watchdog_cycles = SimOptions::kDefaultWatchdogCycles + hw.dram.latency_cycles +
                               crossing(distribution_, hw.noc.distribution) +
                               crossing(reduction_, hw.noc.reduction);
  }
  ControllerOptions copts;
  copts.capacity = options.capacity;
  copts.lookahead_steps = options.lookahead_steps;
  copts.repeat_steps = !options.cycle_exact;
  copts.end_runs_at_step = options.end_runs_at_step;
  controller_ = std::make_unique<Controller>(
      layer, mapping, hw, tensors_, Controller::Cores{dram_, l2_, distribution_, reduction_, pes_},
      copts);
  set_observer(options.observer);
}

Engine::~Engine() = default;

void Engine::set_observer(CycleObserver* observer) {
  observer_ = observer;
  set_skip_quiet_cycles();
  const bool express =
      !options_.cycle_exact && (observer_ == nullptr || !observer_->samples_network());
  if (express != distribution_.express() && distribution_.idle()) {
    if (express)
      distribution_.enable_express(l2_reads_per_cycle(hw_));
    else
      distribution_.enable_express(0);  // off
  }
  // Runs need every PE's state to be its own only for an observer that reads it cycle by cycle
  // (the progress line reads MAC counts: a follower has none, as it would on its own).
  const bool runs = options_.pe_runs && !options_.cycle_exact && distribution_.express() &&
                    (observer_ == nullptr || !observer_->samples_pe_cycles());
  controller_->enable_pe_runs(runs);
  if (observer_) observer_->start(*this);
}

// Observers that sample the PEs' cycle counters every cycle see every PE evaluated.
void Engine::set_skip_quiet_cycles() {
  const bool skip =
      !options_.cycle_exact && (observer_ == nullptr || !observer_->samples_pe_cycles());
  for (Pe& pe : pes_) {
    pe.settle(cycle_);
    pe.set_skip_quiet_cycles(skip);
  }
}

void Engine::finish_observer(bool completed) {
  CycleObserver* observer = observer_;
  observer_ = nullptr;  // finish() once
  observer->finish(*this, completed);
}

void Engine::cycle() {
  controller_->before_cycle(cycle_);
  if (controller_->done()) {
    if (observer_) finish_observer(true);
    return;
  }
  dram_.evaluate(cycle_);
  l2_.evaluate(cycle_);
  distribution_.evaluate(cycle_);
  reduction_.evaluate(cycle_);
  // A follower (a PE whose state is its run's first PE's) is not evaluated.
  const std::span<const std::uint32_t> own = controller_->own_pes();
  const auto evaluate = [&](Pe& pe) {
    if (pe.asleep_at(cycle_)) return;  // its MACs, if busy, are done when it is next evaluated
    const std::int64_t before = pe.stats().macs;
    pe.evaluate(cycle_);
    macs_ += pe.stats().macs - before;
    if (pe.computed()) last_mac_cycle_ = cycle_;
  };
  // Every PE holding its own state (no run of identical PEs left): a plain walk, no index list.
  const bool all_own = own.size() == pes_.size();
  const auto for_own_pes = [&](const auto& f) {
    if (all_own) {
      for (Pe& pe : pes_) f(pe);
    } else {
      for (const std::uint32_t p : own) f(pes_[p]);
    }
  };
  for_own_pes(evaluate);
  dram_.commit();
  l2_.commit();
  distribution_.commit();
  reduction_.commit();
  for_own_pes([&](Pe& pe) {
    if (pe.asleep()) return;
    pe.commit();
    if (pe.asleep() && pe.due_at() != Pe::kNever) busy_until_ = std::max(busy_until_, pe.due_at());
  });
  if (observer_) observer_->on_cycle(*this, cycle_);

  // The watchdog: a cycle makes progress when the controller moved something (a delivery, an
  // L2 or DRAM completion, a request, an injection, a step) or when, the controller still, a PE
  // did a MAC since the last cycle the controller was still. A busy PE asleep does a MAC in
  // every cycle before it is due, so the rule does not depend on which PEs were evaluated.
  if (cycle_ < busy_until_) last_mac_cycle_ = cycle_;
  bool moved = controller_->progress() > 0;
  if (!moved) {
    moved = last_mac_cycle_ > last_still_cycle_;
    last_still_cycle_ = cycle_;
  }
  if (moved) {
    last_progress_cycle_ = cycle_;
  } else if (cycle_ - last_progress_cycle_ >= options_.watchdog_cycles) {
    for (Pe& pe : pes_) pe.settle(cycle_ + 1);  // this cycle was evaluated
    if (observer_) finish_observer(false);
    throw SimulationStalled(fmt::format("watchdog: no progress for {} cycles (cycle {}): {}",
                                        cycle_ - last_progress_cycle_, cycle_,
                                        controller_->describe_waits()));
  }
  ++cycle_;
}

EngineCounts Engine::counts() const {
  EngineCounts c;
  c.cycles = cycle_;
  const std::span<const std::uint32_t> leader = controller_->pe_leaders();
  for (std::size_t p = 0; p < pes_.size(); ++p) {
    // A follower's counts are its run's first PE's, as its own would have been.
    const PeStats s = pes_[leader[p]].stats_through(cycle_);  // with the cycles it slept
    c.macs += s.macs;
    add(c.l1, s.l1);
    c.pe_totals.macs += s.macs;
    c.pe_totals.busy_cycles += s.busy_cycles;
    c.pe_totals.waiting_for_input_cycles += s.waiting_for_input_cycles;
    c.pe_totals.output_backpressure_cycles += s.output_backpressure_cycles;
    c.pe_totals.idle_cycles += s.idle_cycles;
    for (Tensor t : kAllTensors) c.pe_totals.requested_words[t] += s.requested_words[t];
    c.pe_totals.drained_words += s.drained_words;
    c.pe_totals.steps += s.steps;
    c.pe_totals.peak_words = std::max(c.pe_totals.peak_words, s.peak_words);
  }
  c.l2 = l2_.stats();
  c.dram = dram_.stats();
  c.distribution = distribution_.stats();
  c.reduction = reduction_.stats();
  c.controller = controller_->stats();
  return c;
}

}  // namespace metronome::sim
