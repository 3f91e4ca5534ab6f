// The contention-aware runtime estimate: equations in model/README.md, section 5b.

#include "model/contention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "model/array_state.hpp"
#include "model/fluid_network.hpp"
#include "model/pipeline.hpp"
#include "model/transition_analysis.hpp"
#include "spec/l2_banks.hpp"

namespace metronome {

namespace {

using contention::limited;

PerTensor<double> tensor_values(double input, double weight, double output) {
  PerTensor<double> v;
  v[Tensor::Input] = input;
  v[Tensor::Weight] = weight;
  v[Tensor::Output] = output;
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Per-link loads on the topology graph

std::vector<double> distribution_link_loads(const NocTopology& topology,
                                            std::span<const TrafficGroup> groups, bool multicast) {
  std::vector<double> load(topology.edge_count(), 0.0);
  for (const TrafficGroup& g : groups) {
    if (g.words <= 0 || g.pes.empty()) continue;
    if (multicast) {
      for (const std::size_t e : topology.multicast_tree(g.pes)) load[e] += g.words;
    } else {
      for (const std::int64_t p : g.pes)
        for (const std::size_t e : topology.route_from_l2(p)) load[e] += g.words;
    }
  }
  return load;
}

std::vector<double> reduction_link_loads(const NocTopology& topology,
                                         std::span<const TrafficGroup> groups, bool in_network) {
  std::vector<double> load(topology.edge_count(), 0.0);
  for (const TrafficGroup& g : groups) {
    if (g.words <= 0 || g.pes.empty()) continue;
    if (in_network) {
      for (const std::size_t e : topology.reduction_tree(g.pes)) load[e] += g.words;
    } else {
      for (const std::int64_t p : g.pes)
        for (const std::size_t e : topology.route_to_l2(p)) load[e] += g.words;
    }
  }
  return load;
}

double busiest_link_cycles(const NocTopology& topology, const NetworkSpec& spec,
                           std::span<const double> loads) {
  if (!limited(spec.link_words_per_cycle)) return 0;
  double worst = 0;
  for (std::size_t e = 0; e < loads.size() && e < topology.edge_count(); ++e) {
    const EdgeProps& p = topology.edge(e);
    if (p.kind == EdgeKind::Tap || !limited(p.width) || loads[e] <= 0) continue;
    worst = std::max(worst, loads[e] / (p.width * spec.link_words_per_cycle));
  }
  return worst;
}

double route_latency(const NocTopology& topology, const NetworkSpec& spec,
                     std::span<const std::size_t> route) {
  double cycles = 0;
  for (const std::size_t e : route) {
    const EdgeProps& p = topology.edge(e);
    cycles += static_cast<double>(p.hops * spec.hop_latency);
    if (p.kind == EdgeKind::Link && limited(spec.link_words_per_cycle) && limited(p.width)) {
      const double rate = p.width * spec.link_words_per_cycle;
      if (rate < 1) cycles += std::ceil(1 / rate - 1e-9) - 1;
    }
  }
  return cycles;
}

namespace {

using contention::ArrayState;
using contention::coordinate_sizes;
using contention::FluidNetwork;
using contention::for_each_word;
using contention::LoopRef;
using contention::odometer_loops;
using contention::plan_tree;
using contention::TensorTraffic;
using contention::TransitionAnalysis;
using contention::TreePlan;

// ---------------------------------------------------------------------------------------------
// Per transition class: the cycles of its transfers

struct ClassCost {
  double bank = 0;     // cycles per transition the L2 banks hold the walk up (reads, accumulates)
  double network = 0;  // cycles per transition: busiest distribution link or FIFO
  double egress = 0;   // cycles per transition: busiest reduction link
  double ingress_latency = 0;  // cycles from L2 to the farthest receiving PE
  double egress_latency = 0;   // cycles from the farthest draining PE to L2
  double link_words = 0;       // words per transition over all links (taps not counted)
  // Per tensor: the busiest bank's share of the words the class reads, times the banks (1 when
  // even). The words DRAM brings are written to the banks their reads then come from, so the
  // same hotspot (model/README.md 5b).
  PerTensor<double> fill_skew{{1.0, 1.0, 1.0}};
  double bank_slack = 0;  // cycles per transition the average bank idles while the busiest works
  // The costs of the transitions whose new tiles are edge chunks (a loop at a last index whose
  // chunk is smaller, e.g. a clipped channel fold) and of the others: the class average would
  // hide the full chunks' transfers under the compute (model/README.md 5b, "Edge chunks").
  struct StepCost {
    double bank = 0, network = 0, egress = 0, ingress_latency = 0, egress_latency = 0;
  };
  StepCost at_edge, inside;
};

// Pipeline cycles (model/pipeline.hpp), as doubles for the queueing arithmetic.
constexpr double kRequestCycles = pipeline::kRequestCycles;
constexpr double kDeliveryCycles = pipeline::kDeliveryCycles;
constexpr double kRetireCycles = pipeline::kRetireCycles;
constexpr double kDrainCycles = pipeline::kDrainCycles;
constexpr double kWritebackCycles = pipeline::kWritebackCycles;

// Enumerating words costs memory and time; transitions that move more (PE-summed) words than
// this are analysed with identical tiles only (the simple model's multicast rule).
constexpr double kWordBudget = double{1 << 22};
// Transitions sampled per class.
constexpr int kSamples = 8;
// Steps whose bank loads a sample walks, in lookaheads: every bank serves its own FIFO and may
// run up to a lookahead (less the round trip) ahead of the slowest, so a hotspot that moves from
// bank to bank within a few lookaheads costs what the busiest bank serves over many
// (model/README.md 5b gives the error with walks of 2, 4, 8, 16 and 32 lookaheads).
constexpr double kBankWindows = 16;
// Largest tile (words of inputs and weights of one PE) whose stops are looked for along a window.
constexpr std::int64_t kReachWords = 128;
// First-touch tables (DRAM) are built when a group's loops have at most this many index tuples
// times PEs, and its coordinates at most this many points.
constexpr double kFirstTouchBudget = double{1 << 24};
constexpr std::int64_t kFirstTouchPoints = std::int64_t{1} << 26;

class Estimator {
 public:
  Estimator(const ContentionInputs& in, const Hardware& hw, const ContentionOptions& options)
      : in_(in),
        hw_(hw),
        options_(options),
        state_(in.geometry, in.plans),
        loops_(odometer_loops(in.plans)),
        analysis_(in.geometry, hw),
        dist_(
            NocTopology::build(hw.noc.distribution.topology, hw.pe.count, hw.noc.distribution.fat)),
        red_(NocTopology::build(hw.noc.reduction.topology, hw.pe.count, hw.noc.reduction.fat)) {
    for (std::int64_t p = 0; p < hw.pe.count; ++p) {
      dist_latency_.push_back(route_latency(dist_, hw.noc.distribution, dist_.route_from_l2(p)));
      red_latency_.push_back(route_latency(red_, hw.noc.reduction, red_.route_to_l2(p)));
    }
    derive_trips();
    group_loops();
    find_edge_loops();
    bound_uneven_trips();
  }

  ContentionEstimate run() {
    ContentionEstimate out;
    const std::size_t classes = in_.fills.classes.size();
    costs_.assign(classes, ClassCost{});
    loop_shifts_ = loop_shifts();
    double steps = 1;
    for (const std::int64_t t : trips_) steps *= static_cast<double>(t);
    // With uneven loops trips_ holds their largest trip counts: the steps are the semantics'.
    if (any_uneven()) steps = static_cast<double>(std::max<std::int64_t>(1, in_.semantics.steps));
    const double compute = static_cast<double>(in_.semantics.compute_cycles);
    compute_per_step_ = compute / steps;
    for (std::size_t c = 0; c < classes; ++c) costs_[c] = class_cost(c);
    flush_ = flush_cost();
    fill_slack_ = average_bank_slack();
    for (std::size_t c = 0; c < classes; ++c) {
      out.ingress_cycles.push_back(std::max(costs_[c].bank, costs_[c].network));
      out.egress_cycles.push_back(costs_[c].egress);
      const TransitionClass& cls = in_.fills.classes[c];
      const double n = cls.loop < 0 ? 1.0 : static_cast<double>(cls.per_pe_count);
      out.link_words += n * costs_[c].link_words;
    }
    double done = 0;
    if (steps <= static_cast<double>(options_.max_walked_steps)) {
      build_first_touch();
      done = walk(static_cast<std::int64_t>(steps), compute / steps);
      out.walked_steps = static_cast<std::int64_t>(steps);
    } else {
      done = steady_state(compute);
    }
    const double runtime = done + tail();
    constexpr double kMaxCycles = 4.6e18;  // counts beyond 2^62 are refused, not wrapped
    if (!(runtime <= kMaxCycles))
      throw InputError(SourceLocation{},
                       fmt::format("the runtime ({:.3g} cycles) overflows", runtime),
                       "a layer and hardware whose runtime fits in 64 bits");
    out.runtime_cycles = static_cast<std::int64_t>(std::ceil(runtime - 1e-9));
    return out;
  }

 private:
  // --- representative transitions ----------------------------------------------------------

  // Trip count of every loop from the class counts: loop j advances (trips_j - 1) times per
  // iteration of the loops outside it (exact for uniform trips; edge chunks are averaged).
  void derive_trips() {
    trips_.assign(loops_.size(), 1);
    double outer = 1;
    for (std::size_t j = 0; j < loops_.size(); ++j) {
      const std::size_t c = j + 1;
      const double n = c < in_.fills.classes.size()
                           ? static_cast<double>(in_.fills.classes[c].per_pe_count)
                           : 0.0;
      trips_[j] = std::max<std::int64_t>(1, std::llround(n / outer) + 1);
      outer *= static_cast<double>(trips_[j]);
    }
  }

  // Loops whose last index holds smaller chunks than their first (every other loop at 0): the
  // array's tiles, all PEs and tensors, have fewer words there.
  void find_edge_loops() {
    edge_loop_.assign(loops_.size(), 0);
    // A loop whose trip count differs between clusters or outer indices (nested tiling of one
    // dimension that does not divide evenly) has no single last index: trips_ is an average,
    // and an index past a cluster's own count idles it. Such loops are not split.
    uneven_.assign(loops_.size(), 0);
    first_trips_.assign(loops_.size(), 1);
    const auto note_trips = [&](std::size_t k, std::int64_t trips) {
      if (k < trips_.size() && trips != trips_[k]) uneven_[k] = 1;
    };
    std::vector<UnitChunks> none, first, last;
    state_.pe_chunks(
        [&](std::size_t k, std::int64_t trips, std::size_t) {
          note_trips(k, trips);
          if (k < first_trips_.size()) first_trips_[k] = std::max(first_trips_[k], trips);
          return std::int64_t{0};
        },
        first);
    double first_words = 0;
    for (Tensor t : kAllTensors) first_words += analysis_.pe_words(t, none, first);
    for (std::size_t k = 0; k < loops_.size(); ++k) {
      if (trips_[k] <= 1) continue;
      state_.pe_chunks(
          [&](std::size_t i, std::int64_t trips, std::size_t) {
            note_trips(i, trips);
            return i == k ? std::max<std::int64_t>(0, trips - 1) : std::int64_t{0};
          },
          last);
      double last_words = 0;
      for (Tensor t : kAllTensors) last_words += analysis_.pe_words(t, none, last);
      edge_loop_[k] = last_words < first_words ? 1 : 0;
    }
    for (std::size_t k = 0; k < loops_.size(); ++k)
      if (uneven_[k] != 0) edge_loop_[k] = 0;
  }

  bool any_uneven() const {
    return std::any_of(uneven_.begin(), uneven_.end(), [](char u) { return u != 0; });
  }

  // Each loop's dimension group (dimension_groups: the dimensions whose chunks move together);
  // a loop's trip count depends only on the indices of the outer loops of its group.
  void group_loops() {
    const std::vector<DimMask> groups = dimension_groups(in_.geometry, in_.plans);
    loop_group_.assign(loops_.size(), 0);
    for (std::size_t i = 0; i < loops_.size(); ++i)
      for (const DimMask g : groups)
        if (g & dim_bit(loops_[i].dim)) loop_group_[i] = g;
  }

  // With an uneven loop (model/README.md 5b, "Uneven loops") the averaged trips_ would walk
  // other steps than the array's: the walk asks trips_at for the uneven loops' trips at each
  // outer state, and trips_ holds every loop's largest count (even loops: their count at the
  // first state; uneven ones: the most over the states of their group's outer loops) to size the
  // walk's tables. When those states are too many to list the averaged counts stay.
  void bound_uneven_trips() {
    if (!any_uneven()) return;
    constexpr std::int64_t kMaxStates = std::int64_t{1} << 16;
    trip_cache_.assign(loops_.size(), {});
    for (std::size_t k = 0; k < loops_.size(); ++k) {
      if (uneven_[k] == 0) {
        trips_[k] = first_trips_[k];
        continue;
      }
      std::vector<std::size_t> outer;  // the outer loops of k's group
      std::int64_t states = 1;
      for (std::size_t i = 0; i < k; ++i)
        if (loop_group_[i] == loop_group_[k]) {
          outer.push_back(i);
          // (An overflow is more than kMaxStates too.)
          if (__builtin_mul_overflow(states, trips_[i], &states) || states > kMaxStates) {
            states = kMaxStates + 1;
            break;
          }
        }
      if (states > kMaxStates) {
        uneven_.assign(loops_.size(), 0);
        derive_trips();
        trip_cache_.clear();
        return;
      }
      std::vector<std::int64_t> index(loops_.size(), 0);
      std::int64_t most = 1;
      for (std::int64_t flat = 0; flat < states; ++flat) {
        std::int64_t rest = flat;
        for (std::size_t m = outer.size(); m-- > 0;) {
          index[outer[m]] = rest % trips_[outer[m]];
          rest /= trips_[outer[m]];
        }
        most = std::max(most, trips_at(k, index));
      }
      trips_[k] = most;
    }
    edge_loop_.assign(loops_.size(), 0);  // every step at its class average (README)
  }

  // Every loop's trip count at the state `index`.
  std::vector<std::int64_t> live_trips(const std::vector<std::int64_t>& index) const {
    std::vector<std::int64_t> trips = trips_;
    refresh_trips(static_cast<std::size_t>(-1), index, trips);
    return trips;
  }

  // After loop `moved` advanced (size_t(-1): none), the uneven loops inside it start over at
  // trip counts of their own.
  void refresh_trips(std::size_t moved, const std::vector<std::int64_t>& index,
                     std::vector<std::int64_t>& trips) const {
    if (trip_cache_.empty()) return;
    for (std::size_t k = moved + 1; k < loops_.size(); ++k)
      if (uneven_[k] != 0) trips[k] = trips_at(k, index);
  }

  // Trip count of loop k when the outer loops sit at `index` (the most over the clusters; 0 when
  // an outer loop's index lies past its own count there, so the state does not occur).
  std::int64_t trips_at(std::size_t k, const std::vector<std::int64_t>& index) const {
    if (k >= uneven_.size() || uneven_[k] == 0) return trips_[k];
    std::vector<std::int64_t> key;
    for (std::size_t i = 0; i < k; ++i)
      if (loop_group_[i] == loop_group_[k]) key.push_back(index[i]);
    auto [it, inserted] = trip_cache_[k].try_emplace(std::move(key), 0);
    if (inserted) {
      std::vector<UnitChunks> pes;
      std::int64_t most = 0;
      state_.pe_chunks(
          [&](std::size_t i, std::int64_t trips, std::size_t) -> std::int64_t {
            if (i == k) most = std::max(most, trips);
            return i < k && loop_group_[i] == loop_group_[k] ? index[i] : 0;
          },
          pes);
      it->second = most;
    }
    return it->second;
  }

  // Loop k at index i holds an edge chunk.
  bool is_edge_index(std::size_t k, std::int64_t i) const {
    return k < edge_loop_.size() && edge_loop_[k] != 0 && i == trips_[k] - 1;
  }

  bool at_edge(const std::vector<std::int64_t>& index) const {
    for (std::size_t k = 0; k < index.size(); ++k)
      if (is_edge_index(k, index[k])) return true;
    return false;
  }

  // The array before and after a transition in which loop `j` advances (j < 0: the first step,
  // from nothing). Sample u in [0, 1) picks the indices: loop i outside j at the fraction
  // frac(u + i x 0.382) of its range (a low-discrepancy sweep, so that samples cover edge chunks
  // as often as they occur), j from a to a + 1 likewise, the loops inside j from their last
  // index to 0. The first PE's clusters choose for all clusters (lockstep).
  void transition(int j, double u, std::vector<UnitChunks>& before, std::vector<UnitChunks>& after,
                  std::vector<std::int64_t>* before_index = nullptr,
                  std::vector<std::int64_t>* after_index = nullptr) const {
    if (before_index != nullptr) before_index->assign(loops_.size(), 0);
    if (after_index != nullptr) after_index->assign(loops_.size(), 0);
    if (j < 0) {
      before.clear();
      state_.pe_chunks([](std::size_t, std::int64_t, std::size_t) { return std::int64_t{0}; },
                       after);
      return;
    }
    const auto cut = static_cast<std::size_t>(j);
    std::vector<std::int64_t> ref(loops_.size(), -1);
    auto pick = [u](std::size_t i, std::int64_t n) {
      double v = u + 0.381966 * static_cast<double>(i);
      v -= std::floor(v);
      return std::clamp<std::int64_t>(static_cast<std::int64_t>(v * static_cast<double>(n)), 0,
                                      std::max<std::int64_t>(0, n - 1));
    };
    auto chooser = [&](bool late) {
      return
          [&ref, &pick, cut, late](std::size_t i, std::int64_t trips, std::size_t) -> std::int64_t {
            if (i < cut) {
              if (ref[i] < 0) ref[i] = pick(i, trips);
              return ref[i];
            }
            if (i == cut) {
              if (ref[i] < 0) ref[i] = pick(i, trips - 1);
              return ref[i] + (late ? 1 : 0);
            }
            return late ? 0 : trips - 1;
          };
    };
    state_.pe_chunks(chooser(false), before);
    state_.pe_chunks(chooser(true), after);
    if (before_index != nullptr && after_index != nullptr)
      for (std::size_t i = 0; i < loops_.size(); ++i) {
        const std::int64_t at = std::max<std::int64_t>(0, ref[i]);
        (*before_index)[i] = i <= cut ? at : trips_[i] - 1;
        (*after_index)[i] = i < cut ? at : (i == cut ? at + 1 : 0);
      }
  }

  // Words of tensor t one transition moves on average in class c, summed over PEs.
  double class_words(std::size_t c, Tensor t) const {
    const TransitionClass& cls = in_.fills.classes[c];
    const double n = cls.loop < 0 ? 1.0 : static_cast<double>(cls.per_pe_count);
    return n > 0 ? static_cast<double>(cls.words[t]) / n : 0.0;
  }

  struct Loads {
    std::vector<double> dist, red;  // words per link
    // L2 reads, accumulates per bank (transitions without a bank window; window_in/out else).
    std::vector<double> banks_in, banks_out;
    std::vector<double> fluid;  // distribution: busy cycles of every FIFO and link, word by word
    // Per step of the bank window (steps x banks): reads and accumulates.
    std::vector<std::vector<double>> window_in, window_out;
    double in_latency = 0, out_latency = 0;
    bool any_in = false, any_out = false;
    // Per tensor read (inputs, weights): L2 reads, and the busiest bank's reads times the banks.
    PerTensor<double> reads{}, busiest_reads{};

    void add(const Loads& x) {
      auto plus = [](std::vector<double>& a, const std::vector<double>& b) {
        if (a.size() < b.size()) a.resize(b.size(), 0.0);
        for (std::size_t i = 0; i < b.size(); ++i) a[i] += b[i];
      };
      plus(dist, x.dist);
      plus(red, x.red);
      plus(banks_in, x.banks_in);
      plus(banks_out, x.banks_out);
      plus(fluid, x.fluid);
    }
    void scale(double in, double out) {
      for (std::vector<double>* v : {&dist, &banks_in, &fluid})
        for (double& x : *v) x *= in;
      for (std::vector<double>* v : {&red, &banks_out})
        for (double& x : *v) x *= out;
      for (auto& step : window_in)
        for (double& x : step) x *= in;
      for (auto& step : window_out)
        for (double& x : step) x *= out;
    }
  };

  // L2's view of the steps in flight: the controller keeps several steps in flight and every
  // bank serves its own FIFO, so a bank one step leaves idle works for the steps beside it, up to
  // a lookahead ahead of the slowest. A sampled transition stands for the window of steps that
  // begins with it, each moving the same pattern of words translated by `offsets[k][t]` flat
  // indices (k = 0: the sample itself).
  struct BankWindow {
    std::vector<PerTensor<std::int64_t>> offsets;
  };

  // Flat-index translation of every tensor's words when loop l advances by one index (the other
  // loops alike), per loop; 0 for loops of one trip.
  std::vector<PerTensor<std::int64_t>> loop_shifts() const {
    std::vector<PerTensor<std::int64_t>> shifts(loops_.size(), PerTensor<std::int64_t>{});
    std::vector<UnitChunks> a, b;
    for (std::size_t l = 0; l < loops_.size(); ++l) {
      const std::int64_t trips = trips_[l];
      if (trips < 2) continue;
      // Indices 1 and 2 (0 and 1 with two trips): the first chunk may be clipped by padding.
      const std::int64_t from = trips >= 3 ? 1 : 0;
      auto at = [&](std::int64_t x, std::vector<UnitChunks>& into) {
        state_.pe_chunks(
            [l, x](std::size_t i, std::int64_t n, std::size_t) -> std::int64_t {
              return i == l ? std::min(x, n - 1) : 0;
            },
            into);
      };
      at(from, a);
      at(from + 1, b);
      for (Tensor t : kAllTensors) {
        const std::array<std::int64_t, 4>& sizes = analysis_.sizes(t);
        for (std::size_t p = 0; p < std::min(a.size(), b.size()); ++p) {
          const Tile ta = TileShape::coordinates(in_.geometry, a[p], t);
          const Tile tb = TileShape::coordinates(in_.geometry, b[p], t);
          if (ta.volume() == 0 || tb.volume() == 0) continue;
          std::int64_t stride = 1;
          for (std::size_t i = ta.size; i-- > 0;) {
            shifts[l][t] += (tb[i].lo - ta[i].lo) * stride;
            stride *= sizes[i];
          }
          break;
        }
      }
    }
    return shifts;
  }

  // The window of steps that begins with the transition from loop indices `before` to `after`:
  // it and the next kBankWindows x window() - 1 steps in odometer order (fewer at the end of the
  // walk).
  // Inputs and weights arrive with each step's new tiles (offsets between the after-states);
  // partial sums leave from each step's old tiles (offsets between the before-states, the
  // previous step's after-state).
  BankWindow bank_window(const std::vector<std::int64_t>& before,
                         std::vector<std::int64_t> after) const {
    BankWindow w;
    PerTensor<std::int64_t> arrive{}, leave{};
    for (std::size_t k = 0; k < loops_.size(); ++k)
      leave[Tensor::Output] += (after[k] - before[k]) * loop_shifts_[k][Tensor::Output];
    w.offsets.push_back(arrive);
    const auto steps = static_cast<std::size_t>(kBankWindows * window());
    std::vector<std::int64_t> trips = live_trips(after);
    while (w.offsets.size() < steps) {
      PerTensor<std::int64_t> next = arrive;
      std::size_t k = loops_.size();
      for (; k-- > 0;) {
        const std::int64_t old = after[k];
        const std::int64_t now = old + 1 < trips[k] ? old + 1 : 0;
        after[k] = now;
        for (Tensor t : kAllTensors) next[t] += (now - old) * loop_shifts_[k][t];
        if (now != 0) break;
      }
      if (k == static_cast<std::size_t>(-1)) break;  // the walk's last step
      refresh_trips(k, after, trips);
      PerTensor<std::int64_t> offset = next;
      offset[Tensor::Output] = leave[Tensor::Output];
      w.offsets.push_back(offset);
      leave[Tensor::Output] = next[Tensor::Output] - arrive[Tensor::Output] + leave[Tensor::Output];
      arrive = next;
    }
    return w;
  }

  // Loads of one transition, each tensor scaled to `words` PE-summed words (its class average).
  // With `window`, the bank loads are those of the steps in flight from it on, per step
  // (window_in, window_out), and banks_in / banks_out stay empty for the tensors it covers.
  Loads transition_loads(const std::vector<UnitChunks>& before,
                         const std::vector<UnitChunks>& after, const PerTensor<double>& words,
                         const BankWindow& window) const {
    Loads l;
    l.dist.assign(dist_.edge_count(), 0.0);
    l.red.assign(red_.edge_count(), 0.0);
    l.banks_in.assign(static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks)), 0.0);
    l.banks_out.assign(l.banks_in.size(), 0.0);
    const bool multicast = hw_.noc.distribution.multicast;
    const bool in_network = hw_.noc.reduction.in_network;
    double budget = 0;
    for (Tensor t : kAllTensors) budget += analysis_.pe_words(t, before, after);
    const bool words_level = budget <= kWordBudget;
    struct Packet {
      double ready;
      std::int64_t flat;
      const TreePlan* plan;
    };
    std::vector<Packet> packets;
    std::vector<const TreePlan*> plans;  // per group of the tensor at hand
    double sent_words = 0, scaled_words = 0;
    std::vector<double> bank_reads(l.banks_in.size(), 0.0);
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    for (Tensor t : kAllTensors) {
      if (words[t] <= 0) continue;
      const bool out = t == Tensor::Output;
      const TensorTraffic traffic =
          words_level ? analysis_.analyze(t, before, after, out ? in_network : multicast)
                      : identical_tiles(t, before, after, out ? in_network : multicast);
      if (traffic.pe_words <= 0) continue;
      const double scale = words[t] / traffic.pe_words;
      // The tensor's reads per bank, over the bank window when there is one.
      std::vector<double> tensor_banks = traffic.bank_accesses;
      if (!out && !traffic.packets.empty()) {
        // L2 serves each bank's reads in order; words enter the network as served.
        plans.clear();
        for (const TrafficGroup& g : traffic.groups) plans.push_back(&tree_plan(g.pes));
        for (const auto& [flat, group] : traffic.packets) {
          const auto bank = l2_bank_of(flat, static_cast<std::int64_t>(bank_reads.size()));
          double& reads = bank_reads[static_cast<std::size_t>(bank)];
          // Served in cycle floor(k / rate) (the k-th read of its bank), banks in order.
          const double cycle = limited(bank_rate) ? std::floor(reads / bank_rate) : 0.0;
          reads += 1;
          packets.push_back(
              {cycle + static_cast<double>(bank) / static_cast<double>(bank_reads.size() + 1), flat,
               plans[group]});
        }
        sent_words += traffic.pe_words;
        scaled_words += words[t];
      }
      const std::vector<double> loads =
          out ? reduction_link_loads(red_, traffic.groups, in_network)
              : distribution_link_loads(dist_, traffic.groups, multicast);
      std::vector<double>& into = out ? l.red : l.dist;
      for (std::size_t e = 0; e < loads.size(); ++e) into[e] += loads[e] * scale;
      std::vector<double>& banks = out ? l.banks_out : l.banks_in;
      if (window.offsets.size() > 1 && !traffic.packets.empty()) {
        // Words translated out of the tensor (a wrap the translation does not follow) are left
        // out; the rest stand for the window.
        const std::array<std::int64_t, 4>& sizes = analysis_.sizes(t);
        const std::int64_t tensor_words = sizes[0] * sizes[1] * sizes[2] * sizes[3];
        const auto bank_count = static_cast<std::int64_t>(banks.size());
        std::vector<std::vector<double>>& steps = out ? l.window_out : l.window_in;
        steps.resize(window.offsets.size(), std::vector<double>(banks.size(), 0.0));
        // Words per bank of each distinct translation (a tensor that stays put is counted once),
        // and how many of the words stay inside the tensor.
        struct Counted {
          std::vector<double> per_bank;
          double inside = 0;
        };
        std::unordered_map<std::int64_t, Counted> counted;
        std::vector<double> window_banks(banks.size(), 0.0);
        for (std::size_t k = 0; k < window.offsets.size(); ++k) {
          const std::int64_t offset = window.offsets[k][t];
          const auto [at, fresh] = counted.try_emplace(offset);
          Counted& c = at->second;
          if (fresh) {
            c.per_bank.assign(banks.size(), 0.0);
            for (const auto& packet : traffic.packets) {
              const std::int64_t flat = packet.first + offset;
              if (flat < 0 || flat >= tensor_words) continue;
              c.per_bank[static_cast<std::size_t>(l2_bank_of(flat, bank_count))] += 1;
              c.inside += 1;
            }
          }
          if (c.inside <= 0) continue;
          const double share = static_cast<double>(traffic.packets.size()) * scale / c.inside;
          for (std::size_t b = 0; b < banks.size(); ++b) {
            steps[k][b] += c.per_bank[b] * share;
            window_banks[b] += c.per_bank[b] * share;
          }
        }
        tensor_banks = window_banks;
      } else {
        for (std::size_t b = 0; b < banks.size(); ++b) banks[b] += traffic.bank_accesses[b] * scale;
      }
      if (!out) {
        for (const double a : tensor_banks) {
          l.reads[t] += a;
          l.busiest_reads[t] = std::max(l.busiest_reads[t], a);
        }
        l.busiest_reads[t] *= static_cast<double>(tensor_banks.size());
      }
      for (std::size_t p = 0; p < traffic.pe_active.size(); ++p) {
        if (!traffic.pe_active[p]) continue;
        if (out) {
          l.out_latency = std::max(l.out_latency, red_latency_[p]);
          l.any_out = true;
        } else {
          l.in_latency = std::max(l.in_latency, dist_latency_[p]);
          l.any_in = true;
        }
      }
    }
    if (!packets.empty() && sent_words > 0) {
      std::stable_sort(packets.begin(), packets.end(),
                       [](const Packet& a, const Packet& b) { return a.ready < b.ready; });
      FluidNetwork network(dist_, hw_.noc.distribution);
      for (const Packet& k : packets) network.send(*k.plan, k.ready);
      l.fluid = network.busy();
      for (double& b : l.fluid) b *= scaled_words / sent_words;
    }
    return l;
  }

  // The distribution tree (or route, without multicast) of a group of PEs, planned once per
  // evaluation: samples of a walk send to the same groups again and again.
  const TreePlan& tree_plan(const std::vector<std::int64_t>& pes) const {
    const auto found = tree_plans_.find(pes);
    if (found != tree_plans_.end()) return found->second;
    const bool multicast = hw_.noc.distribution.multicast;
    return tree_plans_
        .emplace(pes, plan_tree(dist_, multicast ? dist_.multicast_tree(pes)
                                                 : dist_.route_from_l2(pes.front())))
        .first->second;
  }

  // The simple model's rule for large transitions: PEs with identical tiles (before and after)
  // share their words; banks evenly loaded.
  TensorTraffic identical_tiles(Tensor t, const std::vector<UnitChunks>& before,
                                const std::vector<UnitChunks>& after, bool merge) const {
    TensorTraffic out;
    const std::size_t pes = std::max(before.size(), after.size());
    out.pe_active.assign(pes, 0);
    std::map<std::array<std::int64_t, 16>, std::pair<std::vector<std::int64_t>, double>> sets;
    double distinct = 0;
    for (std::size_t p = 0; p < pes; ++p) {
      const std::vector<UnitChunks> one_b =
          p < before.size() ? std::vector<UnitChunks>{before[p]} : std::vector<UnitChunks>{};
      const std::vector<UnitChunks> one_a =
          p < after.size() ? std::vector<UnitChunks>{after[p]} : std::vector<UnitChunks>{};
      const double words = analysis_.pe_words(t, one_b, one_a);
      if (words <= 0) continue;
      out.pe_active[p] = 1;
      out.pe_words += words;
      std::array<std::int64_t, 16> key{};
      if (merge) {
        const Tile b =
            p < before.size() ? TileShape::coordinates(in_.geometry, before[p], t) : Tile{};
        const Tile a =
            p < after.size() ? TileShape::coordinates(in_.geometry, after[p], t) : Tile{};
        for (std::size_t i = 0; i < 4; ++i) {
          key[2 * i] = i < b.size ? b[i].lo : 0;
          key[2 * i + 1] = i < b.size ? b[i].hi : 0;
          key[8 + 2 * i] = i < a.size ? a[i].lo : 0;
          key[8 + 2 * i + 1] = i < a.size ? a[i].hi : 0;
        }
      } else {
        key[0] = static_cast<std::int64_t>(p);
      }
      auto& entry = sets[key];
      if (entry.first.empty()) distinct += words;
      entry.first.push_back(static_cast<std::int64_t>(p));
      entry.second = words;
    }
    for (auto& [key, group] : sets) out.groups.push_back({group.first, group.second});
    const auto banks = static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks));
    out.bank_accesses.assign(banks, distinct / static_cast<double>(banks));
    return out;
  }

  // Cycles of the busiest bank for reads `in` and accumulates `out` (per bank), each scaled.
  double busiest_bank(const std::vector<double>& in, const std::vector<double>& out,
                      double in_scale, double out_scale) const {
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    if (!limited(bank_rate)) return 0.0;
    double busiest = 0;
    for (std::size_t b = 0; b < in.size(); ++b)
      busiest = std::max(busiest, in[b] * in_scale + (b < out.size() ? out[b] : 0.0) * out_scale);
    return busiest / bank_rate;
  }

  // How far each step of a window lets the reads of the steps after it go to L2 (model/README.md
  // 5b): a step's multicast reads wait until every PE has gone through it, and a PE does not go
  // through a queued step that names again a word it holds and an earlier queued step drops
  // (a sliding window's next row). From the first working PE's tile of inputs and weights,
  // translated along the window as its words are: reach[c] = c + the steps to the first such
  // step after c, at most a lookahead. Empty (no stop) for tiles of more than kReachWords words.
  std::vector<std::size_t> window_reach(const std::vector<UnitChunks>& after,
                                        const BankWindow& walk) const {
    const std::size_t steps = walk.offsets.size();
    const auto lag = static_cast<std::size_t>(window());
    std::vector<std::pair<std::size_t, std::int64_t>> tile;  // (tensor, flat index), sorted
    for (const UnitChunks& pe : after) {
      for (Tensor t : {Tensor::Input, Tensor::Weight}) {
        const Tile box = TileShape::coordinates(in_.geometry, pe, t);
        if (box.volume() > kReachWords) return {};
        for_each_word(box, Tile{}, analysis_.sizes(t), [&](std::int64_t flat) {
          tile.emplace_back(static_cast<std::size_t>(t), flat);
        });
      }
      if (!tile.empty()) break;
    }
    if (tile.empty() || tile.size() > kReachWords) return {};
    std::sort(tile.begin(), tile.end());
    std::vector<std::size_t> reach(steps);
    std::vector<char> dropped(tile.size());
    for (std::size_t c = 0; c < steps; ++c) {
      std::fill(dropped.begin(), dropped.end(), 0);
      std::size_t distance = lag;
      for (std::size_t k = 1; k < lag && c + k < steps && distance == lag; ++k) {
        for (std::size_t i = 0; i < tile.size(); ++i) {
          const auto [t, flat] = tile[i];
          const auto tensor = static_cast<Tensor>(t);
          const std::int64_t shift = walk.offsets[c + k][tensor] - walk.offsets[c][tensor];
          const bool named =
              std::binary_search(tile.begin(), tile.end(), std::make_pair(t, flat - shift));
          if (named && dropped[i]) {
            distance = k - 1;
            break;
          }
          if (!named) dropped[i] = 1;
        }
      }
      reach[c] = c + std::max<std::size_t>(1, distance);
    }
    return reach;
  }

  // The classes' bank slack averaged over the steps: what the banks of some other part of the
  // walk have to spare for the words DRAM brings long before they are read.
  double average_bank_slack() const {
    double slack = 0, count = 0;
    for (std::size_t c = 0; c < costs_.size(); ++c) {
      const TransitionClass& cls = in_.fills.classes[c];
      const double n = cls.loop < 0 ? 1.0 : static_cast<double>(cls.per_pe_count);
      slack += n * costs_[c].bank_slack;
      count += n;
    }
    return count > 0 ? slack / count : 0.0;
  }

  // Cycles per step that L2's banks hold a window of steps up (model/README.md 5b). Every bank
  // serves its own FIFO; the reads of step s go out at G(s) = max(T(g(s)), T(s - W) + round
  // trip): once the first step within a lookahead before s whose reach covers s has been served
  // (the stops), and once step s - W has been served, delivered, computed and retired and step s
  // requested (the controller hands step s to the PEs once step s - W has finished). A bank's
  // partial sums of step s queue behind its reads without waiting for G(s) (they come back later
  // by themselves). F_b(s) = max(F_b(s - 1), G(s)) + reads_b(s) / rate on the banks step s reads,
  // T(s) = max(G(s), T(s - 1), those F_b(s)), and only then F_b(s) += accumulates_b(s) / rate.
  // Returns only the cycles the banks themselves held the walk up, sum_s T(s) - max(G(s), T(s - 1))
  // plus the last accumulates, per step: the time spent waiting for G is the array walk's (walk(),
  // which charges the round trip itself), and counting it here too charged it twice.
  double coupled_bank_cycles(const std::vector<std::vector<double>>& in,
                             const std::vector<std::vector<double>>& out,
                             const std::vector<std::size_t>& reach, double in_scale,
                             double out_scale, double round_trip) const {
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    if (!limited(bank_rate)) return 0.0;
    const std::size_t steps = std::max(in.size(), out.size());
    const auto lag = static_cast<std::size_t>(window());
    const std::size_t banks = static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks));
    std::vector<double> finish(banks, 0.0), served(steps, 0.0);
    double busy = 0;  // cycles in which the banks, not the gate, held the walk up
    for (std::size_t s = 0; s < steps; ++s) {
      // Step s's reads go out once the first step within a lookahead before it whose reach
      // covers s has been served; steps before the window (T = 0) reach as far as its first.
      double gate = 0.0;
      if (s >= lag || (s > 0 && s < reach.size() && reach[0] < s)) {
        std::size_t c = s - 1;
        for (std::size_t x = s >= lag ? s - lag : 0; x < s; ++x)
          if (x >= reach.size() || reach[x] >= s) {
            c = x;
            break;
          }
        gate = served[c];
      }
      if (s >= lag) gate = std::max(gate, served[s - lag] + round_trip);
      const double from = std::max(gate, s > 0 ? served[s - 1] : 0.0);
      double t = from;
      for (std::size_t b = 0; b < banks; ++b) {
        const double reads = s < in.size() && b < in[s].size() ? in[s][b] * in_scale : 0.0;
        const double writes = s < out.size() && b < out[s].size() ? out[s][b] * out_scale : 0.0;
        if (reads > 0) {
          finish[b] = std::max(finish[b], gate) + reads / bank_rate;
          t = std::max(t, finish[b]);
        }
        finish[b] += writes / bank_rate;
      }
      served[s] = t;
      busy += t - from;
    }
    double last = 0;
    for (const double f : finish) last = std::max(last, f);
    if (steps > 0) busy += std::max(0.0, last - served[steps - 1]);
    return steps > 0 ? busy / static_cast<double>(steps) : 0.0;
  }

  ClassCost cost_of(const Loads& l) const {
    ClassCost c;
    double fluid = 0;
    for (const double f : l.fluid) fluid = std::max(fluid, f);
    c.bank = busiest_bank(l.banks_in, l.banks_out, 1.0, 1.0);
    c.network = std::max(busiest_link_cycles(dist_, hw_.noc.distribution, l.dist), fluid);
    c.egress = busiest_link_cycles(red_, hw_.noc.reduction, l.red);
    c.ingress_latency = l.any_in ? l.in_latency : 0;
    c.egress_latency = l.any_out ? l.out_latency : 0;
    const auto on_links = [](const NocTopology& topology, const std::vector<double>& loads) {
      double words = 0;
      for (std::size_t e = 0; e < loads.size(); ++e)
        if (topology.edge(e).kind == EdgeKind::Link) words += loads[e];
      return words;
    };
    c.link_words = on_links(dist_, l.dist) + on_links(red_, l.red);
    return c;
  }

  // A class's cost per transition: the loads of kSamples transitions of the class (fewer when
  // they are large) summed per link, bank and FIFO, scaled to the class's average words per
  // transition (inputs and weights, outputs separately), then the busiest of each (the steady
  // state of overlapping steps); latencies weighted by words.
  ClassCost class_cost(std::size_t c) const {
    const TransitionClass& cls = in_.fills.classes[c];
    if (cls.loop >= 0 && cls.per_pe_count == 0) return {};
    const double in_words = class_words(c, Tensor::Input) + class_words(c, Tensor::Weight);
    const double out_words = class_words(c, Tensor::Output);
    const int samples = cls.loop < 0 ? 1 : kSamples;
    Loads sum;
    std::array<Loads, 2> variant_sum;  // [edge]
    std::array<double, 2> variant_in{}, variant_out{}, variant_in_latency{}, variant_out_latency{},
        variant_samples{};
    // Per sample, the bank loads of every step of its window, walked as coupled bank FIFOs
    // (coupled_bank_cycles). (Summing the samples first would spread hotspots that different
    // parts of the walk have on different banks: MobileNetV2 bneck4_1_dw x rs reads a 3-column
    // window of every row, 30 words apart, which the interleaving puts on 4 banks for a whole
    // column.)
    struct SampleBanks {
      std::vector<double> in, out;                           // without a bank window
      std::vector<std::vector<double>> in_steps, out_steps;  // per step of its bank window
      std::vector<std::size_t> reach;                        // window_reach
      bool edge = false;                                     // its new tiles: edge chunks
    };
    std::vector<SampleBanks> samples_banks;
    // Unlimited banks cost nothing whatever their loads: no window to walk.
    const bool banks_limited = limited(hw_.l2.words_per_bank_per_cycle);
    double sampled_in = 0, sampled_out = 0, in_latency = 0, out_latency = 0;
    int idle_samples = 0;  // samples that move nothing (an index past a cluster's own trips)
    PerTensor<double> reads{}, busiest_reads{};
    auto take = [&](const std::vector<UnitChunks>& before, const std::vector<UnitChunks>& after,
                    bool inputs, bool outputs, const BankWindow& window, bool edge) {
      PerTensor<double> own;
      for (Tensor t : kAllTensors) {
        const bool wanted = t == Tensor::Output ? outputs : inputs;
        own[t] = wanted ? analysis_.pe_words(t, before, after) : 0.0;
      }
      const Loads x = transition_loads(before, after, own, window);
      sum.add(x);
      const std::size_t v = edge ? 1 : 0;
      variant_sum[v].add(x);
      variant_in[v] += own[Tensor::Input] + own[Tensor::Weight];
      variant_out[v] += own[Tensor::Output];
      variant_in_latency[v] += x.in_latency * (own[Tensor::Input] + own[Tensor::Weight]);
      variant_out_latency[v] += x.out_latency * own[Tensor::Output];
      ++variant_samples[v];
      for (Tensor t : kAllTensors) {
        reads[t] += x.reads[t];
        busiest_reads[t] += x.busiest_reads[t];
      }
      samples_banks.push_back(
          {x.banks_in, x.banks_out, x.window_in, x.window_out,
           window.offsets.size() > 1 ? window_reach(after, window) : std::vector<std::size_t>{},
           edge});
      const double in = own[Tensor::Input] + own[Tensor::Weight];
      if (in + own[Tensor::Output] <= 0) ++idle_samples;
      sampled_in += in;
      sampled_out += own[Tensor::Output];
      in_latency += x.in_latency * in;
      out_latency += x.out_latency * own[Tensor::Output];
    };
    std::vector<UnitChunks> before, after;
    std::vector<std::int64_t> before_index, after_index;
    double analysed = 0;
    for (int m = 0; m < samples && analysed <= kWordBudget; ++m) {
      transition(cls.loop, (m + 0.5) / samples, before, after, &before_index, &after_index);
      take(before, after, true, true,
           banks_limited ? bank_window(before_index, after_index) : BankWindow{},
           at_edge(after_index));
      analysed = sampled_in + sampled_out;
    }
    // Samples that move nothing of what the class moves (an edge case of the chosen indices):
    // the first step's words, sent (inputs, weights) or drained (outputs).
    const bool no_in = in_words > 0 && sampled_in <= 0;
    const bool no_out = out_words > 0 && sampled_out <= 0;
    if (no_in || no_out) {
      std::vector<UnitChunks> none, first;
      transition(-1, 0, none, first);
      if (no_in) take(none, first, true, false, BankWindow{}, false);
      if (no_out) take(first, none, false, true, BankWindow{}, false);
    }
    const double in_scale = sampled_in > 0 ? in_words / sampled_in : 0.0;
    const double out_scale = sampled_out > 0 ? out_words / sampled_out : 0.0;
    sum.scale(in_scale, out_scale);
    sum.in_latency = sampled_in > 0 ? in_latency / sampled_in : 0.0;
    sum.out_latency = sampled_out > 0 ? out_latency / sampled_out : 0.0;
    sum.any_in = sampled_in > 0;
    sum.any_out = sampled_out > 0;
    ClassCost cost = cost_of(sum);
    for (Tensor t : kAllTensors)
      if (reads[t] > 0) cost.fill_skew[t] = busiest_reads[t] / reads[t];
    cost.bank = 0;
    // The cycles from the banks serving a step to the PEs asking for the step a lookahead later
    // (bank time excluded); each sample is walked at the class's loads per step (in_scale and
    // out_scale spread the class over all samples) so that its bank time and this compare.
    const double round_trip =
        kRequestCycles + kDeliveryCycles + cost.ingress_latency + compute_per_step_ + kRetireCycles;
    const auto n = static_cast<double>(samples_banks.size());
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    const auto bank_count = static_cast<double>(std::max<std::int64_t>(1, hw_.l2.banks));
    double mean_bank = 0;  // cycles per transition of the average bank
    const auto words_of = [](const std::vector<double>& v) {
      double w = 0;
      for (const double x : v) w += x;
      return w;
    };
    double edge_bank = 0, edge_samples = 0;
    for (const SampleBanks& x : samples_banks) {
      const std::size_t steps = std::max(x.in_steps.size(), x.out_steps.size());
      if (steps > 1) {
        const double held = coupled_bank_cycles(x.in_steps, x.out_steps, x.reach, in_scale * n,
                                                out_scale * n, round_trip);
        cost.bank += held / n;
        if (x.edge) {
          edge_bank += held;
          ++edge_samples;
        }
        double words = 0;
        for (const auto& v : x.in_steps) words += words_of(v) * in_scale;
        for (const auto& v : x.out_steps) words += words_of(v) * out_scale;
        mean_bank += words / static_cast<double>(steps);
      } else {
        const double held = busiest_bank(x.in, x.out, in_scale, out_scale);
        cost.bank += held;
        if (x.edge) {
          edge_bank += held * n;
          ++edge_samples;
        }
        mean_bank += words_of(x.in) * in_scale + words_of(x.out) * out_scale;
      }
    }
    if (limited(bank_rate))
      cost.bank_slack = std::max(0.0, cost.bank - mean_bank / (bank_count * bank_rate));
    const auto step_cost = [](const ClassCost& x) {
      return ClassCost::StepCost{x.bank, x.network, x.egress, x.ingress_latency, x.egress_latency};
    };
    cost.at_edge = cost.inside = step_cost(cost);
    // (A sample taken from the first step because the class's own moved nothing of a tensor is
    // neither kind, and a sample that moves nothing would pull its kind's unscaled mean below
    // the class's words: then the class average, scaled to them, serves both.)
    if (!(no_in || no_out) && idle_samples == 0 && edge_samples > 0 && edge_samples < n) {
      for (std::size_t v = 0; v < 2; ++v) {
        // The mean of the variant's samples, unscaled: the class's scale (its average words per
        // transition) would carry the other variant's words into this one.
        Loads& l = variant_sum[v];
        l.scale(1.0 / variant_samples[v], 1.0 / variant_samples[v]);
        l.in_latency = variant_in[v] > 0 ? variant_in_latency[v] / variant_in[v] : 0.0;
        l.out_latency = variant_out[v] > 0 ? variant_out_latency[v] / variant_out[v] : 0.0;
        l.any_in = variant_in[v] > 0;
        l.any_out = variant_out[v] > 0;
        ClassCost::StepCost& x = v == 1 ? cost.at_edge : cost.inside;
        x = step_cost(cost_of(l));
        x.bank =
            v == 1 ? edge_bank / edge_samples : (cost.bank * n - edge_bank) / (n - edge_samples);
      }
    }
    return cost;
  }

  // The last step's partial sums leave when the array finishes (every PE's last tile).
  ClassCost flush_cost() const {
    std::vector<UnitChunks> last, none;
    state_.pe_chunks([](std::size_t, std::int64_t trips, std::size_t) { return trips - 1; }, last);
    const PerTensor<double> words =
        tensor_values(0.0, 0.0, analysis_.pe_words(Tensor::Output, last, none));
    return cost_of(transition_loads(last, none, words, BankWindow{}));
  }

  // --- DRAM: first touches ------------------------------------------------------------------

  // For every tensor and every group of dimensions its tile depends on, the number of new
  // coordinate points (of the group's coordinates of the tensor, united over all PEs) at every
  // index tuple of the group's loops, the other loops at 0: a word is fetched from DRAM at the
  // first step whose tiles hold it, and that step is the first, in odometer order, in every group
  // (model/README.md, 5b).
  struct FirstTouch {
    DimMask group = 0;
    std::vector<std::size_t> loops;   // the group's loops, outermost first
    std::vector<std::int64_t> radix;  // flat tuple = sum index_i * radix_i
    std::vector<double> fresh;        // new points per flat tuple
  };

  void build_first_touch() {
    const std::vector<DimMask> groups = dimension_groups(in_.geometry, in_.plans);
    for (Tensor t : kAllTensors) {
      touches_[t].clear();
      irrelevant_[t].assign(loops_.size(), 0);
      const CoordinateDims coords = tile_coordinate_dims(t, in_.geometry);
      DimMask relevant = 0;
      for (const DimMask c : coords) relevant |= c;
      double total = 1;
      for (const DimMask g : groups) {
        if (!(g & relevant)) continue;
        touches_[t].push_back(first_touch(t, g, coords));
        double sum = 0;
        for (const double f : touches_[t].back().fresh) sum += f;
        total *= sum;
      }
      for (std::size_t i = 0; i < loops_.size(); ++i)
        irrelevant_[t][i] = (loop_group_[i] & relevant) ? 0 : 1;
      // Words fetched beyond the first touches (an L2 too small for the layer, section 4) are
      // read again each time an outer iteration comes back to them: spread evenly over the
      // steps. Outputs start as zero partial sums in L2: only those written back and needed
      // again are read (dram_fill beyond |output|), never at a first touch.
      const double fetched = t == Tensor::Output
                                 ? static_cast<double>(in_.dram_fill[t] - in_.output_words)
                                 : static_cast<double>(in_.dram_fill[t]);
      if (t == Tensor::Output || total <= 0) {
        dram_scale_[t] = 0.0;
        dram_spread_[t] = std::max(0.0, fetched);
        // Partial sums given up before the end go to DRAM on the same channel, as the walk goes.
        if (t == Tensor::Output)
          dram_spread_[t] +=
              std::max(0.0, static_cast<double>(in_.dram_fill[t] - in_.final_outputs));
      } else {
        dram_scale_[t] = std::min(1.0, fetched / total);  // strided layers skip unread rows
        dram_spread_[t] = std::max(0.0, fetched - total);
      }
    }
  }

  FirstTouch first_touch(Tensor t, DimMask g, const CoordinateDims& coords) const {
    FirstTouch ft;
    ft.group = g;
    for (std::size_t i = 0; i < loops_.size(); ++i)
      if (loop_group_[i] == g) ft.loops.push_back(i);
    ft.radix.assign(ft.loops.size(), 1);
    double tuples = 1;
    for (std::size_t k = ft.loops.size(); k-- > 0;) {
      ft.radix[k] = static_cast<std::int64_t>(tuples);
      tuples *= static_cast<double>(trips_[ft.loops[k]]);
    }
    const std::array<std::int64_t, 4> sizes = coordinate_sizes(in_.geometry, t);
    std::vector<std::size_t> mine;  // tile coordinates of t in group g
    std::int64_t points = 1;
    for (std::size_t i = 0; i < coords.size(); ++i)
      if (coords[i] & g) {
        mine.push_back(i);
        points *= sizes[i];
      }
    ft.fresh.assign(static_cast<std::size_t>(tuples), 0.0);
    if (tuples * static_cast<double>(hw_.pe.count) > kFirstTouchBudget ||
        points > kFirstTouchPoints) {
      // Too large to enumerate: spread the group's points evenly over its tuples.
      for (double& f : ft.fresh) f = static_cast<double>(points) / tuples;
      return ft;
    }
    std::vector<char> seen(static_cast<std::size_t>(points), 0);
    std::vector<std::int64_t> index(loops_.size(), 0);
    std::vector<UnitChunks> pes;
    for (std::size_t flat = 0; flat < ft.fresh.size(); ++flat) {
      for (std::size_t k = 0; k < ft.loops.size(); ++k)
        index[ft.loops[k]] = (static_cast<std::int64_t>(flat) / ft.radix[k]) % trips_[ft.loops[k]];
      state_.pe_chunks([&](std::size_t i, std::int64_t, std::size_t) { return index[i]; }, pes);
      double fresh = 0;
      for (const UnitChunks& u : pes) {
        const Tile tile = TileShape::coordinates(in_.geometry, u, t);
        if (tile.size == 0 || tile.volume() == 0) continue;
        // Enumerate the tile's points in the group's coordinates.
        std::array<Interval, 4> r{};
        for (std::size_t m = 0; m < 4; ++m) r[m] = m < mine.size() ? tile[mine[m]] : Interval{0, 1};
        std::array<std::int64_t, 4> span{1, 1, 1, 1};
        for (std::size_t m = 0; m < mine.size(); ++m) span[m] = sizes[mine[m]];
        for (std::int64_t a = r[0].lo; a < r[0].hi; ++a)
          for (std::int64_t b = r[1].lo; b < r[1].hi; ++b)
            for (std::int64_t c = r[2].lo; c < r[2].hi; ++c)
              for (std::int64_t d = r[3].lo; d < r[3].hi; ++d) {
                const auto at =
                    static_cast<std::size_t>(((a * span[1] + b) * span[2] + c) * span[3] + d);
                if (!seen[at]) {
                  seen[at] = 1;
                  fresh += 1;
                }
              }
      }
      ft.fresh[flat] = fresh;
    }
    return ft;
  }

  // --- the pipeline ---------------------------------------------------------------------------

  // Steps staged ahead: the lookahead, or fewer when L1 cannot hold that many steps' words.
  double window() const {
    double w = static_cast<double>(std::max<std::int64_t>(1, options_.lookahead_steps));
    const double held =
        static_cast<double>(in_.fills.max_tile[Tensor::Input] + in_.fills.max_tile[Tensor::Weight] +
                            in_.fills.max_tile[Tensor::Output]);
    const double pes = static_cast<double>(std::max<std::int64_t>(1, in_.fills.leaves));
    const double steps = static_cast<double>(std::max<std::int64_t>(1, in_.semantics.steps));
    const double fetched_per_step =
        static_cast<double>(in_.fills.words[Tensor::Input] + in_.fills.words[Tensor::Weight]) /
        (pes * steps);
    const double room = static_cast<double>(hw_.l1_words()) - held;
    if (fetched_per_step > 0 && room >= 0) w = std::min(w, 1 + std::floor(room / fetched_per_step));
    return std::max(1.0, w);
  }

  // Steps whose words L2 fetches ahead: the L2 lookahead, or fewer when the tile words and MACs
  // of that many steps exceed what the controller holds for them.
  double l2_window() const {
    double w = static_cast<double>(std::max<std::int64_t>(1, options_.l2_lookahead_steps));
    const double steps = static_cast<double>(std::max<std::int64_t>(1, in_.semantics.steps));
    const double entries =
        static_cast<double>(in_.fills.max_tile[Tensor::Input] + in_.fills.max_tile[Tensor::Weight] +
                            in_.fills.max_tile[Tensor::Output]) *
            static_cast<double>(std::max<std::int64_t>(1, in_.fills.leaves)) +
        static_cast<double>(in_.semantics.layer_macs) / steps;
    if (entries > 0)
      w = std::min(w, std::max(1.0, std::floor(static_cast<double>(options_.l2_lookahead_entries) /
                                               entries)));
    return std::max(w, window());
  }

  // Words of tensor t that a PE drops and is handed again (model/README.md, 5b, "Words met
  // again"): the innermost loop outside t's tile with a loop of its tile inside it brings back
  // the words it named `period` steps before, which the PE held for `held` steps (the loops
  // inside its innermost moving loop of the tile) and dropped. A PE asks for a word it holds
  // only once it has dropped it, so such a step's words go out once the step `window` = period
  // - held + 1 before it has finished, not the lookahead's.
  struct Refetch {
    std::size_t loop = 0;
    std::size_t window = 0;
  };
  std::optional<Refetch> refetch(Tensor t) const {
    std::int64_t held = 1, period = 1;
    bool moves = false;  // a loop of t's tile turns inside
    for (std::size_t k = loops_.size(); k-- > 0;) {
      if (trips_[k] <= 1) continue;
      if (irrelevant_[t][k] == 0) {
        moves = true;
      } else if (moves) {
        return Refetch{k, static_cast<std::size_t>(period - held + 1)};
      }
      // A period beyond 2^63 steps gives a window (at least half the period) no lookahead
      // reaches: as good as none.
      if (__builtin_mul_overflow(period, trips_[k], &period)) return std::nullopt;
      if (!moves) held = period;  // only loops outside the tile so far
    }
    return std::nullopt;
  }

  // Walks every array step (model/README.md, 5b) and returns the cycle at which the last partial
  // sum has reached L2.
  double walk(std::int64_t steps, double compute_per_step) {
    const auto w = static_cast<std::size_t>(window());
    const auto w2 = static_cast<std::size_t>(l2_window());
    std::vector<double> finished(w2, 0.0);
    const double dram_rate = hw_.dram.words_per_cycle;
    const auto dram_latency = static_cast<double>(hw_.dram.latency_cycles);
    std::vector<std::int64_t> index(loops_.size(), 0);
    // Per tensor: loops outside its tile at a non-zero index (no first touch then), and the
    // flat tuple of every group.
    PerTensor<std::int64_t> blocked{};
    PerTensor<std::vector<std::int64_t>> tuple;
    for (Tensor t : kAllTensors) tuple[t].assign(touches_[t].size(), 0);
    double stage = 0, prefetch = 0, dram = 0, banks = 0, served = 0, last = 0, egress = 0;
    const double l2_rate = static_cast<double>(std::max<std::int64_t>(1, hw_.l2.banks)) *
                           hw_.l2.words_per_bank_per_cycle;
    double spread_per_step = 0;
    for (Tensor t : kAllTensors) spread_per_step += dram_spread_[t] / static_cast<double>(steps);
    std::int64_t edges = 0;  // loops at an edge chunk (find_edge_loops)
    // A word DRAM brings is written to its bank, then read: two accesses at the bank's rate.
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    const double last_word_cycles = limited(bank_rate) ? 2.0 / bank_rate : 0.0;
    std::vector<Refetch> refetches;
    for (Tensor t : {Tensor::Input, Tensor::Weight})
      if (const std::optional<Refetch> r = refetch(t); r && r->window < w) refetches.push_back(*r);
    std::vector<std::int64_t> trips = live_trips(index);
    for (std::int64_t s = 0; s < steps; ++s) {
      // Advance the odometer: the loop that moves gives the transition class.
      int moved = -1;
      if (s > 0) {
        for (std::size_t k = loops_.size(); k-- > 0;) {
          const std::int64_t old = index[k];
          const std::int64_t now = old + 1 < trips[k] ? old + 1 : 0;
          index[k] = now;
          edges += int{is_edge_index(k, now)} - int{is_edge_index(k, old)};
          for (Tensor t : kAllTensors) {
            if (irrelevant_[t][k]) {
              blocked[t] += (now != 0) - (old != 0);
              continue;
            }
            for (std::size_t g = 0; g < touches_[t].size(); ++g) {
              const FirstTouch& ft = touches_[t][g];
              if (ft.group != loop_group_[k]) continue;
              for (std::size_t m = 0; m < ft.loops.size(); ++m)
                if (ft.loops[m] == k) tuple[t][g] += (now - old) * ft.radix[m];
            }
          }
          if (now != 0) {
            moved = static_cast<int>(k);
            break;
          }
        }
        if (moved < 0)
          throw std::logic_error(fmt::format(
              "contention walk: the loops wrapped after {} of {} array steps", s, steps));
        refresh_trips(static_cast<std::size_t>(moved), index, trips);
      }
      const ClassCost& cost = costs_[static_cast<std::size_t>(moved + 1)];
      const std::size_t slot = static_cast<std::size_t>(s) % w2;
      // PEs get step s once step s - W has finished; L2 fetches its words once s - W2 has.
      if (s >= static_cast<std::int64_t>(w))
        stage = std::max(stage, finished[(static_cast<std::size_t>(s) - w) % w2] + kRetireCycles);
      for (const Refetch& r : refetches)
        if (index[r.loop] > 0 && s >= static_cast<std::int64_t>(r.window))
          stage = std::max(stage,
                           finished[(static_cast<std::size_t>(s) - r.window) % w2] + kRetireCycles);
      if (s >= static_cast<std::int64_t>(w2))
        prefetch = std::max(prefetch, finished[slot] + kRetireCycles);
      double ready = stage + kRequestCycles;
      double fetched = spread_per_step;
      double filled = spread_per_step;  // the words DRAM brings, on their busiest bank x banks
      for (Tensor t : kAllTensors) {
        if (blocked[t] > 0 || dram_scale_[t] <= 0) continue;
        double words = dram_scale_[t];
        for (std::size_t g = 0; g < touches_[t].size(); ++g)
          words *= touches_[t][g].fresh[static_cast<std::size_t>(tuple[t][g])];
        fetched += words;
        filled += words * cost.fill_skew[t];
      }
      // The step's DRAM words arrive one after the other from `begin + latency` on; the banks
      // write each as it comes and read it out behind it, so their work overlaps the transfer
      // and only the last word's write and read come after it (`last_word`).
      double last_word = 0;
      if (fetched > 0) {
        const double begin = std::max(dram, prefetch);
        dram = begin + (limited(dram_rate) ? fetched / dram_rate : 0.0);
        ready = std::max(ready, begin + dram_latency);
        last_word = dram + dram_latency + last_word_cycles;
      }
      // L2's banks, then the network (tandem servers): banks also write the words DRAM brings.
      const double start = std::max(banks, ready);
      const double fill = std::max(fetched / l2_rate, filled / l2_rate - fill_slack_);
      const ClassCost::StepCost& step = edges > 0 ? cost.at_edge : cost.inside;
      banks = std::max(start + step.bank + fill, last_word);
      served = std::max({served + step.network, start + step.network, banks});
      const double arrived = served + kDeliveryCycles + step.ingress_latency;
      const double done = std::max(last, arrived) + compute_per_step;
      if (s > 0) egress = std::max(egress, last + kDrainCycles) + step.egress;
      egress_latency_ = std::max(egress_latency_, step.egress > 0 ? step.egress_latency : 0.0);
      finished[slot] = done;
      last = done;
    }
    for (std::size_t k = 0; k < loops_.size(); ++k)
      if (index[k] + 1 != trips[k])
        throw std::logic_error(
            fmt::format("contention walk: {} array steps end before the loops' last state", steps));
    egress = std::max(egress, last + kDrainCycles) + flush_.egress;
    const double out_latency = std::max(egress_latency_, flush_.egress_latency);
    return std::max(last, egress + kDeliveryCycles + out_latency);
  }

  // Layers with more steps than max_walked_steps: every class in its steady state, a step
  // lasting the longest of its compute, its transfers and its share of the window's round trip.
  double steady_state(double compute) const {
    const double steps = static_cast<double>(std::max<std::int64_t>(1, in_.semantics.steps));
    const double c = compute / steps;
    const double w = window();
    double total = 0;
    for (std::size_t k = 0; k < costs_.size(); ++k) {
      const TransitionClass& cls = in_.fills.classes[k];
      const double n = cls.loop < 0 ? 1.0 : static_cast<double>(cls.per_pe_count);
      const ClassCost& x = costs_[k];
      const double ingress = std::max(x.bank, x.network);
      const double round_trip =
          kRequestCycles + ingress + kDeliveryCycles + x.ingress_latency + c + kRetireCycles;
      total += n * std::max({c, ingress, x.egress, round_trip / w});
    }
    double dram_words = 0;
    for (Tensor t : kAllTensors) dram_words += static_cast<double>(in_.dram_fill[t]);
    const double dram_rate = hw_.dram.words_per_cycle;
    const double dram = (limited(dram_rate) ? dram_words / dram_rate : 0.0) +
                        static_cast<double>(hw_.dram.latency_cycles);
    return std::max(total + flush_.egress + kDeliveryCycles + flush_.egress_latency, dram);
  }

  // Outputs written back to DRAM after the last partial sum: read from L2 (banks), sent over
  // the DRAM channel, then its latency.
  double tail() const {
    const double words = static_cast<double>(in_.final_outputs);
    const double bank_rate = static_cast<double>(hw_.l2.banks) * hw_.l2.words_per_bank_per_cycle;
    const double dram_rate = hw_.dram.words_per_cycle;
    const double read = limited(bank_rate) ? words / bank_rate : 0.0;
    const double send = limited(dram_rate) ? words / dram_rate : 0.0;
    return kWritebackCycles + std::max(read, send) + static_cast<double>(hw_.dram.latency_cycles);
  }

  const ContentionInputs& in_;
  const Hardware& hw_;
  ContentionOptions options_;
  ArrayState state_;
  std::vector<LoopRef> loops_;
  TransitionAnalysis analysis_;
  NocTopology dist_, red_;
  std::vector<double> dist_latency_, red_latency_;
  std::vector<std::int64_t> trips_;
  std::vector<char> edge_loop_;            // find_edge_loops
  std::vector<char> uneven_;               // loops whose trips depend on outer indices
  std::vector<std::int64_t> first_trips_;  // every loop's trips at the first state
  mutable std::vector<std::map<std::vector<std::int64_t>, std::int64_t>> trip_cache_;  // trips_at
  std::vector<PerTensor<std::int64_t>> loop_shifts_;                  // per loop (bank windows)
  mutable std::map<std::vector<std::int64_t>, TreePlan> tree_plans_;  // tree_plan's
  std::vector<ClassCost> costs_;
  ClassCost flush_;
  double egress_latency_ = 0;
  double compute_per_step_ = 0;  // the layer's compute cycles per array step
  double fill_slack_ = 0;        // the classes' bank_slack, averaged over the steps
  std::vector<DimMask> loop_group_;
  PerTensor<std::vector<FirstTouch>> touches_;
  PerTensor<std::vector<char>> irrelevant_;
  PerTensor<double> dram_scale_{};
  PerTensor<double> dram_spread_{};  // words re-read over the whole walk
};

}  // namespace

ContentionEstimate estimate_contention(const ContentionInputs& in, const Hardware& hw,
                                       const ContentionOptions& options) {
  return Estimator(in, hw, options).run();
}

}  // namespace metronome
