// Fast exact analysis of a mapping (docs/semantics.md).
//
// Coverage: the MAC coordinates (n,k,c,r,s,oy,ox) split into independent groups: r with oy and
// s with ox (a window's fit depends on the R/S chunk), plus the dimensions spatially mapped at
// one level (they share the unit index). Every loop index moves only its own group's chunks, so
// the number of times a MAC is performed is the product over groups of per-group counts, times
// the number of units of levels without SpatialMap. Each group's counts come from walking only
// that group's loops and adding boxes into a difference array over the group's coordinates.
//
// Steps: per level, the loop nest splits into chains of directives that move together; chain
// iterations that lead to the same (translation-normalised) child state are grouped, and child
// levels are memoised on that normalised state. Units that hold differently shaped chunks are
// combined step by step through interval lists of their non-empty steps.

#include "spec/semantics.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "spec/semantics_walk.hpp"

namespace metronome {

namespace {

constexpr std::size_t kCoords = 7;  // n, k, c, r, s, oy, ox

std::int64_t mul_or_throw(std::int64_t a, std::int64_t b, const char* what) {
  return checked_mul(a, b, SourceLocation{}, what);
}

std::int64_t add_or_throw(std::int64_t a, std::int64_t b, const char* what) {
  return checked_add(a, b, SourceLocation{}, what);
}

// ---------------------------------------------------------------------------------------------
// Coverage per coordinate group.

struct CoordinateGroup {
  std::vector<std::size_t> coords;  // ascending
  DimMask dims = 0;                 // the dimensions whose directives move these coordinates
  std::vector<std::int64_t> sizes;  // per coordinate
  std::vector<std::int32_t> count;  // per cell, row-major over coords
  std::int64_t performed = 0;       // sum of box volumes over the group's leaves
  std::int64_t covered = 0;         // cells with count >= 1
  // Projections for finding the first missing / duplicated coordinates: for each prefix length
  // j of `coords`, per prefix cell, bit 0: some completion has count 0, bit 1: count >= 1,
  // bit 2: count >= 2.
  std::vector<std::vector<std::uint8_t>> prefix_flags;
};

class Disjoint {
 public:
  explicit Disjoint(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<std::size_t> parent_;
};

class Analysis {
 public:
  Analysis(const Layer& layer, const ResolvedMapping& mapping, std::int64_t macs_per_cycle)
      : layer_(layer),
        geometry_(layer),
        levels_(plan_levels(mapping)),
        walks_(geometry_, levels_),
        macs_per_cycle_(macs_per_cycle) {
    for (const LevelPlan& level : levels_) {
      DimMask dims = 0;
      for (const ResolvedDirective& d : level.directives) dims |= dim_bit(base_dim(d.dim));
      level_dims_.push_back(dims);
    }
  }

  SemanticsReport run() {
    SemanticsReport report;
    coverage(report);
    const StepResult steps = evaluate(0, geometry_.whole_layer());
    report.steps = steps.steps;
    report.empty_steps = steps.empty;
    report.compute_cycles = steps.compute;
    return report;
  }

 private:
  std::size_t coordinate_of(Dim d) const {
    if (d == Dim::K && geometry_.channel_tied()) return static_cast<std::size_t>(Dim::C);
    return static_cast<std::size_t>(d);  // N..S map to 0..4, Y -> 5 (oy), X -> 6 (ox)
  }

  std::vector<CoordinateGroup> make_groups() const {
    Disjoint sets(kCoords);
    sets.join(static_cast<std::size_t>(Dim::R), 5);
    sets.join(static_cast<std::size_t>(Dim::S), 6);
    for (const LevelPlan& level : levels_) {
      std::optional<std::size_t> first;
      for (const ResolvedDirective& d : level.directives) {
        if (d.kind != MapKind::Spatial) continue;
        const std::size_t c = coordinate_of(base_dim(d.dim));
        if (first) sets.join(*first, c);
        first = c;
      }
    }
    std::map<std::size_t, CoordinateGroup> by_root;
    for (std::size_t c = 0; c < kCoords; ++c) by_root[sets.find(c)].coords.push_back(c);
    std::vector<CoordinateGroup> groups;
    for (auto& [root, group] : by_root) {
      for (Dim d : kAllDims)
        if (sets.find(coordinate_of(d)) == root) group.dims |= dim_bit(d);
      for (std::size_t c : group.coords) group.sizes.push_back(geometry_.coordinate_sizes()[c]);
      groups.push_back(std::move(group));
    }
    return groups;
  }

  void coverage(SemanticsReport& report) {
    std::vector<CoordinateGroup> groups = make_groups();
    std::int64_t duplicate_units = 1;  // levels without SpatialMap run every MAC on every unit
    for (const LevelPlan& level : levels_)
      if (level.first_spatial < 0) duplicate_units = mul_or_throw(duplicate_units, level.units,
                                                                  "number of duplicated MACs");
    std::int64_t performed = duplicate_units;
    std::int64_t covered = 1;
    std::int64_t layer_macs = 1;
    for (CoordinateGroup& g : groups) {
      count_group(g);
      performed = mul_or_throw(performed, g.performed, "number of performed MACs");
      covered = mul_or_throw(covered, g.covered, "number of covered MACs");
      for (std::int64_t s : g.sizes) layer_macs = mul_or_throw(layer_macs, s, "layer MACs");
    }
    report.layer_macs = layer_macs;
    report.performed_macs = performed;
    report.missing_macs = layer_macs - covered;
    report.duplicated_macs = performed - covered;
    // The flags only serve the search for examples, which a valid mapping does not need.
    if (report.missing_macs > 0 || report.duplicated_macs > 0)
      for (CoordinateGroup& g : groups) build_prefix_flags(g);
    if (report.missing_macs > 0) find_first(groups, duplicate_units, false, report.first_missing);
    if (report.duplicated_macs > 0)
      find_first(groups, duplicate_units, true, report.first_duplicated);
  }

  void count_group(CoordinateGroup& g) {
    const std::size_t d = g.coords.size();
    // Difference array with one extra slot per axis.
    std::vector<std::int64_t> extent(d);
    std::int64_t cells = 1;
    for (std::size_t i = 0; i < d; ++i) {
      extent[i] = g.sizes[i] + 1;
      cells = mul_or_throw(cells, extent[i], "coverage table size");
    }
    constexpr std::int64_t kMaxCells = std::int64_t{1} << 22;
    if (cells > kMaxCells) {
      std::string names;
      for (std::size_t c : g.coords) names += fmt::format("{}{}", names.empty() ? "" : ",",
                                                          std::array{"N", "K", "C", "R", "S",
                                                                     "Y'", "X'"}[c]);
      throw InputError(SourceLocation{},
                       fmt::format("the mapping couples dimensions {} whose combined size ({} "
                                   "cells) is too large for the exact coverage analysis",
                                   names, cells),
                       fmt::format("at most {} cells", kMaxCells));
    }
    std::vector<std::int64_t> diff(static_cast<std::size_t>(cells), 0);
    std::vector<std::int64_t> stride(d, 1);
    for (std::size_t i = d; i-- > 1;) stride[i - 1] = stride[i] * extent[i];

    std::int64_t performed = 0;
    std::array<Interval, kCoords> range;
    auto add_box = [&](const UnitChunks& unit) {
      // Only the group's coordinates of the unit's MAC box.
      std::int64_t volume = 1;
      for (std::size_t i = 0; i < d; ++i) {
        range[i] = geometry_.box_range(unit, g.coords[i]);
        volume *= range[i].length();
      }
      if (volume == 0) return;
      performed = add_or_throw(performed, volume, "number of performed MACs");
      for (std::uint32_t corner = 0; corner < (1u << d); ++corner) {
        std::int64_t index = 0;
        int sign = 1;
        for (std::size_t i = 0; i < d; ++i) {
          const Interval& r = range[i];
          if (corner & (1u << i)) {
            index += r.hi * stride[i];
            sign = -sign;
          } else {
            index += r.lo * stride[i];
          }
        }
        diff[static_cast<std::size_t>(index)] += sign;
      }
    };
    walk_group(g.dims, 0, geometry_.whole_layer(), add_box);
    g.performed = performed;

    // Prefix sums along each axis turn the difference array into counts (blocks x positions
    // along the axis x the cells inside, so no division per cell).
    for (std::size_t axis = 0; axis < d; ++axis) {
      const std::int64_t step = stride[axis], block = step * extent[axis];
      for (std::int64_t b = 0; b < cells; b += block)
        for (std::int64_t i = b + step; i < b + block; ++i)
          diff[static_cast<std::size_t>(i)] += diff[static_cast<std::size_t>(i - step)];
    }
    // Compact to the real cells (an odometer over the coordinates, row-major like the cells).
    std::int64_t real_cells = 1;
    for (std::int64_t s : g.sizes) real_cells *= s;
    g.count.assign(static_cast<std::size_t>(real_cells), 0);
    std::int64_t covered = 0;
    std::vector<std::int64_t> at(d, 0);
    std::int64_t index = 0;
    for (std::int64_t cell = 0; cell < real_cells; ++cell) {
      const std::int64_t c = diff[static_cast<std::size_t>(index)];
      g.count[static_cast<std::size_t>(cell)] =
          static_cast<std::int32_t>(std::min<std::int64_t>(c, 1 << 30));
      if (c > 0) ++covered;
      for (std::size_t i = d; i-- > 0;) {
        index += stride[i];
        if (++at[i] < g.sizes[i]) break;
        index -= at[i] * stride[i];
        at[i] = 0;
      }
    }
    g.covered = covered;
  }

  static void build_prefix_flags(CoordinateGroup& g) {
    const std::size_t d = g.coords.size();
    const std::size_t real_cells = g.count.size();
    g.prefix_flags.assign(d + 1, {});
    g.prefix_flags[d].resize(real_cells);
    for (std::size_t cell = 0; cell < g.count.size(); ++cell) {
      const std::int32_t c = g.count[cell];
      g.prefix_flags[d][cell] = static_cast<std::uint8_t>((c == 0 ? 1 : 0) | (c >= 1 ? 2 : 0) |
                                                          (c >= 2 ? 4 : 0));
    }
    for (std::size_t j = d; j-- > 0;) {
      const std::size_t inner = static_cast<std::size_t>(g.sizes[j]);
      const std::vector<std::uint8_t>& finer = g.prefix_flags[j + 1];
      std::vector<std::uint8_t>& coarser = g.prefix_flags[j];
      coarser.assign(finer.size() / inner, 0);
      for (std::size_t i = 0; i < finer.size(); ++i) coarser[i / inner] |= finer[i];
    }
  }

  template <typename Leaf>
  void walk_group(DimMask mask, std::size_t level, const UnitChunks& entry, Leaf& leaf) {
    if (level == levels_.size()) {
      leaf(entry);
      return;
    }
    if ((level_dims_[level] & mask) == 0) {
      // Nothing at this level moves the group: one unit state, the entry's (what the walk gives).
      UnitChunks u = entry;
      u.rows_from_outputs = u.cols_from_outputs = false;
      geometry_.finish_level(u);
      walk_group(mask, level + 1, u, leaf);
      return;
    }
    walks_.walk(level, entry, mask, [&](const std::vector<UnitChunks>& units, std::int64_t) {
      for (const UnitChunks& u : units) walk_group(mask, level + 1, u, leaf);
      return true;
    });
  }

  // Lexicographically first coordinates (n,k,c,r,s,oy,ox) that are missing (count 0) or
  // duplicated (count >= 2), by depth-first search pruned with the groups' prefix flags.
  void find_first(const std::vector<CoordinateGroup>& groups, std::int64_t duplicate_units,
                  bool duplicated, std::vector<MacCoordinate>& out) const {
    std::array<std::int64_t, kCoords> value{};
    const auto& sizes = geometry_.coordinate_sizes();
    auto flags_of = [&](const CoordinateGroup& g, std::size_t fixed_upto) {
      std::size_t j = 0;
      std::int64_t index = 0;
      for (std::size_t i = 0; i < g.coords.size() && g.coords[i] < fixed_upto; ++i, ++j)
        index = index * g.sizes[i] + value[g.coords[i]];
      return g.prefix_flags[j][static_cast<std::size_t>(index)];
    };
    auto feasible = [&](std::size_t fixed_upto) {
      if (!duplicated) {
        return std::any_of(groups.begin(), groups.end(),
                           [&](const auto& g) { return (flags_of(g, fixed_upto) & 1) != 0; });
      }
      bool any_twice = duplicate_units >= 2;
      for (const CoordinateGroup& g : groups) {
        const std::uint8_t f = flags_of(g, fixed_upto);
        if (!(f & 2)) return false;
        if (f & 4) any_twice = true;
      }
      return any_twice;
    };
    std::function<void(std::size_t)> search = [&](std::size_t pos) {
      if (out.size() >= SemanticsReport::kMaxExamples) return;
      if (pos == kCoords) {
        MacCoordinate m{value[0], value[1], value[2], value[3], value[4], value[5], value[6]};
        if (layer_.type == LayerType::DsConv) m.k = m.c;  // docs/semantics.md: k = c
        out.push_back(m);
        return;
      }
      for (std::int64_t v = 0; v < sizes[pos] && out.size() < SemanticsReport::kMaxExamples;
           ++v) {
        value[pos] = v;
        if (feasible(pos + 1)) search(pos + 1);
      }
    };
    search(0);
  }

  // -------------------------------------------------------------------------------------------
  // Steps and empty steps.

  struct StepResult {
    std::int64_t steps = 0;
    std::int64_t empty = 0;
    std::int64_t compute = 0;  // cycles: sum of ceil(busiest MACs / macs_per_cycle)
  };

  // A level's step sequence: runs of steps [lo, hi) whose busiest PE does `macs` > 0 MACs, sorted
  // and disjoint; steps outside every run are empty.
  struct Run {
    std::int64_t lo = 0, hi = 0, macs = 0;
  };
  struct Profile {
    std::int64_t length = 0;
    std::vector<Run> runs;
  };

  std::int64_t cycles(std::int64_t macs) const {
    return (macs + macs_per_cycle_ - 1) / macs_per_cycle_;
  }

  StepResult summarise(const Profile& p) const {
    StepResult r{p.length, p.length, 0};
    for (const Run& run : p.runs) {
      r.empty -= run.hi - run.lo;
      r.compute = add_or_throw(r.compute, mul_or_throw(run.hi - run.lo, cycles(run.macs), "cycles"),
                               "compute cycles");
    }
    return r;
  }

  // Step-wise maximum of two profiles aligned at their start.
  static std::vector<Run> max_merge(const std::vector<Run>& a, const std::vector<Run>& b) {
    std::vector<std::int64_t> cuts;
    for (const auto* runs : {&a, &b})
      for (const Run& r : *runs) {
        cuts.push_back(r.lo);
        cuts.push_back(r.hi);
      }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<Run> out;
    std::size_t ia = 0, ib = 0;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      const std::int64_t lo = cuts[i], hi = cuts[i + 1];
      while (ia < a.size() && a[ia].hi <= lo) ++ia;
      while (ib < b.size() && b[ib].hi <= lo) ++ib;
      std::int64_t macs = 0;
      if (ia < a.size() && a[ia].lo <= lo) macs = a[ia].macs;
      if (ib < b.size() && b[ib].lo <= lo) macs = std::max(macs, b[ib].macs);
      if (macs == 0) continue;
      if (!out.empty() && out.back().hi == lo && out.back().macs == macs)
        out.back().hi = hi;
      else
        out.push_back({lo, hi, macs});
    }
    return out;
  }

  using Key = StateKey;
  using KeyHash = StateKeyHash;

  void append_key(Key& key, const UnitChunks& u) const {
    append_state_key(key, geometry_, u, u);
  }

  Key key_of(std::size_t level, const UnitChunks& u) const {
    Key key{static_cast<std::int64_t>(level)};
    append_key(key, u);
    return key;
  }

  // Chains of one level: dimensions whose directives must be walked together.
  std::vector<DimMask> chains_of(const LevelPlan& level) const {
    Disjoint sets(kNumDims);
    DimMask present = 0;
    std::optional<Dim> spatial;
    for (const ResolvedDirective& d : level.directives) {
      const Dim b = base_dim(d.dim);
      present |= dim_bit(b);
      if (d.dim == MapDim::YOut) {
        sets.join(static_cast<std::size_t>(Dim::Y), static_cast<std::size_t>(Dim::R));
        present |= dim_bit(Dim::R);
      }
      if (d.dim == MapDim::XOut) {
        sets.join(static_cast<std::size_t>(Dim::X), static_cast<std::size_t>(Dim::S));
        present |= dim_bit(Dim::S);
      }
      if (d.kind == MapKind::Spatial) {
        if (spatial) sets.join(static_cast<std::size_t>(*spatial), static_cast<std::size_t>(b));
        spatial = b;
      }
    }
    std::map<std::size_t, DimMask> chains;
    for (Dim d : kAllDims)
      if (present & dim_bit(d)) chains[sets.find(static_cast<std::size_t>(d))] |= dim_bit(d);
    std::vector<DimMask> out;
    for (auto& [root, mask] : chains) out.push_back(mask);
    return out;
  }

  struct ChainClass {
    std::vector<UnitChunks> units;  // a representative outcome
    std::int64_t count = 0;
  };

  static void take_dims(UnitChunks& into, const UnitChunks& from, DimMask mask) {
    for (Dim d : kAllDims)
      if (mask & dim_bit(d)) into.chunk[d] = from.chunk[d];
    if (mask & dim_bit(Dim::Y)) into.out_rows = from.out_rows;
    if (mask & dim_bit(Dim::X)) into.out_cols = from.out_cols;
  }

  StepResult evaluate(std::size_t level, const UnitChunks& entry) {
    Key key = key_of(level, entry);
    if (auto it = step_memo_.find(key); it != step_memo_.end()) return it->second;

    const LevelPlan& plan = levels_[level];
    const std::vector<DimMask> chains = chains_of(plan);
    std::vector<std::vector<ChainClass>> classes(chains.size());
    for (std::size_t c = 0; c < chains.size(); ++c) {
      KeyedClasses index;
      Key k;
      walks_.walk_grouped(
          level, entry, chains[c], [&](const std::vector<UnitChunks>& units, std::int64_t weight) {
            k.clear();
            for (const UnitChunks& u : units) append_key(k, u);
            const std::size_t at = index.add(k, 0, 0);
            if (at == classes[c].size()) classes[c].push_back({units, 0});
            classes[c][at].count = add_or_throw(classes[c][at].count, weight, "number of steps");
            return true;
          });
    }

    StepResult result;
    std::vector<std::size_t> pick(chains.size(), 0);
    std::vector<UnitChunks> units;
    while (true) {
      std::int64_t multiplicity = 1;
      std::size_t unit_count = 1;
      for (std::size_t c = 0; c < chains.size(); ++c) {
        const ChainClass& cls = classes[c][pick[c]];
        multiplicity = mul_or_throw(multiplicity, cls.count, "number of steps");
        unit_count = std::max(unit_count, cls.units.size());
      }
      units.assign(unit_count, entry);
      for (std::size_t u = 0; u < unit_count; ++u) {
        units[u].rows_from_outputs = units[u].cols_from_outputs = false;
        for (std::size_t c = 0; c < chains.size(); ++c) {
          const ChainClass& cls = classes[c][pick[c]];
          take_dims(units[u], cls.units[cls.units.size() == 1 ? 0 : u], chains[c]);
        }
      }
      const StepResult one = combine_units(level, units);
      result.steps = add_or_throw(result.steps, mul_or_throw(one.steps, multiplicity, "steps"),
                                  "number of steps");
      result.empty = add_or_throw(result.empty, mul_or_throw(one.empty, multiplicity, "steps"),
                                  "number of steps");
      result.compute = add_or_throw(
          result.compute, mul_or_throw(one.compute, multiplicity, "compute cycles"),
          "compute cycles");
      // Next combination of chain classes.
      std::size_t c = 0;
      while (c < chains.size() && ++pick[c] == classes[c].size()) pick[c++] = 0;
      if (c == chains.size()) break;
    }
    step_memo_.emplace(std::move(key), result);
    return result;
  }

  static bool same_state(const UnitChunks& a, const UnitChunks& b) {
    return a.chunk == b.chunk && a.out_rows == b.out_rows && a.out_cols == b.out_cols &&
           a.row_bound == b.row_bound && a.col_bound == b.col_bound &&
           a.rows_from_outputs == b.rows_from_outputs && a.cols_from_outputs == b.cols_from_outputs;
  }

  std::int64_t busiest(const std::vector<UnitChunks>& units) const {
    std::int64_t most = 0;
    for (const UnitChunks& u : units) most = std::max(most, geometry_.box(u).volume());
    return most;
  }

  // One iteration of `level` in which the units hold `units` (after the level's directives).
  StepResult combine_units(std::size_t level, const std::vector<UnitChunks>& units) {
    if (level + 1 == levels_.size()) {
      const std::int64_t most = busiest(units);
      return {1, most == 0 ? 1 : 0, cycles(most)};
    }
    StepResult first = evaluate(level + 1, units[0]);
    bool alike = true;
    Key& first_key = alike_keys_[0];
    Key& other_key = alike_keys_[1];
    first_key.clear();
    append_key(first_key, units[0]);
    for (std::size_t u = 1; u < units.size() && alike; ++u) {
      if (same_state(units[u], units[0])) continue;  // equal states have equal keys
      other_key.clear();
      append_key(other_key, units[u]);
      alike = other_key == first_key;
    }
    if (alike) return first;
    Profile combined;
    for (const UnitChunks& u : units) {
      const Profile& p = profile(level + 1, u);
      combined.length = std::max(combined.length, p.length);
      combined.runs = max_merge(combined.runs, p.runs);
    }
    return summarise(combined);
  }

  static void append(Profile& into, const Profile& part) {
    for (const Run& r : part.runs) {
      const Run shifted{r.lo + into.length, r.hi + into.length, r.macs};
      if (!into.runs.empty() && into.runs.back().hi == shifted.lo &&
          into.runs.back().macs == shifted.macs)
        into.runs.back().hi = shifted.hi;
      else
        into.runs.push_back(shifted);
    }
    into.length += part.length;
  }

  const Profile& profile(std::size_t level, const UnitChunks& entry) {
    Key key = key_of(level, entry);
    if (auto it = profile_memo_.find(key); it != profile_memo_.end()) return it->second;
    Profile result;
    const bool innermost = level + 1 == levels_.size();
    walks_.walk(level, entry, kAllDimsMask,
               [&](const std::vector<UnitChunks>& units, std::int64_t) {
                 Profile part;
                 if (innermost) {
                   part.length = 1;
                   if (const std::int64_t most = busiest(units); most > 0)
                     part.runs.push_back({0, 1, most});
                 } else {
                   for (const UnitChunks& u : units) {
                     const Profile& p = profile(level + 1, u);
                     part.length = std::max(part.length, p.length);
                     part.runs = max_merge(part.runs, p.runs);
                   }
                 }
                 append(result, part);
                 return true;
               });
    return profile_memo_.emplace(std::move(key), std::move(result)).first->second;
  }

  const Layer& layer_;
  LayerGeometry geometry_;
  std::vector<LevelPlan> levels_;
  LevelWalks walks_;
  std::int64_t macs_per_cycle_ = 1;
  std::unordered_map<Key, StepResult, KeyHash> step_memo_;
  std::vector<DimMask> level_dims_;  // per level: the dimensions its directives name
  std::array<Key, 2> alike_keys_;  // scratch for combine_units (used after its recursion)
  std::unordered_map<Key, Profile, KeyHash> profile_memo_;
};

}  // namespace

SemanticsReport analyze_mapping(const Layer& layer, const ResolvedMapping& mapping,
                                std::int64_t macs_per_cycle) {
  if (macs_per_cycle < 1)
    throw InputError(SourceLocation{}, "pe.macs_per_cycle must be at least 1",
                     "a positive integer");
  if (layer.type == LayerType::Unsupported)
    throw InputError(layer.where,
                     fmt::format("layer {} has type {}, which metronome does not model",
                                 shorten(layer.name), shorten(layer.type_text)),
                     "CONV, DSCONV or GEMM");
  if (mapping.levels.empty())
    throw InputError(SourceLocation{}, "mapping has no levels", "at least one directive level");
  try {
    return Analysis(layer, mapping, macs_per_cycle).run();
  } catch (const InputError& e) {
    if (!e.where().file.empty()) throw;
    // Name the layer the problem comes from (its file and line).
    throw InputError(layer.where,
                     fmt::format("layer {} with dataflow {}: {}", quote(layer.name),
                                 quote(mapping.name), e.problem()),
                     e.expected());
  }
}

bool screen_record(const Layer& layer, const Mapping& mapping, Metrics& record) {
  if (layer.type == LayerType::Unsupported) {
    record.status = RecordStatus::UnsupportedLayer;
    record.note = fmt::format("layer type {} is not modelled by metronome", layer.type_text);
    return false;
  }
  const bool serves = mapping.serves.empty() || std::find(mapping.serves.begin(),
                                                          mapping.serves.end(),
                                                          layer.type) != mapping.serves.end();
  if (!serves) {
    record.status = RecordStatus::NotApplicable;
    record.note = fmt::format("dataflow {} does not serve {} layers{}{}", mapping.name,
                              layer_type_name(layer.type), mapping.serves_note.empty() ? "" : ": ",
                              mapping.serves_note);
    return false;
  }
  return true;
}

bool record_validity(const SemanticsReport& report, Metrics& m) {
  m.valid_mapping = report.valid();
  m.missing_macs = report.missing_macs;
  m.duplicated_macs = report.duplicated_macs;
  m.first_missing = report.first_missing;
  m.first_duplicated = report.first_duplicated;
  m.steps = report.steps;
  m.empty_steps = report.empty_steps;
  m.macs = report.layer_macs;
  if (report.valid()) return true;
  m.status = RecordStatus::InvalidMapping;
  m.note = fmt::format("{} missing MACs, {} duplicated MACs", report.missing_macs,
                       report.duplicated_macs);
  return false;
}

}  // namespace metronome
