#include "spec/semantics_walk.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace metronome {

using walk_detail::ceil_div;
using walk_detail::floor_div;

namespace {

constexpr std::size_t coord(Dim d) {
  return static_cast<std::size_t>(d);
}

}  // namespace

std::int64_t MacBox::volume() const {
  std::int64_t v = 1;
  for (const Interval& r : range) {
    v *= r.length();
    if (v == 0) return 0;
  }
  return v;
}

bool MacBox::empty() const {
  return std::any_of(range.begin(), range.end(), [](const Interval& r) { return r.empty(); });
}

LayerGeometry::LayerGeometry(const Layer& layer)
    : size_(layer.size),
      stride_y_(layer.stride_y),
      stride_x_(layer.stride_x),
      out_rows_(layer.out_rows()),
      out_cols_(layer.out_cols()),
      channel_tied_(layer.type == LayerType::DsConv && layer.size[Dim::K] == layer.size[Dim::C] &&
                    layer.size[Dim::K] > 1),
      depthwise_(layer.type == LayerType::DsConv) {
  coord_size_ = {size_[Dim::N], channel_tied_ ? 1 : size_[Dim::K],
                 size_[Dim::C], size_[Dim::R],
                 size_[Dim::S], out_rows_,
                 out_cols_};
}

UnitChunks LayerGeometry::whole_layer() const {
  UnitChunks u;
  for (Dim d : kAllDims) u.chunk[d] = make_interval(0, size_[d]);
  u.out_rows = make_interval(0, out_rows_);
  u.out_cols = make_interval(0, out_cols_);
  return u;
}

MacBox LayerGeometry::box(const UnitChunks& u) const {
  MacBox b;
  b.range[coord(Dim::N)] = u.chunk[Dim::N];
  if (channel_tied_) {
    b.range[coord(Dim::K)] = make_interval(0, 1);
    b.range[coord(Dim::C)] = intersect(u.chunk[Dim::K], u.chunk[Dim::C]);
  } else {
    b.range[coord(Dim::K)] = u.chunk[Dim::K];
    b.range[coord(Dim::C)] = u.chunk[Dim::C];
  }
  b.range[coord(Dim::R)] = u.chunk[Dim::R];
  b.range[coord(Dim::S)] = u.chunk[Dim::S];
  b.range[5] = fitting_outputs(u, Dim::Y);
  b.range[6] = fitting_outputs(u, Dim::X);
  return b;
}

std::vector<LevelPlan> plan_levels(const ResolvedMapping& mapping) {
  std::vector<LevelPlan> plans;
  plans.reserve(mapping.levels.size());
  for (const ResolvedLevel& level : mapping.levels) {
    LevelPlan plan;
    plan.units = level.units;
    plan.directives = level.directives;
    for (std::size_t i = 0; i < plan.directives.size(); ++i) {
      if (plan.directives[i].kind == MapKind::Spatial) {
        plan.first_spatial = static_cast<int>(i);
        break;
      }
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

std::size_t StateKeyHash::operator()(const StateKey& k) const {
  std::size_t h = 1469598103934665603ull;
  for (std::int64_t v : k) h = (h ^ static_cast<std::size_t>(v)) * 1099511628211ull;
  return h;
}

namespace {

constexpr std::int64_t kEmptyMark = std::numeric_limits<std::int64_t>::min();

// Keys are written through a cursor into a local buffer and appended at once: keying is the inner
// loop of every grouped walk, and a push_back per value cost more than the rest of the key.
void put_relative(std::int64_t*& out, Interval i, std::int64_t origin) {
  if (i.empty()) {
    *out++ = kEmptyMark;
    return;
  }
  *out++ = i.lo - origin;
  *out++ = i.hi - origin;
}

void put_axis(std::int64_t*& out, const LayerGeometry& g, const UnitChunks& origin,
              const UnitChunks& s, Dim axis) {
  const bool rows = axis == Dim::Y;
  const Dim window_dim = rows ? Dim::R : Dim::S;
  const std::int64_t stride = g.stride(axis);
  const Interval origin_in = origin.chunk[axis];
  const std::int64_t shift = origin_in.empty() ? 0 : floor_div(origin_in.lo, stride);
  const Interval in = s.chunk[axis];
  const Interval window = s.chunk[window_dim];
  *out++ = window.lo;
  *out++ = window.hi;
  put_relative(out, in, shift * stride);
  const bool from_outputs = rows ? s.rows_from_outputs : s.cols_from_outputs;
  *out++ = from_outputs ? 1 : 0;
  Interval outs = rows ? s.out_rows : s.out_cols;
  if (from_outputs) {
    // The bound only clips the span of rows the outputs need (R only narrows later).
    const Interval span =
        outs.empty() || window.empty()
            ? Interval{}
            : make_interval(outs.lo * stride + window.lo, (outs.hi - 1) * stride + window.hi);
    put_relative(out, intersect(rows ? s.row_bound : s.col_bound, span), shift * stride);
  } else if (!window.empty() && !in.empty()) {
    // Outputs outside [first, last) can never fit in `in` with any part of `window`.
    const std::int64_t first = ceil_div(in.lo - (window.hi - 1), stride);
    const std::int64_t last = floor_div(in.hi - 1 - window.lo, stride) + 1;
    outs = intersect(outs, make_interval(first, last));
  } else {
    outs = {};
  }
  put_relative(out, outs, shift);
}

}  // namespace

void append_state_key(StateKey& key, const LayerGeometry& g, const UnitChunks& origin,
                      const UnitChunks& s, DimMask mask) {
  std::array<std::int64_t, kMaxStateKey> buffer;  // NOLINT: written before it is read
  const std::size_t n = write_state_key(buffer.data(), g, origin, s, mask);
  key.insert(key.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
}

std::size_t write_state_key(std::int64_t* const begin, const LayerGeometry& g,
                            const UnitChunks& origin, const UnitChunks& s, DimMask mask) {
  std::int64_t* out = begin;
  const Interval origin_c = origin.chunk[Dim::C];
  const std::int64_t c0 = origin_c.empty() ? 0 : origin_c.lo;
  if (mask & dim_bit(Dim::N)) put_relative(out, s.chunk[Dim::N], origin.chunk[Dim::N].lo);
  if (mask & dim_bit(Dim::K))
    put_relative(out, s.chunk[Dim::K], g.channel_tied() ? c0 : origin.chunk[Dim::K].lo);
  if (mask & dim_bit(Dim::C)) put_relative(out, s.chunk[Dim::C], c0);
  if (mask & (dim_bit(Dim::Y) | dim_bit(Dim::R))) put_axis(out, g, origin, s, Dim::Y);
  if (mask & (dim_bit(Dim::X) | dim_bit(Dim::S))) put_axis(out, g, origin, s, Dim::X);
  return static_cast<std::size_t>(out - begin);
}

namespace {

class LevelWalker {
 public:
  LevelWalker(const LayerGeometry& geometry, const LevelPlan& level, DimMask mask, bool grouped)
      : geometry_(geometry), grouped_(grouped) {
    bind(level, mask);
  }

  // Takes the level's directives in `mask` (again after LevelWalks::reset: the plan may have
  // changed), keeping the scratch space of earlier walks.
  void bind(const LevelPlan& level, DimMask mask) {
    directives_.clear();
    for (const ResolvedDirective& d : level.directives)
      if (mask & dim_bit(base_dim(d.dim))) directives_.push_back(&d);
    const bool has_spatial = std::any_of(directives_.begin(), directives_.end(),
                                         [](auto* d) { return d->kind == MapKind::Spatial; });
    units_ = has_spatial ? level.units : 1;
    // Never shrunk: positions past the directives are unused, their space kept for later binds.
    if (scratch_.size() < directives_.size() + 1) scratch_.resize(directives_.size() + 1);
    if (probes_.size() < directives_.size()) probes_.resize(directives_.size());
    if (classes_.size() < directives_.size()) classes_.resize(directives_.size());
  }

  bool run(const UnitChunks& entry, VisitorRef visit) {
    visit_ = &visit;
    UnitChunks start = entry;
    start.rows_from_outputs = start.cols_from_outputs = false;
    // Units stay one shared state until the fold loop spreads them (all hold the same chunks).
    scratch_[0].assign(1, start);
    return step(0, -1, 1);
  }

 private:
  // Keys the units' states in the dimensions `mask`, units equal to unit 0 there once.
  void units_key(StateKey& key, const std::vector<UnitChunks>& units, DimMask mask) const {
    key.clear();
    for (std::size_t u = 0; u < units.size(); ++u) {
      if (u > 0 && same_chunks_in(units[u], units[0], mask)) continue;
      key.push_back(static_cast<std::int64_t>(u));
      append_state_key(key, geometry_, units[u], units[u], mask);
    }
  }

  // Runs the loop at `pos` over `trips` indices: every index, or, when grouping, one
  // representative of every class of equivalent indices with the class size as weight.
  template <typename Apply, typename FoldOf>
  bool loop(std::size_t pos, std::int64_t trips, std::int64_t period, DimMask changed,
            std::int64_t weight, const Apply& apply, const FoldOf& fold_of) {
    std::vector<UnitChunks>& next = scratch_[pos + 1];
    constexpr std::int64_t kGroupFrom = 24;  // shorter loops are cheaper to walk than to key
    if (!grouped_ || trips < kGroupFrom) {
      for (std::int64_t i = 0; i < trips; ++i) {
        next = scratch_[pos];
        apply(next, i);
        if (!step(pos + 1, fold_of(i), weight)) return false;
      }
      return true;
    }
    std::vector<UnitChunks>& probe = probes_[pos];
    const std::vector<IndexClass>& classes =
        index_classes_into(classes_[pos], trips, period, [&](std::int64_t i, StateKey& key) {
          probe = scratch_[pos];
          apply(probe, i);
          units_key(key, probe, changed);
        });
    for (const IndexClass& c : classes) {
      next = scratch_[pos];
      apply(next, c.index);
      if (!step(pos + 1, fold_of(c.index), weight * c.count)) return false;
    }
    return true;
  }

  bool step(std::size_t pos, std::int64_t fold, std::int64_t weight) {
    std::vector<UnitChunks>& current = scratch_[pos];
    if (pos == directives_.size()) {
      // Every path here assigned this slot afresh, so the units are finished in place.
      std::vector<UnitChunks>& done = scratch_[pos];
      for (UnitChunks& u : done) geometry_.finish_level(u);
      return (*visit_)(done, weight);
    }
    const ResolvedDirective& d = *directives_[pos];
    std::vector<UnitChunks>& next = scratch_[pos + 1];
    if (d.kind == MapKind::Temporal) {
      std::int64_t trips = 1;
      for (const UnitChunks& u : current)
        trips = std::max(trips, directive_chunks(geometry_, u, d));
      return loop(
          pos, trips, state_period(geometry_, d.dim, d.offset), affected_dims(geometry_, d.dim),
          weight,
          [&](std::vector<UnitChunks>& units, std::int64_t i) {
            for (UnitChunks& u : units) split(u, d, i);
          },
          [fold](std::int64_t) { return fold; });
    }
    if (fold >= 0) {
      next = scratch_[pos];
      spread(next, d, fold);
      return step(pos + 1, fold, weight);
    }
    // The level's first SpatialMap: the fold loop. All units still hold the same chunks here.
    const std::int64_t folds = fold_count(geometry_, current[0], directives_, pos, units_);
    std::int64_t period = 1;
    DimMask changed = 0;
    for (std::size_t j = pos; j < directives_.size(); ++j) {
      if (directives_[j]->kind != MapKind::Spatial) continue;
      changed |= affected_dims(geometry_, directives_[j]->dim);
      const std::int64_t p =
          state_period(geometry_, directives_[j]->dim, directives_[j]->offset, units_);
      period = (p == 0 || period == 0) ? 0 : std::lcm(period, p);
    }
    return loop(
        pos, folds, period, changed, weight,
        [&](std::vector<UnitChunks>& units, std::int64_t f) {
          const UnitChunks shared = units.front();
          units.assign(static_cast<std::size_t>(units_), shared);
          spread(units, d, f);
        },
        [](std::int64_t f) { return f; });
  }

  void split(UnitChunks& u, const ResolvedDirective& d, std::int64_t index) const {
    take_chunk(geometry_, u, d, index);
  }

  void spread(std::vector<UnitChunks>& units, const ResolvedDirective& d, std::int64_t fold) const {
    spread_chunks(geometry_, units, d, fold, units_);
  }

  const LayerGeometry& geometry_;
  const VisitorRef* visit_ = nullptr;
  bool grouped_ = false;
  std::vector<const ResolvedDirective*> directives_;
  std::int64_t units_ = 1;
  std::vector<std::vector<UnitChunks>> scratch_;
  // Per loop position (deeper loops use later ones): probe states and their classes.
  std::vector<std::vector<UnitChunks>> probes_;
  std::vector<KeyedClasses> classes_;
};

}  // namespace

bool walk_level(const LayerGeometry& geometry, const LevelPlan& level, const UnitChunks& entry,
                DimMask mask, const LevelVisitor& visit) {
  const WeightedLevelVisitor weighted = [&](const std::vector<UnitChunks>& units, std::int64_t) {
    return visit(units);
  };
  LevelWalker walker(geometry, level, mask, false);
  return walker.run(entry, weighted);
}

std::int64_t first_level_iteration_head(const LayerGeometry& geometry, const LevelPlan& level,
                                        const UnitChunks& entry, std::vector<UnitChunks>& units,
                                        std::int64_t max_units) {
  UnitChunks shared = entry;
  shared.rows_from_outputs = shared.cols_from_outputs = false;
  // Temporal maps take index 0; SpatialMaps give unit u chunk u of fold 0.
  auto apply = [&](UnitChunks& unit, const ResolvedDirective& d, std::int64_t index) {
    return take_chunk(geometry, unit, d, index);
  };
  const std::size_t first_spatial = level.first_spatial < 0
                                        ? level.directives.size()
                                        : static_cast<std::size_t>(level.first_spatial);
  for (std::size_t i = 0; i < first_spatial; ++i) apply(shared, level.directives[i], 0);
  units.clear();
  const std::int64_t count = std::min(level.first_spatial < 0 ? 1 : level.units, max_units);
  for (std::int64_t u = 0; u < count; ++u) {
    UnitChunks& unit = units.emplace_back(shared);
    bool holds_some = false;  // a chunk from some SpatialMap
    for (std::size_t i = first_spatial; i < level.directives.size(); ++i) {
      const ResolvedDirective& d = level.directives[i];
      const bool spatial = d.kind == MapKind::Spatial;
      const bool given = apply(unit, d, spatial ? u : 0);
      if (spatial && given) holds_some = true;
    }
    geometry.finish_level(unit);
    // Every SpatialMap gave this unit none: the same holds for every later unit, each map's
    // parent being as this unit's (by induction over the maps), so they are all in its state.
    if (!holds_some && level.first_spatial >= 0) return count - u;
  }
  return 1;
}

void first_level_iteration(const LayerGeometry& geometry, const LevelPlan& level,
                           const UnitChunks& entry, std::vector<UnitChunks>& units) {
  const std::int64_t repeats = first_level_iteration_head(geometry, level, entry, units);
  units.resize(units.size() + static_cast<std::size_t>(repeats - 1), units.back());
}

bool walk_level_grouped(const LayerGeometry& geometry, const LevelPlan& level,
                        const UnitChunks& entry, DimMask mask, const WeightedLevelVisitor& visit) {
  LevelWalker walker(geometry, level, mask, true);
  return walker.run(entry, visit);
}

struct LevelWalks::Cache {
  const LayerGeometry& geometry;
  const std::vector<LevelPlan>& plans;
  // One slot per (level, mask, grouped): a flat table, looked up on every walk. A walker whose
  // epoch is not the current one was bound before the last reset and binds anew.
  std::vector<std::unique_ptr<LevelWalker>> walkers;
  std::vector<std::uint64_t> bound_epoch;
  std::uint64_t epoch = 0;

  LevelWalker& get(std::size_t level, DimMask mask, bool grouped) {
    constexpr std::size_t kMasks = std::size_t{1} << kNumDims;
    if (walkers.size() < plans.size() * kMasks * 2) {
      walkers.resize(plans.size() * kMasks * 2);
      bound_epoch.resize(walkers.size());
    }
    const std::size_t slot = (level * kMasks + (mask & kAllDimsMask)) * 2 + (grouped ? 1 : 0);
    auto& w = walkers[slot];
    if (!w)
      w = std::make_unique<LevelWalker>(geometry, plans[level], mask, grouped);
    else if (bound_epoch[slot] != epoch)
      w->bind(plans[level], mask);
    bound_epoch[slot] = epoch;
    return *w;
  }
};

LevelWalks::LevelWalks(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans)
    : cache_(std::make_unique<Cache>(Cache{geometry, plans, {}, {}, 0})) {}

void LevelWalks::reset() {
  ++cache_->epoch;
}

LevelWalks::~LevelWalks() = default;

bool LevelWalks::walk(std::size_t level, const UnitChunks& entry, DimMask mask, VisitorRef visit) {
  return cache_->get(level, mask, false).run(entry, visit);
}

bool LevelWalks::walk_grouped(std::size_t level, const UnitChunks& entry, DimMask mask,
                              VisitorRef visit) {
  return cache_->get(level, mask, true).run(entry, visit);
}

DimMask affected_dims(const LayerGeometry& geometry, MapDim d) {
  const Dim b = base_dim(d);
  if (b == Dim::Y || b == Dim::R) return dim_bit(Dim::Y) | dim_bit(Dim::R);
  if (b == Dim::X || b == Dim::S) return dim_bit(Dim::X) | dim_bit(Dim::S);
  if (geometry.channel_tied() && (b == Dim::K || b == Dim::C))
    return dim_bit(Dim::K) | dim_bit(Dim::C);
  return dim_bit(b);
}

std::int64_t state_period(const LayerGeometry& geometry, MapDim d, std::int64_t offset,
                          std::int64_t index_step) {
  switch (d) {
    case MapDim::R:
    case MapDim::S:
      return 0;
    case MapDim::Y:
    case MapDim::X: {
      const std::int64_t stride = geometry.stride(base_dim(d));
      // Only the step modulo the stride matters; reduce first so nothing overflows.
      const std::int64_t step = (offset % stride) * (index_step % stride) % stride;
      return stride / std::gcd(step, stride);
    }
    default:
      return 1;
  }
}

void KeyedClasses::clear() {
  classes_.clear();
  hashes_.clear();
  key_values_.clear();
  key_end_.clear();
  index_.clear();
}

bool KeyedClasses::key_equals(std::size_t i, const StateKey& key) const {
  const std::size_t begin = i == 0 ? 0 : key_end_[i - 1];
  return key_end_[i] - begin == key.size() &&
         std::equal(key.begin(), key.end(),
                    key_values_.begin() + static_cast<std::ptrdiff_t>(begin));
}

StateKey KeyedClasses::key_copy(std::size_t i) const {
  const std::size_t begin = i == 0 ? 0 : key_end_[i - 1];
  return StateKey(key_values_.begin() + static_cast<std::ptrdiff_t>(begin),
                  key_values_.begin() + static_cast<std::ptrdiff_t>(key_end_[i]));
}

std::size_t KeyedClasses::add(const StateKey& key, std::int64_t index, std::int64_t count) {
  const std::size_t h = StateKeyHash{}(key);
  const std::size_t n = classes_.size();
  std::size_t found = n;
  if (n <= kScanLimit) {
    for (std::size_t i = 0; i < n; ++i)
      if (hashes_[i] == h && key_equals(i, key)) {
        found = i;
        break;
      }
  } else if (auto it = index_.find(key); it != index_.end()) {
    found = it->second;
  }
  if (found < n) {
    classes_[found].count += count;
    return found;
  }
  classes_.push_back({index, count});
  hashes_.push_back(h);
  key_values_.insert(key_values_.end(), key.begin(), key.end());
  key_end_.push_back(key_values_.size());
  if (n + 1 > kScanLimit) {
    if (n == kScanLimit)
      for (std::size_t i = 0; i < n; ++i) index_.emplace(key_copy(i), i);
    index_.emplace(key, n);
  }
  return n;
}

std::vector<IndexClass> index_classes(std::int64_t n, std::int64_t period,
                                      const std::function<void(std::int64_t, StateKey&)>& key_at) {
  KeyedClasses into;
  return index_classes_into(into, n, period, key_at);
}

}  // namespace metronome
