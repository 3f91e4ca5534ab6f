#include "model/multicast.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "model/count_arithmetic.hpp"
#include "model/fills.hpp"
#include "model/odometer.hpp"
#include "spec/error.hpp"

namespace metronome {
namespace {

std::int64_t mul(std::int64_t a, std::int64_t b) {
  return count_arithmetic::mul(a, b, "multicast count");
}
std::int64_t add(std::int64_t a, std::int64_t b) {
  return count_arithmetic::add(a, b, "multicast count");
}

constexpr std::size_t kNoCoordinate = std::numeric_limits<std::size_t>::max();

class UnionCounter {
 public:
  UnionCounter(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans,
               const FillCounts& fills)
      : geometry_(geometry),
        plans_(plans),
        fills_(fills),
        groups_(dimension_groups(geometry, plans)),
        odometer_(plans, groups_),
        slots_(plans) {
    if (fills_.groups != groups_ || fills_.group_parts.size() != odometer_.loops().size() + 1)
      throw std::logic_error("multicast count: fill counts of other plans");
    spread_.fill(false);
    for (const LevelPlan& p : plans_)
      if (p.first_spatial >= 0 && p.units > 1)
        for (std::size_t g = 0; g < groups_.size(); ++g)
          if (groups_[g] &
              dim_bit(base_dim(p.directives[static_cast<std::size_t>(p.first_spatial)].dim)))
            spread_[g] = true;
    // Per tensor and group: the one tile coordinate in the group, if any. Outputs are not
    // counted: partial sums travel the other way (reduction), and the model does not use them.
    for (Tensor t : kAllTensors) {
      exact_[t] = t != Tensor::Output;
      coordinate_[t].fill(kNoCoordinate);
      const CoordinateDims dims = tile_coordinate_dims(t, geometry_);
      for (std::size_t i = 0; i < dims.size(); ++i)
        for (std::size_t g = 0; g < groups_.size(); ++g) {
          if (!(dims[i] & groups_[g])) continue;
          if (coordinate_[t][g] != kNoCoordinate || (dims[i] & ~groups_[g])) exact_[t] = false;
          coordinate_[t][g] = i;
        }
    }
    find_run_groups();
    parts_.reserve(32);  // a leaf's intervals: grown once, not by doubling
    pieces_.reserve(32);
  }

  // Per group: depth-wise layers tie K and C (derived coordinates); elsewhere every counted
  // coordinate must be a plain chunk.
  void find_run_groups() {
    runs_ok_.fill(!geometry_.channel_tied());
    for (std::size_t g = 0; g < groups_.size(); ++g)
      for (Tensor t : kAllTensors)
        if (exact_[t] && coordinate_[t][g] != kNoCoordinate &&
            !TileShape::plain_dim(geometry_, t, coordinate_[t][g]))
          runs_ok_[g] = false;
  }

  MulticastWords run() {
    MulticastWords out;
    out.classes.resize(odometer_.loops().size() + 1);
    if (!exact_[Tensor::Input] && !exact_[Tensor::Weight]) return out;  // nothing to count
    for (int j = -1; j < static_cast<int>(odometer_.loops().size()); ++j) {
      // covered: words some PE's new tile holds; stale: of those, words no PE needs anew.
      PerTensor<std::int64_t> covered, stale, words;
      for (Tensor t : kAllTensors) covered[t] = stale[t] = 1;
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        if (!spread_[g]) {  // one state for all PEs: the fill counts' sums
          const GroupPart& part = fills_.group_parts[static_cast<std::size_t>(j + 1)][g];
          for (Tensor t : kAllTensors) {
            covered[t] = mul(covered[t], part.fresh[t]);
            stale[t] = mul(stale[t], part.kept[t]);
          }
          continue;
        }
        const Sums s = group_sums(g, j);
        for (Tensor t : kAllTensors) {
          covered[t] = mul(covered[t], s.covered[t]);
          stale[t] = mul(stale[t], s.covered[t] - s.renewed[t]);
        }
      }
      for (Tensor t : kAllTensors) {
        words[t] = j < 0 ? covered[t] : covered[t] - stale[t];
        out.words[t] = add(out.words[t], words[t]);
      }
      out.classes[static_cast<std::size_t>(j + 1)] = words;
    }
    for (Tensor t : kAllTensors) out.exact[t] = exact_[t] && aligned_;
    return out;
  }

 private:
  // Per transition of the group: |C_g| (covered) and |N_g| (renewed), summed with weights.
  struct Sums {
    PerTensor<std::int64_t> covered, renewed;
  };
  // One unit of every level walked so far (its unit index at the current level).
  // A run (run > 1) stands for `run` units side by side whose chunks are these translated along
  // `run_dim` by 0, shift, 2 shift, ... (full chunks of a fold, see make).
  struct State {
    UnitChunks old_chunks, new_chunks;
    std::int64_t unit = 0;
    std::int64_t run = 1;
    std::int64_t shift = 0;
    Dim run_dim = Dim::N;
  };
  // The states of the units side by side. Its storage only grows: states are assigned into
  // place (value-initialising or copy-constructing a few hundred bytes per unit compiles to
  // `rep stos` / `rep movs`, slower than the assignment).
  class StateList {
   public:
    StateList() = default;
    explicit StateList(const State& one) : storage_{one}, size_(1) {}
    StateList(const StateList& other) { *this = other; }
    StateList& operator=(const StateList& other) {
      if (this == &other) return *this;
      if (storage_.size() < other.size_) storage_.resize(other.size_);
      std::copy(other.begin(), other.end(), storage_.begin());  // one memmove
      size_ = other.size_;
      return *this;
    }
    void clear() { size_ = 0; }
    // A slot past the end, holding whatever an earlier list left there.
    State& append() {
      if (size_ == storage_.size()) storage_.emplace_back();
      return storage_[size_++];
    }
    void truncate(std::size_t size) { size_ = size; }
    std::size_t size() const { return size_; }
    const State& front() const { return storage_.front(); }
    State* begin() { return storage_.data(); }
    State* end() { return storage_.data() + size_; }
    const State* begin() const { return storage_.data(); }
    const State* end() const { return storage_.data() + size_; }

   private:
    std::vector<State> storage_;
    std::size_t size_ = 0;
  };
  enum class Phase { Before, After };
  struct Cursor {
    std::size_t group;
    int cut;
    Sums sums;
    std::int64_t old_fold = -1, new_fold = -1;  // of the level being walked
  };

  // Scratch per directive position (model/odometer.hpp): walking allocates nothing once warm.
  struct Slot {
    StateList next, probe;
    KeyedClasses classes;
  };

  Sums group_sums(std::size_t g, int cut) {
    return cache_.get(odometer_.group_cut_key(groups_[g], static_cast<std::int64_t>(g), cut), [&] {
      Cursor c{g, cut, {}};
      const UnitChunks whole = geometry_.whole_layer();
      first_.clear();  // kept: a walk's storage for the next
      first_.append() = State{whole, whole, 0};
      directive(c, 0, 0, cut < 0 ? Phase::After : Phase::Before, first_, 1);
      return c.sums;
    });
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    take_chunk(geometry_, u, d, index);
  }

  // Trip count of a loop over the units side by side. They must agree, or the PEs' steps would
  // not line up (a unit with fewer trips idles at the end of every iteration, keeping its tile):
  // then the counts are not exact.
  std::int64_t trips(const ResolvedDirective& d, bool is_fold, const StateList& states,
                     bool use_old, const LevelPlan& p, std::size_t position) {
    std::optional<std::int64_t> agreed;
    for (const State& s : states) {
      const UnitChunks& u = use_old ? s.old_chunks : s.new_chunks;
      const std::int64_t n = is_fold ? fold_count(geometry_, u, p.directives, position, p.units)
                                     : directive_chunks(geometry_, u, d);
      if (agreed && *agreed != n) aligned_ = false;
      agreed = std::max(agreed.value_or(1), n);
    }
    return agreed.value_or(1);
  }

  void make(StateList& into, const StateList& from, const ResolvedDirective& d, bool is_fold,
            std::int64_t units, std::int64_t old_index, std::int64_t new_index, bool one_idle_unit,
            bool runs) const {
    if (!is_fold) {
      into = from;
      for (State& s : into) {
        split(s.old_chunks, d, old_index);
        split(s.new_chunks, d, new_index);
      }
      return;
    }
    into.clear();
    for (const State& s : from) {
      if (s.run > 1) throw std::logic_error("multicast count: a run reached a fold");
      // Units past the last chunk on both sides hold identical (empty) chunks: with
      // `one_idle_unit`, one of them stands for all (see drop_repeats).
      const std::int64_t old_length = geometry_.parent_interval(s.old_chunks, d.dim).length();
      const std::int64_t new_length = geometry_.parent_interval(s.new_chunks, d.dim).length();
      const std::int64_t old_chunks = chunk_count(old_length, d.size, d.offset);
      const std::int64_t new_chunks = chunk_count(new_length, d.size, d.offset);
      bool idle_kept = false;
      std::int64_t first = 0;
      if (runs) {
        // Units whose chunks are whole on both sides are translations of unit 0 by the offset.
        const auto whole = [&](std::int64_t at, std::int64_t length, std::int64_t count) {
          return at < count && at * d.offset + d.size <= length;
        };
        while (first < units && whole(old_index * units + first, old_length, old_chunks) &&
               whole(new_index * units + first, new_length, new_chunks))
          ++first;
        if (first >= 2) {
          State& e = into.append();
          e = s;
          e.unit = 0;
          e.run = first;
          // Y'/X' chunks move the unit's input rows (columns) by the offset times the stride.
          e.shift = d.dim == MapDim::YOut || d.dim == MapDim::XOut
                        ? d.offset * geometry_.stride(base_dim(d.dim))
                        : d.offset;
          e.run_dim = base_dim(d.dim);
          split(e.old_chunks, d, old_index * units);
          split(e.new_chunks, d, new_index * units);
        } else {
          first = 0;
        }
      }
      for (std::int64_t u = first; u < units; ++u) {
        const std::int64_t old_at = old_index * units + u, new_at = new_index * units + u;
        if (old_at >= old_chunks && new_at >= new_chunks) {
          if (one_idle_unit && idle_kept) continue;
          idle_kept = true;
        }
        State& e = into.append();
        e.old_chunks = s.old_chunks;
        e.new_chunks = s.new_chunks;
        e.unit = u;
        e.run = 1;
        split(e.old_chunks, d, old_at);
        split(e.new_chunks, d, new_at);
      }
    }
  }

  // Every unit's state against unit 0's new chunks: equal keys are translated configurations.
  void key_of(StateKey& key, const StateList& states, DimMask mask, const Cursor& c,
              bool with_folds) const {
    key.clear();
    if (with_folds) {
      key.push_back(c.old_fold);
      key.push_back(c.new_fold);
    }
    const UnitChunks& origin = states.front().new_chunks;
    for (const State& s : states) {
      append_state_key(key, geometry_, origin, s.old_chunks, mask);
      append_state_key(key, geometry_, origin, s.new_chunks, mask);
      key.push_back(s.run);
      key.push_back(s.run > 1 ? s.shift : 0);
    }
  }

  // Units side by side that hold the same chunks in the group's dimensions add nothing to a
  // union of tiles nor another trip count (both depend on the set of states only), so a run of
  // equal neighbours (idle units past the layer's edge, units sharing a tile) is kept once.
  // Only where no later SpatialMap of the group in the level still tells units apart.
  void drop_repeats(StateList& states, const LevelPlan& p, std::size_t position,
                    DimMask mask) const {
    if (later_spatial(p, position, mask)) return;
    const auto same = [mask](const State& a, const State& b) {
      return a.run == b.run && (a.run == 1 || (a.shift == b.shift && a.run_dim == b.run_dim)) &&
             same_chunks_in(a.old_chunks, b.old_chunks, mask) &&
             same_chunks_in(a.new_chunks, b.new_chunks, mask);
    };
    states.truncate(
        static_cast<std::size_t>(std::unique(states.begin(), states.end(), same) - states.begin()));
  }

  // `states` is the caller's scratch (or a list of its own): the caller builds it afresh before
  // any further use, so it is finished or spread here in place, not copied.
  void directive(Cursor& c, std::size_t l, std::size_t i, Phase phase, StateList& states,
                 std::int64_t weight) {
    if (l == plans_.size()) {
      leaf(c, states, weight);
      return;
    }
    const LevelPlan& p = plans_[l];
    const DimMask mask = groups_[c.group];
    if (phase == Phase::Before && odometer_.past_cut(c.cut, l, i) && !odometer_.is_cut(c.cut, l, i))
      phase = Phase::After;
    Slot& here = slots_.at(l, i);
    StateList& next = here.next;
    if (i == p.directives.size()) {
      // Finishing a level only recomputes input rows and columns from outputs: a group without
      // them goes on with the states as they are (no copy of every unit).
      constexpr DimMask kAxes =
          dim_bit(Dim::Y) | dim_bit(Dim::R) | dim_bit(Dim::X) | dim_bit(Dim::S);
      const bool finish = (mask & kAxes) != 0;
      if (finish) {
        for (State& s : states) {
          geometry_.finish_level(s.old_chunks);
          geometry_.finish_level(s.new_chunks);
          s.unit = 0;
        }
      }
      const std::int64_t old_fold = c.old_fold, new_fold = c.new_fold;
      c.old_fold = c.new_fold = -1;  // the next level's folds are its own
      directive(c, l + 1, 0, phase, states, weight);
      c.old_fold = old_fold;
      c.new_fold = new_fold;
      return;
    }
    const ResolvedDirective& d = p.directives[i];
    const bool cut_here = odometer_.is_cut(c.cut, l, i);
    if (!(mask & dim_bit(base_dim(d.dim)))) {
      if (cut_here) phase = Phase::After;  // another group's loop advances: ours stays
      directive(c, l, i + 1, phase, states, weight);
      return;
    }
    const bool is_fold = static_cast<int>(i) == p.first_spatial;
    if (d.kind == MapKind::Spatial && !is_fold) {  // spreads with the level's fold indices
      for (State& s : states) {
        split(s.old_chunks, d, c.old_fold * p.units + s.unit);
        split(s.new_chunks, d, c.new_fold * p.units + s.unit);
      }
      drop_repeats(states, p, i, mask);
      directive(c, l, i + 1, phase, states, weight);
      return;
    }
    const bool one_idle_unit = is_fold && !later_spatial(p, i, mask);
    const bool runs = one_idle_unit && runs_allowed(c.group, d.dim, l);
    const auto state_at = [&](StateList& into, std::int64_t old_index, std::int64_t new_index) {
      make(into, states, d, is_fold, p.units, old_index, new_index, one_idle_unit, runs);
      if (is_fold) {
        c.old_fold = old_index;
        c.new_fold = new_index;
      }
    };
    if (phase == Phase::After && !cut_here) {
      state_at(next, trips(d, is_fold, states, true, p, i) - 1, 0);
      directive(c, l, i + 1, Phase::After, next, weight);
      return;
    }
    const std::int64_t n = trips(d, is_fold, states, false, p, i);
    const bool with_folds = is_fold && later_spatial(p, i, kAllDimsMask);
    const std::int64_t period =
        is_fold ? fold_period(geometry_, p, i) : state_period(geometry_, d.dim, d.offset);
    const std::int64_t transitions = cut_here ? n - 1 : n;
    constexpr std::int64_t kGroupFrom = 4;  // shorter loops are cheaper to walk than to key
    if (transitions < kGroupFrom) {
      for (std::int64_t a = 0; a < transitions; ++a) {
        state_at(next, a, cut_here ? a + 1 : a);
        directive(c, l, i + 1, cut_here ? Phase::After : Phase::Before, next, weight);
      }
      return;
    }
    const std::vector<IndexClass>& found =
        index_classes_into(here.classes, transitions, period, [&](std::int64_t a, StateKey& key) {
          state_at(here.probe, a, cut_here ? a + 1 : a);
          key_of(key, here.probe, mask, c, with_folds);
        });
    for (const IndexClass& cls : found) {
      state_at(next, cls.index, cut_here ? cls.index + 1 : cls.index);
      directive(c, l, i + 1, cut_here ? Phase::After : Phase::Before, next, mul(weight, cls.count));
    }
  }

  // Interval i translated by 0, shift, ..., (copies - 1) shift: one interval where they touch.
  static void put_translates(std::vector<Interval>& into, Interval i, std::int64_t copies,
                             std::int64_t shift) {
    if (copies == 1 || shift <= i.length()) {
      into.push_back(make_interval(i.lo, i.hi + (copies - 1) * shift));
      return;
    }
    for (std::int64_t k = 0; k < copies; ++k) into.push_back({i.lo + k * shift, i.hi + k * shift});
  }

  // Whether the fold at level l on `d` may keep its whole units as a run (State::run): a map on
  // N, K, C or on output rows or columns (whole output chunks need input rows inside the
  // parent's, so the units' rows are translations too; input and filter maps clip), no deeper
  // level spreads the group (a run never meets another fold), and every tile coordinate counted
  // in the group is a plain chunk (the leaves translate it).
  bool runs_allowed(std::size_t group, MapDim d, std::size_t l) const {
    const Dim b = base_dim(d);
    const bool translates =
        b == Dim::N || b == Dim::K || b == Dim::C || d == MapDim::YOut || d == MapDim::XOut;
    if (!translates || !runs_ok_[group]) return false;
    for (std::size_t deeper = l + 1; deeper < plans_.size(); ++deeper)
      for (const ResolvedDirective& x : plans_[deeper].directives)
        if (x.kind == MapKind::Spatial && (groups_[group] & dim_bit(base_dim(x.dim)))) return false;
    return true;
  }

  void leaf(Cursor& c, const StateList& states, std::int64_t weight) {
    for (Tensor t : kAllTensors) {
      const std::size_t coordinate = coordinate_[t][c.group];
      if (coordinate == kNoCoordinate || !exact_[t]) {
        // The tensor's tile does not vary in this group (or is not counted here): one part.
        c.sums.covered[t] = add(c.sums.covered[t], weight);
        continue;
      }
      parts_.clear();
      pieces_.clear();
      // Most coordinates are one chunk as it is (TileShape::coordinate): read it directly.
      const std::optional<Dim> plain = TileShape::plain_dim(geometry_, t, coordinate);
      const auto coordinate_of = [&](const UnitChunks& u) {
        return plain ? u.chunk[*plain] : TileShape::coordinate(geometry_, u, t, coordinate);
      };
      for (const State& s : states) {
        const Interval now = coordinate_of(s.new_chunks);
        if (now.empty()) continue;
        // A run's units differ in this coordinate only if it is the run's dimension.
        const bool spread = s.run > 1 && plain == s.run_dim;
        const std::int64_t copies = spread ? s.run : 1;
        put_translates(parts_, now, copies, s.shift);
        if (c.cut < 0) continue;  // the first step: everything is new
        const Interval before = coordinate_of(s.old_chunks);
        const Interval kept = intersect(now, before);
        if (kept.empty()) {
          put_translates(pieces_, now, copies, s.shift);
          continue;
        }
        if (now.lo < kept.lo)
          put_translates(pieces_, make_interval(now.lo, kept.lo), copies, s.shift);
        if (kept.hi < now.hi)
          put_translates(pieces_, make_interval(kept.hi, now.hi), copies, s.shift);
      }
      c.sums.covered[t] = add(c.sums.covered[t], mul(weight, interval_union_length(parts_)));
      c.sums.renewed[t] = add(c.sums.renewed[t], mul(weight, interval_union_length(pieces_)));
    }
  }

  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& plans_;
  const FillCounts& fills_;
  std::vector<DimMask> groups_;
  // Per group (at most one per dimension).
  std::array<bool, kNumDims> spread_{};  // some level spreads it over several units
  Odometer odometer_;
  PerTensor<std::array<std::size_t, kNumDims>> coordinate_;  // per group
  PerTensor<bool> exact_;
  std::array<bool, kNumDims> runs_ok_{};  // see runs_allowed
  bool aligned_ = true;
  GroupCutCache<Sums> cache_;
  PositionSlots<Slot> slots_;
  std::vector<Interval> parts_, pieces_;
  StateList first_;  // the states a group's walk starts from
};

}  // namespace

MulticastWords count_multicast_words(const LayerGeometry& geometry,
                                     const std::vector<LevelPlan>& plans, const FillCounts& fills) {
  return UnionCounter(geometry, plans, fills).run();
}

}  // namespace metronome
