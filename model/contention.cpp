// The contention-aware runtime estimate: equations in model/README.md, section 5b.

#include "model/contention.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>

namespace metronome {

namespace {

bool limited(double rate) { return std::isfinite(rate); }

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

// ---------------------------------------------------------------------------------------------
// The array's state at chosen loop indices

// The loops of the odometer, outermost first: every TemporalMap and each level's fold loop (its
// first SpatialMap), level by level (the order of FillCounts::classes).
struct LoopRef {
  std::size_t level = 0;
  std::size_t position = 0;
  Dim dim = Dim::N;
};

std::vector<LoopRef> odometer_loops(const std::vector<LevelPlan>& plans) {
  std::vector<LoopRef> loops;
  for (std::size_t l = 0; l < plans.size(); ++l)
    for (std::size_t i = 0; i < plans[l].directives.size(); ++i) {
      const ResolvedDirective& d = plans[l].directives[i];
      if (d.kind == MapKind::Temporal || static_cast<int>(i) == plans[l].first_spatial)
        loops.push_back({l, i, base_dim(d.dim)});
    }
  return loops;
}

// Picks the index of loop `loop` (odometer order) given its trip count for the cluster being
// built; `entry` numbers the clusters of the loop's level (0 is the first PE's).
using IndexChooser = std::function<std::int64_t(std::size_t loop, std::int64_t trips,
                                                std::size_t entry)>;

// Chunks of every PE for chosen loop indices, with the directive rules of docs/semantics.md
// (spec/semantics_walk). PE number: the mixed-radix number of its unit indices, top level most
// significant, so the PEs of one innermost cluster are consecutive. An index beyond a cluster's
// own trip count leaves its units idle (empty chunks), as in lockstep.
class ArrayState {
 public:
  ArrayState(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans)
      : geometry_(geometry), plans_(plans) {
    std::size_t loop = 0;
    for (const LevelPlan& p : plans_) {
      loop_base_.push_back(loop);
      for (std::size_t i = 0; i < p.directives.size(); ++i)
        if (p.directives[i].kind == MapKind::Temporal || static_cast<int>(i) == p.first_spatial)
          ++loop;
    }
  }

  void pe_chunks(const IndexChooser& choose, std::vector<UnitChunks>& pes) const {
    std::vector<UnitChunks> entries{geometry_.whole_layer()}, next;
    for (std::size_t l = 0; l < plans_.size(); ++l) {
      next.clear();
      for (std::size_t e = 0; e < entries.size(); ++e) apply_level(l, entries[e], e, choose, next);
      entries.swap(next);
    }
    pes.swap(entries);
  }

 private:
  void apply_level(std::size_t l, const UnitChunks& entry, std::size_t entry_index,
                   const IndexChooser& choose, std::vector<UnitChunks>& out) const {
    const LevelPlan& p = plans_[l];
    const std::int64_t spread_units = p.first_spatial >= 0 ? p.units : 1;
    std::vector<UnitChunks> units(1, entry);
    units[0].rows_from_outputs = units[0].cols_from_outputs = false;
    std::int64_t fold = -1;
    std::size_t loop = loop_base_[l];
    for (std::size_t i = 0; i < p.directives.size(); ++i) {
      const ResolvedDirective& d = p.directives[i];
      if (d.kind == MapKind::Temporal) {
        std::int64_t trips = 1;
        for (const UnitChunks& u : units)
          trips = std::max(trips, chunk_count(geometry_.parent_interval(u, d.dim).length(), d.size,
                                              d.offset));
        const std::int64_t index = choose(loop++, trips, entry_index);
        for (UnitChunks& u : units) split(u, d, index);
      } else if (fold >= 0) {
        spread(units, d, fold, spread_units);
      } else {
        std::int64_t most = 1;
        for (std::size_t j = i; j < p.directives.size(); ++j) {
          const ResolvedDirective& s = p.directives[j];
          if (s.kind != MapKind::Spatial) continue;
          most = std::max(most, chunk_count(geometry_.parent_interval(units[0], s.dim).length(),
                                            s.size, s.offset));
        }
        const std::int64_t folds = (most + spread_units - 1) / spread_units;
        fold = choose(loop++, folds, entry_index);
        const UnitChunks shared = units[0];
        units.assign(static_cast<std::size_t>(spread_units), shared);
        spread(units, d, fold, spread_units);
      }
    }
    for (UnitChunks& u : units) geometry_.finish_level(u);
    for (std::int64_t k = 0; k < p.units; ++k)
      out.push_back(units[spread_units == 1 ? 0 : static_cast<std::size_t>(k)]);
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    const Interval parent = geometry_.parent_interval(u, d.dim);
    const std::int64_t n = chunk_count(parent.length(), d.size, d.offset);
    geometry_.assign(u, d.dim,
                     index >= 0 && index < n ? chunk_at(parent, d.size, d.offset, index)
                                             : Interval{});
  }

  void spread(std::vector<UnitChunks>& units, const ResolvedDirective& d, std::int64_t fold,
              std::int64_t level_units) const {
    for (std::size_t u = 0; u < units.size(); ++u)
      split(units[u], d, fold * level_units + static_cast<std::int64_t>(u));
  }

  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& plans_;
  std::vector<std::size_t> loop_base_;
};

// ---------------------------------------------------------------------------------------------
// Tensor coordinates

// Size of every tile coordinate (TileShape order): the row-major layout of Layer::tensor_words.
std::array<std::int64_t, 4> coordinate_sizes(const LayerGeometry& g, Tensor t) {
  switch (t) {
    case Tensor::Input:
      return {g.size(Dim::N), g.size(Dim::C), g.size(Dim::Y), g.size(Dim::X)};
    case Tensor::Weight:
      if (g.channel_tied()) return {g.size(Dim::C), g.size(Dim::R), g.size(Dim::S), 1};
      return {g.size(Dim::K), g.size(Dim::C), g.size(Dim::R), g.size(Dim::S)};
    case Tensor::Output:
      return {g.size(Dim::N), g.depthwise() ? g.size(Dim::C) : g.size(Dim::K), g.out_rows(),
              g.out_cols()};
  }
  return {1, 1, 1, 1};
}

// The dimensions each tile coordinate depends on (as model/fills.cpp groups them).
std::vector<DimMask> coordinate_dims(Tensor t, bool tied, bool depthwise) {
  const DimMask y = dim_bit(Dim::Y) | dim_bit(Dim::R);
  const DimMask x = dim_bit(Dim::X) | dim_bit(Dim::S);
  const DimMask kc = dim_bit(Dim::K) | dim_bit(Dim::C);
  switch (t) {
    case Tensor::Input:
      return {dim_bit(Dim::N), dim_bit(Dim::C), y, x};
    case Tensor::Weight:
      if (tied) return {kc, y, x};
      return {dim_bit(Dim::K), dim_bit(Dim::C), y, x};
    case Tensor::Output:
      return {dim_bit(Dim::N), depthwise ? kc : dim_bit(Dim::K), y, x};
  }
  return {};
}

bool inside(const Tile& box, const std::array<std::int64_t, 4>& point) {
  if (box.size == 0) return false;
  for (std::size_t i = 0; i < box.size; ++i)
    if (!box[i].contains(point[i])) return false;
  return true;
}

// Calls f(flat index) for every word of `box` that `minus` does not hold.
template <typename F>
void for_each_word(const Tile& box, const Tile& minus, const std::array<std::int64_t, 4>& sizes,
                   F&& f) {
  if (box.size == 0 || box.volume() == 0) return;
  std::array<Interval, 4> r{};
  for (std::size_t i = 0; i < 4; ++i) r[i] = i < box.size ? box[i] : Interval{0, 1};
  std::array<std::int64_t, 4> p{};
  for (p[0] = r[0].lo; p[0] < r[0].hi; ++p[0])
    for (p[1] = r[1].lo; p[1] < r[1].hi; ++p[1])
      for (p[2] = r[2].lo; p[2] < r[2].hi; ++p[2])
        for (p[3] = r[3].lo; p[3] < r[3].hi; ++p[3]) {
          if (inside(minus, p)) continue;
          f(((p[0] * sizes[1] + p[1]) * sizes[2] + p[2]) * sizes[3] + p[3]);
        }
}

// ---------------------------------------------------------------------------------------------
// One transition: which words move, to and from which PEs

// Traffic of one tensor in one transition, before any scaling.
struct TensorTraffic {
  std::vector<TrafficGroup> groups;  // destination (or contributor) sets and their words
  std::vector<double> bank_accesses; // L2 accesses per bank
  double pe_words = 0;               // words summed over PEs (fills or drains)
  std::vector<char> pe_active;       // PEs that receive (or send) words
  // Every word L2 reads (or receives), in flat-index order, with its group in `groups`.
  std::vector<std::pair<std::int64_t, std::uint32_t>> packets;
};

class TransitionAnalysis {
 public:
  TransitionAnalysis(const LayerGeometry& geometry, const Hardware& hw)
      : geometry_(geometry), hw_(hw) {
    for (Tensor t : kAllTensors) sizes_[t] = coordinate_sizes(geometry_, t);
  }

  // Words a PE receives (inputs, weights: after \ before) or drains (outputs: before \ after),
  // grouped by the set of PEs that share them: multicast (or reduction) groups. With
  // `merge` false every PE's words form their own group (unicast, or reduction at L2).
  TensorTraffic analyze(Tensor t, const std::vector<UnitChunks>& before,
                        const std::vector<UnitChunks>& after, bool merge) const {
    TensorTraffic out;
    const auto banks = static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks));
    out.bank_accesses.assign(banks, 0.0);
    const std::size_t pes = std::max(before.size(), after.size());
    out.pe_active.assign(pes, 0);
    const Tile none{};
    auto tile = [&](const std::vector<UnitChunks>& state, std::size_t p) {
      return p < state.size() ? TileShape::coordinates(geometry_, state[p], t) : none;
    };
    // (word, PE) pairs; drained outputs leave the old tile, received words enter the new one.
    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    for (std::size_t p = 0; p < pes; ++p) {
      const Tile from = tile(before, p), to = tile(after, p);
      const Tile& box = t == Tensor::Output ? from : to;
      const Tile& minus = t == Tensor::Output ? to : from;
      const std::size_t mark = pairs.size();
      for_each_word(box, minus, sizes_[t], [&](std::int64_t flat) {
        pairs.emplace_back(flat, static_cast<std::int64_t>(p));
      });
      if (pairs.size() > mark) out.pe_active[p] = 1;
    }
    out.pe_words = static_cast<double>(pairs.size());
    std::sort(pairs.begin(), pairs.end());
    if (!merge) {
      std::vector<std::int64_t> group_of(pes, -1);
      for (const auto& [flat, p] : pairs) {
        std::int64_t& g = group_of[static_cast<std::size_t>(p)];
        if (g < 0) {
          g = static_cast<std::int64_t>(out.groups.size());
          out.groups.push_back({{p}, 0.0});
        }
        out.groups[static_cast<std::size_t>(g)].words += 1;
        out.bank_accesses[static_cast<std::size_t>(flat) % banks] += 1;
        out.packets.emplace_back(flat, static_cast<std::uint32_t>(g));
      }
      return out;
    }
    std::map<std::vector<std::int64_t>, std::uint32_t> by_set;
    std::vector<std::int64_t> set;
    for (std::size_t i = 0; i < pairs.size();) {
      const std::int64_t flat = pairs[i].first;
      set.clear();
      for (; i < pairs.size() && pairs[i].first == flat; ++i) set.push_back(pairs[i].second);
      auto [it, fresh] = by_set.try_emplace(set, static_cast<std::uint32_t>(out.groups.size()));
      if (fresh) out.groups.push_back({set, 0.0});
      out.groups[it->second].words += 1;
      out.bank_accesses[static_cast<std::size_t>(flat) % banks] += 1;
      out.packets.emplace_back(flat, it->second);
    }
    return out;
  }

  // Words a transition moves, summed over PEs, without enumerating them.
  double pe_words(Tensor t, const std::vector<UnitChunks>& before,
                  const std::vector<UnitChunks>& after) const {
    double words = 0;
    const std::size_t pes = std::max(before.size(), after.size());
    for (std::size_t p = 0; p < pes; ++p) {
      const Tile from = p < before.size() ? TileShape::coordinates(geometry_, before[p], t) : Tile{};
      const Tile to = p < after.size() ? TileShape::coordinates(geometry_, after[p], t) : Tile{};
      const Tile& box = t == Tensor::Output ? from : to;
      const Tile& other = t == Tensor::Output ? to : from;
      const std::int64_t overlap = (box.size == 0 || other.size == 0) ? 0 : box.overlap(other);
      words += static_cast<double>(box.size == 0 ? 0 : box.volume() - overlap);
    }
    return words;
  }

 private:
  const LayerGeometry& geometry_;
  const Hardware& hw_;
  PerTensor<std::array<std::int64_t, 4>> sizes_;
};

// ---------------------------------------------------------------------------------------------
// Dimension groups (model/fills.cpp): Y with R, X with S, K with C for depth-wise layers, and
// the dimensions spatially mapped at one level. A loop moves only its own group's chunks.

std::vector<DimMask> dimension_groups(const LayerGeometry& geometry,
                                      const std::vector<LevelPlan>& plans) {
  std::array<std::size_t, kNumDims> parent{};
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x];
    return x;
  };
  auto join = [&](Dim a, Dim b) {
    parent[find(static_cast<std::size_t>(a))] = find(static_cast<std::size_t>(b));
  };
  join(Dim::Y, Dim::R);
  join(Dim::X, Dim::S);
  if (geometry.depthwise()) join(Dim::K, Dim::C);
  for (const LevelPlan& p : plans) {
    std::optional<Dim> first;
    for (const ResolvedDirective& d : p.directives) {
      if (d.kind != MapKind::Spatial) continue;
      if (first) join(*first, base_dim(d.dim));
      first = base_dim(d.dim);
    }
  }
  std::map<std::size_t, DimMask> by_root;
  for (Dim d : kAllDims) by_root[find(static_cast<std::size_t>(d))] |= dim_bit(d);
  std::vector<DimMask> groups;
  for (const auto& [root, mask] : by_root) groups.push_back(mask);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Per transition class: the cycles of its transfers

struct ClassCost {
  double ingress = 0;          // cycles per transition: busiest distribution link or L2 bank
  double egress = 0;           // cycles per transition: busiest reduction link
  double ingress_latency = 0;  // cycles from L2 to the farthest receiving PE
  double egress_latency = 0;   // cycles from the farthest draining PE to L2
};

// Pipeline cycles of the controller and the cores that no link or bank explains
// (model/README.md, 5b): a staged step's requests reach L2 one cycle later; a word L2 reads
// enters the network two cycles after its bank serves it and a PE uses a delivered word one
// cycle after delivery; a finished step frees its slot of the window one cycle later; drained
// partial sums leave one cycle after the step ends; the final write-back waits one cycle.
constexpr double kRequestCycles = 1;
constexpr double kDeliveryCycles = 3;
constexpr double kRetireCycles = 1;
constexpr double kDrainCycles = 1;
constexpr double kWritebackCycles = 1;

// Enumerating words costs memory and time; transitions that move more (PE-summed) words than
// this are analysed with identical tiles only (the simple model's multicast rule).
constexpr double kWordBudget = double{1 << 22};
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
        dist_(NocTopology::build(hw.noc.distribution.topology, hw.pe.count,
                                 hw.noc.distribution.fat)),
        red_(NocTopology::build(hw.noc.reduction.topology, hw.pe.count, hw.noc.reduction.fat)) {
    for (std::int64_t p = 0; p < hw.pe.count; ++p) {
      dist_latency_.push_back(route_latency(dist_, hw.noc.distribution, dist_.route_from_l2(p)));
      red_latency_.push_back(route_latency(red_, hw.noc.reduction, red_.route_to_l2(p)));
    }
    derive_trips();
  }

  ContentionEstimate run() {
    ContentionEstimate out;
    const std::size_t classes = in_.fills.classes.size();
    costs_.assign(classes, ClassCost{});
    for (std::size_t c = 0; c < classes; ++c) costs_[c] = class_cost(c);
    flush_ = flush_cost();
    for (const ClassCost& c : costs_) {
      out.ingress_cycles.push_back(c.ingress);
      out.egress_cycles.push_back(c.egress);
    }
    double steps = 1;
    for (const std::int64_t t : trips_) steps *= static_cast<double>(t);
    const double compute = static_cast<double>(in_.semantics.compute_cycles);
    double done = 0;
    if (steps <= static_cast<double>(options_.max_walked_steps)) {
      build_first_touch();
      done = walk(static_cast<std::int64_t>(steps), compute / steps);
      out.walked_steps = static_cast<std::int64_t>(steps);
    } else {
      done = steady_state(compute);
    }
    const double runtime = done + tail();
    if (std::getenv("METRONOME_CONTENTION_DEBUG")) {
      std::fprintf(stderr, "steps %.0f (semantics %lld) compute %.0f window %.1f done %.1f tail %.1f\n",
                   steps, static_cast<long long>(in_.semantics.steps), compute, window(), done, tail());
      for (std::size_t c = 0; c < costs_.size(); ++c)
        std::fprintf(stderr, "class %zu loop %d n %lld trips %lld: in %.2f out %.2f lat %.1f/%.1f words %.0f/%.0f/%.0f\n", c,
                     in_.fills.classes[c].loop, static_cast<long long>(in_.fills.classes[c].per_pe_count),
                     c > 0 ? static_cast<long long>(trips_[c - 1]) : 0LL, costs_[c].ingress, costs_[c].egress,
                     costs_[c].ingress_latency, costs_[c].egress_latency, class_words(c, Tensor::Input),
                     class_words(c, Tensor::Weight), class_words(c, Tensor::Output));
      for (Tensor t : kAllTensors) {
        std::fprintf(stderr, "tensor %d scale %.2f groups:", static_cast<int>(t), dram_scale_[t]);
        for (const auto& ft : touches_[t]) {
          double sum = 0; for (double f : ft.fresh) sum += f;
          std::fprintf(stderr, " [g%u loops %zu tuples %zu sum %.0f]", ft.group, ft.loops.size(), ft.fresh.size(), sum);
        }
        std::fprintf(stderr, "\n");
      }
    }
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

  // The array before and after a transition in which loop `j` advances (j < 0: the first step,
  // from nothing): the loops outside j at the middle of their range, j from a to a + 1 in the
  // middle of its range, the loops inside j from their last index to 0. Indices up to j are
  // those of the first PE's clusters for all clusters (lockstep).
  void transition(int j, std::vector<UnitChunks>& before, std::vector<UnitChunks>& after) const {
    if (j < 0) {
      before.clear();
      state_.pe_chunks([](std::size_t, std::int64_t, std::size_t) { return std::int64_t{0}; },
                       after);
      return;
    }
    const auto cut = static_cast<std::size_t>(j);
    std::vector<std::int64_t> ref(loops_.size(), -1);
    auto chooser = [&](bool late) {
      return [&ref, cut, late](std::size_t i, std::int64_t trips, std::size_t) -> std::int64_t {
        if (i < cut) {
          if (ref[i] < 0) ref[i] = trips / 2;
          return ref[i];
        }
        if (i == cut) {
          if (ref[i] < 0) ref[i] = std::max<std::int64_t>(0, (trips - 2) / 2);
          return ref[i] + (late ? 1 : 0);
        }
        return late ? 0 : trips - 1;
      };
    };
    state_.pe_chunks(chooser(false), before);
    state_.pe_chunks(chooser(true), after);
  }

  // Words of tensor t one transition moves on average in class c, summed over PEs.
  double class_words(std::size_t c, Tensor t) const {
    const TransitionClass& cls = in_.fills.classes[c];
    const double n = cls.loop < 0 ? 1.0 : static_cast<double>(cls.per_pe_count);
    return n > 0 ? static_cast<double>(cls.words[t]) / n : 0.0;
  }

  struct Loads {
    std::vector<double> dist, red, banks;
    double in_latency = 0, out_latency = 0;
    bool any_in = false, any_out = false;
  };

  // Loads of one transition, each tensor scaled to `words` PE-summed words (its class average).
  Loads transition_loads(const std::vector<UnitChunks>& before,
                         const std::vector<UnitChunks>& after,
                         const PerTensor<double>& words) const {
    Loads l;
    l.dist.assign(dist_.edge_count(), 0.0);
    l.red.assign(red_.edge_count(), 0.0);
    l.banks.assign(static_cast<std::size_t>(std::max<std::int64_t>(1, hw_.l2.banks)), 0.0);
    const bool multicast = hw_.noc.distribution.multicast;
    const bool in_network = hw_.noc.reduction.in_network;
    double budget = 0;
    for (Tensor t : kAllTensors) budget += analysis_.pe_words(t, before, after);
    const bool words_level = budget <= kWordBudget;
    for (Tensor t : kAllTensors) {
      if (words[t] <= 0) continue;
      const bool out = t == Tensor::Output;
      const TensorTraffic traffic =
          words_level ? analysis_.analyze(t, before, after, out ? in_network : multicast)
                      : identical_tiles(t, before, after, out ? in_network : multicast);
      if (traffic.pe_words <= 0) continue;
      const double scale = words[t] / traffic.pe_words;
      const std::vector<double> loads =
          out ? reduction_link_loads(red_, traffic.groups, in_network)
              : distribution_link_loads(dist_, traffic.groups, multicast);
      std::vector<double>& into = out ? l.red : l.dist;
      for (std::size_t e = 0; e < loads.size(); ++e) into[e] += loads[e] * scale;
      for (std::size_t b = 0; b < l.banks.size(); ++b)
        l.banks[b] += traffic.bank_accesses[b] * scale;
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
    return l;
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
        const Tile b = p < before.size() ? TileShape::coordinates(in_.geometry, before[p], t) : Tile{};
        const Tile a = p < after.size() ? TileShape::coordinates(in_.geometry, after[p], t) : Tile{};
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

  ClassCost cost_of(const Loads& l) const {
    ClassCost c;
    const double bank_rate = hw_.l2.words_per_bank_per_cycle;
    double bank = 0;
    if (limited(bank_rate))
      for (const double a : l.banks) bank = std::max(bank, a / bank_rate);
    c.ingress = std::max(busiest_link_cycles(dist_, hw_.noc.distribution, l.dist), bank);
    c.egress = busiest_link_cycles(red_, hw_.noc.reduction, l.red);
    c.ingress_latency = l.any_in ? l.in_latency : 0;
    c.egress_latency = l.any_out ? l.out_latency : 0;
    return c;
  }

  ClassCost class_cost(std::size_t c) {
    const TransitionClass& cls = in_.fills.classes[c];
    if (cls.loop >= 0 && cls.per_pe_count == 0) return {};
    PerTensor<double> words;
    for (Tensor t : kAllTensors) words[t] = class_words(c, t);
    std::vector<UnitChunks> before, after;
    transition(cls.loop, before, after);
    Loads l = transition_loads(before, after, words);
    // A representative that moves nothing of a tensor its class moves (an edge case of the
    // chosen indices): spread the class's words like the first step's.
    PerTensor<double> missing;
    bool any_missing = false;
    for (Tensor t : kAllTensors) {
      const double have = analysis_.pe_words(t, before, after);
      missing[t] = have <= 0 && words[t] > 0 ? words[t] : 0;
      any_missing = any_missing || missing[t] > 0;
    }
    if (any_missing) {
      std::vector<UnitChunks> first_before, first_after;
      transition(-1, first_before, first_after);
      // The first step's tiles drained as outputs: use its "after" as the old tile.
      const Loads extra_in = transition_loads(first_before, first_after,
                                              tensor_values(missing[Tensor::Input], missing[Tensor::Weight], 0.0));
      const Loads extra_out = transition_loads(first_after, first_before,
                                               tensor_values(0.0, 0.0, missing[Tensor::Output]));
      for (const Loads* x : {&extra_in, &extra_out}) {
        for (std::size_t e = 0; e < l.dist.size(); ++e) l.dist[e] += x->dist[e];
        for (std::size_t e = 0; e < l.red.size(); ++e) l.red[e] += x->red[e];
        for (std::size_t b = 0; b < l.banks.size(); ++b) l.banks[b] += x->banks[b];
        l.in_latency = std::max(l.in_latency, x->in_latency);
        l.out_latency = std::max(l.out_latency, x->out_latency);
        l.any_in = l.any_in || x->any_in;
        l.any_out = l.any_out || x->any_out;
      }
    }
    return cost_of(l);
  }

  // The last step's partial sums leave when the array finishes (every PE's last tile).
  ClassCost flush_cost() const {
    std::vector<UnitChunks> last, none;
    state_.pe_chunks([](std::size_t, std::int64_t trips, std::size_t) { return trips - 1; }, last);
    const PerTensor<double> words =
        tensor_values(0.0, 0.0, analysis_.pe_words(Tensor::Output, last, none));
    return cost_of(transition_loads(last, none, words));
  }

  // --- DRAM: first touches ------------------------------------------------------------------

  // For every tensor and every group of dimensions its tile depends on, the number of new
  // coordinate points (of the group's coordinates of the tensor, united over all PEs) at every
  // index tuple of the group's loops, the other loops at 0: a word is fetched from DRAM at the
  // first step whose tiles hold it, and that step is the first, in odometer order, in every group
  // (model/README.md, 5b).
  struct FirstTouch {
    DimMask group = 0;
    std::vector<std::size_t> loops;     // the group's loops, outermost first
    std::vector<std::int64_t> radix;    // flat tuple = sum index_i * radix_i
    std::vector<double> fresh;          // new points per flat tuple
  };

  void build_first_touch() {
    const std::vector<DimMask> groups = dimension_groups(in_.geometry, in_.plans);
    loop_group_.assign(loops_.size(), 0);
    for (std::size_t i = 0; i < loops_.size(); ++i)
      for (const DimMask g : groups)
        if (g & dim_bit(loops_[i].dim)) loop_group_[i] = g;
    for (Tensor t : kAllTensors) {
      touches_[t].clear();
      irrelevant_[t].assign(loops_.size(), 0);
      const std::vector<DimMask> coords =
          coordinate_dims(t, in_.geometry.channel_tied(), in_.geometry.depthwise());
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
      // Words fetched beyond the first touches (an L2 too small for the layer, section 4) come
      // with the first touches, in proportion. Outputs start as zero partial sums in L2: only
      // those written back and needed again are read (dram_fill beyond |output|).
      const double fetched = t == Tensor::Output
                                 ? static_cast<double>(in_.dram_fill[t] - in_.output_words)
                                 : static_cast<double>(in_.dram_fill[t]);
      dram_scale_[t] = total > 0 ? fetched / total : 0.0;
      if (t != Tensor::Output) dram_scale_[t] = std::max(1.0, dram_scale_[t]);
    }
  }

  FirstTouch first_touch(Tensor t, DimMask g, const std::vector<DimMask>& coords) const {
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
        index[ft.loops[k]] = (static_cast<std::int64_t>(flat) / ft.radix[k]) %
                             trips_[ft.loops[k]];
      state_.pe_chunks([&](std::size_t i, std::int64_t, std::size_t) { return index[i]; }, pes);
      double fresh = 0;
      for (const UnitChunks& u : pes) {
        const Tile tile = TileShape::coordinates(in_.geometry, u, t);
        if (tile.size == 0 || tile.volume() == 0) continue;
        // Enumerate the tile's points in the group's coordinates.
        std::array<Interval, 4> r{};
        for (std::size_t m = 0; m < 4; ++m)
          r[m] = m < mine.size() ? tile[mine[m]] : Interval{0, 1};
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
    const double held = static_cast<double>(in_.fills.max_tile[Tensor::Input] +
                                            in_.fills.max_tile[Tensor::Weight] +
                                            in_.fills.max_tile[Tensor::Output]);
    const double pes = static_cast<double>(std::max<std::int64_t>(1, in_.fills.leaves));
    const double steps = static_cast<double>(std::max<std::int64_t>(1, in_.semantics.steps));
    const double fetched_per_step =
        static_cast<double>(in_.fills.words[Tensor::Input] + in_.fills.words[Tensor::Weight]) /
        (pes * steps);
    const double room = static_cast<double>(hw_.l1_words()) - held;
    if (fetched_per_step > 0 && room >= 0)
      w = std::min(w, 1 + std::floor(room / fetched_per_step));
    return std::max(1.0, w);
  }

  // Walks every array step (model/README.md, 5b) and returns the cycle at which the last partial
  // sum has reached L2.
  double walk(std::int64_t steps, double compute_per_step) {
    const auto w = static_cast<std::size_t>(window());
    std::vector<double> finished(w, 0.0);
    const double dram_rate = hw_.dram.words_per_cycle;
    const auto dram_latency = static_cast<double>(hw_.dram.latency_cycles);
    std::vector<std::int64_t> index(loops_.size(), 0);
    // Per tensor: loops outside its tile at a non-zero index (no first touch then), and the
    // flat tuple of every group.
    PerTensor<std::int64_t> blocked{};
    PerTensor<std::vector<std::int64_t>> tuple;
    for (Tensor t : kAllTensors) tuple[t].assign(touches_[t].size(), 0);
    double stage = 0, dram = 0, served = 0, last = 0, egress = 0;
    for (std::int64_t s = 0; s < steps; ++s) {
      // Advance the odometer: the loop that moves gives the transition class.
      int moved = -1;
      if (s > 0) {
        for (std::size_t k = loops_.size(); k-- > 0;) {
          const std::int64_t old = index[k];
          const std::int64_t now = old + 1 < trips_[k] ? old + 1 : 0;
          index[k] = now;
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
      }
      const ClassCost& cost = costs_[static_cast<std::size_t>(moved + 1)];
      const std::size_t slot = static_cast<std::size_t>(s) % w;
      if (s >= static_cast<std::int64_t>(w)) stage = std::max(stage, finished[slot] + kRetireCycles);
      double ready = stage + kRequestCycles;
      double fetched = 0;
      for (Tensor t : kAllTensors) {
        if (blocked[t] > 0 || dram_scale_[t] <= 0) continue;
        double words = dram_scale_[t];
        for (std::size_t g = 0; g < touches_[t].size(); ++g)
          words *= touches_[t][g].fresh[static_cast<std::size_t>(tuple[t][g])];
        fetched += words;
      }
      if (fetched > 0) {
        dram = std::max(dram, stage) + (limited(dram_rate) ? fetched / dram_rate : 0.0);
        ready = std::max(ready, dram + dram_latency);
      }
      served = std::max(served, ready) + cost.ingress;
      const double arrived = served + kDeliveryCycles + cost.ingress_latency;
      const double done = std::max(last, arrived) + compute_per_step;
      if (s > 0) egress = std::max(egress, last + kDrainCycles) + cost.egress;
      egress_latency_ = std::max(egress_latency_, cost.egress > 0 ? cost.egress_latency : 0.0);
      finished[slot] = done;
      if (std::getenv("METRONOME_CONTENTION_TRACE") && (s < 40 || s % 100 < 3))
        std::fprintf(stderr, "s %lld class %d stage %.1f ready %.1f dram %.1f fetched %.0f served %.1f arrived %.1f done %.1f\n",
                     static_cast<long long>(s), moved, stage, ready, dram, fetched, served, arrived, done);
      last = done;
    }
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
      const double round_trip = kRequestCycles + x.ingress + kDeliveryCycles + x.ingress_latency +
                                c + kRetireCycles;
      total += n * std::max({c, x.ingress, x.egress, round_trip / w});
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
    const double words = static_cast<double>(in_.output_words);
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
  std::vector<ClassCost> costs_;
  ClassCost flush_;
  double egress_latency_ = 0;
  std::vector<DimMask> loop_group_;
  PerTensor<std::vector<FirstTouch>> touches_;
  PerTensor<std::vector<char>> irrelevant_;
  PerTensor<double> dram_scale_{};
};

}  // namespace

ContentionEstimate estimate_contention(const ContentionInputs& in, const Hardware& hw,
                                       const ContentionOptions& options) {
  return Estimator(in, hw, options).run();
}

}  // namespace metronome
