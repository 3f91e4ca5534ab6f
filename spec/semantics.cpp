// Fast exact analysis of a mapping (docs/semantics.md).
//
// Coverage: the MAC coordinates (n,k,c,r,s,oy,ox) split into independent groups: r with oy and
// s with ox (a window's fit depends on the R/S chunk), plus the dimensions spatially mapped at
// one level (they share the unit index). Every loop index moves only its own group's chunks, so
// the number of times a MAC is performed is the product over groups of per-group counts, times
// the number of units of levels without SpatialMap. Each group's counts come from walking only
// that group's loops and adding boxes into a difference array over the group's coordinates: one
// unit at a time (idle units add nothing), the group's last loop in one pass over its chunks.
//
// Steps: per level, the loop nest splits into chains of directives that move together; chain
// iterations that lead to the same (translation-normalised) child state are grouped, and child
// levels are memoised on that normalised state. Units that hold differently shaped chunks are
// combined step by step through interval lists of their non-empty steps.
//
// analyze_mapping keeps one Analysis per thread and resets it for every call: its walks and
// scratch space keep their memory, which saves most allocations of an analysis.

#include "spec/semantics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <span>
#include <unordered_map>

#include "spec/semantics_walk.hpp"

namespace metronome {

namespace {

constexpr std::size_t kCoords = 7;  // n, k, c, r, s, oy, ox

// Checked arithmetic; the fast path inline (these run per box and per step class), the error
// from checked_mul / checked_add.
std::int64_t mul_or_throw(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  return checked_mul(a, b, SourceLocation{}, what);
}

std::int64_t add_or_throw(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return checked_add(a, b, SourceLocation{}, what);
}

// ---------------------------------------------------------------------------------------------
// Coverage per coordinate group.

struct CoordinateGroup {
  std::vector<std::size_t> coords;  // ascending
  DimMask dims = 0;                 // the dimensions whose directives move these coordinates
  std::vector<std::int64_t> sizes;  // per coordinate
  // Per cell of the coordinates plus one extra slot per axis (row-major with `stride`): how
  // often the cell's MACs are performed (0 in the extra slots).
  std::vector<std::int64_t> table;
  // A one-coordinate group keeps its +1/-1 marks as (position, sign) events instead of a table
  // as long as they are fewer than its cells; `table` is then built only for the examples.
  std::vector<std::pair<std::int64_t, std::int64_t>> events;
  bool sparse = false;
  std::vector<std::int64_t> stride;
  std::array<std::int64_t, kCoords> extent{};  // per coordinate: its size + 1
  std::vector<std::int32_t> count;  // per cell, row-major over coords; only for the examples
  std::int64_t performed = 0;       // sum of box volumes over the group's leaves
  std::int64_t covered = 0;         // cells with count >= 1
  // Projections for finding the first missing / duplicated coordinates: for each prefix length
  // j of `coords`, per prefix cell, bit 0: some completion has count 0, bit 1: count >= 1,
  // bit 2: count >= 2.
  std::vector<std::vector<std::uint8_t>> prefix_flags;
};

// Union-find over the seven MAC coordinates or the seven dimensions.
class Disjoint {
 public:
  Disjoint() { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

 private:
  static_assert(kCoords == kNumDims);
  std::array<std::size_t, kCoords> parent_;
};

// Adds MAC boxes, restricted to a group's coordinates, into the group's difference array (one
// extra slot per axis, row-major with `stride`), and sums their volumes.
class BoxCounter {
 public:
  BoxCounter(const LayerGeometry& geometry, const std::vector<std::size_t>& coords,
             const std::vector<std::int64_t>& stride, std::vector<std::int64_t>& diff)
      : geometry_(geometry), coords_(coords), stride_(stride), diff_(diff) {}
  // Marks go to `events` (until they outnumber `cells`; then into the table, zeroed here).
  BoxCounter(const LayerGeometry& geometry, const std::vector<std::size_t>& coords,
             const std::vector<std::int64_t>& stride, std::vector<std::int64_t>& diff,
             std::vector<std::pair<std::int64_t, std::int64_t>>& events, std::int64_t cells)
      : geometry_(geometry),
        coords_(coords),
        stride_(stride),
        diff_(diff),
        events_(&events),
        cells_(cells) {}
  bool sparse() const { return events_ != nullptr; }

  std::int64_t performed() const { return performed_; }

  // The box of a unit's final chunks.
  void add(const UnitChunks& unit) {
    const std::size_t d = coords_.size();
    std::array<Interval, kCoords> range;
    std::int64_t volume = 1;
    for (std::size_t i = 0; i < d; ++i) {
      range[i] = geometry_.box_range(unit, coords_[i]);
      volume *= range[i].length();
    }
    if (volume == 0) return;
    performed_ = add_or_throw(performed_, volume, "number of performed MACs");
    for (std::uint32_t corner = 0; corner < (1u << d); ++corner) {
      std::int64_t index = 0;
      std::int64_t sign = 1;
      for (std::size_t i = 0; i < d; ++i) {
        const bool high = (corner & (1u << i)) != 0;
        index += (high ? range[i].hi : range[i].lo) * stride_[i];
        if (high) sign = -sign;
      }
      mark(index, sign);
    }
  }

  // Runs of boxes that differ only in some coordinates (a loop's chunks): fix_others takes the
  // other coordinates from `unit` (bit c of `varying` for coordinate c) and returns whether
  // their box is non-empty; add_varying then adds the box of a unit that agrees with it there,
  // computing only the varying coordinates.
  bool fix_others(const UnitChunks& unit, std::uint32_t varying) {
    varying_count_ = 0;
    fixed_volume_ = 1;
    corners_ = 1;
    corner_index_[0] = 0;
    corner_sign_[0] = 1;
    for (std::size_t i = 0; i < coords_.size(); ++i) {
      if (varying & (1u << coords_[i])) {
        varying_[varying_count_++] = i;
        continue;
      }
      const Interval r = geometry_.box_range(unit, coords_[i]);
      fixed_volume_ *= r.length();
      for (std::size_t k = 0; k < corners_; ++k) {
        corner_index_[corners_ + k] = corner_index_[k] + r.hi * stride_[i];
        corner_sign_[corners_ + k] = -corner_sign_[k];
        corner_index_[k] += r.lo * stride_[i];
      }
      corners_ *= 2;
    }
    return fixed_volume_ != 0;
  }

  void add_varying(const UnitChunks& unit) {
    std::array<Interval, kCoords> range;
    std::int64_t volume = fixed_volume_;
    for (std::size_t j = 0; j < varying_count_; ++j) {
      range[j] = geometry_.box_range(unit, coords_[varying_[j]]);
      volume *= range[j].length();
    }
    if (volume == 0) return;
    performed_ = add_or_throw(performed_, volume, "number of performed MACs");
    for (std::uint32_t corner = 0; corner < (1u << varying_count_); ++corner) {
      std::int64_t offset = 0;
      std::int64_t sign = 1;
      for (std::size_t j = 0; j < varying_count_; ++j) {
        const bool high = (corner & (1u << j)) != 0;
        offset += (high ? range[j].hi : range[j].lo) * stride_[varying_[j]];
        if (high) sign = -sign;
      }
      add_at_corners(offset, sign);
    }
  }

  // add_varying for a box whose one varying coordinate (fix_others named one) has range `r`.
  void add_one_varying(Interval r) {
    if (r.empty()) return;
    performed_ = add_or_throw(performed_, fixed_volume_ * r.length(), "number of performed MACs");
    const std::int64_t step = stride_[varying_[0]];
    add_at_corners(r.lo * step, 1);
    add_at_corners(r.hi * step, -1);
  }

  // The boxes of `unit` with its chunk of a plain dimension (one that is its own coordinate
  // `coordinate`, and no other coordinate depends on) replaced by chunk i of Map(size, offset)
  // over `parent`, for i in [first, last): one loop over the chunks, no state per chunk.
  void add_along(const UnitChunks& unit, std::size_t coordinate, Interval parent, std::int64_t size,
                 std::int64_t offset, std::int64_t first, std::int64_t last) {
    if (!fix_others(unit, 1u << coordinate)) return;
    const std::int64_t step = stride_[varying_[0]];  // the group has `coordinate`: it varies
    const std::int64_t length = parent.length();
    // Box volumes are below the table size (at most 2^22 cells), so this sum of at most as many
    // boxes as chunks cannot overflow before the checked addition below.
    std::int64_t lengths = 0;
    if (offset == size && first < last) {
      // Tiling chunks: each ends where the next starts, so their +1 and -1 cancel but at the
      // ends of the run. Chunks from ceil(length / size) on are empty.
      const std::int64_t end_chunk = std::min(last, walk_detail::ceil_div(length, size));
      if (first >= end_chunk) return;
      const std::int64_t start = first * size, end = std::min(end_chunk * size, length);
      add_at_corners((parent.lo + start) * step, 1);
      add_at_corners((parent.lo + end) * step, -1);
      performed_ =
          add_or_throw(performed_, (end - start) * fixed_volume_, "number of performed MACs");
      return;
    }
    // Chunk i is [i * offset, min(i * offset + size, length)) from parent.lo (as chunk_at).
    for (std::int64_t i = first; i < last; ++i) {
      if (i > 0 && offset > length) break;  // only chunk 0 holds anything
      const std::int64_t start = i * offset;
      const std::int64_t end = std::min(start + size, length);
      if (end <= start) continue;
      lengths += end - start;
      add_at_corners((parent.lo + start) * step, 1);
      add_at_corners((parent.lo + end) * step, -1);
    }
    performed_ = add_or_throw(performed_, lengths * fixed_volume_, "number of performed MACs");
  }

 private:
  // Adds sign x (the fixed coordinates' corner signs) at `offset` from each of their corners.
  void add_at_corners(std::int64_t offset, std::int64_t sign) {
    if (corners_ == 1) {  // a one-coordinate group, or no fixed coordinates
      mark(offset + corner_index_[0], sign * corner_sign_[0]);
      return;
    }
    for (std::size_t k = 0; k < corners_; ++k)
      mark(offset + corner_index_[k], sign * corner_sign_[k]);
  }

  void mark(std::int64_t index, std::int64_t sign) {
    if (!events_) {
      diff_[static_cast<std::size_t>(index)] += sign;
      return;
    }
    events_->emplace_back(index, sign);
    if (static_cast<std::int64_t>(events_->size()) <= cells_) return;
    // More marks than cells: the table is the cheaper record from here on.
    diff_.assign(static_cast<std::size_t>(cells_), 0);
    for (const auto& [at, by] : *events_) diff_[static_cast<std::size_t>(at)] += by;
    events_->clear();
    events_ = nullptr;
  }

  const LayerGeometry& geometry_;
  const std::vector<std::size_t>& coords_;
  const std::vector<std::int64_t>& stride_;
  std::vector<std::int64_t>& diff_;
  std::vector<std::pair<std::int64_t, std::int64_t>>* events_ = nullptr;
  std::int64_t cells_ = 0;
  std::int64_t performed_ = 0;
  // Set by fix_others: positions (in coords_) of the varying coordinates, the fixed ones' volume
  // and corners (table offset and sign).
  std::array<std::size_t, kCoords> varying_{};
  std::size_t varying_count_ = 0;
  std::int64_t fixed_volume_ = 1;
  std::array<std::int64_t, std::size_t{1} << kCoords> corner_index_{};
  std::array<std::int64_t, std::size_t{1} << kCoords> corner_sign_{};
  std::size_t corners_ = 1;
};

// The layer and mapping under analysis, with the walks over the mapping's levels. One subject
// serves analysis after analysis (see Analysis): reset() puts the next layer and mapping into
// the same objects, which the walks refer to, so the walks keep their scratch space.
struct Subject {
  Subject(const Layer& the_layer, const ResolvedMapping& mapping)
      : layer(&the_layer),
        geometry(the_layer),
        levels(plan_levels(mapping)),
        walks(geometry, levels) {}
  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;

  void reset(const Layer& the_layer, const ResolvedMapping& mapping) {
    layer = &the_layer;
    geometry = LayerGeometry(the_layer);
    levels = plan_levels(mapping);
    walks.reset();
  }

  const Layer* layer;
  LayerGeometry geometry;
  std::vector<LevelPlan> levels;
  LevelWalks walks;
};

// Coverage per coordinate group (see the top of this file): performed, missing and duplicated
// MACs, and the first examples of the last two.
class Coverage {
 public:
  explicit Coverage(const Subject& subject)
      : subject_(subject), geometry_(subject.geometry), levels_(subject.levels) {}

  void run(SemanticsReport& report) {
    const std::span<CoordinateGroup> groups = make_groups();
    std::int64_t duplicate_units = 1;  // levels without SpatialMap run every MAC on every unit
    for (const LevelPlan& level : levels_)
      if (level.first_spatial < 0)
        duplicate_units = mul_or_throw(duplicate_units, level.units, "number of duplicated MACs");
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
      for (CoordinateGroup& g : groups) {
        build_table(g);
        build_prefix_flags(g);
      }
    if (report.missing_macs > 0) find_first(groups, duplicate_units, false, report.first_missing);
    if (report.duplicated_macs > 0)
      find_first(groups, duplicate_units, true, report.first_duplicated);
    // Kept for the next analysis, but not when large (a table has up to 2^22 cells).
    constexpr std::size_t kKeptCells = std::size_t{1} << 16;
    for (CoordinateGroup& g : groups) {
      if (g.table.capacity() > kKeptCells) std::vector<std::int64_t>().swap(g.table);
      if (g.count.capacity() > kKeptCells) std::vector<std::int32_t>().swap(g.count);
    }
  }

 private:
  std::size_t coordinate_of(Dim d) const {
    if (d == Dim::K && geometry_.channel_tied()) return static_cast<std::size_t>(Dim::C);
    return static_cast<std::size_t>(d);  // N..S map to 0..4, Y -> 5 (oy), X -> 6 (ox)
  }

  // The coordinate groups, in order of their union-find roots, into groups_ (keeping the space
  // of the previous analysis' groups).
  std::span<CoordinateGroup> make_groups() {
    Disjoint sets;
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
    std::size_t count = 0;
    for (std::size_t root = 0; root < kCoords; ++root) {
      if (sets.find(root) != root) continue;
      if (groups_.size() == count) groups_.emplace_back();
      CoordinateGroup& group = groups_[count++];
      group.coords.clear();
      group.sizes.clear();
      group.dims = 0;
      for (std::size_t c = 0; c < kCoords; ++c) {
        if (sets.find(c) != root) continue;
        group.coords.push_back(c);
        group.sizes.push_back(geometry_.coordinate_sizes()[c]);
      }
      for (Dim d : kAllDims)
        if (sets.find(coordinate_of(d)) == root) group.dims |= dim_bit(d);
    }
    return {groups_.data(), count};
  }

  void count_group(CoordinateGroup& g) {
    const std::size_t d = g.coords.size();
    // A difference array with one extra slot per axis, turned into the table below.
    std::array<std::int64_t, kCoords> extent{};
    std::int64_t cells = 1;
    for (std::size_t i = 0; i < d; ++i) {
      extent[i] = add_or_throw(g.sizes[i], 1, "coverage table size");
      cells = mul_or_throw(cells, extent[i], "coverage table size");
    }
    check_table_size(g, cells, subject_.layer->type == LayerType::Gemm);
    std::vector<std::int64_t>& diff = g.table;
    g.stride.assign(d, 1);
    for (std::size_t i = d; i-- > 1;) g.stride[i - 1] = g.stride[i] * extent[i];
    g.extent = extent;
    if (d == 1) {
      // A long axis (K, C) is covered by a few runs: sweep their marks instead of a table.
      g.events.clear();
      BoxCounter counter(geometry_, g.coords, g.stride, diff, g.events, cells);
      cover_level(group_levels(g.dims), 0, geometry_.whole_layer(), counter);
      g.performed = counter.performed();
      g.sparse = counter.sparse();
      g.covered = g.sparse ? sweep(g.events) : sum_up(g, extent);
      return;
    }
    g.sparse = false;
    diff.assign(static_cast<std::size_t>(cells), 0);
    BoxCounter counter(geometry_, g.coords, g.stride, diff);
    cover_level(group_levels(g.dims), 0, geometry_.whole_layer(), counter);
    g.performed = counter.performed();
    g.covered = sum_up(g, extent);
  }

  // Cells covered by the marks of a one-coordinate group: positions with a positive running sum
  // (the marks sorted by position; those of one position summed first).
  static std::int64_t sweep(std::vector<std::pair<std::int64_t, std::int64_t>>& events) {
    std::sort(events.begin(), events.end());
    std::int64_t covered = 0, running = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      running += events[i].second;
      if (running > 0 && i + 1 < events.size()) covered += events[i + 1].first - events[i].first;
    }
    return covered;
  }

  // The counts table of a group that kept events (for the examples of an invalid mapping).
  static void build_table(CoordinateGroup& g) {
    if (!g.sparse) return;
    std::int64_t cells = 1;
    for (std::size_t i = 0; i < g.coords.size(); ++i) cells *= g.extent[i];
    g.table.assign(static_cast<std::size_t>(cells), 0);
    for (const auto& [at, by] : g.events) g.table[static_cast<std::size_t>(at)] += by;
    sum_up(g, g.extent);
    g.sparse = false;
  }

  // Prefix sums along each axis turn the difference array into counts (blocks x positions along
  // the axis x the cells inside, so no division per cell). The last axis (stride 1) goes last, as
  // a running sum (no store-to-load chain), and counts the covered cells on the way: every box
  // ends at most at the last real cell of each axis, so the extra slots count 0 and the covered
  // cells are the positive entries of the whole table. Returns their number.
  static std::int64_t sum_up(CoordinateGroup& g, const std::array<std::int64_t, kCoords>& extent) {
    const std::size_t d = g.coords.size();
    std::vector<std::int64_t>& diff = g.table;
    const std::int64_t cells = static_cast<std::int64_t>(diff.size());
    for (std::size_t axis = 0; axis + 1 < d; ++axis) {
      const std::int64_t step = g.stride[axis], block = step * extent[axis];
      for (std::int64_t b = 0; b < cells; b += block)
        for (std::int64_t i = b + step; i < b + block; ++i)
          diff[static_cast<std::size_t>(i)] += diff[static_cast<std::size_t>(i - step)];
    }
    std::int64_t covered = 0;
    std::int64_t* const table = diff.data();
    const std::int64_t row = extent[d - 1];
    for (std::int64_t b = 0; b < cells; b += row) {
      std::int64_t running = 0;
      for (std::int64_t i = b; i < b + row; ++i) {
        running += table[i];
        table[i] = running;
        covered += running > 0 ? 1 : 0;
      }
    }
    return covered;
  }

  // `gemm`: name the coordinates as the layer does (M -> K, K -> C, N -> Y', spec/layer.hpp).
  static void check_table_size(const CoordinateGroup& g, std::int64_t cells, bool gemm) {
    constexpr std::int64_t kMaxCells = std::int64_t{1} << 22;
    if (cells <= kMaxCells) return;
    std::string names;
    for (std::size_t c : g.coords)
      names += fmt::format("{}{}", names.empty() ? "" : ",",
                           gemm ? std::array{"batch", "M", "K", "R", "S", "N", "X'"}[c]
                                : std::array{"N", "K", "C", "R", "S", "Y'", "X'"}[c]);
    throw InputError(SourceLocation{},
                     fmt::format("the mapping couples dimensions {} whose combined size ({} "
                                 "cells) is too large for the exact coverage analysis",
                                 names, cells),
                     fmt::format("at most {} cells", kMaxCells));
  }

  // The table's real cells, in g.count (an odometer over the coordinates, row-major like the
  // table).
  static void compact_counts(CoordinateGroup& g) {
    const std::size_t d = g.coords.size();
    std::int64_t real_cells = 1;
    for (std::int64_t s : g.sizes) real_cells *= s;
    g.count.assign(static_cast<std::size_t>(real_cells), 0);
    std::vector<std::int64_t> at(d, 0);
    std::int64_t index = 0;
    for (std::int64_t cell = 0; cell < real_cells; ++cell) {
      const std::int64_t c = g.table[static_cast<std::size_t>(index)];
      g.count[static_cast<std::size_t>(cell)] =
          static_cast<std::int32_t>(std::min<std::int64_t>(c, 1 << 30));
      for (std::size_t i = d; i-- > 0;) {
        index += g.stride[i];
        if (++at[i] < g.sizes[i]) break;
        index -= at[i] * g.stride[i];
        at[i] = 0;
      }
    }
  }

  static void build_prefix_flags(CoordinateGroup& g) {
    compact_counts(g);
    const std::size_t d = g.coords.size();
    const std::size_t real_cells = g.count.size();
    g.prefix_flags.assign(d + 1, {});
    g.prefix_flags[d].resize(real_cells);
    for (std::size_t cell = 0; cell < g.count.size(); ++cell) {
      const std::int32_t c = g.count[cell];
      g.prefix_flags[d][cell] =
          static_cast<std::uint8_t>((c == 0 ? 1 : 0) | (c >= 1 ? 2 : 0) | (c >= 2 ? 4 : 0));
    }
    for (std::size_t j = d; j-- > 0;) {
      const std::size_t inner = static_cast<std::size_t>(g.sizes[j]);
      const std::vector<std::uint8_t>& finer = g.prefix_flags[j + 1];
      std::vector<std::uint8_t>& coarser = g.prefix_flags[j];
      coarser.assign(finer.size() / inner, 0);
      for (std::size_t i = 0; i < finer.size(); ++i) coarser[i / inner] |= finer[i];
    }
  }

  // The directives of one level that move a group's coordinates, and the units they spread
  // over (1 when none is a SpatialMap: the level's units then repeat the same MACs, which
  // `duplicate_units` accounts for), as walk_level filters them.
  struct GroupLevel {
    std::vector<const ResolvedDirective*> directives;
    std::int64_t units = 1;
    bool innermost = false;  // no lower level moves the group
  };

  // Into group_plan_ (reusing its space).
  const std::vector<GroupLevel>& group_levels(DimMask mask) {
    std::vector<GroupLevel>& out = group_plan_;
    out.resize(levels_.size());
    for (GroupLevel& level : out) level.directives.clear();
    bool below = false;  // whether a lower level has directives of the group
    for (std::size_t l = levels_.size(); l-- > 0;) {
      bool spatial = false;
      for (const ResolvedDirective& d : levels_[l].directives) {
        if (!(mask & dim_bit(base_dim(d.dim)))) continue;
        out[l].directives.push_back(&d);
        spatial = spatial || d.kind == MapKind::Spatial;
      }
      out[l].units = spatial ? levels_[l].units : 1;
      out[l].innermost = !below;
      below = below || !out[l].directives.empty();
    }
    return out;
  }

  // Adds to `leaf` the box of every unit in every step whose box can be non-empty in the group's
  // coordinates: the leaves of walk_level over the group's directives, level by level, minus
  // idle ones. It follows one unit at a time instead of walking all units of a
  // level together, so nothing is copied per unit and step but the one state. Skipping idle
  // units is exact: an idle unit holds an empty chunk of a dimension the group's coordinates
  // depend on, every later map splits that empty chunk (a Y'/X' map clips its span by it), so
  // the unit's boxes are empty in that coordinate and add nothing to the counts.
  void cover_level(const std::vector<GroupLevel>& plan, std::size_t level, const UnitChunks& entry,
                   BoxCounter& leaf) const {
    if (level == plan.size()) {
      leaf.add(entry);
      return;
    }
    UnitChunks u = entry;
    u.rows_from_outputs = u.cols_from_outputs = false;
    cover_from(plan, level, 0, u, -1, leaf);
  }

  // The directives of `level` from `pos` on, for a unit in state `u`; `index` is the unit's
  // chunk index in the level's SpatialMaps (fold * units + unit), -1 before the fold loop.
  void cover_from(const std::vector<GroupLevel>& plan, std::size_t level, std::size_t pos,
                  const UnitChunks& u, std::int64_t index, BoxCounter& leaf) const {
    const GroupLevel& here = plan[level];
    if (pos == here.directives.size()) {
      UnitChunks done = u;
      geometry_.finish_level(done);
      cover_level(plan, level + 1, done, leaf);
      return;
    }
    const ResolvedDirective& d = *here.directives[pos];
    const Interval parent = geometry_.parent_interval(u, d.dim);
    const std::int64_t n = chunk_count(parent.length(), d.size, d.offset);
    // The unit's chunks [first, last) of this map; chunks past n leave the unit idle.
    std::int64_t first = 0, last = n;
    const bool fold_loop = d.kind == MapKind::Spatial && index < 0;
    if (d.kind == MapKind::Spatial && !fold_loop) {
      first = index;
      last = std::min(index + 1, n);
    }
    // The fold loop runs chunk indices f * units + u for every fold f and unit u: all of
    // [0, folds * units), of which this map's indices from n on are idle.
    if (fold_loop) last = std::min(n, fold_count(here, pos, u) * here.units);
    if (here.innermost && pos + 1 == here.directives.size()) {
      cover_last_loop(d, u, parent, first, last, leaf);
      return;
    }
    for (std::int64_t i = first; i < last; ++i) {
      UnitChunks next = u;
      geometry_.assign(next, d.dim, chunk_at(parent, d.size, d.offset, i));
      cover_from(plan, level, pos + 1, next, fold_loop ? i : index, leaf);
    }
  }

  // The group's last loop: chunks [first, last) of `d` over `parent` for a unit in state `u`.
  // Each chunk is one leaf, finished here (lower levels move nothing), and changes only the box
  // coordinates varying_coordinates names; the others are those of any chunk's leaf.
  void cover_last_loop(const ResolvedDirective& d, const UnitChunks& u, Interval parent,
                       std::int64_t first, std::int64_t last, BoxCounter& leaf) const {
    if (plain(d.dim)) {
      // Neither finishing the level nor the other coordinates depend on this chunk.
      UnitChunks done = u;
      geometry_.finish_level(done);
      leaf.add_along(done, static_cast<std::size_t>(base_dim(d.dim)), parent, d.size, d.offset,
                     first, last);
      return;
    }
    auto leaf_of = [&](std::int64_t i) {
      UnitChunks next = u;
      geometry_.assign(next, d.dim, chunk_at(parent, d.size, d.offset, i));
      geometry_.finish_level(next);
      return next;
    };
    if (last - first == 1) {  // one leaf (a later SpatialMap of a fold): nothing to share
      leaf.add(leaf_of(first));
      return;
    }
    if (first >= last || !leaf.fix_others(leaf_of(first), varying_coordinates(d.dim))) return;
    if (d.dim == MapDim::YOut || d.dim == MapDim::XOut) {
      // Only the output coordinate varies: chunk i sets the output limits, the input chunk
      // becomes the rows those outputs need within the current one (as assign and finish_level
      // do), and the outputs whose windows fit there count. No state per chunk.
      const bool rows = d.dim == MapDim::YOut;
      const Dim axis = rows ? Dim::Y : Dim::X;
      const Interval window = u.chunk[rows ? Dim::R : Dim::S];
      const std::int64_t stride = geometry_.stride(axis);
      for (std::int64_t i = first; i < last; ++i) {
        const Interval outs = chunk_at(parent, d.size, d.offset, i);
        const Interval in =
            intersect(walk_detail::needed_span(outs, window, stride), u.chunk[axis]);
        leaf.add_one_varying(walk_detail::fitting_span(window, in, outs, stride));
      }
      return;
    }
    for (std::int64_t i = first; i < last; ++i) leaf.add_varying(leaf_of(i));
  }

  // The MAC coordinates (bit per coordinate n,k,c,r,s,oy,ox) a map on `d` can change when it is
  // a level's last: its own, and on an axis the output coordinate whose windows fit (an R or S
  // chunk moves both); finishing the level recomputes only the Y/X chunks of Y'/X' maps, from
  // the state of their own axis.
  std::uint32_t varying_coordinates(MapDim d) const {
    constexpr std::uint32_t n = 1u << 0, k = 1u << 1, c = 1u << 2, r = 1u << 3, s = 1u << 4,
                            oy = 1u << 5, ox = 1u << 6;
    switch (d) {
      case MapDim::N:
        return n;
      case MapDim::K:
        return geometry_.channel_tied() ? c : k;
      case MapDim::C:
        return c;
      case MapDim::R:
        return r | oy;
      case MapDim::S:
        return s | ox;
      case MapDim::Y:
      case MapDim::YOut:
        return oy;
      case MapDim::X:
      case MapDim::XOut:
        return ox;
    }
    return n | k | c | r | s | oy | ox;
  }

  // Whether a map on `d` only sets the chunk of a dimension that is its own MAC coordinate: N,
  // and K and C unless a depth-wise layer ties them (then the coordinate is their intersection).
  bool plain(MapDim d) const {
    if (d == MapDim::N) return true;
    return (d == MapDim::K || d == MapDim::C) && !geometry_.channel_tied();
  }

  // The fold count of a level's fold loop at `pos` (its first SpatialMap), from the chunks all
  // units share there.
  std::int64_t fold_count(const GroupLevel& here, std::size_t pos, const UnitChunks& u) const {
    return metronome::fold_count(geometry_, u, here.directives, pos, here.units);
  }

  // Lexicographically first coordinates (n,k,c,r,s,oy,ox) that are missing (count 0) or
  // duplicated (count >= 2), by depth-first search pruned with the groups' prefix flags.
  void find_first(std::span<const CoordinateGroup> groups, std::int64_t duplicate_units,
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
        if (subject_.layer->type == LayerType::DsConv) m.k = m.c;  // docs/semantics.md: k = c
        out.push_back(m);
        return;
      }
      for (std::int64_t v = 0; v < sizes[pos] && out.size() < SemanticsReport::kMaxExamples; ++v) {
        value[pos] = v;
        if (feasible(pos + 1)) search(pos + 1);
      }
    };
    search(0);
  }

  const Subject& subject_;
  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& levels_;
  // The groups of the last analysis (the first make_groups().size() are current) and the
  // directives of the group being counted: kept for their space.
  std::vector<CoordinateGroup> groups_;
  std::vector<GroupLevel> group_plan_;
};

// Steps, empty steps and compute cycles (see the top of this file).
class Steps {
 public:
  Steps(Subject& subject, std::int64_t macs_per_cycle)
      : geometry_(subject.geometry),
        levels_(subject.levels),
        walks_(subject.walks),
        macs_per_cycle_(macs_per_cycle) {
    set_up_levels();
  }

  // For the subject's next layer and mapping: forgets the memos, keeps the scratch space.
  void reset(std::int64_t macs_per_cycle) {
    macs_per_cycle_ = macs_per_cycle;
    step_memo_.clear();
    profile_memo_.clear();
    set_up_levels();
  }

  void run(SemanticsReport& report) {
    const StepResult steps = evaluate(0, geometry_.whole_layer());
    report.steps = steps.steps;
    report.empty_steps = steps.empty;
    report.compute_cycles = steps.compute;
  }

 private:
  void set_up_levels() {
    level_scratch_.resize(levels_.size());
    for (std::size_t l = 0; l < levels_.size(); ++l)
      chains_of(levels_[l], level_scratch_[l].chains);
  }

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

  // Step-wise maximum of two profiles aligned at their start, into `out` (neither `a` nor `b`).
  void max_merge(const std::vector<Run>& a, const std::vector<Run>& b, std::vector<Run>& out) {
    // The runs of each are sorted and disjoint, so the run boundaries of each form a sorted list
    // (boundary k: run k / 2's lo if k is even, its hi if odd); merged into the cuts, no sort.
    std::vector<std::int64_t>& cuts = merge_cuts_;
    cuts.clear();
    auto boundary = [](const std::vector<Run>& runs, std::size_t k) {
      return k % 2 == 0 ? runs[k / 2].lo : runs[k / 2].hi;
    };
    const std::size_t na = 2 * a.size(), nb = 2 * b.size();
    for (std::size_t ka = 0, kb = 0; ka < na || kb < nb;) {
      const bool from_a = kb == nb || (ka < na && boundary(a, ka) <= boundary(b, kb));
      const std::int64_t cut = from_a ? boundary(a, ka++) : boundary(b, kb++);
      if (cuts.empty() || cuts.back() != cut) cuts.push_back(cut);
    }
    out.clear();
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
  }

  // The units' profiles of `level` (their child level), combined step by step into `into`.
  // Units in the state of the unit before them, or with the profile merged last, are skipped:
  // merging a profile again changes nothing (max_merge gives the one canonical run list).
  void merge_profiles(std::size_t level, const std::vector<UnitChunks>& units, Profile& into) {
    const Profile* last = nullptr;
    for (std::size_t u = 0; u < units.size(); ++u) {
      if (u > 0 && same_state(units[u], units[u - 1])) continue;
      const Profile& p = profile(level, units[u]);
      if (&p == last) continue;
      last = &p;
      into.length = std::max(into.length, p.length);
      max_merge(into.runs, p.runs, merged_runs_);
      into.runs.swap(merged_runs_);
    }
  }

  using Key = StateKey;
  using KeyHash = StateKeyHash;

  void append_key(Key& key, const UnitChunks& u) const { append_state_key(key, geometry_, u, u); }

  // The memo key of a level's entry state, in scratch space: copied only when stored.
  const Key& memo_key(std::size_t level, const UnitChunks& u) {
    lookup_key_.clear();
    lookup_key_.push_back(static_cast<std::int64_t>(level));
    append_key(lookup_key_, u);
    return lookup_key_;
  }

  // Chains of one level: dimensions whose directives must be walked together, in order of their
  // union-find roots, into `out`.
  void chains_of(const LevelPlan& level, std::vector<DimMask>& out) const {
    Disjoint sets;
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
    std::array<DimMask, kNumDims> by_root{};
    for (Dim d : kAllDims)
      if (present & dim_bit(d)) by_root[sets.find(static_cast<std::size_t>(d))] |= dim_bit(d);
    out.clear();
    for (DimMask chain : by_root)
      if (chain != 0) out.push_back(chain);
  }

  // The classes of one chain's iterations at a level: for each class (in order of first
  // appearance) a representative outcome, `width` units, and the number of iterations.
  struct ChainClasses {
    KeyedClasses index;
    std::size_t width = 0;
    std::vector<UnitChunks> units;  // class i's representative: [i * width, (i + 1) * width)
    std::vector<std::int64_t> count;
    std::size_t size() const { return count.size(); }
    const UnitChunks& unit(std::size_t i, std::size_t u) const {
      return units[i * width + (width == 1 ? 0 : u)];
    }
  };

  // Per level: its chains and space that evaluate reuses (evaluate never re-enters a level
  // while it uses them: it recurses only into lower levels).
  struct LevelScratch {
    std::vector<DimMask> chains;
    std::vector<ChainClasses> classes;  // per chain
    std::vector<std::size_t> pick;
    std::vector<UnitChunks> units;
    Key key;
  };

  // Keys the units of one chain iteration: their state keys in `dims`, in unit order, written as
  // runs (length, then the key) of consecutive units with equal keys. Each unit key reads back
  // by itself, so two iterations get equal keys iff their sequences of unit keys are equal; the
  // runs keep keys short when the units are translations of each other.
  void chain_key(Key& key, const std::vector<UnitChunks>& units, DimMask dims) const {
    // Two buffers: the key of the current run and the next unit's, swapped by index.
    std::array<std::array<std::int64_t, kMaxStateKey>, 2> buffers;  // NOLINT: written first
    std::array<std::size_t, 2> sizes{};
    std::size_t run_buffer = 0;
    key.clear();
    std::int64_t run = 0;
    // A unit holding the previous unit's chunks has its key (an axis's key reads the window's
    // chunk and the axis's together); idle units past a map's chunk count are the common case.
    DimMask compared = dims;
    if (dims & (dim_bit(Dim::Y) | dim_bit(Dim::R))) compared |= dim_bit(Dim::Y) | dim_bit(Dim::R);
    if (dims & (dim_bit(Dim::X) | dim_bit(Dim::S))) compared |= dim_bit(Dim::X) | dim_bit(Dim::S);
    const UnitChunks* previous = nullptr;
    // N, K and C (not tied) are keyed relative to the unit's own chunk: equal lengths, equal keys.
    constexpr DimMask kPlain = dim_bit(Dim::N) | dim_bit(Dim::K) | dim_bit(Dim::C);
    const bool plain = (dims & ~kPlain) == 0 && !geometry_.channel_tied();
    auto same_key = [&](const UnitChunks& a, const UnitChunks& b) {
      if (!plain) return same_chunks_in(a, b, compared);
      for (Dim d : {Dim::N, Dim::K, Dim::C})
        if ((dims & dim_bit(d)) && a.chunk[d].length() != b.chunk[d].length()) return false;
      return true;
    };
    auto flush = [&] {
      const auto& values = buffers[run_buffer];
      key.push_back(run);
      key.insert(key.end(), values.begin(),
                 values.begin() + static_cast<std::ptrdiff_t>(sizes[run_buffer]));
    };
    for (const UnitChunks& u : units) {
      if (previous && same_key(u, *previous)) {
        ++run;
        continue;
      }
      previous = &u;
      const std::size_t next = 1 - run_buffer;
      sizes[next] = write_state_key(buffers[next].data(), geometry_, u, u, dims);
      if (run > 0 && sizes[next] == sizes[run_buffer] &&
          std::equal(buffers[next].begin(),
                     buffers[next].begin() + static_cast<std::ptrdiff_t>(sizes[next]),
                     buffers[run_buffer].begin())) {
        ++run;
        continue;
      }
      if (run > 0) flush();
      run_buffer = next;
      run = 1;
    }
    flush();
  }

  // Groups the iterations of each chain of `level` from `entry` into classes (scratch.classes).
  void classify_chains(std::size_t level, const UnitChunks& entry, LevelScratch& scratch) {
    const std::vector<DimMask>& chains = scratch.chains;
    scratch.classes.resize(chains.size());
    for (std::size_t c = 0; c < chains.size(); ++c) {
      ChainClasses& classes = scratch.classes[c];
      classes.index.clear();
      classes.units.clear();
      classes.count.clear();
      const DimMask key_dims = chain_key_dims(chains[c]);
      walks_.walk_grouped(
          level, entry, chains[c], [&](const std::vector<UnitChunks>& units, std::int64_t weight) {
            chain_key(scratch.key, units, key_dims);
            const std::size_t at = classes.index.add(scratch.key, 0, 0);
            if (at == classes.size()) {
              classes.width = units.size();
              classes.units.insert(classes.units.end(), units.begin(), units.end());
              classes.count.push_back(0);
            }
            classes.count[at] = add_or_throw(classes.count[at], weight, "number of steps");
            return true;
          });
    }
  }

  static void take_dims(UnitChunks& into, const UnitChunks& from, DimMask mask) {
    for (Dim d : kAllDims)
      if (mask & dim_bit(d)) into.chunk[d] = from.chunk[d];
    if (mask & dim_bit(Dim::Y)) into.out_rows = from.out_rows;
    if (mask & dim_bit(Dim::X)) into.out_cols = from.out_cols;
  }

  // The dimensions a chain's iterations are keyed on: the chain's own, whose chunks are all that
  // changes from one iteration to the next (the others hold the entry's chunks in every unit and
  // iteration, so they cannot tell classes apart), plus those keyed relative to them: K of a
  // depth-wise layer with K = C is keyed relative to C's chunk, and C to its own.
  DimMask chain_key_dims(DimMask chain) const {
    constexpr DimMask kChannels = dim_bit(Dim::K) | dim_bit(Dim::C);
    if (geometry_.channel_tied() && (chain & kChannels)) chain |= kChannels;
    return chain;
  }

  StepResult evaluate(std::size_t level, const UnitChunks& entry) {
    if (auto it = step_memo_.find(memo_key(level, entry)); it != step_memo_.end())
      return it->second;
    Key key = lookup_key_;  // the scratch key is reused below

    LevelScratch& scratch = level_scratch_[level];
    classify_chains(level, entry, scratch);
    const std::vector<DimMask>& chains = scratch.chains;
    const std::vector<ChainClasses>& classes = scratch.classes;
    StepResult result;
    std::vector<std::size_t>& pick = scratch.pick;
    pick.assign(chains.size(), 0);
    std::vector<UnitChunks>& units = scratch.units;
    while (true) {
      std::int64_t multiplicity = 1;
      std::size_t unit_count = 1;
      for (std::size_t c = 0; c < chains.size(); ++c) {
        multiplicity = mul_or_throw(multiplicity, classes[c].count[pick[c]], "number of steps");
        unit_count = std::max(unit_count, classes[c].width);
      }
      // Chains own disjoint dimensions: those of one-unit classes go into every unit at once.
      UnitChunks shared = entry;
      shared.rows_from_outputs = shared.cols_from_outputs = false;
      for (std::size_t c = 0; c < chains.size(); ++c)
        if (classes[c].width == 1) take_dims(shared, classes[c].unit(pick[c], 0), chains[c]);
      units.assign(unit_count, shared);
      for (std::size_t c = 0; c < chains.size(); ++c) {
        if (classes[c].width == 1) continue;
        for (std::size_t u = 0; u < unit_count; ++u)
          take_dims(units[u], classes[c].unit(pick[c], u), chains[c]);
      }
      const StepResult one = combine_units(level, units);
      result.steps = add_or_throw(result.steps, mul_or_throw(one.steps, multiplicity, "steps"),
                                  "number of steps");
      result.empty = add_or_throw(result.empty, mul_or_throw(one.empty, multiplicity, "steps"),
                                  "number of steps");
      result.compute =
          add_or_throw(result.compute, mul_or_throw(one.compute, multiplicity, "compute cycles"),
                       "compute cycles");
      // Next combination of chain classes.
      std::size_t c = 0;
      while (c < chains.size() && ++pick[c] == classes[c].size()) pick[c++] = 0;
      if (c == chains.size()) break;
    }
    step_memo_.emplace(std::move(key), result);
    return result;
  }

  // The dimensions whose part of a state key (append_state_key with a mask) can differ between
  // two states: those whose chunks differ, an axis when any of its fields does, and K and C
  // together when a depth-wise layer keys K relative to C.
  DimMask differing_dims(const UnitChunks& a, const UnitChunks& b) const {
    DimMask differ = 0;
    for (Dim d : kAllDims)
      if (!(a.chunk[d] == b.chunk[d])) differ |= dim_bit(d);
    if (!(a.out_rows == b.out_rows && a.row_bound == b.row_bound &&
          a.rows_from_outputs == b.rows_from_outputs))
      differ |= dim_bit(Dim::Y);
    if (!(a.out_cols == b.out_cols && a.col_bound == b.col_bound &&
          a.cols_from_outputs == b.cols_from_outputs))
      differ |= dim_bit(Dim::X);
    return differ == 0 ? 0 : chain_key_dims(differ);
  }

  static bool same_state(const UnitChunks& a, const UnitChunks& b) {
    return a.chunk == b.chunk && a.out_rows == b.out_rows && a.out_cols == b.out_cols &&
           a.row_bound == b.row_bound && a.col_bound == b.col_bound &&
           a.rows_from_outputs == b.rows_from_outputs && a.cols_from_outputs == b.cols_from_outputs;
  }

  std::int64_t busiest(const std::vector<UnitChunks>& units) const {
    std::int64_t most = 0;
    for (const UnitChunks& u : units) most = std::max(most, box_volume(u));
    return most;
  }

  // geometry_.box(u).volume(), one coordinate at a time (inline, stops at the first empty one).
  std::int64_t box_volume(const UnitChunks& u) const {
    std::int64_t volume = 1;
    for (std::size_t c = 0; c < kCoords; ++c) {
      volume *= geometry_.box_range(u, c).length();
      if (volume == 0) return 0;
    }
    return volume;
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
    for (std::size_t u = 1; u < units.size() && alike; ++u) {
      // Keys agree in the parts of dimensions whose chunks agree: compare only the others.
      const DimMask differ = differing_dims(units[u], units[0]);
      if (differ == 0) continue;
      first_key.clear();
      append_state_key(first_key, geometry_, units[0], units[0], differ);
      other_key.clear();
      append_state_key(other_key, geometry_, units[u], units[u], differ);
      alike = other_key == first_key;
    }
    if (alike) return first;
    Profile combined;
    merge_profiles(level + 1, units, combined);
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
    if (auto it = profile_memo_.find(memo_key(level, entry)); it != profile_memo_.end())
      return it->second;
    Key key = lookup_key_;  // the scratch key is reused below
    Profile result;
    Profile part;  // one iteration's, reused
    const bool innermost = level + 1 == levels_.size();
    walks_.walk(level, entry, kAllDimsMask,
                [&](const std::vector<UnitChunks>& units, std::int64_t) {
                  part.length = 0;
                  part.runs.clear();
                  if (innermost) {
                    part.length = 1;
                    if (const std::int64_t most = busiest(units); most > 0)
                      part.runs.push_back({0, 1, most});
                  } else {
                    merge_profiles(level + 1, units, part);
                  }
                  append(result, part);
                  return true;
                });
    return profile_memo_.emplace(std::move(key), std::move(result)).first->second;
  }

  const LayerGeometry& geometry_;
  const std::vector<LevelPlan>& levels_;
  LevelWalks& walks_;
  std::int64_t macs_per_cycle_ = 1;
  std::unordered_map<Key, StepResult, KeyHash> step_memo_;
  std::unordered_map<Key, Profile, KeyHash> profile_memo_;
  std::array<Key, 2> alike_keys_;  // scratch for combine_units (used after its recursion)
  Key lookup_key_;                 // scratch for memo_key
  std::vector<LevelScratch> level_scratch_;
  // Scratch for max_merge and merge_profiles (neither recurses while using them).
  std::vector<std::int64_t> merge_cuts_;
  std::vector<Run> merged_runs_;
};

// An analysis is meant to be reused (analyze_mapping keeps one per thread): reset() takes the
// next layer and mapping and forgets all results, while the walks and scratch space keep their
// memory from call to call (allocating them afresh took about a fifth of an analysis' time).
class Analysis {
 public:
  Analysis(const Layer& layer, const ResolvedMapping& mapping, std::int64_t macs_per_cycle)
      : subject_(layer, mapping), coverage_(subject_), steps_(subject_, macs_per_cycle) {}

  void reset(const Layer& layer, const ResolvedMapping& mapping, std::int64_t macs_per_cycle) {
    subject_.reset(layer, mapping);
    steps_.reset(macs_per_cycle);
  }

  SemanticsReport run() {
    SemanticsReport report;
    coverage_.run(report);
    steps_.run(report);
    return report;
  }

 private:
  Subject subject_;
  Coverage coverage_;
  Steps steps_;
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
    thread_local std::optional<Analysis> analysis;  // reused, see Analysis
    if (analysis)
      analysis->reset(layer, mapping, macs_per_cycle);
    else
      analysis.emplace(layer, mapping, macs_per_cycle);
    return analysis->run();
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
  const bool serves =
      mapping.serves.empty() ||
      std::find(mapping.serves.begin(), mapping.serves.end(), layer.type) != mapping.serves.end();
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
