#pragma once
// The building blocks of the directive semantics (docs/semantics.md): a unit's chunks, how one
// directive splits them, and a walk over one level's loop nest. Shared by the fast analysis
// (semantics.cpp) and by everything that needs the per-step chunks of every unit (the model's
// step grouping, the simulator's controller). Plain value types; no allocation per step beyond
// the vectors handed to callbacks.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "spec/dims.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"

namespace metronome {

// Half-open interval [lo, hi). Empty intervals are kept canonical as [0, 0).
struct Interval {
  std::int64_t lo = 0;
  std::int64_t hi = 0;

  std::int64_t length() const { return hi > lo ? hi - lo : 0; }
  bool empty() const { return hi <= lo; }
  bool contains(std::int64_t v) const { return v >= lo && v < hi; }
  friend bool operator==(const Interval&, const Interval&) = default;
};

// Defined here (inline): the walks call these per state, from other translation units too.
inline Interval make_interval(std::int64_t lo, std::int64_t hi) {  // canonical when empty
  if (hi <= lo) return {};
  return {lo, hi};
}
inline Interval intersect(Interval a, Interval b) {
  return make_interval(a.lo > b.lo ? a.lo : b.lo, a.hi < b.hi ? a.hi : b.hi);
}

namespace walk_detail {
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  if (b == 1) return a;  // stride 1, the common case: no 64-bit division
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return -floor_div(-a, b);
}
}  // namespace walk_detail

// The chunks one unit holds, plus the output-row/col limits set by Y'/X' maps.
struct UnitChunks {
  PerDim<Interval> chunk;
  Interval out_rows;  // Ylim: output rows the unit may compute (starts as [0, Y'))
  Interval out_cols;  // Xlim
  // Bookkeeping inside one level: Yc before the level's last Y' map, and whether the level's last
  // map of the axis was a Y' map (then Yc is recomputed at the level's end).
  Interval row_bound, col_bound;
  bool rows_from_outputs = false;
  bool cols_from_outputs = false;
};

// The box of MACs a unit performs with these chunks: per coordinate (n,k,c,r,s,oy,ox) an
// interval. For DSCONV with K == C the k range is [0, 1) and c ranges over Kc ∩ Cc (k = c).
struct MacBox {
  std::array<Interval, 7> range;  // n, k, c, r, s, oy, ox
  std::int64_t volume() const;
  bool empty() const;
};

// Static facts about a layer that the walk needs.
class LayerGeometry {
 public:
  explicit LayerGeometry(const Layer& layer);

  std::int64_t size(Dim d) const { return size_[d]; }
  std::int64_t stride(Dim d) const { return d == Dim::Y ? stride_y_ : stride_x_; }
  std::int64_t out_rows() const { return out_rows_; }
  std::int64_t out_cols() const { return out_cols_; }
  // DSCONV with K == C: a MAC's output channel is its input channel.
  bool channel_tied() const { return channel_tied_; }
  // DSCONV (K == 1 or K == C): one filter per channel, outputs have the input's channels.
  bool depthwise() const { return depthwise_; }
  // Sizes of the seven MAC coordinates (n,k,c,r,s,oy,ox); k is 1 when channel_tied().
  const std::array<std::int64_t, 7>& coordinate_sizes() const { return coord_size_; }

  UnitChunks whole_layer() const;
  // The interval of the map dimension `d` a directive splits, given the unit's chunks.
  Interval parent_interval(const UnitChunks& u, MapDim d) const;
  // Outputs of one axis whose windows (with the unit's R or S chunk) fit in its Y or X chunk.
  Interval fitting_outputs(const UnitChunks& u, Dim axis) const;
  // Applies chunk `c` of a map on `d` to the unit (Y' also updates the Y chunk, see docs).
  void assign(UnitChunks& u, MapDim d, Interval c) const;
  // End of a level: recompute Y/X chunks from Y'/X' limits with the final R/S chunks.
  void finish_level(UnitChunks& u) const;
  MacBox box(const UnitChunks& u) const;
  // One coordinate (0..6: n,k,c,r,s,oy,ox) of box(u), without computing the others.
  Interval box_range(const UnitChunks& u, std::size_t coordinate) const;

 private:
  PerDim<std::int64_t> size_;
  std::int64_t stride_y_ = 1, stride_x_ = 1;
  std::int64_t out_rows_ = 1, out_cols_ = 1;
  bool channel_tied_ = false;
  bool depthwise_ = false;
  std::array<std::int64_t, 7> coord_size_{};
};

// Number of chunks of Map(size, offset) over a parent of length `length`.
inline std::int64_t chunk_count(std::int64_t length, std::int64_t size, std::int64_t offset) {
  if (size >= length) return 1;
  return walk_detail::ceil_div(length - size, offset) + 1;
}

// Chunk `index` of Map(size, offset) inside `parent` (canonical empty when past the end).
inline Interval chunk_at(Interval parent, std::int64_t size, std::int64_t offset,
                         std::int64_t index) {
  const std::int64_t length = parent.length();
  // index * offset <= length - size + offset - 1 for every valid index, so no overflow for
  // offsets that do not exceed the parent; larger offsets only ever give index 0 a chunk.
  if (index > 0 && offset > length) return {};
  const std::int64_t start = index * offset;
  return make_interval(parent.lo + start,
                       parent.lo + (start + size < length ? start + size : length));
}

namespace walk_detail {
// Outputs in `limit` whose windows (`window` of the filter, `stride`) fit in input chunk `in`.
inline Interval fitting_span(Interval window, Interval in, Interval limit, std::int64_t stride) {
  if (window.empty() || in.empty() || limit.empty()) return {};
  // oy*stride + window.lo >= in.lo and oy*stride + (window.hi - 1) <= in.hi - 1
  const std::int64_t first = ceil_div(in.lo - window.lo, stride);
  const std::int64_t last = floor_div(in.hi - window.hi, stride) + 1;
  return make_interval(limit.lo > first ? limit.lo : first, limit.hi < last ? limit.hi : last);
}
}  // namespace walk_detail

inline Interval LayerGeometry::fitting_outputs(const UnitChunks& u, Dim axis) const {
  const bool rows = axis == Dim::Y;
  return walk_detail::fitting_span(u.chunk[rows ? Dim::R : Dim::S], u.chunk[axis],
                                   rows ? u.out_rows : u.out_cols, rows ? stride_y_ : stride_x_);
}

namespace walk_detail {
// Input rows (or cols) needed by outputs `outs` with window chunk `window`: their span.
inline Interval needed_span(Interval outs, Interval window, std::int64_t stride) {
  if (outs.empty() || window.empty()) return {};
  return make_interval(outs.lo * stride + window.lo, (outs.hi - 1) * stride + window.hi);
}
}  // namespace walk_detail

// assign, finish_level and box_range are inline: every walk calls them once per unit and step.
inline void LayerGeometry::assign(UnitChunks& u, MapDim d, Interval c) const {
  using walk_detail::needed_span;
  switch (d) {
    case MapDim::YOut:
      u.out_rows = c;
      u.row_bound = u.chunk[Dim::Y];
      u.chunk[Dim::Y] = intersect(needed_span(c, u.chunk[Dim::R], stride_y_), u.row_bound);
      u.rows_from_outputs = true;
      return;
    case MapDim::XOut:
      u.out_cols = c;
      u.col_bound = u.chunk[Dim::X];
      u.chunk[Dim::X] = intersect(needed_span(c, u.chunk[Dim::S], stride_x_), u.col_bound);
      u.cols_from_outputs = true;
      return;
    case MapDim::Y:
      u.chunk[Dim::Y] = c;
      u.rows_from_outputs = false;
      return;
    case MapDim::X:
      u.chunk[Dim::X] = c;
      u.cols_from_outputs = false;
      return;
    default:
      u.chunk[base_dim(d)] = c;
  }
}

inline void LayerGeometry::finish_level(UnitChunks& u) const {
  using walk_detail::needed_span;
  if (u.rows_from_outputs)
    u.chunk[Dim::Y] = intersect(needed_span(u.out_rows, u.chunk[Dim::R], stride_y_), u.row_bound);
  if (u.cols_from_outputs)
    u.chunk[Dim::X] = intersect(needed_span(u.out_cols, u.chunk[Dim::S], stride_x_), u.col_bound);
  u.rows_from_outputs = u.cols_from_outputs = false;
  u.row_bound = u.col_bound = {};
}

inline Interval LayerGeometry::box_range(const UnitChunks& u, std::size_t coordinate) const {
  switch (coordinate) {
    case static_cast<std::size_t>(Dim::K):
      return channel_tied_ ? make_interval(0, 1) : u.chunk[Dim::K];
    case static_cast<std::size_t>(Dim::C):
      return channel_tied_ ? intersect(u.chunk[Dim::K], u.chunk[Dim::C]) : u.chunk[Dim::C];
    case 5:
      return fitting_outputs(u, Dim::Y);
    case 6:
      return fitting_outputs(u, Dim::X);
    default:  // N, R, S
      return u.chunk[static_cast<Dim>(coordinate)];
  }
}

inline Interval LayerGeometry::parent_interval(const UnitChunks& u, MapDim d) const {
  if (d == MapDim::YOut) return fitting_outputs(u, Dim::Y);
  if (d == MapDim::XOut) return fitting_outputs(u, Dim::X);
  return u.chunk[base_dim(d)];
}

// How many chunks directive `d` cuts the unit's parent interval into.
inline std::int64_t directive_chunks(const LayerGeometry& geometry, const UnitChunks& u,
                                     const ResolvedDirective& d) {
  return chunk_count(geometry.parent_interval(u, d.dim).length(), d.size, d.offset);
}

// Gives the unit chunk `index` of directive `d`; an index outside [0, chunks) leaves it idle (an
// empty chunk). Returns whether the unit got a chunk.
inline bool take_chunk(const LayerGeometry& geometry, UnitChunks& u, const ResolvedDirective& d,
                       std::int64_t index) {
  const Interval parent = geometry.parent_interval(u, d.dim);
  const bool inside = index >= 0 && index < chunk_count(parent.length(), d.size, d.offset);
  geometry.assign(u, d.dim, inside ? chunk_at(parent, d.size, d.offset, index) : Interval{});
  return inside;
}

// A fold loop spreads a SpatialMap's chunks over the level's units: unit u of fold f takes chunk
// f * level_units + u.
inline void spread_chunks(const LayerGeometry& geometry, std::vector<UnitChunks>& units,
                          const ResolvedDirective& d, std::int64_t fold, std::int64_t level_units) {
  for (std::size_t u = 0; u < units.size(); ++u)
    take_chunk(geometry, units[u], d, fold * level_units + static_cast<std::int64_t>(u));
}

namespace walk_detail {
inline const ResolvedDirective& directive_ref(const ResolvedDirective& d) {
  return d;
}
inline const ResolvedDirective& directive_ref(const ResolvedDirective* d) {
  return *d;
}
}  // namespace walk_detail

// The trip count of a level's fold loop, whose first SpatialMap is `directives[first]`: the most
// chunks any of the SpatialMaps from there on cuts the units' shared chunks into, over the
// level's units. `directives` holds ResolvedDirective or pointers to them.
template <class Directives>
std::int64_t fold_count(const LayerGeometry& geometry, const UnitChunks& shared,
                        const Directives& directives, std::size_t first, std::int64_t units) {
  std::int64_t most_chunks = 1;
  for (std::size_t j = first; j < directives.size(); ++j) {
    const ResolvedDirective& s = walk_detail::directive_ref(directives[j]);
    if (s.kind == MapKind::Spatial)
      most_chunks = std::max(most_chunks, directive_chunks(geometry, shared, s));
  }
  return (most_chunks + units - 1) / units;
}

// One level's directives, with the dimension chains that move together (docs/semantics.md).
struct LevelPlan {
  std::int64_t units = 1;
  std::vector<ResolvedDirective> directives;
  int first_spatial = -1;  // index into directives, -1 when the level has no SpatialMap
};

using DimMask = std::uint32_t;  // bit per Dim
constexpr DimMask dim_bit(Dim d) {
  return DimMask{1} << static_cast<unsigned>(d);
}
inline constexpr DimMask kAllDimsMask = (DimMask{1} << kNumDims) - 1;

// Whether two units hold the same chunks in the dimensions of `mask` (an axis's output limits and
// bookkeeping count with its Y or X bit).
inline bool same_chunks_in(const UnitChunks& a, const UnitChunks& b, DimMask mask) {
  for (Dim d : kAllDims)
    if ((mask & dim_bit(d)) && !(a.chunk[d] == b.chunk[d])) return false;
  if ((mask & dim_bit(Dim::Y)) && !(a.out_rows == b.out_rows && a.row_bound == b.row_bound &&
                                    a.rows_from_outputs == b.rows_from_outputs))
    return false;
  if ((mask & dim_bit(Dim::X)) && !(a.out_cols == b.out_cols && a.col_bound == b.col_bound &&
                                    a.cols_from_outputs == b.cols_from_outputs))
    return false;
  return true;
}

// Walks the loop nest of one level for the directives whose base dimension is in `mask`, in
// directive order. For every iteration calls `visit(units)` with the chunks of every unit after
// the level (one entry when the masked directives contain no SpatialMap: all units alike).
// Idle units hold empty chunks. Returns false if `visit` asked to stop (returned false).
using LevelVisitor = std::function<bool(const std::vector<UnitChunks>&)>;
bool walk_level(const LayerGeometry& geometry, const LevelPlan& level, const UnitChunks& entry,
                DimMask mask, const LevelVisitor& visit);

// The units' chunks of the level's first iteration (every loop at index 0, fold 0): the first
// `units` walk_level(geometry, level, entry, kAllDimsMask, ...) visits, written into `units`
// without walking (no per-directive copies of every unit).
void first_level_iteration(const LayerGeometry& geometry, const LevelPlan& level,
                           const UnitChunks& entry, std::vector<UnitChunks>& units);
// The same units up to the first one to which no SpatialMap gives a chunk: every later unit is
// in that one's state, so it is written once. Returns how many units it stands for (1 when the
// list is complete). At most `max_units` units are written (then the return value is 1).
std::int64_t first_level_iteration_head(const LayerGeometry& geometry, const LevelPlan& level,
                                        const UnitChunks& entry, std::vector<UnitChunks>& units,
                                        std::int64_t max_units = INT64_MAX);

std::vector<LevelPlan> plan_levels(const ResolvedMapping& mapping);

using WeightedLevelVisitor = std::function<bool(const std::vector<UnitChunks>&, std::int64_t)>;

// A non-owning reference to a weighted visitor: walks recurse through visitors millions of times,
// and a std::function whose lambda captures more than two references allocates on every walk.
class VisitorRef {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, VisitorRef>)
      VisitorRef(const F& f)  // NOLINT(google-explicit-constructor): used like std::function
      : object_(&f),
        call_([](const void* o, const std::vector<UnitChunks>& units, std::int64_t weight) {
          return static_cast<bool>((*static_cast<const F*>(o))(units, weight));
        }) {}
  bool operator()(const std::vector<UnitChunks>& units, std::int64_t weight) const {
    return call_(object_, units, weight);
  }

 private:
  const void* object_;
  bool (*call_)(const void*, const std::vector<UnitChunks>&, std::int64_t);
};

// Reusable walkers over the levels of one mapping (same semantics as walk_level and
// walk_level_grouped): each (level, mask, grouping) keeps its scratch space, so repeated walks
// allocate nothing. A walker may be re-entered only for another level.
class LevelWalks {
 public:
  LevelWalks(const LayerGeometry& geometry, const std::vector<LevelPlan>& plans);
  ~LevelWalks();
  LevelWalks(const LevelWalks&) = delete;
  LevelWalks& operator=(const LevelWalks&) = delete;

  bool walk(std::size_t level, const UnitChunks& entry, DimMask mask, VisitorRef visit);
  bool walk_grouped(std::size_t level, const UnitChunks& entry, DimMask mask, VisitorRef visit);

  // For reuse when the geometry and plans referred to (the same objects) were given new values:
  // later walks follow the new ones and keep the scratch space of the earlier walks.
  void reset();

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// Like walk_level, but iterations of a loop whose unit states are translations of each other
// (docs/semantics.md: same lengths, same stride alignment) are visited once, with their number
// as `weight`. Order is not preserved. Work grows with the number of distinct edge shapes, not
// with the loop's trip count.
bool walk_level_grouped(const LayerGeometry& geometry, const LevelPlan& level,
                        const UnitChunks& entry, DimMask mask, const WeightedLevelVisitor& visit);

// Keys that identify states up to translation: two states with equal keys lead to the same
// counts below them (lengths, overlaps, window fits). Positions are taken relative to `origin`
// (N, K, C: its chunk start; Y, X: its chunk start rounded down to a stride multiple, outputs
// shifted alike; R, S stay absolute), so a pair of states keyed against one origin keeps their
// relative position. Output limits are clipped to the outputs that could ever fit.
using StateKey = std::vector<std::int64_t>;
struct StateKeyHash {
  std::size_t operator()(const StateKey& k) const;
};
// Only the dimensions in `mask` are keyed (an axis counts when its Y/X or R/S bit is set).
void append_state_key(StateKey& key, const LayerGeometry& geometry, const UnitChunks& origin,
                      const UnitChunks& state, DimMask mask = kAllDimsMask);
// The same values, written to `out` instead (room for kMaxStateKey); returns their number. For
// keys compared before they are kept (semantics.cpp keys every unit of a step this way).
inline constexpr std::size_t kMaxStateKey = 24;  // N, K, C 2 values each, each axis 9
std::size_t write_state_key(std::int64_t* out, const LayerGeometry& geometry,
                            const UnitChunks& origin, const UnitChunks& state,
                            DimMask mask = kAllDimsMask);

// What a map on `d` can change: an axis (Y with R and Y', X with S and X') moves as one, and so
// do K and C of a depth-wise layer with K = C.
DimMask affected_dims(const LayerGeometry& geometry, MapDim d);

// Loop indices 0..n-1 grouped into classes of equal keys. `key_at(i, key)` fills the key of the
// state index i leads to. Indices are keyed one by one near both ends; in between, where states
// repeat with `period` (0: no periodicity), each residue class is keyed at its first and last
// index and, if the two agree, counted without keying the rest (edge effects only grow towards
// the ends, so agreeing ends mean an unaffected middle); ends that disagree are counted alone and
// the class is peeled one index further in from both sides. Returns (index, count) pairs.
struct IndexClass {
  std::int64_t index = 0;
  std::int64_t count = 0;
};

// Keys with the first index that had each and a running count, in order of first appearance.
// Few classes are the rule, so keys are found by a scan of their hashes; a map takes over when
// there are many.
class KeyedClasses {
 public:
  void clear();
  // Returns the position of the key's class in classes().
  std::size_t add(const StateKey& key, std::int64_t index, std::int64_t count);
  // The only class of a call: needs no key (no other add may follow before clear()).
  void add_unkeyed(std::int64_t index, std::int64_t count) { classes_.push_back({index, count}); }
  const std::vector<IndexClass>& classes() const { return classes_; }
  // Scratch keys for index_classes_into.
  StateKey scratch_key, scratch_first_key;

 private:
  bool key_equals(std::size_t i, const StateKey& key) const;
  StateKey key_copy(std::size_t i) const;

  static constexpr std::size_t kScanLimit = 32;
  std::vector<IndexClass> classes_;
  std::vector<std::size_t> hashes_;
  // The classes' keys back to back (one buffer, reused after clear()): key i is
  // key_values_[key_end_[i - 1], key_end_[i]), from 0 for i = 0.
  std::vector<std::int64_t> key_values_;
  std::vector<std::size_t> key_end_;
  std::unordered_map<StateKey, std::size_t, StateKeyHash> index_;  // when above kScanLimit
};

std::vector<IndexClass> index_classes(std::int64_t n, std::int64_t period,
                                      const std::function<void(std::int64_t, StateKey&)>& key_at);

// The same, into reusable scratch space (no allocation once warm); `key_at(i, key)` must fill
// `key` from scratch (clear it first). The classes stay valid until the next call with `into`.
template <typename KeyAt>
const std::vector<IndexClass>& index_classes_into(KeyedClasses& into, std::int64_t n,
                                                  std::int64_t period, const KeyAt& key_at);
// The same where the states change in the middle too, at the indices `breaks` (e.g. the first
// idle unit of a spatial map: units past its chunk count hold nothing): each stretch between
// breaks is peeled from its own ends, so the cost is the edges' depth around every break, not
// the distance between a break and the range's ends.
template <typename KeyAt>
const std::vector<IndexClass>& index_classes_into(KeyedClasses& into, std::int64_t n,
                                                  std::int64_t period, const KeyAt& key_at,
                                                  std::span<const std::int64_t> breaks);
// The period of a map's states along its loop: stride / gcd(step, stride) for Y and X maps, with
// step = offset x index_step (index_step: how many chunks one loop step moves, the unit count for
// fold loops), 1 for N, K, C, Y', X', 0 (none) for R and S.
std::int64_t state_period(const LayerGeometry& geometry, MapDim d, std::int64_t offset,
                          std::int64_t index_step = 1);

namespace index_classes_detail {
// Classes of the indices [from, to) into `into` (which is not cleared).
template <typename KeyAt>
void add_stretch(KeyedClasses& into, std::int64_t from, std::int64_t to, std::int64_t period,
                 const KeyAt& key_at) {
  StateKey& key = into.scratch_key;
  auto one_by_one = [&](std::int64_t a, std::int64_t b) {
    for (std::int64_t i = a; i < b; ++i) {
      key_at(i, key);
      into.add(key, i, 1);
    }
  };
  const std::int64_t n = to - from;
  constexpr std::int64_t kEdge = 1;
  if (period == 0 || n <= 2 * kEdge + 2 * period) {
    one_by_one(from, to);
    return;
  }
  one_by_one(from, from + kEdge);
  one_by_one(to - kEdge, to);
  const std::int64_t lo = from + kEdge, hi = to - kEdge;  // the middle, [lo, hi)
  for (std::int64_t r = 0; r < period; ++r) {
    std::int64_t first = lo + r;
    if (first >= hi) continue;
    std::int64_t last = first + ((hi - 1 - first) / period) * period;
    // Peel the residue class from both ends until its two ends agree: edge effects reach only
    // so far in, so the cost is the edges' depth, not the loop's length.
    while (first <= last) {
      key_at(first, into.scratch_first_key);
      if (first == last) {
        into.add(into.scratch_first_key, first, 1);
        break;
      }
      key_at(last, key);
      if (key == into.scratch_first_key) {
        into.add(key, first, (last - first) / period + 1);
        break;
      }
      into.add(into.scratch_first_key, first, 1);
      into.add(key, last, 1);
      first += period;
      last -= period;
    }
  }
}
}  // namespace index_classes_detail

template <typename KeyAt>
const std::vector<IndexClass>& index_classes_into(KeyedClasses& into, std::int64_t n,
                                                  std::int64_t period, const KeyAt& key_at) {
  into.clear();
  if (n == 1) {  // one index is its own class: no key needed (loops of one trip are common)
    into.add_unkeyed(0, 1);
    return into.classes();
  }
  index_classes_detail::add_stretch(into, 0, n, period, key_at);
  return into.classes();
}

template <typename KeyAt>
const std::vector<IndexClass>& index_classes_into(KeyedClasses& into, std::int64_t n,
                                                  std::int64_t period, const KeyAt& key_at,
                                                  std::span<const std::int64_t> breaks) {
  into.clear();
  if (n == 1) {
    into.add_unkeyed(0, 1);
    return into.classes();
  }
  // Breaks in order, inside (0, n), each once (there are a few).
  std::array<std::int64_t, 8> cuts{};
  std::size_t count = 0;
  for (const std::int64_t b : breaks) {
    if (b <= 0 || b >= n || count == cuts.size()) continue;
    std::size_t at = 0;  // insertion into the sorted prefix
    while (at < count && cuts[at] < b) ++at;
    if (at < count && cuts[at] == b) continue;
    for (std::size_t j = count; j > at; --j) cuts[j] = cuts[j - 1];
    cuts[at] = b;
    ++count;
  }
  std::int64_t from = 0;
  for (std::size_t i = 0; i <= count; ++i) {
    const std::int64_t to = i < count ? cuts[i] : n;
    index_classes_detail::add_stretch(into, from, to, period, key_at);
    from = to;
  }
  return into.classes();
}

}  // namespace metronome
