#include "sim/step_plan.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <stdexcept>
#include <utility>

namespace metronome::sim {
namespace {

// The chunk state splits into independent groups: a directive reads and writes only the fields
// of its own group (LayerGeometry::parent_interval, assign, finish_level), so a group's final
// value depends only on the entry's group and the loop indices of the group's directives.
// N, K, C are a group each (K and C one group when channel-tied, so that the box's c range,
// Kc ∩ Cc, belongs to one group); Y with R, Y' and their bookkeeping; X with S, X'.
enum Group : unsigned { kGroupN, kGroupK, kGroupC, kGroupY, kGroupX };
constexpr unsigned kGroups = 5;
using GroupMask = unsigned;
constexpr GroupMask kAllGroups = (1u << kGroups) - 1;
constexpr GroupMask group_bit(unsigned g) {
  return 1u << g;
}

unsigned group_of(MapDim d, bool tied) {
  switch (d) {
    case MapDim::N:
      return kGroupN;
    case MapDim::K:
      return kGroupK;
    case MapDim::C:
      return tied ? kGroupK : kGroupC;
    case MapDim::R:
    case MapDim::Y:
    case MapDim::YOut:
      return kGroupY;
    default:
      return kGroupX;
  }
}

// The group's fields that the walk carries inside a level; `bookkeeping` false: only those of
// a finished chunk, as after finish_level a group's bookkeeping is constant (bounds empty, flags
// false) and only these fields of finished chunks ever differ.
void copy_group(UnitChunks& dst, const UnitChunks& src, unsigned g, bool tied, bool bookkeeping) {
  switch (g) {
    case kGroupN:
      dst.chunk[Dim::N] = src.chunk[Dim::N];
      return;
    case kGroupK:
      dst.chunk[Dim::K] = src.chunk[Dim::K];
      if (tied) dst.chunk[Dim::C] = src.chunk[Dim::C];
      return;
    case kGroupC:
      if (!tied) dst.chunk[Dim::C] = src.chunk[Dim::C];
      return;
    case kGroupY:
      dst.chunk[Dim::Y] = src.chunk[Dim::Y];
      dst.chunk[Dim::R] = src.chunk[Dim::R];
      dst.out_rows = src.out_rows;
      if (!bookkeeping) return;
      dst.row_bound = src.row_bound;
      dst.rows_from_outputs = src.rows_from_outputs;
      return;
    default:
      dst.chunk[Dim::X] = src.chunk[Dim::X];
      dst.chunk[Dim::S] = src.chunk[Dim::S];
      dst.out_cols = src.out_cols;
      if (!bookkeeping) return;
      dst.col_bound = src.col_bound;
      dst.cols_from_outputs = src.cols_from_outputs;
  }
}
void copy_state(UnitChunks& dst, const UnitChunks& src, unsigned g, bool tied) {
  copy_group(dst, src, g, tied, true);
}
void copy_final(UnitChunks& dst, const UnitChunks& src, unsigned g, bool tied) {
  copy_group(dst, src, g, tied, false);
}

// Whether a and b agree on the fields copy_group copies.
bool equal_group(const UnitChunks& a, const UnitChunks& b, unsigned g, bool tied,
                 bool bookkeeping) {
  switch (g) {
    case kGroupN:
      return a.chunk[Dim::N] == b.chunk[Dim::N];
    case kGroupK:
      return a.chunk[Dim::K] == b.chunk[Dim::K] && (!tied || a.chunk[Dim::C] == b.chunk[Dim::C]);
    case kGroupC:
      return tied || a.chunk[Dim::C] == b.chunk[Dim::C];
    case kGroupY:
      return a.chunk[Dim::Y] == b.chunk[Dim::Y] && a.chunk[Dim::R] == b.chunk[Dim::R] &&
             a.out_rows == b.out_rows &&
             (!bookkeeping ||
              (a.row_bound == b.row_bound && a.rows_from_outputs == b.rows_from_outputs));
    default:
      return a.chunk[Dim::X] == b.chunk[Dim::X] && a.chunk[Dim::S] == b.chunk[Dim::S] &&
             a.out_cols == b.out_cols &&
             (!bookkeeping ||
              (a.col_bound == b.col_bound && a.cols_from_outputs == b.cols_from_outputs));
  }
}
bool equal_state(const UnitChunks& a, const UnitChunks& b, unsigned g, bool tied) {
  return equal_group(a, b, g, tied, true);
}
bool equal_final(const UnitChunks& a, const UnitChunks& b, unsigned g, bool tied) {
  return equal_group(a, b, g, tied, false);
}

// The box coordinates a group determines (LayerGeometry::box, one group at a time; the group's
// fields of `u` must be finished chunks).
void group_box(const LayerGeometry& geo, const UnitChunks& u, unsigned g, MacBox& b) {
  switch (g) {
    case kGroupN:
      b.range[0] = u.chunk[Dim::N];
      return;
    case kGroupK:
      if (geo.channel_tied()) {
        b.range[1] = make_interval(0, 1);
        b.range[2] = intersect(u.chunk[Dim::K], u.chunk[Dim::C]);
      } else {
        b.range[1] = u.chunk[Dim::K];
      }
      return;
    case kGroupC:
      if (!geo.channel_tied()) b.range[2] = u.chunk[Dim::C];
      return;
    case kGroupY:
      b.range[3] = u.chunk[Dim::R];
      b.range[5] = geo.fitting_outputs(u, Dim::Y);
      return;
    default:
      b.range[4] = u.chunk[Dim::S];
      b.range[6] = geo.fitting_outputs(u, Dim::X);
  }
}

// The product of the box coordinates the group determines.
std::int64_t part_macs(const MacBox& b, unsigned g, bool tied) {
  switch (g) {
    case kGroupN:
      return b.range[0].length();
    case kGroupK:
      return tied ? b.range[1].length() * b.range[2].length() : b.range[1].length();
    case kGroupC:
      return tied ? 1 : b.range[2].length();
    case kGroupY:
      return b.range[3].length() * b.range[5].length();
    default:
      return b.range[4].length() * b.range[6].length();
  }
}

void copy_box_part(MacBox& dst, const MacBox& src, unsigned g, bool tied) {
  switch (g) {
    case kGroupN:
      dst.range[0] = src.range[0];
      return;
    case kGroupK:
      dst.range[1] = src.range[1];
      if (tied) dst.range[2] = src.range[2];
      return;
    case kGroupC:
      if (!tied) dst.range[2] = src.range[2];
      return;
    case kGroupY:
      dst.range[3] = src.range[3];
      dst.range[5] = src.range[5];
      return;
    default:
      dst.range[4] = src.range[4];
      dst.range[6] = src.range[6];
  }
}

// A PeSlot's intervals, numbered: chunk[N..X] 0-6, out_rows 7, out_cols 8, box.range[0..6] 9-15.
using PlaceMask = std::uint32_t;
constexpr unsigned kFirstBoxPlace = 9;

Interval& chunk_place(UnitChunks& c, unsigned i) {
  return i < kNumDims ? c.chunk.values[i] : i == kNumDims ? c.out_rows : c.out_cols;
}
const Interval& chunk_place(const UnitChunks& c, unsigned i) {
  return i < kNumDims ? c.chunk.values[i] : i == kNumDims ? c.out_rows : c.out_cols;
}

constexpr PlaceMask chunk_bit(Dim d) {
  return PlaceMask{1} << static_cast<unsigned>(d);
}
constexpr PlaceMask box_bit(unsigned coordinate) {
  return PlaceMask{1} << (kFirstBoxPlace + coordinate);
}

// The places a group's finished chunks and box coordinates occupy.
PlaceMask group_places(unsigned g, bool tied) {
  switch (g) {
    case kGroupN:
      return chunk_bit(Dim::N) | box_bit(0);
    case kGroupK:
      return chunk_bit(Dim::K) | box_bit(1) | (tied ? chunk_bit(Dim::C) | box_bit(2) : 0);
    case kGroupC:
      return tied ? 0 : chunk_bit(Dim::C) | box_bit(2);
    case kGroupY:
      return chunk_bit(Dim::R) | chunk_bit(Dim::Y) | (PlaceMask{1} << kNumDims) | box_bit(3) |
             box_bit(5);
    default:
      return chunk_bit(Dim::S) | chunk_bit(Dim::X) | (PlaceMask{1} << (kNumDims + 1)) | box_bit(4) |
             box_bit(6);
  }
}

template <typename F>
void for_each_group(GroupMask m, F&& f) {
  for (; m != 0; m &= m - 1) f(static_cast<unsigned>(__builtin_ctz(m)));
}

std::uint64_t new_walk_id() {
  static std::atomic<std::uint64_t> last{0};
  return ++last;
}

}  // namespace

// A pull-style walk over one level's loop nest (same rules as spec's walk_level): an odometer over
// the directives. Each group's state is kept after each of its directives, per unit once a
// SpatialMap of the group has split it (before that all units hold the same), so a move of the
// odometer recomputes only the directives whose input or index changed. The finished chunks of
// every unit are kept per group too, with the groups that changed since they were last taken.
class StepPlan::Cursor {
 public:
  Cursor(const LayerGeometry& geometry, const LevelPlan& plan)
      : geometry_(&geometry),
        tied_(geometry.channel_tied()),
        units_(plan.units),
        fold_pos_(plan.first_spatial),
        index_(plan.directives.size()),
        trips_(plan.directives.size(), 1),
        index_changed_(plan.directives.size()) {
    // Lay out the states: entry per group, then the output of each directive, then the finished
    // chunks per group.
    std::size_t next = 0;
    std::array<std::size_t, kGroups> last{};
    std::array<bool, kGroups> spread{};
    for (unsigned g = 0; g < kGroups; ++g) last[g] = next++;
    for (std::size_t q = 0; q < plan.directives.size(); ++q) {
      Pos p;
      p.d = plan.directives[q];
      p.group = group_of(p.d.dim, tied_);
      p.spatial = p.d.kind == MapKind::Spatial;
      p.spread_in = spread[p.group];
      p.spread_out = p.spatial || p.spread_in;
      p.in = last[p.group];
      p.out = next;
      next += p.spread_out ? static_cast<std::size_t>(units_) : 1;
      if (p.spatial && fold_pos_ >= 0) {
        // The fold count reads the group's state before the fold position: uniform there.
        p.fold_src = last[p.group];
        for (std::size_t r = q; r-- > static_cast<std::size_t>(fold_pos_);)
          if (pos_[r].group == p.group) p.fold_src = pos_[r].in;
      }
      last[p.group] = p.out;
      spread[p.group] = p.spread_out;
      directive_groups_ |= group_bit(p.group);
      pos_.push_back(p);
    }
    for (unsigned g = 0; g < kGroups; ++g) {
      final_[g] = last[g];
      if (spread[g]) spread_groups_ |= group_bit(g);
      fin_[g] = next;
      next += spread[g] ? static_cast<std::size_t>(units_) : 1;
    }
    states_.resize(next);
    unit_changed_.assign(spread_groups_ != 0 ? static_cast<std::size_t>(units_) : 0, 0);
  }

  // Positions the walk at its first iteration for a unit entering with `entry`.
  void start(const UnitChunks& entry) {
    GroupMask dirty = 0;
    if (!started_) {
      UnitChunks first = entry;
      first.rows_from_outputs = first.cols_from_outputs = false;
      std::fill(states_.begin(), states_.end(), first);
      dirty = kAllGroups;
    } else {
      for (unsigned g = 0; g < kGroups; ++g) {
        UnitChunks& e = states_[g];  // flags cleared: as the walk starts the level
        if (!equal_state(e, entry, g, tied_)) {
          copy_state(e, entry, g, tied_);
          e.rows_from_outputs = e.cols_from_outputs = false;
          dirty |= group_bit(g);
        }
      }
    }
    for (std::size_t q = 0; q < pos_.size(); ++q) {
      index_changed_[q] = !started_ || index_[q] != 0;
      index_[q] = 0;
    }
    at_first_iteration_ = true;
    const bool first_start = !started_;
    started_ = true;
    recompute(0, dirty, first_start);
  }

  // Same, for unit `u` of the level above whose chunks changed since this cursor last started
  // (from them) in the groups `changed` only.
  void start(const Cursor& parent, std::size_t u, GroupMask changed) {
    if (!started_) {
      UnitChunks entry;
      parent.unit(u, entry);
      start(entry);
      return;
    }
    for_each_group(changed, [&](unsigned g) {
      UnitChunks& e = states_[g];
      copy_final(e, parent.final_group(g, u), g, tied_);
      // As finished by the level above.
      if (g == kGroupY) {
        e.row_bound = {};
        e.rows_from_outputs = false;
      } else if (g == kGroupX) {
        e.col_bound = {};
        e.cols_from_outputs = false;
      }
    });
    if (!at_first_iteration_) {
      for (std::size_t q = 0; q < pos_.size(); ++q) {
        index_changed_[q] = index_[q] != 0;
        index_[q] = 0;
      }
      at_first_iteration_ = true;
    } else if ((changed & directive_groups_) == 0) {
      // Same iteration, and no directive reads what changed: only the finished chunks move.
      finish(changed, false);
      return;
    }
    recompute(0, changed, false);
  }

  // Moves to the next iteration; false when the loop nest is exhausted.
  bool advance() {
    for (std::size_t p = pos_.size(); p-- > 0;) {
      if (index_[p] + 1 >= trips_[p]) continue;
      ++index_[p];
      index_changed_[p] = true;
      at_first_iteration_ = false;
      for (std::size_t q = p + 1; q < pos_.size(); ++q) {
        index_changed_[q] = index_[q] != 0;
        index_[q] = 0;
      }
      recompute(p, 0, false);
      return true;
    }
    return false;
  }

  // Finished chunks of group g for unit u (only the group's fields are meaningful).
  const UnitChunks& final_group(unsigned g, std::size_t u) const {
    return states_[fin_[g] + ((spread_groups_ >> g) & 1u ? u : 0)];
  }
  // Chunks of unit `u` after the level in the current iteration.
  void unit(std::size_t u, UnitChunks& out) const {
    for (unsigned g = 0; g < kGroups; ++g) copy_final(out, final_group(g, u), g, tied_);
    out.row_bound = out.col_bound = {};
    out.rows_from_outputs = out.cols_from_outputs = false;
  }

  // Groups that differ between units (split by a SpatialMap of this level).
  GroupMask spread_groups() const { return spread_groups_; }
  // Groups alike for all units whose finished chunks changed since the last call.
  GroupMask take_uniform_changes() { return std::exchange(uniform_changed_, 0); }
  // Whether some unit's spread groups changed since the last call (then take_unit_changes for
  // every unit).
  bool take_any_unit_change() { return std::exchange(any_unit_changed_, false); }
  // Spread groups of unit u whose finished chunks changed since the last call for u.
  GroupMask take_unit_changes(std::size_t u) { return std::exchange(unit_changed_[u], 0); }
  bool tied() const { return tied_; }

 private:
  struct Pos {
    ResolvedDirective d;
    unsigned group = 0;
    bool spatial = false;
    bool spread_in = false;                     // the group's state before it is per unit
    bool spread_out = false;                    // ... after it
    std::size_t in = 0, out = 0, fold_src = 0;  // offsets into states_
  };

  // Recomputes the directives from `from` on whose input (groups in `dirty`) or index changed,
  // then the finished chunks of the groups that changed.
  void recompute(std::size_t from, GroupMask dirty, bool all_changed) {
    bool fold_changed = false;
    for (std::size_t q = from; q < pos_.size(); ++q) {
      const Pos& p = pos_[q];
      const GroupMask bit = group_bit(p.group);
      if (static_cast<int>(q) == fold_pos_) {
        if ((dirty & spread_groups_) != 0) trips_[q] = fold_trips();
        fold_changed = index_changed_[q] != 0;
      }
      const bool changed =
          (dirty & bit) != 0 || index_changed_[q] != 0 || (p.spatial && fold_changed);
      index_changed_[q] = 0;
      if (!changed) continue;
      if (!p.spatial && (dirty & bit) != 0) trips_[q] = temporal_trips(p);
      apply(q);
      dirty |= bit;
    }
    finish(dirty, all_changed);
  }

  std::int64_t temporal_trips(const Pos& p) const {
    std::int64_t trips = 1;
    const std::size_t width = p.spread_in ? static_cast<std::size_t>(units_) : 1;
    for (std::size_t u = 0; u < width; ++u)
      trips = std::max(trips, directive_chunks(*geometry_, states_[p.in + u], p.d));
    return trips;
  }

  // The fold loop: ceil(most chunks of the level's SpatialMaps / units), every unit still holding
  // the same chunks at the fold position.
  std::int64_t fold_trips() const {
    std::int64_t most_chunks = 1;
    for (std::size_t j = static_cast<std::size_t>(fold_pos_); j < pos_.size(); ++j) {
      const Pos& s = pos_[j];
      if (!s.spatial) continue;
      most_chunks = std::max(most_chunks, directive_chunks(*geometry_, states_[s.fold_src], s.d));
    }
    return (most_chunks + units_ - 1) / units_;
  }

  void apply(std::size_t q) {
    const Pos& p = pos_[q];
    if (!p.spread_out) {
      split(states_[p.out], states_[p.in], p, index_[q]);
      return;
    }
    const std::int64_t first =
        p.spatial ? index_[static_cast<std::size_t>(fold_pos_)] * units_ : index_[q];
    for (std::size_t u = 0; u < static_cast<std::size_t>(units_); ++u)
      split(states_[p.out + u], states_[p.in + (p.spread_in ? u : 0)], p,
            p.spatial ? first + static_cast<std::int64_t>(u) : first);
  }

  void split(UnitChunks& dst, const UnitChunks& src, const Pos& p, std::int64_t index) const {
    copy_state(dst, src, p.group, tied_);
    take_chunk(*geometry_, dst, p.d, index);
  }

  void finish(GroupMask dirty, bool all_changed) {
    for_each_group(dirty, [&](unsigned g) {
      const bool spread = ((spread_groups_ >> g) & 1u) != 0;
      const std::size_t width = spread ? static_cast<std::size_t>(units_) : 1;
      for (std::size_t u = 0; u < width; ++u) {
        const UnitChunks& state = states_[final_[g] + u];
        const UnitChunks* done = &state;
        if ((g == kGroupY && state.rows_from_outputs) ||
            (g == kGroupX && state.cols_from_outputs)) {
          copy_state(finished_, state, g, tied_);
          geometry_->finish_level(finished_);
          done = &finished_;
        }
        UnitChunks& fin = states_[fin_[g] + u];
        if (!all_changed && equal_final(fin, *done, g, tied_)) continue;
        copy_final(fin, *done, g, tied_);
        if (spread) {
          unit_changed_[u] |= group_bit(g);
          any_unit_changed_ = true;
        } else
          uniform_changed_ |= group_bit(g);
      }
    });
  }

  const LayerGeometry* geometry_;
  bool tied_ = false;
  std::int64_t units_ = 1;
  int fold_pos_ = -1;
  std::vector<Pos> pos_;
  std::array<std::size_t, kGroups> final_{};  // the group's last state (after its last directive)
  std::array<std::size_t, kGroups> fin_{};    // the group's finished chunks
  GroupMask spread_groups_ = 0;
  GroupMask directive_groups_ = 0;   // groups some directive of the level maps
  bool at_first_iteration_ = false;  // every index is 0
  std::vector<UnitChunks> states_;
  std::vector<std::int64_t> index_;
  std::vector<std::int64_t> trips_;
  std::vector<char> index_changed_;
  GroupMask uniform_changed_ = 0;
  std::vector<GroupMask> unit_changed_;
  bool any_unit_changed_ = false;
  UnitChunks finished_;  // scratch for finish_level
  bool started_ = false;
};

// One unit of the level above (or the array, at the top) walking this level.
struct StepPlan::Node {
  Cursor cursor;
  bool fresh = false;  // innermost level: the current iteration has not been emitted yet
  bool done = true;
};

// What the PE slots of one innermost node hold in the view being filled.
struct StepPlan::Leaf {
  enum class Flags : unsigned char { Mixed, AllChanged, NoneChanged };
  bool emitted = false;       // in the step being built
  bool slots_active = false;  // its slots are active in the view (as of the last step filled)
  bool first = true;          // no active step yet in this walk
  Flags changed_flags = Flags::Mixed;  // the slots' `changed`
  // The groups alike for all units (not split by the level's SpatialMaps): their finished chunks
  // and box coordinates as in every slot, and the product of those coordinates.
  UnitChunks uniform_chunks;
  MacBox uniform_box;
  std::array<std::int64_t, kGroups> group_macs{};  // part_macs of uniform_box, per uniform group
  std::int64_t uniform_macs = 1;
  std::vector<std::int64_t> spread_macs;  // per unit, product over the other groups
  std::int64_t most_spread_macs = 1;
};

StepPlan::StepPlan(const Layer& layer, const ResolvedMapping& mapping)
    : geometry_(layer), plans_(plan_levels(mapping)) {
  if (plans_.empty()) throw std::logic_error("StepPlan: mapping has no level");
  std::int64_t clusters = 1;  // nodes at the current level: units of all levels above
  nodes_.resize(plans_.size());
  for (std::size_t l = 0; l < plans_.size(); ++l) {
    if (plans_[l].units < 1) throw std::logic_error("StepPlan: level with no unit");
    units_.push_back(plans_[l].units);
    nodes_[l].reserve(static_cast<std::size_t>(clusters));
    for (std::int64_t j = 0; j < clusters; ++j) nodes_[l].push_back({Cursor(geometry_, plans_[l])});
    if (l + 1 == plans_.size()) leaves_.resize(static_cast<std::size_t>(clusters));
    clusters *= plans_[l].units;
  }
  pe_count_ = clusters;
  for (Leaf& leaf : leaves_) leaf.spread_macs.assign(static_cast<std::size_t>(units_.back()), 1);
  reset();
}

StepPlan::~StepPlan() = default;

std::int64_t StepPlan::pe_index(std::span<const std::int64_t> unit_indices) const {
  if (unit_indices.size() != units_.size())
    throw std::logic_error("StepPlan::pe_index: one unit index per level expected");
  std::int64_t pe = 0;
  for (std::size_t l = 0; l < units_.size(); ++l) {
    if (unit_indices[l] < 0 || unit_indices[l] >= units_[l])
      throw std::logic_error("StepPlan::pe_index: unit index out of range");
    pe = pe * units_[l] + unit_indices[l];
  }
  return pe;
}

void StepPlan::reset() {
  next_index_ = 0;
  walk_id_ = new_walk_id();
  for (Leaf& leaf : leaves_) {
    leaf.first = true;
    leaf.emitted = leaf.slots_active = false;
  }
  start(0, 0, geometry_.whole_layer());
}

void StepPlan::start(std::size_t level, std::size_t node, const UnitChunks& entry) {
  Node& n = nodes_[level][node];
  n.cursor.start(entry);
  n.done = false;
  n.fresh = true;
  start_children(level, node);
}

// Restarts every unit's child level after the node's cursor moved (or started).
void StepPlan::start_children(std::size_t level, std::size_t node) {
  if (level + 1 == nodes_.size()) return;
  Cursor& c = nodes_[level][node].cursor;
  const std::size_t units = static_cast<std::size_t>(units_[level]);
  const GroupMask uniform_changed = c.take_uniform_changes();
  const bool unit_changes = c.take_any_unit_change();
  for (std::size_t u = 0; u < units; ++u) {
    const GroupMask changed = uniform_changed | (unit_changes ? c.take_unit_changes(u) : 0);
    const std::size_t child = node * units + u;
    Node& n = nodes_[level + 1][child];
    n.cursor.start(c, u, changed);
    n.done = false;
    n.fresh = true;
    start_children(level + 1, child);
  }
}

bool StepPlan::step(std::size_t level, std::size_t node, StepView& view) {
  Node& n = nodes_[level][node];
  if (n.done) return false;
  if (level + 1 == nodes_.size()) {
    // Innermost level: one step per iteration.
    if (!n.fresh && !n.cursor.advance()) {
      n.done = true;
      return false;
    }
    n.fresh = false;
    emit(node, view);
    return true;
  }
  const std::size_t units = static_cast<std::size_t>(units_[level]);
  for (;;) {
    bool any = false;
    for (std::size_t u = 0; u < units; ++u)
      if (step(level + 1, node * units + u, view)) any = true;
    if (any) return true;
    // Every unit finished its child sequence: the level's next iteration.
    if (!n.cursor.advance()) {
      n.done = true;
      return false;
    }
    start_children(level, node);
  }
}

// Brings the slots of innermost node `node` up to date: only the places that changed are
// rewritten, unless the slots are not active in the view (then everything is).
void StepPlan::emit(std::size_t node, StepView& view) {
  Cursor& c = nodes_.back()[node].cursor;
  Leaf& leaf = leaves_[node];
  const std::size_t units = static_cast<std::size_t>(units_.back());
  if (view.pes.size() != static_cast<std::size_t>(pe_count_))
    view.pes.resize(static_cast<std::size_t>(pe_count_));
  PeSlot* const slots = view.pes.data() + node * units;
  const bool tied = c.tied();
  const GroupMask spread = c.spread_groups();
  const GroupMask uniform = kAllGroups & ~spread;
  const GroupMask uniform_changed = c.take_uniform_changes();
  const bool unit_changes = c.take_any_unit_change();
  auto uniform_macs = [&](GroupMask changed_groups) {
    for_each_group(changed_groups,
                   [&](unsigned g) { leaf.group_macs[g] = part_macs(leaf.uniform_box, g, tied); });
    std::int64_t macs = 1;
    for_each_group(uniform, [&](unsigned g) { macs *= leaf.group_macs[g]; });
    return macs;
  };
  std::int64_t changed = 0;

  if (refresh_ || !leaf.slots_active || leaf.first) {
    // Everything.
    for_each_group(uniform, [&](unsigned g) {
      copy_final(leaf.uniform_chunks, c.final_group(g, 0), g, tied);
      box_part(leaf.uniform_chunks, g, leaf.uniform_box);
    });
    leaf.uniform_macs = uniform_macs(uniform);
    for (std::size_t u = 0; u < units; ++u) {
      PeSlot& s = slots[u];
      const GroupMask unit_changed = unit_changes ? c.take_unit_changes(u) : 0;
      for_each_group(uniform, [&](unsigned g) {
        copy_final(s.chunks, leaf.uniform_chunks, g, tied);
        copy_box_part(s.box, leaf.uniform_box, g, tied);
      });
      std::int64_t macs = 1;
      for_each_group(spread, [&](unsigned g) {
        copy_final(s.chunks, c.final_group(g, u), g, tied);
        box_part(s.chunks, g, s.box);
        macs *= part_macs(s.box, g, tied);
      });
      leaf.spread_macs[u] = macs;
      s.chunks.row_bound = s.chunks.col_bound = {};
      s.chunks.rows_from_outputs = s.chunks.cols_from_outputs = false;
      s.active = true;
      s.macs = leaf.uniform_macs * macs;
      s.changed = leaf.first || (uniform_changed | unit_changed) != 0;
      changed += s.changed ? 1 : 0;
    }
    leaf.most_spread_macs = *std::max_element(leaf.spread_macs.begin(), leaf.spread_macs.end());
    leaf.changed_flags = changed == static_cast<std::int64_t>(units) ? Leaf::Flags::AllChanged
                         : changed == 0                              ? Leaf::Flags::NoneChanged
                                                                     : Leaf::Flags::Mixed;
  } else {
    const std::int64_t uniform_macs_before = leaf.uniform_macs;
    if (uniform_changed != 0) {
      // Alike for all units: compare once, then write the places that changed into every slot.
      PlaceMask places = 0;
      for_each_group(uniform_changed, [&](unsigned g) {
        const UnitChunks& f = c.final_group(g, 0);
        MacBox box = leaf.uniform_box;
        box_part(f, g, box);
        for (PlaceMask m = group_places(g, tied); m != 0; m &= m - 1) {
          const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
          const Interval& now =
              i < kFirstBoxPlace ? chunk_place(f, i) : box.range[i - kFirstBoxPlace];
          Interval& was = i < kFirstBoxPlace ? chunk_place(leaf.uniform_chunks, i)
                                             : leaf.uniform_box.range[i - kFirstBoxPlace];
          if (now == was) continue;
          was = now;
          places |= PlaceMask{1} << i;
        }
      });
      leaf.uniform_macs = uniform_macs(uniform_changed);
      for (; places != 0; places &= places - 1) {
        const unsigned i = static_cast<unsigned>(__builtin_ctz(places));
        if (i < kNumDims) {
          const Interval v = leaf.uniform_chunks.chunk.values[i];
          for (std::size_t u = 0; u < units; ++u) slots[u].chunks.chunk.values[i] = v;
        } else if (i == kNumDims) {
          const Interval v = leaf.uniform_chunks.out_rows;
          for (std::size_t u = 0; u < units; ++u) slots[u].chunks.out_rows = v;
        } else if (i == kNumDims + 1) {
          const Interval v = leaf.uniform_chunks.out_cols;
          for (std::size_t u = 0; u < units; ++u) slots[u].chunks.out_cols = v;
        } else {
          const Interval v = leaf.uniform_box.range[i - kFirstBoxPlace];
          for (std::size_t u = 0; u < units; ++u) slots[u].box.range[i - kFirstBoxPlace] = v;
        }
      }
    }
    if (unit_changes) {
      for (std::size_t u = 0; u < units; ++u) {
        PeSlot& s = slots[u];
        const GroupMask unit_changed = c.take_unit_changes(u);
        if (uniform_changed == 0) {
          s.changed = unit_changed != 0;
          changed += s.changed ? 1 : 0;
        }
        if (unit_changed == 0) continue;
        for_each_group(unit_changed, [&](unsigned g) {
          copy_final(s.chunks, c.final_group(g, u), g, tied);
          box_part(s.chunks, g, s.box);
        });
        std::int64_t macs = 1;
        for_each_group(spread, [&](unsigned g) { macs *= part_macs(s.box, g, tied); });
        leaf.spread_macs[u] = macs;
        s.macs = leaf.uniform_macs * macs;
      }
      leaf.most_spread_macs = *std::max_element(leaf.spread_macs.begin(), leaf.spread_macs.end());
      if (uniform_changed == 0) leaf.changed_flags = Leaf::Flags::Mixed;
    }
    if (leaf.uniform_macs != uniform_macs_before)
      for (std::size_t u = 0; u < units; ++u)
        slots[u].macs = leaf.uniform_macs * leaf.spread_macs[u];
    if (uniform_changed != 0) {
      changed = static_cast<std::int64_t>(units);
      if (leaf.changed_flags != Leaf::Flags::AllChanged) {
        for (std::size_t u = 0; u < units; ++u) slots[u].changed = true;
        leaf.changed_flags = Leaf::Flags::AllChanged;
      }
    } else if (!unit_changes && leaf.changed_flags != Leaf::Flags::NoneChanged) {
      for (std::size_t u = 0; u < units; ++u) slots[u].changed = false;
      leaf.changed_flags = Leaf::Flags::NoneChanged;
    }
  }
  leaf.first = false;
  leaf.emitted = true;
  leaf.slots_active = true;
  view.max_box_volume = std::max(view.max_box_volume, leaf.uniform_macs * leaf.most_spread_macs);
  view.active_pes += static_cast<std::int64_t>(units);
  view.changed_pes += changed;
}

// The box coordinates of one group (as group_box), with the outputs of the Y and X axes
// remembered from the last call.
void StepPlan::box_part(const UnitChunks& chunks, unsigned group, MacBox& box) {
  if (group != kGroupY && group != kGroupX) {
    group_box(geometry_, chunks, group, box);
    return;
  }
  const bool rows = group == kGroupY;
  AxisMemo& m = axis_memo_[rows ? 0 : 1];
  const Interval window = chunks.chunk[rows ? Dim::R : Dim::S];
  const Interval in = chunks.chunk[rows ? Dim::Y : Dim::X];
  const Interval limit = rows ? chunks.out_rows : chunks.out_cols;
  if (!m.valid || m.window != window || m.in != in || m.limit != limit)
    m = {window, in, limit, geometry_.fitting_outputs(chunks, rows ? Dim::Y : Dim::X), true};
  box.range[rows ? 3 : 4] = window;
  box.range[rows ? 5 : 6] = m.outputs;
}

// The slots of innermost node `node` have no step: inactive, empty box; with `chunks`, also the
// node's current chunks (for a view rewritten in full).
void StepPlan::write_inactive(std::size_t node, StepView& view, bool chunks) {
  const std::size_t units = static_cast<std::size_t>(units_.back());
  const Cursor& c = nodes_.back()[node].cursor;
  for (std::size_t u = 0; u < units; ++u) {
    PeSlot& s = view.pes[node * units + u];
    s.active = s.changed = false;
    s.box = MacBox{};
    s.macs = 0;
    if (chunks) c.unit(u, s.chunks);
  }
  leaves_[node].slots_active = false;
  leaves_[node].changed_flags = Leaf::Flags::NoneChanged;
}

bool StepPlan::next(StepView& view) {
  if (nodes_[0][0].done) return false;
  refresh_ = next_index_ == 0 || view.walk_id != walk_id_ || view.index != next_index_ - 1 ||
             view.pes.size() != static_cast<std::size_t>(pe_count_);
  const std::int64_t max_before = view.max_box_volume, active_before = view.active_pes,
                     changed_before = view.changed_pes;
  view.max_box_volume = 0;
  view.active_pes = 0;
  view.changed_pes = 0;
  if (!step(0, 0, view)) {
    // Nothing was emitted: the view is untouched.
    view.max_box_volume = max_before;
    view.active_pes = active_before;
    view.changed_pes = changed_before;
    return false;
  }
  for (std::size_t j = 0; j < leaves_.size(); ++j) {
    Leaf& leaf = leaves_[j];
    if (leaf.emitted)
      leaf.emitted = false;
    else if (refresh_ || leaf.slots_active)
      write_inactive(j, view, refresh_);
  }
  view.index = next_index_++;
  view.walk_id = walk_id_;
  return true;
}

}  // namespace metronome::sim
