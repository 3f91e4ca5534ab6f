// Randomised check that the fast analysis analyze_mapping (spec/semantics.cpp) agrees with the
// MAC-by-MAC brute-force reference (tests/unit/brute_force_semantics.hpp) on small layers and
// mappings. The generator is seeded (std::mt19937_64, fixed seeds), so every run sees the same
// cases; a mismatch prints the layer, the PE count and the resolved directives.
//
// Four kinds of mapping are generated:
//  * structured: valid by construction (partitions of N/K/C; output tiles on Y'/X' with any R
//    split; input windows of R + (m-1)*stride rows with offset m*stride (or R rows, offset 1),
//    nested, with row-stationary pairs SpatialMap(1,1) Y + SpatialMap(1,1) R under a window of
//    exactly R rows; or R split into single rows first and then partitions of Y; one SpatialMap
//    per level with several units);
//  * mutated: a structured mapping with one directive changed (size or offset +-1, kind or
//    dimension changed, dropped or repeated), mostly invalid by a few MACs;
//  * random: directives on random dimensions with sizes and offsets 1..D+1 (gaps, overlaps,
//    fits), Sz() extents, paired SpatialMaps, Y'/X' maps, dimensions mapped twice at a level,
//    levels with several units and no SpatialMap;
//  * spatial-then-temporal: a SpatialMap and a later TemporalMap of the same dimension at the
//    level with the most units, so that units' chunk counts for the TemporalMap differ.
//
// Cases resolve_mapping refuses (InputError) are skipped and counted, as are the few the
// documents leave undefined (bruteforce::BruteForceUnsupported). Where every unit idles in some
// fold (undefined steps, see BruteForceResult::all_idle_iterations) the MAC figures are compared
// as usual and the steps against the brute force's unit0_never_idle reading.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "spec/error.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics.hpp"
#include "tests/unit/brute_force_semantics.hpp"

namespace metronome {
namespace {

using Rng = std::mt19937_64;

std::int64_t uniform(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}

bool chance(Rng& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(v.size()) - 1))];
}

Extent lit(std::int64_t v) {
  return Extent{v, std::nullopt};
}
Extent sz(Dim d) {
  return Extent{0, d};
}

std::int64_t value_of(const Extent& e, const Layer& layer) {
  return e.size_of ? layer.size[*e.size_of] : e.literal;
}

std::int64_t out_extent(std::int64_t in, std::int64_t filter, std::int64_t stride) {
  return in < filter ? 0 : (in - filter) / stride + 1;
}

// Full extent of the dimension a directive names (Y'/X': number of output rows/cols).
std::int64_t full_extent(const Layer& layer, MapDim d) {
  if (d == MapDim::YOut) return out_extent(layer.size[Dim::Y], layer.size[Dim::R], layer.stride_y);
  if (d == MapDim::XOut) return out_extent(layer.size[Dim::X], layer.size[Dim::S], layer.stride_x);
  return layer.size[base_dim(d)];
}

Directive directive(MapKind kind, MapDim dim, Extent size, Extent offset) {
  Directive d;
  d.kind = kind;
  d.dim = dim;
  d.size = size;
  d.offset = offset;
  return d;
}

// A case: a layer, a mapping as written (Extents, cluster counts) and a PE count.
struct Case {
  std::string origin;  // structured / mutated / random
  Layer layer;
  Mapping mapping;
  std::int64_t pes = 1;
};

// ---------------------------------------------------------------- layers

Layer random_layer(Rng& rng) {
  Layer l;
  l.name = "random";
  l.type = LayerType::Conv;
  l.type_text = "CONV";
  l.size[Dim::N] = chance(rng, 0.2) ? 2 : 1;
  l.size[Dim::K] = uniform(rng, 1, 6);
  l.size[Dim::C] = uniform(rng, 1, 6);
  l.size[Dim::R] = uniform(rng, 1, 4);
  l.size[Dim::S] = uniform(rng, 1, 4);
  l.stride_y = uniform(rng, 1, 4);
  l.stride_x = uniform(rng, 1, 4);
  const std::int64_t shape = uniform(rng, 0, 99);
  if (shape < 15) {  // depth-wise
    l.type = LayerType::DsConv;
    l.type_text = "DSCONV";
    l.size[Dim::K] = chance(rng, 0.5) ? 1 : l.size[Dim::C];
  } else if (shape < 30) {  // GEMM-shaped: R = S = X = 1
    l.size[Dim::R] = 1;
    l.size[Dim::S] = 1;
    l.size[Dim::X] = 1;
    l.size[Dim::Y] = uniform(rng, 1, 12);
    if (chance(rng, 0.5)) {
      l.type = LayerType::Gemm;
      l.type_text = "GEMM";
      l.size[Dim::N] = 1;
      l.stride_y = 1;
      l.stride_x = 1;
    }
    return l;
  }
  l.size[Dim::Y] = uniform(rng, l.size[Dim::R], 12);
  l.size[Dim::X] = uniform(rng, l.size[Dim::S], 12);
  if (chance(rng, 0.25)) {
    l.pad_y = uniform(rng, 0, 2);
    l.pad_x = uniform(rng, 0, 2);
    l.size[Dim::Y] += 2 * l.pad_y;
    l.size[Dim::X] += 2 * l.pad_x;
  }
  return l;
}

// ---------------------------------------------------------------- PEs and levels

// Cluster counts for levels 1.. (and the PE count giving the top level 1..5 units; now and then
// too few PEs, which resolve_mapping must refuse).
void assign_units(Rng& rng, Case& c, const std::vector<std::int64_t>& counts) {
  std::int64_t product = 1;
  for (std::size_t l = 1; l < c.mapping.levels.size(); ++l) {
    const std::int64_t n = counts[l];
    if (n == c.layer.size[Dim::R] && chance(rng, 0.5))
      c.mapping.levels[l].units = sz(Dim::R);
    else
      c.mapping.levels[l].units = lit(n);
    product *= n;
  }
  const std::int64_t top = counts[0];
  c.pes = std::min<std::int64_t>(64, top * product + uniform(rng, 0, product - 1));
  if (chance(rng, 0.02)) c.pes = std::max<std::int64_t>(1, product - 1);
}

// Unit counts per level, top first, with a product <= 64.
std::vector<std::int64_t> random_unit_counts(Rng& rng, std::size_t levels) {
  std::vector<std::int64_t> counts(levels, 1);
  std::int64_t product = 1;
  for (std::size_t l = 0; l < levels; ++l) {
    const std::int64_t cap = std::max<std::int64_t>(1, std::min<std::int64_t>(5, 64 / product));
    counts[l] = chance(rng, 0.2) ? 1 : uniform(rng, 1, cap);
    product *= counts[l];
  }
  return counts;
}

// ---------------------------------------------------------------- structured (valid) mappings

// How one spatial axis (Y with R and Y', or X with S and X') is mapped by a structured mapping.
enum class AxisStyle { Full, OutputTiles, Windows };

struct AxisPlan {
  AxisStyle style = AxisStyle::Full;
  MapDim in = MapDim::Y;
  MapDim filter = MapDim::R;
  MapDim out = MapDim::YOut;
  Dim in_dim = Dim::Y;
  Dim filter_dim = Dim::R;
  std::int64_t stride = 1;
  bool r_split = false;        // R split into single rows already (Windows)
  bool windowed = false;       // a map on Y has been made (Windows): R must not be split now
  bool single_window = false;  // the Y chunk is exactly R rows (Windows)
};

// One item of a level: a directive, or two that must stay together (a row-stationary pair), and
// whether it may be the level's SpatialMap.
struct Item {
  std::vector<Directive> directives;
  bool can_be_spatial = true;
  int order_group = -1;  // items of one axis keep their relative order (R split before window)
  int seq = 0;           // creation order
};

Extent partition_extent(Rng& rng, const Layer& layer, Dim d, std::int64_t v) {
  if (v == layer.size[d] && chance(rng, 0.6)) return sz(d);
  return lit(v);
}

Item partition_item(Rng& rng, const Layer& layer, MapDim d) {
  const std::int64_t full = full_extent(layer, d);
  const std::int64_t v = chance(rng, 0.2) ? full : uniform(rng, 1, full + 1);
  Extent e = is_output_dim(d) ? lit(v) : partition_extent(rng, layer, base_dim(d), v);
  Item item;
  item.directives.push_back(directive(MapKind::Temporal, d, e, e));
  return item;
}

void plan_axis_items(Rng& rng, const Layer& layer, AxisPlan& ax, std::int64_t units, int group,
                     std::vector<Item>& items, bool& level_has_pair) {
  const std::int64_t filter = layer.size[ax.filter_dim];
  switch (ax.style) {
    case AxisStyle::Full:
      if (chance(rng, 0.15)) {
        Item it;
        it.directives.push_back(
            directive(MapKind::Temporal, ax.filter, sz(ax.filter_dim), sz(ax.filter_dim)));
        items.push_back(it);
      }
      if (chance(rng, 0.1)) {
        Item it;
        it.directives.push_back(directive(MapKind::Temporal, ax.in, sz(ax.in_dim), sz(ax.in_dim)));
        items.push_back(it);
      }
      return;
    case AxisStyle::OutputTiles:
      if (chance(rng, 0.5)) items.push_back(partition_item(rng, layer, ax.out));
      if (chance(rng, 0.3)) items.push_back(partition_item(rng, layer, ax.filter));
      return;
    case AxisStyle::Windows: {
      if (!ax.windowed && !ax.r_split && chance(rng, 0.3)) {
        Item it;
        it.directives.push_back(directive(MapKind::Temporal, ax.filter, lit(1), lit(1)));
        it.order_group = group;
        items.push_back(it);
        ax.r_split = true;
      }
      if (ax.r_split) {
        // With one filter row per unit, a partition of the rows gives each window to one unit.
        if (chance(rng, 0.6)) {
          const std::int64_t w = uniform(rng, 1, layer.size[ax.in_dim] + 1);
          const Extent e = partition_extent(rng, layer, ax.in_dim, w);
          Item it;
          it.directives.push_back(directive(MapKind::Temporal, ax.in, e, e));
          it.order_group = group;
          items.push_back(it);
          ax.windowed = true;
        }
        return;
      }
      if (ax.windowed && ax.single_window && units > 1 && !level_has_pair && chance(rng, 0.5)) {
        // Row-stationary pair under a window of exactly R rows: unit u takes row u of the
        // window and filter row u.
        Item it;
        it.directives.push_back(directive(MapKind::Spatial, ax.in, lit(1), lit(1)));
        it.directives.push_back(directive(MapKind::Spatial, ax.filter, lit(1), lit(1)));
        it.order_group = group;
        items.push_back(it);
        ax.r_split = true;
        level_has_pair = true;
        return;
      }
      if (chance(rng, 0.6)) {
        // Windows of m outputs: R + (m-1)*stride rows, offset m*stride (or R rows, offset 1).
        const std::int64_t m = ax.single_window ? 1 : uniform(rng, 1, 3);
        const std::int64_t size = filter + (m - 1) * ax.stride;
        std::int64_t offset = m * ax.stride;
        if (m == 1 && chance(rng, 0.5)) offset = 1;
        const Extent se = (size == filter && chance(rng, 0.6)) ? sz(ax.filter_dim) : lit(size);
        Item it;
        it.directives.push_back(directive(MapKind::Temporal, ax.in, se, lit(offset)));
        it.order_group = group;
        items.push_back(it);
        ax.windowed = true;
        ax.single_window = m == 1;
      }
      return;
    }
  }
}

Case structured_case(Rng& rng) {
  Case c;
  c.origin = "structured";
  c.layer = random_layer(rng);
  const Layer& layer = c.layer;
  const auto levels = static_cast<std::size_t>(uniform(rng, 1, 3));
  const std::vector<std::int64_t> counts = random_unit_counts(rng, levels);
  c.mapping.name = "structured";
  c.mapping.levels.resize(levels);

  std::array<AxisPlan, 2> axes;
  axes[1].in = MapDim::X;
  axes[1].filter = MapDim::S;
  axes[1].out = MapDim::XOut;
  axes[1].in_dim = Dim::X;
  axes[1].filter_dim = Dim::S;
  axes[0].stride = layer.stride_y;
  axes[1].stride = layer.stride_x;
  for (AxisPlan& ax : axes) {
    const std::int64_t s = uniform(rng, 0, 2);
    ax.style = s == 0 ? AxisStyle::Full : s == 1 ? AxisStyle::OutputTiles : AxisStyle::Windows;
  }

  for (std::size_t l = 0; l < levels; ++l) {
    const std::int64_t units = counts[l];
    std::vector<Item> items;
    for (MapDim d : {MapDim::N, MapDim::K, MapDim::C})
      if (chance(rng, 0.45)) items.push_back(partition_item(rng, layer, d));
    bool level_has_pair = false;
    for (std::size_t a = 0; a < 2; ++a)
      plan_axis_items(rng, layer, axes[a], units, static_cast<int>(a), items, level_has_pair);
    for (std::size_t i = 0; i < items.size(); ++i) items[i].seq = static_cast<int>(i);
    std::shuffle(items.begin(), items.end(), rng);
    // Keep each axis' items in planned order (an R split before the window that relies on it).
    for (int g = 0; g < 2; ++g) {
      std::vector<std::size_t> pos;
      std::vector<Item> group;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].order_group != g) continue;
        pos.push_back(i);
        group.push_back(items[i]);
      }
      std::sort(group.begin(), group.end(),
                [](const Item& a, const Item& b) { return a.seq < b.seq; });
      for (std::size_t i = 0; i < pos.size(); ++i) items[pos[i]] = group[i];
    }
    // The level's SpatialMap: needed with several units, optional with one.
    std::optional<std::size_t> spatial;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].directives.size() == 2) spatial = i;  // a pair is already spatial
    if (!spatial && (units > 1 || chance(rng, 0.3))) {
      if (items.empty()) {
        items.push_back(partition_item(
            rng, layer, pick(rng, std::vector<MapDim>{MapDim::K, MapDim::C, MapDim::N})));
      }
      const auto i =
          static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(items.size()) - 1));
      items[i].directives.front().kind = MapKind::Spatial;
    }
    for (const Item& it : items)
      for (const Directive& d : it.directives) c.mapping.levels[l].directives.push_back(d);
  }
  if (c.mapping.levels[0].directives.empty())
    c.mapping.levels[0].directives.push_back(
        directive(MapKind::Temporal, MapDim::K, sz(Dim::K), sz(Dim::K)));
  assign_units(rng, c, counts);
  return c;
}

// ---------------------------------------------------------------- mutations

Extent bumped(Rng& rng, const Extent& e, const Layer& layer) {
  const std::int64_t v = value_of(e, layer) + (chance(rng, 0.5) ? 1 : -1);
  return lit(std::max<std::int64_t>(1, v));
}

const std::vector<MapDim>& all_map_dims() {
  static const std::vector<MapDim> dims = {MapDim::N, MapDim::K,    MapDim::C,
                                           MapDim::R, MapDim::S,    MapDim::Y,
                                           MapDim::X, MapDim::YOut, MapDim::XOut};
  return dims;
}

Case mutated_case(Rng& rng) {
  Case c = structured_case(rng);
  c.origin = "mutated";
  std::vector<std::pair<std::size_t, std::size_t>> where;
  for (std::size_t l = 0; l < c.mapping.levels.size(); ++l)
    for (std::size_t i = 0; i < c.mapping.levels[l].directives.size(); ++i)
      where.emplace_back(l, i);
  const auto [l, i] = pick(rng, where);
  auto& dirs = c.mapping.levels[l].directives;
  Directive& d = dirs[i];
  switch (uniform(rng, 0, 5)) {
    case 0:
      d.size = bumped(rng, d.size, c.layer);
      break;
    case 1:
      d.offset = bumped(rng, d.offset, c.layer);
      break;
    case 2:
      d.kind = d.kind == MapKind::Spatial ? MapKind::Temporal : MapKind::Spatial;
      break;
    case 3:
      d.dim = pick(rng, all_map_dims());
      break;
    case 4:
      if (dirs.size() > 1) {
        dirs.erase(dirs.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      [[fallthrough]];
    default:
      dirs.insert(dirs.begin() + static_cast<std::ptrdiff_t>(i), d);
      break;
  }
  return c;
}

// ---------------------------------------------------------------- random mappings

Directive random_directive(Rng& rng, const Layer& layer, std::optional<MapDim> dim = {}) {
  const MapDim d = dim ? *dim : pick(rng, all_map_dims());
  const MapKind kind = chance(rng, 0.3) ? MapKind::Spatial : MapKind::Temporal;
  const std::int64_t full = std::max<std::int64_t>(1, full_extent(layer, d));
  Extent size = lit(uniform(rng, 1, full + 1));
  Extent offset = lit(uniform(rng, 1, full + 1));
  if (!is_output_dim(d) && chance(rng, 0.15)) size = sz(base_dim(d));
  if (!is_output_dim(d) && chance(rng, 0.1)) offset = sz(base_dim(d));
  if (chance(rng, 0.1)) size = sz(Dim::R);
  return directive(kind, d, size, offset);
}

Case random_case(Rng& rng) {
  Case c;
  c.origin = "random";
  c.layer = random_layer(rng);
  const auto levels = static_cast<std::size_t>(uniform(rng, 1, 3));
  const std::vector<std::int64_t> counts = random_unit_counts(rng, levels);
  c.mapping.name = "random";
  c.mapping.levels.resize(levels);
  for (std::size_t l = 0; l < levels; ++l) {
    auto& dirs = c.mapping.levels[l].directives;
    const std::int64_t n = uniform(rng, l == 0 ? 1 : 0, 5);
    for (std::int64_t i = 0; i < n; ++i) dirs.push_back(random_directive(rng, c.layer));
    if (chance(rng, 0.2)) {  // a paired SpatialMap, Y with R or X with S
      const bool y = chance(rng, 0.5);
      Directive a = random_directive(rng, c.layer, y ? MapDim::Y : MapDim::X);
      Directive b = random_directive(rng, c.layer, y ? MapDim::R : MapDim::S);
      a.kind = MapKind::Spatial;
      b.kind = MapKind::Spatial;
      if (chance(rng, 0.5)) {
        a.size = lit(1);
        a.offset = lit(1);
        b.size = lit(1);
        b.offset = lit(1);
      }
      const auto at =
          static_cast<std::ptrdiff_t>(uniform(rng, 0, static_cast<std::int64_t>(dirs.size())));
      dirs.insert(dirs.begin() + at, {a, b});
    }
    if (!dirs.empty() && chance(rng, 0.2)) {  // the same dimension mapped twice
      const MapDim again = pick(rng, dirs).dim;
      dirs.push_back(random_directive(rng, c.layer, again));
    }
  }
  assign_units(rng, c, counts);
  return c;
}

// A level with a SpatialMap and, later, a TemporalMap of the same dimension (and other
// TemporalMaps around them): the units' chunks may differ in size (the last ones are cut at the
// end of the dimension), so their chunk counts for the TemporalMap differ.
Case spatial_then_temporal_case(Rng& rng) {
  Case c = random_case(rng);
  c.origin = "spatial-then-temporal";
  // The level with the most units.
  std::size_t l = 0;
  std::int64_t most = 0;
  std::int64_t below = 1;
  for (std::size_t k = 1; k < c.mapping.levels.size(); ++k)
    below *= value_of(*c.mapping.levels[k].units, c.layer);
  for (std::size_t k = 0; k < c.mapping.levels.size(); ++k) {
    const std::int64_t units =
        k == 0 ? c.pes / below : value_of(*c.mapping.levels[k].units, c.layer);
    if (units > most) {
      most = units;
      l = k;
    }
  }
  for (std::size_t k = 0; k < c.mapping.levels.size(); ++k)
    for (Directive& other : c.mapping.levels[k].directives) other.kind = MapKind::Temporal;
  auto& dirs = c.mapping.levels[l].directives;
  dirs.clear();
  const MapDim d = pick(rng, all_map_dims());
  for (int i = 0; i < 2; ++i) {
    Directive other = random_directive(rng, c.layer);
    other.kind = MapKind::Temporal;
    if (other.dim != d) dirs.push_back(other);
  }
  Directive sp = random_directive(rng, c.layer, d);
  sp.kind = MapKind::Spatial;
  Directive tm = random_directive(rng, c.layer, d);
  tm.kind = MapKind::Temporal;
  const std::int64_t full = full_extent(c.layer, d);
  if (full >= 3 && chance(rng, 0.8)) {
    // Chunks smaller than the dimension, the last one cut short; a finer TemporalMap inside.
    const std::int64_t s1 = uniform(rng, 2, full - 1);
    sp.size = lit(s1);
    sp.offset = lit(uniform(rng, 1, s1));
    tm.size = lit(uniform(rng, 1, s1 - 1));
    tm.offset = lit(uniform(rng, 1, s1 - 1));
  }
  const auto at = static_cast<std::ptrdiff_t>(dirs.empty() ? 0 : uniform(rng, 0, 1));
  dirs.insert(dirs.begin() + at, sp);
  dirs.push_back(tm);
  return c;
}

// ---------------------------------------------------------------- comparison

ResolvedMapping resolve_by_hand(const Case& c) {
  ResolvedMapping r;
  r.name = c.mapping.name;
  std::int64_t product = 1;
  for (std::size_t l = 0; l < c.mapping.levels.size(); ++l) {
    const MappingLevel& level = c.mapping.levels[l];
    ResolvedLevel rl;
    if (l > 0) {
      rl.units = value_of(*level.units, c.layer);
      product *= rl.units;
    }
    for (const Directive& d : level.directives) {
      ResolvedDirective rd;
      rd.kind = d.kind;
      rd.dim = d.dim;
      rd.size = value_of(d.size, c.layer);
      rd.offset = value_of(d.offset, c.layer);
      rl.directives.push_back(rd);
    }
    r.levels.push_back(rl);
  }
  r.levels[0].units = c.pes / product;
  r.pes_used = r.levels[0].units * product;
  return r;
}

bool same_resolution(const ResolvedMapping& a, const ResolvedMapping& b) {
  if (a.levels.size() != b.levels.size() || a.pes_used != b.pes_used) return false;
  for (std::size_t l = 0; l < a.levels.size(); ++l) {
    const ResolvedLevel& x = a.levels[l];
    const ResolvedLevel& y = b.levels[l];
    if (x.units != y.units || x.directives.size() != y.directives.size()) return false;
    for (std::size_t i = 0; i < x.directives.size(); ++i) {
      const ResolvedDirective& p = x.directives[i];
      const ResolvedDirective& q = y.directives[i];
      if (p.kind != q.kind || p.dim != q.dim || p.size != q.size || p.offset != q.offset)
        return false;
    }
  }
  return true;
}

std::string describe_case(const Case& c, const ResolvedMapping& r) {
  std::ostringstream os;
  os << c.origin << " case, " << c.pes << " PEs\n"
     << bruteforce::describe(c.layer) << bruteforce::describe(r);
  return os.str();
}

// Differences between the fast analysis and the brute force, one line each ("" if none).
std::string differences(const SemanticsReport& f, const bruteforce::BruteForceResult& b) {
  std::ostringstream os;
  auto cmp = [&os](const char* what, std::int64_t fast, std::int64_t brute) {
    if (fast != brute)
      os << "    " << what << ": analyze_mapping " << fast << ", brute force " << brute << '\n';
  };
  cmp("layer_macs", f.layer_macs, b.layer_macs);
  cmp("performed_macs", f.performed_macs, b.performed_macs);
  cmp("missing_macs", f.missing_macs, b.missing_macs);
  cmp("duplicated_macs", f.duplicated_macs, b.duplicated_macs);
  cmp("steps", f.steps, b.steps);
  cmp("empty_steps", f.empty_steps, b.empty_steps);
  std::int64_t busiest_sum = 0;
  for (std::int64_t m : b.step_busiest_macs) busiest_sum += m;
  cmp("compute_cycles", f.compute_cycles, busiest_sum);
  if (f.first_missing != b.first_missing)
    os << "    first_missing: analyze_mapping " << bruteforce::coordinates_text(f.first_missing)
       << ", brute force " << bruteforce::coordinates_text(b.first_missing) << '\n';
  if (f.first_duplicated != b.first_duplicated)
    os << "    first_duplicated: analyze_mapping "
       << bruteforce::coordinates_text(f.first_duplicated) << ", brute force "
       << bruteforce::coordinates_text(b.first_duplicated) << '\n';
  return os.str();
}

struct BatchStats {
  int generated = 0;
  int refused_by_resolve = 0;  // InputError from resolve_mapping (skipped)
  int undefined = 0;           // the documents do not define the result (skipped)
  int compared = 0;
  int valid = 0;
  int mismatches = 0;
  int structured_compared = 0;
  int structured_invalid = 0;
  int steps_undefined = 0;  // compared without steps: some iteration has every unit idle
  int temporal_idles = 0;   // a unit idled in a TemporalMap loop (fewer chunks than unit 0)
  int with_missing = 0;
  int with_duplicated = 0;
  int with_empty_steps = 0;
  int with_output_maps = 0;  // some Y' or X' map
  int three_levels = 0;
};

constexpr int kBatches = 8;
constexpr int kCasesPerBatch = 60;
constexpr std::uint64_t kSeed = 0x6d6574726f6e6f6dULL;  // "metronom"
constexpr int kMaxReportedMismatches = 5;

Case generate(Rng& rng) {
  const std::int64_t what = uniform(rng, 0, 99);
  if (what < 45) return structured_case(rng);
  if (what < 60) return mutated_case(rng);
  if (what < 70) return spatial_then_temporal_case(rng);
  return random_case(rng);
}

void run_case(const Case& c, BatchStats& stats) {
  ++stats.generated;
  ASSERT_NO_THROW(c.layer.validate()) << bruteforce::describe(c.layer);
  const ResolvedMapping by_hand = resolve_by_hand(c);
  ResolvedMapping resolved;
  try {
    resolved = resolve_mapping(c.mapping, c.layer, c.pes);
  } catch (const InputError&) {
    ++stats.refused_by_resolve;
    return;
  }
  if (!same_resolution(resolved, by_hand)) {
    ++stats.mismatches;
    ADD_FAILURE() << "resolve_mapping differs from the hand resolution\n"
                  << describe_case(c, by_hand) << "  resolve_mapping gave:\n"
                  << bruteforce::describe(resolved);
    return;
  }
  bruteforce::BruteForceResult brute;
  try {
    brute = bruteforce::brute_force(c.layer, resolved);
  } catch (const bruteforce::BruteForceRefused& e) {
    ++stats.mismatches;
    ADD_FAILURE() << "resolve_mapping accepted a mapping the rules refuse: " << e.what() << '\n'
                  << describe_case(c, resolved);
    return;
  } catch (const bruteforce::BruteForceUnsupported&) {
    ++stats.undefined;
    return;
  }
  SemanticsReport fast;
  try {
    fast = analyze_mapping(c.layer, resolved);
  } catch (const std::exception& e) {
    ++stats.mismatches;
    ADD_FAILURE() << "analyze_mapping threw: " << e.what() << '\n' << describe_case(c, resolved);
    return;
  }
  ++stats.compared;
  if (brute.valid()) ++stats.valid;
  if (brute.missing_macs > 0) ++stats.with_missing;
  if (brute.duplicated_macs > 0) ++stats.with_duplicated;
  if (brute.empty_steps > 0) ++stats.with_empty_steps;
  if (resolved.levels.size() == 3) ++stats.three_levels;
  const auto maps_output = [](const ResolvedLevel& level) {
    return std::any_of(level.directives.begin(), level.directives.end(),
                       [](const ResolvedDirective& d) { return is_output_dim(d.dim); });
  };
  if (std::any_of(resolved.levels.begin(), resolved.levels.end(), maps_output))
    ++stats.with_output_maps;
  if (c.origin == "structured") {
    ++stats.structured_compared;
    if (!brute.valid()) {
      ++stats.structured_invalid;
      ADD_FAILURE() << "a mapping valid by construction is invalid for the brute force:\n"
                    << describe_case(c, resolved);
    }
  }
  if (brute.temporal_idles > 0) ++stats.temporal_idles;
  if (brute.all_idle_iterations > 0) {
    // Every unit idles in some fold. docs/semantics.md: idle units hold empty chunks, so such a
    // fold still takes steps; that is the brute force's unit0_never_idle reading.
    ++stats.steps_undefined;
    bruteforce::BruteForceOptions options;
    options.unit0_never_idle = true;
    try {
      const bruteforce::BruteForceResult alt = bruteforce::brute_force(c.layer, resolved, options);
      brute.steps = alt.steps;
      brute.empty_steps = alt.empty_steps;
      brute.step_busiest_macs = alt.step_busiest_macs;
    } catch (const bruteforce::BruteForceUnsupported&) {
      return;  // that reading is not defined here either
    }
  }
  // Compute cycles at 3 MACs per cycle: sum over steps of ceil(busiest / 3).
  {
    const SemanticsReport three = analyze_mapping(c.layer, resolved, 3);
    std::int64_t expected = 0;
    for (std::int64_t m : brute.step_busiest_macs) expected += (m + 2) / 3;
    if (three.compute_cycles != expected) {
      ++stats.mismatches;
      if (stats.mismatches <= kMaxReportedMismatches)
        ADD_FAILURE() << "compute cycles at 3 MACs/cycle: analyze_mapping " << three.compute_cycles
                      << ", brute force " << expected << '\n'
                      << describe_case(c, resolved);
    }
  }
  const std::string diff = differences(fast, brute);
  if (!diff.empty()) {
    ++stats.mismatches;
    if (stats.mismatches <= kMaxReportedMismatches)
      ADD_FAILURE() << "analyze_mapping differs from the brute force\n"
                    << describe_case(c, resolved) << diff;
  }
}

class SemanticsRandom : public ::testing::TestWithParam<int> {};

TEST_P(SemanticsRandom, FastAnalysisMatchesBruteForce) {
  Rng rng(kSeed + static_cast<std::uint64_t>(GetParam()));
  BatchStats stats;
  for (int i = 0; i < kCasesPerBatch; ++i) {
    const Case c = generate(rng);
    SCOPED_TRACE("batch " + std::to_string(GetParam()) + " case " + std::to_string(i));
    run_case(c, stats);
  }
  RecordProperty("compared", stats.compared);
  RecordProperty("valid", stats.valid);
  std::cout << "[ batch " << GetParam() << " ] generated " << stats.generated << ", compared "
            << stats.compared << " (" << stats.valid << " valid), skipped "
            << stats.refused_by_resolve << " refused by resolve_mapping + " << stats.undefined
            << " not defined by the rules; " << stats.steps_undefined
            << " compared without steps (all units idle in some fold), " << stats.temporal_idles
            << " with units idle in a TemporalMap loop; of those compared " << stats.with_missing
            << " miss MACs, " << stats.with_duplicated << " duplicate MACs, "
            << stats.with_empty_steps << " have empty steps, " << stats.with_output_maps
            << " map Y' or X', " << stats.three_levels << " have 3 levels; mismatches "
            << stats.mismatches << '\n';
  EXPECT_EQ(stats.mismatches, 0) << "(only the first " << kMaxReportedMismatches << " are printed)";
  // Most cases are compared, and a good share of them are valid mappings.
  EXPECT_GE(stats.compared * 10, stats.generated * 8);
  EXPECT_GE(stats.valid * 10, stats.compared * 3);
}

INSTANTIATE_TEST_SUITE_P(Batches, SemanticsRandom, ::testing::Range(0, kBatches));

}  // namespace
}  // namespace metronome
