#include "sim/step_plan.hpp"

#include <algorithm>
#include <stdexcept>

namespace metronome::sim {

// A pull-style walk over one level's loop nest (same rules as spec's walk_level): an odometer
// over the directives, with the chunks of every unit after each directive kept in `scratch_`.
class StepPlan::Cursor {
 public:
  Cursor(const LayerGeometry& geometry, const LevelPlan& plan)
      : geometry_(&geometry),
        plan_(&plan),
        spread_units_(plan.first_spatial >= 0 ? plan.units : 1),
        scratch_(plan.directives.size() + 1),
        index_(scratch_.size()),
        trips_(scratch_.size()) {}  // one spare entry: sized like scratch_ (GCC 12 false positive)

  // Positions the walk at its first iteration for a unit entering with `entry`.
  void start(const UnitChunks& entry) {
    UnitChunks first = entry;
    first.rows_from_outputs = first.cols_from_outputs = false;
    scratch_[0].assign(1, first);
    descend(0);
  }

  // Moves to the next iteration; false when the loop nest is exhausted.
  bool advance() {
    for (std::size_t p = plan_->directives.size(); p-- > 0;) {
      if (index_[p] + 1 >= trips_[p]) continue;
      ++index_[p];
      apply(p);
      descend(p + 1);
      return true;
    }
    return false;
  }

  // Chunks of unit `u` after the level in the current iteration.
  const UnitChunks& unit(std::int64_t u) const {
    return scratch_.back()[spread_units_ == 1 ? 0 : static_cast<std::size_t>(u)];
  }

 private:
  const ResolvedDirective& directive(std::size_t p) const { return plan_->directives[p]; }

  // Computes trip counts of positions from `pos` on and enters their first iteration.
  void descend(std::size_t pos) {
    for (std::size_t p = pos; p < plan_->directives.size(); ++p) {
      const ResolvedDirective& d = directive(p);
      const std::vector<UnitChunks>& current = scratch_[p];
      std::int64_t trips = 1;
      if (d.kind == MapKind::Temporal) {
        for (const UnitChunks& u : current)
          trips = std::max(
              trips, chunk_count(geometry_->parent_interval(u, d.dim).length(), d.size, d.offset));
      } else if (static_cast<int>(p) == plan_->first_spatial) {
        // The fold loop: every unit still holds the same chunks here.
        std::int64_t most_chunks = 1;
        for (std::size_t j = p; j < plan_->directives.size(); ++j) {
          const ResolvedDirective& s = directive(j);
          if (s.kind != MapKind::Spatial) continue;
          most_chunks = std::max(
              most_chunks, chunk_count(geometry_->parent_interval(current.front(), s.dim).length(),
                                       s.size, s.offset));
        }
        trips = (most_chunks + spread_units_ - 1) / spread_units_;
      }
      trips_[p] = trips;
      index_[p] = 0;
      apply(p);
    }
    finish();
  }

  // scratch_[p + 1] = scratch_[p] with directive p at its current index.
  void apply(std::size_t p) {
    const ResolvedDirective& d = directive(p);
    std::vector<UnitChunks>& next = scratch_[p + 1];
    if (d.kind == MapKind::Temporal) {
      next = scratch_[p];
      for (UnitChunks& u : next) split(u, d, index_[p]);
      return;
    }
    const std::int64_t fold = index_[static_cast<std::size_t>(plan_->first_spatial)];
    if (static_cast<int>(p) == plan_->first_spatial)
      next.assign(static_cast<std::size_t>(spread_units_), scratch_[p].front());
    else
      next = scratch_[p];
    for (std::size_t u = 0; u < next.size(); ++u)
      split(next[u], d, fold * spread_units_ + static_cast<std::int64_t>(u));
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    const Interval parent = geometry_->parent_interval(u, d.dim);
    const std::int64_t n = chunk_count(parent.length(), d.size, d.offset);
    geometry_->assign(u, d.dim, index < n ? chunk_at(parent, d.size, d.offset, index) : Interval{});
  }

  void finish() {
    // In place: the last position's chunks are read by nothing but unit() until the next
    // apply() rewrites them (with no directive, start() or nothing else does).
    for (UnitChunks& u : scratch_.back()) geometry_->finish_level(u);
  }

  const LayerGeometry* geometry_;
  const LevelPlan* plan_;
  std::int64_t spread_units_ = 1;
  std::vector<std::vector<UnitChunks>> scratch_;
  std::vector<std::int64_t> index_;
  std::vector<std::int64_t> trips_;
};

// One unit of the level above (or the array, at the top) walking this level.
struct StepPlan::Node {
  Cursor cursor;
  bool fresh = false;  // innermost level: the current iteration has not been emitted yet
  bool done = true;
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
    clusters *= plans_[l].units;
  }
  pe_count_ = clusters;
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
  start(0, 0, geometry_.whole_layer());
}

void StepPlan::start(std::size_t level, std::size_t node, const UnitChunks& entry) {
  Node& n = nodes_[level][node];
  n.cursor.start(entry);
  n.done = false;
  n.fresh = true;
  if (level + 1 == nodes_.size()) return;
  const std::int64_t units = units_[level];
  for (std::int64_t u = 0; u < units; ++u)
    start(level + 1, node * static_cast<std::size_t>(units) + static_cast<std::size_t>(u),
          n.cursor.unit(u));
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
    for (std::size_t u = 0; u < units; ++u)
      start(level + 1, node * units + u, n.cursor.unit(static_cast<std::int64_t>(u)));
  }
}

void StepPlan::emit(std::size_t node, StepView& view) {
  const Node& n = nodes_.back()[node];
  const std::size_t units = static_cast<std::size_t>(units_.back());
  for (std::size_t u = 0; u < units; ++u) {
    PeSlot& slot = view.pes[node * units + u];
    slot.active = true;
    slot.chunks = n.cursor.unit(static_cast<std::int64_t>(u));
    slot.box = geometry_.box(slot.chunks);
    slot.macs = slot.box.volume();
    view.max_box_volume = std::max(view.max_box_volume, slot.macs);
    ++view.active_pes;
  }
}

bool StepPlan::next(StepView& view) {
  if (nodes_[0][0].done) return false;
  view.pes.resize(static_cast<std::size_t>(pe_count_));
  for (PeSlot& slot : view.pes) {
    if (!slot.active) continue;  // inactive slots already have an empty box
    slot.active = false;
    slot.box = MacBox{};
    slot.macs = 0;
  }
  view.max_box_volume = 0;
  view.active_pes = 0;
  if (!step(0, 0, view)) return false;
  view.index = next_index_++;
  return true;
}

}  // namespace metronome::sim
