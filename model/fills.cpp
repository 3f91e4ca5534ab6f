#include "model/fills.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>

#include "model/count_arithmetic.hpp"
#include "model/odometer.hpp"
#include "model/plain_group.hpp"
#include "spec/error.hpp"

namespace metronome {

std::int64_t Tile::volume() const {
  std::int64_t v = 1;
  for (const Interval& i : *this) v *= i.length();
  return v;
}

std::int64_t Tile::overlap(const Tile& other) const {
  std::int64_t v = 1;
  for (std::size_t i = 0; i < size; ++i) v *= intersect(range[i], other.range[i]).length();
  return v;
}

Tile TileShape::coordinates(const LayerGeometry& g, const UnitChunks& u, Tensor t) {
  const Interval k = u.chunk[Dim::K], c = u.chunk[Dim::C];
  // Depth-wise: output channels are input channels (K = 1 only gates them, K = C selects).
  const Interval out_channel =
      !g.depthwise() ? k : (g.channel_tied() ? intersect(k, c) : (k.empty() ? Interval{} : c));
  switch (t) {
    case Tensor::Input:
      return {{u.chunk[Dim::N], c, u.chunk[Dim::Y], u.chunk[Dim::X]}, 4};
    case Tensor::Weight:
      if (g.channel_tied()) return {{intersect(k, c), u.chunk[Dim::R], u.chunk[Dim::S]}, 3};
      return {{k, c, u.chunk[Dim::R], u.chunk[Dim::S]}, 4};
    case Tensor::Output:
      return {{u.chunk[Dim::N], out_channel, g.fitting_outputs(u, Dim::Y),
               g.fitting_outputs(u, Dim::X)},
              4};
  }
  return {};
}

std::optional<Dim> TileShape::plain_dim(const LayerGeometry& g, Tensor t, std::size_t i) {
  // Coordinates that are plain chunks (TileShape::coordinates' order); the rest are derived.
  static constexpr std::array<Dim, 4> kInput{Dim::N, Dim::C, Dim::Y, Dim::X};
  static constexpr std::array<Dim, 4> kWeight{Dim::K, Dim::C, Dim::R, Dim::S};
  if (t == Tensor::Input && i < 4) return kInput[i];
  if (t == Tensor::Weight && !g.channel_tied() && i < 4) return kWeight[i];
  if (t == Tensor::Weight && g.channel_tied() && (i == 1 || i == 2))
    return i == 1 ? Dim::R : Dim::S;
  if (t == Tensor::Output && i == 0) return Dim::N;
  return std::nullopt;
}

Interval TileShape::coordinate(const LayerGeometry& g, const UnitChunks& u, Tensor t,
                               std::size_t i) {
  if (const std::optional<Dim> d = plain_dim(g, t, i)) return u.chunk[*d];
  if (t == Tensor::Output && (i == 2 || i == 3))
    return g.fitting_outputs(u, i == 2 ? Dim::Y : Dim::X);
  return coordinates(g, u, t)[i];
}

Tile TileShape::read_coordinates(const LayerGeometry& g, const UnitChunks& u, Tensor t) {
  Tile tile = coordinates(g, u, t);
  if (t != Tensor::Input) return tile;
  for (const Dim axis : {Dim::Y, Dim::X}) {
    const Interval window = u.chunk[axis == Dim::Y ? Dim::R : Dim::S];
    // With gaps between consecutive outputs' windows the rows read are no interval: the chunk.
    if (g.stride(axis) > 1 && window.length() < g.stride(axis)) continue;
    Interval& rows = tile.range[axis == Dim::Y ? 2 : 3];
    rows = intersect(rows,
                     walk_detail::needed_span(g.fitting_outputs(u, axis), window, g.stride(axis)));
  }
  return tile;
}

namespace {

using count_arithmetic::add;
using count_arithmetic::mul;

struct GroupSums {
  PerTensor<std::int64_t> fresh;  // sum over leaves of the new tile's part in this group
  PerTensor<std::int64_t> kept;   // sum over leaves of the part kept from the previous step
  std::int64_t per_pe = 0;        // leaves on the unit-0 path
};

// The sums below a level entered past the cut, by the entry's key (FillCounter::level).
struct AfterMemo {
  KeyedClasses keys;
  std::vector<GroupSums> sums;  // as keys.classes()
};

class FillCounter {
 public:
  FillCounter(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans, std::size_t depth,
              bool read_rows_only)
      : geometry_(geometry),
        read_rows_only_(read_rows_only),
        own_plans_(
            depth < plans.size()
                ? std::vector<LevelPlan>(plans.begin(), plans.begin() + static_cast<long>(depth))
                : std::vector<LevelPlan>{}),
        plans_(depth < plans.size() ? own_plans_ : plans),
        groups_(dimension_groups(geometry_, plans_)),
        odometer_(plans_, groups_),
        slots_(plans_) {
    for (Tensor t : kAllTensors) coordinate_dims_[t] = tile_coordinate_dims(t, geometry_);
    after_memo_->keys.clear();
    after_memo_->sums.clear();
    memo_key_.reserve(2 * kMaxStateKey + 3);  // once, not by doubling
    scratch_key_.reserve(2 * kMaxStateKey);
    largest_part_.fill({});
    // (Plain walks take N, K or C alone, never the rows read_rows_only narrows.)
    for (std::size_t g = 0; g < groups_.size(); ++g)
      plain_[g] = PlainGroupWalk::applies(geometry_, plans_, groups_[g]);
  }

  FillCounts run() {
    FillCounts out;
    out.groups = groups_;
    std::int64_t identical_units = 1;  // units of levels without any SpatialMap
    for (const LevelPlan& p : plans_)
      if (p.first_spatial < 0) identical_units = mul(identical_units, p.units);
    out.leaves = identical_units;
    for (DimMask g : groups_) out.leaves = mul(out.leaves, spatial_units(g));

    out.classes.reserve(odometer_.loops().size() + 1);
    out.group_parts.reserve(odometer_.loops().size() + 1);
    for (int j = -1; j < static_cast<int>(odometer_.loops().size()); ++j) {
      TransitionClass cls;
      cls.loop = j;
      PerTensor<std::int64_t> fresh, kept;
      for (Tensor t : kAllTensors) fresh[t] = kept[t] = identical_units;
      std::int64_t per_pe = 1;
      std::vector<GroupPart>& parts = out.group_parts.emplace_back();
      parts.reserve(groups_.size());
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        const GroupSums s = group_sums(g, j);
        parts.push_back({s.fresh, s.kept});
        for (Tensor t : kAllTensors) {
          fresh[t] = mul(fresh[t], s.fresh[t]);
          kept[t] = mul(kept[t], s.kept[t]);
        }
        per_pe = mul(per_pe, s.per_pe);
      }
      cls.per_pe_count = per_pe;
      for (Tensor t : kAllTensors) {
        cls.words[t] = j < 0 ? fresh[t] : fresh[t] - kept[t];
        out.words[t] = add(out.words[t], cls.words[t]);
      }
      out.classes.push_back(cls);
    }
    // Every state of a group is the new state of some transition (the first step or an
    // advance), and the walks reached each one up to translation: the leaves saw the largest.
    for (Tensor t : kAllTensors) out.max_tile[t] = 1;
    for (std::size_t g = 0; g < groups_.size(); ++g)
      for (Tensor t : kAllTensors) out.max_tile[t] = mul(out.max_tile[t], largest_part_[g][t]);
    return out;
  }

 private:
  bool owns_spatial(DimMask g, const LevelPlan& p) const {
    return p.first_spatial >= 0 &&
           (g & dim_bit(base_dim(p.directives[static_cast<std::size_t>(p.first_spatial)].dim)));
  }

  std::int64_t spatial_units(DimMask g) const {
    std::int64_t n = 1;
    for (const LevelPlan& p : plans_)
      if (owns_spatial(g, p)) n = mul(n, p.units);
    return n;
  }

  // Part of each tensor's tile volume (and of its overlap with the previous tile) that lives in
  // group g.
  std::int64_t part(DimMask g, Tensor t, const Tile& c) const {
    std::int64_t v = 1;
    for (std::size_t i = 0; i < c.size; ++i)
      if (coordinate_dims_[t][i] & g) v *= c[i].length();
    return v;
  }

  std::int64_t overlap(DimMask g, Tensor t, const Tile& a, const Tile& b) const {
    std::int64_t v = 1;
    for (std::size_t i = 0; i < a.size; ++i)
      if (coordinate_dims_[t][i] & g) v *= intersect(a[i], b[i]).length();
    return v;
  }

  // --- walking one group's loops around a cut --------------------------------------------

  enum class Phase { Before, After };

  struct Cursor {
    DimMask group;
    std::size_t group_index;  // in groups_
    int cut;                  // loop index of the advancing loop, -1 for the first step
    GroupSums sums;
  };

  GroupSums group_sums(std::size_t g, int cut) {
    return sums_cache_.get(
        odometer_.group_cut_key(groups_[g], static_cast<std::int64_t>(groups_[g]), cut),
        [&] { return sum_group(g, cut); });
  }

  GroupSums sum_group(std::size_t g, int cut) {
    if (plain_[g]) {
      if (!plain_walk_) {
        plain_walk_.emplace();
        (*plain_walk_)->reset(geometry_, plans_, odometer_);
      }
      (*plain_walk_)->bind(groups_[g]);
      const PlainGroupSums s = (*plain_walk_)->sums(cut);
      for (Tensor t : kAllTensors)
        largest_part_[g][t] = std::max(largest_part_[g][t], s.largest[t]);
      return {s.fresh, s.kept, s.per_pe};
    }
    Cursor cursor{groups_[g], g, cut, {}};
    const UnitChunks whole = geometry_.whole_layer();
    level(cursor, 0, cut < 0 ? Phase::After : Phase::Before, whole, whole, true, 1);
    return cursor.sums;
  }

  // The units of one level, as classes: entry 0 is unit 0 (it alone carries the per-PE step
  // count); every other entry stands for `count` units whose states are translations of it.
  struct LevelState {
    std::vector<UnitChunks> old_units, new_units;
    std::vector<std::int64_t> count;
    std::int64_t old_fold = -1, new_fold = -1;
  };

  // Iterations whose states are translations of each other lead to equal sums below them:
  // such iterations are walked once, with their count as weight.
  // The loop over `d` changes only the chunks in `changed`; units that hold the same chunks there
  // are keyed once.
  void key_of(StateKey& key, const LevelState& s, DimMask changed, bool with_folds) const {
    key.clear();
    // The fold indices matter only where a later SpatialMap of the level spreads with them;
    // otherwise the units' states say all (and folds that are translations group together).
    if (with_folds) {
      key.push_back(s.old_fold);
      key.push_back(s.new_fold);
    }
    for (std::size_t u = 0; u < s.new_units.size(); ++u) {
      key.push_back(s.count[u]);  // classes of the fold loop differ in their sizes
      if (u > 0 && same_chunks_in(s.old_units[u], s.old_units[0], changed) &&
          same_chunks_in(s.new_units[u], s.new_units[0], changed))
        continue;
      key.push_back(static_cast<std::int64_t>(u));
      append_state_key(key, geometry_, s.new_units[u], s.old_units[u], changed);
      append_state_key(key, geometry_, s.new_units[u], s.new_units[u], changed);
    }
  }

  // Scratch states, one per directive position of the flattened nest (a recursion only ever
  // moves to later positions), so walking allocates nothing once warm.
  struct Slot {
    LevelState state;
    LevelState probe;
    std::vector<std::pair<UnitChunks, UnitChunks>> finished;
    KeyedClasses classes;       // of a level's finished units
    KeyedClasses loop_classes;  // of a loop's indices
    KeyedClasses unit_classes;  // of a fold's units
    UnitChunks old_unit, new_unit;
  };

  Slot& slot(std::size_t l, std::size_t i) { return slots_.at(l, i); }

  void level(Cursor& c, std::size_t l, Phase phase, const UnitChunks& old_entry,
             const UnitChunks& new_entry, bool unit0_path, std::int64_t weight) {
    if (l == plans_.size()) {
      leaf(c, old_entry, new_entry, unit0_path, weight);
      return;
    }
    if (phase == Phase::After && l > 0) {
      // Past the cut every loop just wraps (last index to 0), whichever loop the cut is: the sums
      // below depend only on the entry states (up to translation), so they are shared by all
      // cuts of the group and by all entries with equal keys.
      StateKey& key = memo_key_;
      key.clear();
      key.push_back(static_cast<std::int64_t>(l));
      key.push_back(static_cast<std::int64_t>(c.group));
      key.push_back((c.cut >= 0 ? 2 : 0) | (unit0_path ? 1 : 0));
      append_state_key(key, geometry_, new_entry, old_entry, c.group);
      append_state_key(key, geometry_, new_entry, new_entry, c.group);
      const std::size_t at = after_memo_->keys.add(key, 0, 0);  // keeps a copy of the key
      if (at == after_memo_->sums.size()) {
        after_memo_->sums.emplace_back();
        Cursor sub{c.group, c.group_index, c.cut, {}};
        walk_level(sub, l, phase, old_entry, new_entry, unit0_path, 1);
        after_memo_->sums[at] = sub.sums;  // the walk may have added entries
      }
      const GroupSums below = after_memo_->sums[at];
      for (Tensor t : kAllTensors) {
        c.sums.fresh[t] = add(c.sums.fresh[t], mul(weight, below.fresh[t]));
        c.sums.kept[t] = add(c.sums.kept[t], mul(weight, below.kept[t]));
      }
      c.sums.per_pe = add(c.sums.per_pe, mul(weight, below.per_pe));
      return;
    }
    walk_level(c, l, phase, old_entry, new_entry, unit0_path, weight);
  }

  void walk_level(Cursor& c, std::size_t l, Phase phase, const UnitChunks& old_entry,
                  const UnitChunks& new_entry, bool unit0_path, std::int64_t weight) {
    LevelState& s = slot(l, 0).state;
    UnitChunks o = old_entry, n = new_entry;
    o.rows_from_outputs = o.cols_from_outputs = n.rows_from_outputs = n.cols_from_outputs = false;
    // One shared state per side until the fold loop spreads the units.
    s.old_units.assign(1, o);
    s.new_units.assign(1, n);
    s.count.assign(1, 1);
    s.old_fold = s.new_fold = -1;
    directive(c, l, 0, phase, s, unit0_path, weight);
  }

  bool is_cut(const Cursor& c, std::size_t l, std::size_t i) const {
    return odometer_.is_cut(c.cut, l, i);
  }
  bool past_cut(const Cursor& c, std::size_t l, std::size_t i) const {
    return odometer_.past_cut(c.cut, l, i);
  }

  void finish(Cursor& c, std::size_t l, Phase phase, const LevelState& s, bool unit0_path,
              std::int64_t weight) {
    Slot& here = slot(l, plans_[l].directives.size());
    auto& classes = here.classes;
    auto& finished = here.finished;
    classes.clear();
    // Grow-only: a resize that adds back entries value-initialises them (`rep stos`).
    if (finished.size() < s.new_units.size()) finished.resize(s.new_units.size());
    for (std::size_t u = 0; u < s.new_units.size(); ++u) {
      finished[u] = {s.old_units[u], s.new_units[u]};
      geometry_.finish_level(finished[u].first);
      geometry_.finish_level(finished[u].second);
      if (u == 0) continue;  // unit 0 alone: it carries the per-PE step count
      scratch_key_.clear();
      append_state_key(scratch_key_, geometry_, finished[u].second, finished[u].first, c.group);
      append_state_key(scratch_key_, geometry_, finished[u].second, finished[u].second, c.group);
      classes.add(scratch_key_, static_cast<std::int64_t>(u), s.count[u]);
    }
    // Deeper levels use other slots, so `finished` and `classes` stay valid while recursing.
    level(c, l + 1, phase, finished[0].first, finished[0].second, unit0_path, weight);
    for (const IndexClass& cls : classes.classes()) {
      const auto& [old_state, new_state] = finished[static_cast<std::size_t>(cls.index)];
      level(c, l + 1, phase, old_state, new_state, false, mul(weight, cls.count));
    }
  }

  // Spreads the shared states over the level's units at fold indices (old_index, new_index), as
  // classes: unit 0, then one representative per class of units 1..U-1 whose (old, new) states
  // are translations of each other (the unit index is a loop index too: unit u holds chunk
  // fold * U + u, so `index_classes` groups units like loop indices).
  void spread_classes(LevelState& into, const ResolvedDirective& d, std::int64_t old_index,
                      std::int64_t new_index, std::int64_t units, DimMask g, Slot& scratch) {
    const UnitChunks old_shared = into.old_units.front(), new_shared = into.new_units.front();
    auto unit_at = [&](std::int64_t u, UnitChunks& o, UnitChunks& n) {
      o = old_shared;
      n = new_shared;
      split(o, d, old_index * units + u);
      split(n, d, new_index * units + u);
    };
    into.old_units.resize(1);
    into.new_units.resize(1);
    into.count.assign(1, 1);
    unit_at(0, into.old_units[0], into.new_units[0]);
    if (units < 2) return;
    UnitChunks& o = scratch.old_unit;
    UnitChunks& n = scratch.new_unit;
    // Units past a side's chunk count are idle there: their states change at that unit.
    auto active = [&](const UnitChunks& shared, std::int64_t index) {
      const std::int64_t chunks = directive_chunks(geometry_, shared, d);
      return std::clamp<std::int64_t>(chunks - index * units, 0, units);
    };
    const std::array<std::int64_t, 2> idle_from{active(old_shared, old_index) - 1,
                                                active(new_shared, new_index) - 1};
    const std::vector<IndexClass>& classes = index_classes_into(
        scratch.unit_classes, units - 1, state_period(geometry_, d.dim, d.offset),
        [&](std::int64_t i, StateKey& key) {
          unit_at(i + 1, o, n);
          key.clear();
          append_state_key(key, geometry_, n, o, g);
          append_state_key(key, geometry_, n, n, g);
        },
        idle_from);
    for (const IndexClass& cls : classes) {
      unit_at(cls.index + 1, o, n);
      into.old_units.push_back(o);
      into.new_units.push_back(n);
      into.count.push_back(cls.count);
    }
  }

  void directive(Cursor& c, std::size_t l, std::size_t i, Phase phase, const LevelState& s,
                 bool unit0_path, std::int64_t weight) {
    const LevelPlan& p = plans_[l];
    if (phase == Phase::Before && past_cut(c, l, i) && !is_cut(c, l, i)) phase = Phase::After;
    if (i == p.directives.size()) {
      finish(c, l, phase, s, unit0_path, weight);
      return;
    }
    const ResolvedDirective& d = p.directives[i];
    const bool mine = (c.group & dim_bit(base_dim(d.dim))) != 0;
    const bool cut_here = is_cut(c, l, i);
    const bool is_fold = static_cast<int>(i) == p.first_spatial;
    if (!mine) {
      if (cut_here) phase = Phase::After;  // another group's loop advances: ours stays
      directive(c, l, i + 1, phase, s, unit0_path, weight);
      return;
    }
    Slot& here = slot(l, i + 1);
    LevelState& next = here.state;
    if (d.kind == MapKind::Spatial && !is_fold) {
      next = s;  // never classes: the fold is not alone here
      spread(next.old_units, d, s.old_fold, p.units);
      spread(next.new_units, d, s.new_fold, p.units);
      directive(c, l, i + 1, phase, next, unit0_path, weight);
      return;
    }
    // A loop: a TemporalMap or the fold loop.
    // Few units are cheaper to keep one by one than to class.
    constexpr std::int64_t kClassUnitsFrom = 8;
    const bool with_folds = p.first_spatial >= 0 &&
                            later_spatial(p, static_cast<std::size_t>(p.first_spatial), c.group);
    const bool alone = is_fold && p.units >= kClassUnitsFrom && !with_folds;
    auto make = [&](LevelState& into, std::int64_t old_index, std::int64_t new_index) {
      into = s;
      if (is_fold) {
        into.old_fold = old_index;
        into.new_fold = new_index;
        if (alone) {
          spread_classes(into, d, old_index, new_index, p.units, c.group, here);
          return;
        }
        const UnitChunks old_shared = into.old_units.front(), new_shared = into.new_units.front();
        into.old_units.assign(static_cast<std::size_t>(p.units), old_shared);
        into.new_units.assign(static_cast<std::size_t>(p.units), new_shared);
        into.count.assign(static_cast<std::size_t>(p.units), 1);
        spread(into.old_units, d, old_index, p.units);
        spread(into.new_units, d, new_index, p.units);
      } else {
        for (UnitChunks& u : into.old_units) split(u, d, old_index);
        for (UnitChunks& u : into.new_units) split(u, d, new_index);
      }
    };
    if (phase == Phase::After && !cut_here) {
      make(next, trips(d, is_fold, s.old_units, p, i) - 1, 0);
      directive(c, l, i + 1, Phase::After, next, unit0_path, weight);
      return;
    }
    // Every index (before the cut) or every advance (at the cut), grouped into classes.
    const std::int64_t n = trips(d, is_fold, s.new_units, p, i);
    const DimMask changed = is_fold ? c.group : affected_dims(geometry_, d.dim);
    const std::int64_t period =
        is_fold ? fold_period(geometry_, p, i) : state_period(geometry_, d.dim, d.offset);
    auto state_at = [&](LevelState& into, std::int64_t a) {
      if (cut_here)
        make(into, a, a + 1);
      else
        make(into, a, a);
    };
    const std::vector<IndexClass>& classes = index_classes_into(
        here.loop_classes, cut_here ? n - 1 : n, period, [&](std::int64_t a, StateKey& key) {
          state_at(here.probe, a);
          key_of(key, here.probe, changed, with_folds);
        });
    for (const IndexClass& cls : classes) {
      state_at(next, cls.index);
      directive(c, l, i + 1, cut_here ? Phase::After : Phase::Before, next, unit0_path,
                mul(weight, cls.count));
    }
  }

  std::int64_t trips(const ResolvedDirective& d, bool is_fold, const std::vector<UnitChunks>& units,
                     const LevelPlan& p, std::size_t position) const {
    if (is_fold) return fold_count(geometry_, units[0], p.directives, position, p.units);
    std::int64_t most = 1;
    for (const UnitChunks& u : units) most = std::max(most, directive_chunks(geometry_, u, d));
    return most;
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    take_chunk(geometry_, u, d, index);
  }

  void spread(std::vector<UnitChunks>& units, const ResolvedDirective& d, std::int64_t fold,
              std::int64_t level_units) const {
    spread_chunks(geometry_, units, d, fold, level_units);
  }

  void leaf(Cursor& c, const UnitChunks& old_state, const UnitChunks& new_state, bool unit0_path,
            std::int64_t weight) {
    PerTensor<std::int64_t>& largest = largest_part_[c.group_index];
    for (Tensor t : kAllTensors) {
      const Tile fresh = tile_of(new_state, t);
      const std::int64_t fresh_part = part(c.group, t, fresh);
      largest[t] = std::max(largest[t], fresh_part);
      c.sums.fresh[t] = add(c.sums.fresh[t], mul(weight, fresh_part));
      if (c.cut >= 0) {
        const Tile prev = tile_of(old_state, t);
        c.sums.kept[t] = add(c.sums.kept[t], mul(weight, overlap(c.group, t, fresh, prev)));
      }
    }
    if (unit0_path) c.sums.per_pe = add(c.sums.per_pe, weight);
  }

  Tile tile_of(const UnitChunks& u, Tensor t) const {
    return read_rows_only_ ? TileShape::read_coordinates(geometry_, u, t)
                           : TileShape::coordinates(geometry_, u, t);
  }

  const LayerGeometry& geometry_;
  bool read_rows_only_;
  std::vector<LevelPlan> own_plans_;  // the first `depth` levels, when not all
  const std::vector<LevelPlan>& plans_;
  std::vector<DimMask> groups_;
  Odometer odometer_;
  PerTensor<CoordinateDims> coordinate_dims_;
  StateKey scratch_key_;
  PositionSlots<Slot> slots_;
  GroupCutCache<GroupSums> sums_cache_;
  // Per group (at most one per dimension): the largest tile part seen.
  std::array<PerTensor<std::int64_t>, kNumDims> largest_part_{};
  std::array<bool, kNumDims> plain_{};  // per group: one plain dimension, summed by plain_walk_
  std::optional<ThreadScratch<PlainGroupWalk>> plain_walk_;
  StateKey memo_key_;
  ThreadScratch<AfterMemo> after_memo_;
};

}  // namespace

std::int64_t interval_union_length(std::vector<Interval>& intervals) {
  const auto by_start = [](const Interval& a, const Interval& b) { return a.lo < b.lo; };
  // Units side by side mostly come in order already.
  if (!std::is_sorted(intervals.begin(), intervals.end(), by_start))
    std::sort(intervals.begin(), intervals.end(), by_start);
  std::int64_t total = 0;
  std::int64_t covered_to = std::numeric_limits<std::int64_t>::min();
  for (const Interval& i : intervals) {
    if (i.empty()) continue;
    const std::int64_t from = std::max(i.lo, covered_to);
    if (i.hi > from) total += i.hi - from;
    covered_to = std::max(covered_to, i.hi);
  }
  return total;
}

CoordinateDims tile_coordinate_dims(Tensor t, const LayerGeometry& geometry) {
  const DimMask y = dim_bit(Dim::Y) | dim_bit(Dim::R);
  const DimMask x = dim_bit(Dim::X) | dim_bit(Dim::S);
  const DimMask kc = dim_bit(Dim::K) | dim_bit(Dim::C);
  switch (t) {
    case Tensor::Input:
      return {{dim_bit(Dim::N), dim_bit(Dim::C), dim_bit(Dim::Y), dim_bit(Dim::X)}, 4};
    case Tensor::Weight:
      if (geometry.channel_tied()) return {{kc, dim_bit(Dim::R), dim_bit(Dim::S)}, 3};
      return {{dim_bit(Dim::K), dim_bit(Dim::C), dim_bit(Dim::R), dim_bit(Dim::S)}, 4};
    case Tensor::Output:
      return {{dim_bit(Dim::N), geometry.depthwise() ? kc : dim_bit(Dim::K), y, x}, 4};
  }
  return {};
}

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
  if (geometry.depthwise()) join(Dim::K, Dim::C);  // output channels follow both
  for (const LevelPlan& p : plans) {
    std::optional<Dim> first;
    for (const ResolvedDirective& d : p.directives) {
      if (d.kind != MapKind::Spatial) continue;
      if (first) join(*first, base_dim(d.dim));
      first = base_dim(d.dim);
    }
  }
  // In order of their roots, as a map by root would list them.
  std::array<DimMask, kNumDims> by_root{};
  for (Dim d : kAllDims) by_root[find(static_cast<std::size_t>(d))] |= dim_bit(d);
  std::vector<DimMask> groups;
  groups.reserve(kNumDims);
  for (const DimMask mask : by_root)
    if (mask != 0) groups.push_back(mask);
  return groups;
}

FillCounts count_fills(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
                       std::size_t depth, bool read_rows_only) {
  return FillCounter(geometry, plans, std::min(depth, plans.size()), read_rows_only).run();
}

std::optional<LevelPlan> units_side_by_side(const LayerGeometry& geometry, const LevelPlan& level,
                                            std::size_t cut) {
  LevelPlan outer = level;
  outer.directives.resize(std::min(cut, outer.directives.size()));
  int spatial = -1;
  for (std::size_t i = 0; i < outer.directives.size(); ++i) {
    if (outer.directives[i].kind != MapKind::Spatial) continue;
    if (spatial >= 0) return std::nullopt;
    spatial = static_cast<int>(i);
  }
  if (spatial < 0) return std::nullopt;
  ResolvedDirective& map = outer.directives[static_cast<std::size_t>(spatial)];
  if (map.offset > map.size) return std::nullopt;
  // A later map of the same dimension splits each unit's chunk: its pieces' union is not a piece
  // of the union.
  for (std::size_t i = static_cast<std::size_t>(spatial) + 1; i < outer.directives.size(); ++i)
    if (base_dim(outer.directives[i].dim) == base_dim(map.dim)) return std::nullopt;
  switch (map.dim) {
    case MapDim::N:
    case MapDim::K:
    case MapDim::C:
      break;
    case MapDim::YOut:
    case MapDim::XOut: {
      // No map of the input rows (columns) themselves, and consecutive outputs' windows must
      // touch: with a stride above 1, a filter of at least the stride that the cut does not split.
      const bool rows = map.dim == MapDim::YOut;
      const Dim axis = rows ? Dim::Y : Dim::X, window = rows ? Dim::R : Dim::S;
      const bool strided = geometry.stride(axis) > 1;
      if (strided && geometry.size(window) < geometry.stride(axis)) return std::nullopt;
      for (const ResolvedDirective& d : outer.directives)
        if (d.dim == (rows ? MapDim::Y : MapDim::X) ||
            (strided && base_dim(d.dim) == window && d.size < geometry.size(window)))
          return std::nullopt;
      break;
    }
    default:  // Y, X, R, S: the outputs whose windows fit in a union are more than the union's
      return std::nullopt;
  }
  std::int64_t span = 0, stride = 0;
  if (__builtin_mul_overflow(level.units - 1, map.offset, &span) ||
      __builtin_add_overflow(span, map.size, &span) ||
      __builtin_mul_overflow(level.units, map.offset, &stride))
    return std::nullopt;
  map = ResolvedDirective{MapKind::Temporal, map.dim, span, stride};
  outer.units = 1;
  outer.first_spatial = -1;
  return outer;
}

}  // namespace metronome
