#pragma once
// Small layers for tests, built directly (no parser involved).

#include <array>
#include <functional>
#include <random>
#include <vector>

#include "spec/hardware.hpp"
#include "spec/layer.hpp"
#include "spec/mapping.hpp"
#include "spec/semantics_walk.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::testing_layers {

// Checked as the parser checks a layer (Layer::validate throws InputError).
inline Layer conv(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s, std::int64_t y,
                  std::int64_t x, std::int64_t stride = 1, LayerType type = LayerType::Conv,
                  std::int64_t pad = 0) {
  Layer l;
  l.name = "L";
  l.type = type;
  l.size[Dim::N] = 1;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = s;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = l.stride_x = stride;
  l.pad_y = l.pad_x = pad;
  l.validate();
  return l;
}

inline ResolvedDirective tmap(MapDim d, std::int64_t size, std::int64_t offset) {
  return {MapKind::Temporal, d, size, offset};
}
inline ResolvedDirective smap(MapDim d, std::int64_t size, std::int64_t offset) {
  return {MapKind::Spatial, d, size, offset};
}

// Small resolved versions of two library dataflows, for the closed-form count tests:
// row-stationary on 15 PEs (5 output rows x 3 filter rows) and output-stationary Y-X on 16 PEs
// (overlapping Y and X windows, edge chunks, a fold loop).
inline ResolvedMapping small_row_stationary() {
  return {"rs",
          {{5,
            {smap(MapDim::YOut, 1, 1), tmap(MapDim::XOut, 1, 1), tmap(MapDim::C, 1, 1),
             tmap(MapDim::K, 16, 16), tmap(MapDim::R, 3, 3), tmap(MapDim::S, 3, 3)}},
           {3, {smap(MapDim::Y, 1, 1), smap(MapDim::R, 1, 1), tmap(MapDim::S, 3, 3)}}},
          15};
}
inline ResolvedMapping small_yx_output_stationary() {
  return {"yxp_os",
          {{2,
            {tmap(MapDim::K, 1, 1), tmap(MapDim::C, 1, 1), smap(MapDim::Y, 3, 1),
             tmap(MapDim::X, 10, 8)}},
           {8, {smap(MapDim::X, 3, 1), tmap(MapDim::R, 3, 3), tmap(MapDim::S, 3, 3)}}},
          16};
}

// `pes` PEs with nothing limiting: unlimited bandwidths, no latencies, a 1 MB L1 and a 1 GB L2.
inline Hardware ideal_machine(std::int64_t pes) {
  Hardware hw;
  hw.name = "ideal";
  hw.pe.count = pes;
  hw.pe.l1_bytes = 1 << 20;
  hw.l2.bytes = std::int64_t{1} << 30;
  hw.l2.words_per_bank_per_cycle = kUnlimited;
  hw.dram.words_per_cycle = kUnlimited;
  hw.dram.latency_cycles = 0;
  for (NetworkSpec* n : {&hw.noc.distribution, &hw.noc.reduction}) {
    n->link_words_per_cycle = kUnlimited;
    n->hop_latency = 0;
  }
  return hw;
}

// K spread over the units, then every (y, x) output in turn; C and R, S whole (a weight-stationary
// mapping the model tests use).
inline Mapping weight_stationary_k() {
  return parse_dataflow(
      "SpatialMap(1,1) K;\n"
      "TemporalMap(Sz(C),Sz(C)) C;\n"
      "TemporalMap(Sz(R),Sz(R)) R;\n"
      "TemporalMap(Sz(S),Sz(S)) S;\n"
      "TemporalMap(1,1) Y';\n"
      "TemporalMap(1,1) X';\n",
      "ws_k.m");
}

// Every PE's steps in order, as a direct reading of the walks (spec/semantics_walk): calls
// visit(path, chunks) per step, `path` the unit index at every level. Units of a level without
// SpatialMap are identical and walked once (one path entry 0).
inline void for_each_pe_step(
    const LayerGeometry& g, const std::vector<LevelPlan>& plans,
    const std::function<void(const std::vector<std::size_t>&, const UnitChunks&)>& visit) {
  std::vector<std::size_t> path;
  std::function<void(std::size_t, const UnitChunks&)> walk = [&](std::size_t l,
                                                                 const UnitChunks& u) {
    if (l == plans.size()) {
      visit(path, u);
      return;
    }
    walk_level(g, plans[l], u, kAllDimsMask, [&](const std::vector<UnitChunks>& units) {
      for (std::size_t i = 0; i < units.size(); ++i) {
        path.push_back(i);
        walk(l + 1, units[i]);
        path.pop_back();
      }
      return true;
    });
  };
  walk(0, g.whole_layer());
}

// Case `i` of a random sweep: a small layer (R, S 1-3, Y, X up to `max_extent`, strides 1-3;
// every fifth layer depth-wise, alternately K = 1 and K = C) and a random mapping of 1-3 levels
// of 1-3 units, each with 1-4 Temporal or Spatial maps of size and offset 1-4 on any dimension
// (valid or not).
struct RandomCase {
  Layer layer;
  ResolvedMapping mapping;
};

// `top_units`: the most units the top level may have (many units leave some idle past a map's
// chunk count, and the closed forms class units only from a few on).
inline RandomCase random_small_case(std::mt19937_64& rng, int i, std::int64_t max_extent,
                                    std::int64_t top_units = 3) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::array<MapDim, 9> dims = {MapDim::N, MapDim::K, MapDim::C,    MapDim::R,   MapDim::S,
                                      MapDim::Y, MapDim::X, MapDim::YOut, MapDim::XOut};
  RandomCase c;
  const std::int64_t r = pick(1, 3), s = pick(1, 3);
  c.layer =
      conv(pick(1, 4), pick(1, 4), r, s, pick(r, max_extent), pick(s, max_extent), pick(1, 3));
  if (i % 5 == 0) {
    c.layer.type = LayerType::DsConv;
    c.layer.size[Dim::K] = i % 10 == 0 ? 1 : c.layer.size[Dim::C];
  }
  const std::size_t levels = static_cast<std::size_t>(pick(1, 3));
  c.mapping.pes_used = 1;
  for (std::size_t l = 0; l < levels; ++l) {
    ResolvedLevel level;
    level.units = pick(1, l == 0 ? top_units : 3);
    c.mapping.pes_used *= level.units;
    const int count = static_cast<int>(pick(1, 4));
    for (int d = 0; d < count; ++d) {
      const MapDim dim = dims[static_cast<std::size_t>(pick(0, 8))];
      const bool spatial = pick(0, 2) == 0;
      level.directives.push_back(
          {spatial ? MapKind::Spatial : MapKind::Temporal, dim, pick(1, 4), pick(1, 4)});
    }
    c.mapping.levels.push_back(level);
  }
  return c;
}

}  // namespace metronome::testing_layers
