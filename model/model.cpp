// The analytical model: equations in model/README.md.

#include "model/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "model/contention.hpp"
#include "model/count_arithmetic.hpp"
#include "model/fills.hpp"
#include "model/maestro_semantics.hpp"
#include "model/multicast.hpp"
#include "model/noc_geometry.hpp"
#include "model/pipeline.hpp"
#include "model/tile_union.hpp"
#include "spec/semantics.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

namespace {

using count_arithmetic::add;

// A cycle count from a real-valued estimate; counts beyond 2^62 are refused, not wrapped.
std::int64_t whole_cycles(double cycles) {
  constexpr double kMaxCycles = 4.6e18;
  if (!(cycles <= kMaxCycles))
    throw InputError(SourceLocation{}, fmt::format("the runtime ({:.3g} cycles) overflows", cycles),
                     "a layer and hardware whose runtime fits in 64 bits");
  return static_cast<std::int64_t>(std::ceil(cycles - 1e-9));
}

// Cycles to move `words` at `per_cycle` words per cycle (0 words take 0 cycles).
std::int64_t transfer_cycles(double words, double per_cycle) {
  if (words <= 0 || std::isinf(per_cycle)) return 0;
  return whole_cycles(words / per_cycle);
}

// Number of distinct tile bounds. Sorting the bounds themselves compared up to 8 words per step;
// sorting their hashes and comparing only within runs of equal hashes gives the same count.
std::int64_t count_distinct(const std::vector<std::array<std::int64_t, 8>>& held) {
  // Units side by side mostly hold one shared tile, or tiles in strictly increasing order:
  // both are settled in one pass.
  bool all_equal = true, increasing = true;
  for (std::size_t i = 1; i < held.size() && (all_equal || increasing); ++i) {
    if (!(held[i] == held[0])) all_equal = false;
    if (!(held[i - 1] < held[i])) increasing = false;
  }
  if (all_equal) return held.empty() ? 0 : 1;
  if (increasing) return static_cast<std::int64_t>(held.size());
  std::vector<std::pair<std::uint64_t, std::uint32_t>> hashed;
  hashed.reserve(held.size());
  for (std::size_t i = 0; i < held.size(); ++i) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::int64_t v : held[i]) h = (h ^ static_cast<std::uint64_t>(v)) * 1099511628211ull;
    hashed.emplace_back(h, static_cast<std::uint32_t>(i));
  }
  std::sort(hashed.begin(), hashed.end());
  std::int64_t distinct = 0;
  std::vector<std::uint32_t> kept;
  for (std::size_t run = 0; run < hashed.size();) {
    std::size_t end = run + 1;
    while (end < hashed.size() && hashed[end].first == hashed[run].first) ++end;
    // Within a run (almost always all equal), count the bounds unlike every one kept so far.
    kept.clear();
    for (std::size_t i = run; i < end; ++i) {
      const auto& bounds = held[hashed[i].second];
      if (std::none_of(kept.begin(), kept.end(),
                       [&](std::uint32_t k) { return held[k] == bounds; }))
        kept.push_back(hashed[i].second);
    }
    distinct += static_cast<std::int64_t>(kept.size());
    run = end;
  }
  return distinct;
}

// Outputs L2 still holds after the last partial sum (model/README.md section 5, O_end). L2 gives
// up the least recently named word when it needs room, so it ends full of the words the end of
// the walk named: the last iteration's tile (`tile`, per tensor) and, before it, the words each
// earlier iteration newly named, outputs and inputs/weights in the proportion the walk names them
// (`fill` - `tile` of each over the walk; a whole tensor is named again every iteration and
// never pushed out).
std::int64_t outputs_held_at_end(const PerTensor<std::int64_t>& tile,
                                 const PerTensor<std::int64_t>& fill, std::int64_t output_words,
                                 std::int64_t l2_words) {
  std::int64_t footprint = 0;
  for (Tensor t : kAllTensors) footprint += tile[t];  // the placed tile: fits in L2, no overflow
  const double new_outputs =
      static_cast<double>(std::max<std::int64_t>(0, fill[Tensor::Output] - tile[Tensor::Output]));
  double new_operands = 0;
  for (Tensor t : {Tensor::Input, Tensor::Weight})
    new_operands += static_cast<double>(std::max<std::int64_t>(0, fill[t] - tile[t]));
  const std::int64_t room = std::max<std::int64_t>(0, l2_words - footprint);
  const double older = new_outputs > 0
                           ? static_cast<double>(room) * new_outputs / (new_outputs + new_operands)
                           : 0.0;
  // At most `room` (a double may round up past it, even past 2^63), so the sum stays within
  // l2_words.
  const std::int64_t older_words =
      older >= static_cast<double>(room) ? room : static_cast<std::int64_t>(std::floor(older));
  return std::min(output_words, tile[Tensor::Output] + older_words);
}

// The words of the tensors' L2 tiles together, or nothing when the sum exceeds 64 bits (then no
// L2 holds them: the cut does not fit).
std::optional<std::int64_t> tile_footprint(const PerTensor<std::int64_t>& tile) {
  std::int64_t footprint = 0;
  for (Tensor t : kAllTensors)
    if (__builtin_add_overflow(footprint, tile[t], &footprint)) return std::nullopt;
  return footprint;
}

// Whether the input chunks of the top level's first `cut` directives may hold rows or columns no
// window reads: on an axis whose stride exceeds 1, unless a directive before the cut cuts the
// output rows (columns) one at a time and none maps the input rows (columns) themselves (a chunk
// is one window), or every window there spans the stride (the filter is at least the stride and
// no directive before the cut splits it) and no directive before the cut maps the input rows or
// columns themselves.
bool skips_inputs(const LayerGeometry& geometry, const LevelPlan& top_level, std::size_t cut) {
  for (const Dim axis : {Dim::Y, Dim::X}) {
    const std::int64_t stride = geometry.stride(axis);
    if (stride == 1) continue;
    const Dim window = axis == Dim::Y ? Dim::R : Dim::S;
    // A chunk of one output row (column) holds one window's rows: no gap, whatever the stride.
    const MapDim outputs = axis == Dim::Y ? MapDim::YOut : MapDim::XOut;
    const MapDim inputs = axis == Dim::Y ? MapDim::Y : MapDim::X;
    bool one_output = false, input_rows = false;
    for (std::size_t i = 0; i < cut && i < top_level.directives.size(); ++i) {
      const ResolvedDirective& d = top_level.directives[i];
      one_output = one_output || (d.dim == outputs && d.size == 1);
      input_rows = input_rows || d.dim == inputs;
    }
    if (one_output && !input_rows) continue;
    if (geometry.size(window) < stride) return true;
    for (std::size_t i = 0; i < cut && i < top_level.directives.size(); ++i) {
      const ResolvedDirective& d = top_level.directives[i];
      if (d.dim == (axis == Dim::Y ? MapDim::Y : MapDim::X)) return true;
      if (base_dim(d.dim) == window && d.size < geometry.size(window)) return true;
    }
  }
  return false;
}

// No top-level directive before `cut` maps a strided axis, its output rows (columns) or its
// filter: every iteration's input chunks span those axes whole, so the rows (columns) no window
// reads are the same share of every iteration's chunks as of the whole input.
bool strided_axes_whole(const LayerGeometry& geometry, const LevelPlan& top_level,
                        std::size_t cut) {
  for (const Dim axis : {Dim::Y, Dim::X}) {
    if (geometry.stride(axis) == 1) continue;
    const Dim window = axis == Dim::Y ? Dim::R : Dim::S;
    for (std::size_t i = 0; i < cut && i < top_level.directives.size(); ++i) {
      const Dim d = base_dim(top_level.directives[i].dim);
      if (d == axis || d == window) return false;
    }
  }
  return true;
}

// The chunks a map on `d` changes in a unit (assign, then finish_level): its own, and the input
// rows (columns) where it moves output rows (columns) or the filter's window.
DimMask chunks_set_by(MapDim d) {
  switch (d) {
    case MapDim::R:
      return dim_bit(Dim::R) | dim_bit(Dim::Y);
    case MapDim::S:
      return dim_bit(Dim::S) | dim_bit(Dim::X);
    default:
      return dim_bit(base_dim(d));  // Y' and X' set the Y and X chunks
  }
}

// How many units share each tile, per tensor: at every level with a SpatialMap, the units of
// the first iteration are compared; units holding identical tiles of a tensor are served by
// one multicast (inputs, weights) or reduced together (outputs). Product over levels.
// Returns the factors over the first 1, 2, ... levels (entry d - 1: depth d), so the top level's
// factor (the L2 fallback's) comes with the PEs' from one walk.
std::vector<PerTensor<std::int64_t>> sharing_factors(const LayerGeometry& geometry,
                                                     const std::vector<LevelPlan>& plans) {
  std::vector<PerTensor<std::int64_t>> by_depth;
  by_depth.reserve(plans.size());
  PerTensor<std::int64_t> factor;
  for (Tensor t : kAllTensors) factor[t] = 1;
  // Scratch kept per thread: evaluations run this once each, for up to 256 units.
  thread_local std::vector<UnitChunks> first;
  thread_local std::vector<std::array<std::int64_t, 8>> held;  // tile bounds of units with a tile
  UnitChunks entry = geometry.whole_layer();
  for (std::size_t l = 0; l < plans.size(); ++l) {
    DimMask spread = 0;
    int spatial_maps = 0;
    for (const ResolvedDirective& d : plans[l].directives)
      if (d.kind == MapKind::Spatial) {
        spread |= chunks_set_by(d.dim);
        ++spatial_maps;
      }
    // One map of N, or of K or C not tied to each other, gives every unit another chunk: the
    // tiles it touches are all distinct (factor 1), and only unit 0's state is needed.
    const bool distinct_tiles =
        spatial_maps == 1 && !geometry.depthwise() &&
        (spread == dim_bit(Dim::N) || spread == dim_bit(Dim::K) || spread == dim_bit(Dim::C));
    // The last unit written stands for `repeats` units in its state (idle in every SpatialMap).
    const std::int64_t repeats = first_level_iteration_head(geometry, plans[l], entry, first,
                                                            distinct_tiles ? 1 : INT64_MAX);
    const std::int64_t units =
        distinct_tiles ? plans[l].units : static_cast<std::int64_t>(first.size()) + repeats - 1;
    if (plans[l].first_spatial >= 0 && units > 1) {
      // Units differ only in what the level's SpatialMaps set: a tensor none of whose tile
      // coordinates those touch has unit 0's tile on every unit.
      for (Tensor t : kAllTensors) {
        const CoordinateDims dims = tile_coordinate_dims(t, geometry);
        if (std::none_of(dims.begin(), dims.end(), [&](DimMask m) { return (m & spread) != 0; })) {
          const Tile tile = TileShape::coordinates(geometry, first.front(), t);
          if (std::none_of(tile.begin(), tile.end(), [](Interval i) { return i.empty(); }))
            factor[t] *= units;  // holders / 1 distinct tile
          continue;
        }
        if (distinct_tiles) continue;  // holders / distinct = 1
        held.clear();
        std::int64_t holders = 0;
        for (const UnitChunks& u : first) {
          const Tile tile = TileShape::coordinates(geometry, u, t);
          std::array<std::int64_t, 8> bounds{};
          bool empty = false;
          for (std::size_t i = 0; i < tile.size; ++i) {
            empty = empty || tile[i].empty();
            bounds[2 * i] = tile[i].lo;
            bounds[2 * i + 1] = tile[i].hi;
          }
          if (empty) continue;
          held.push_back(bounds);
          holders += &u == &first.back() ? repeats : 1;
        }
        const auto distinct = count_distinct(held);
        if (distinct > 0) factor[t] *= std::max<std::int64_t>(1, holders / distinct);
      }
    }
    entry = first.front();
    by_depth.push_back(factor);
  }
  return by_depth;
}

}  // namespace

namespace {

// The hardware-independent part of an evaluation (ModelSession). Filled lazily, part by part:
// an exception leaves a part empty, so the next evaluation recomputes it and throws alike.
struct LayerAnalysis {
  std::optional<SemanticsReport> semantics;
  std::optional<FillCounts> pe_fills;
  std::optional<std::vector<PerTensor<std::int64_t>>> share;  // by depth, sharing_factors
  std::map<std::size_t, FillCounts> cut_fills;                // L2 fills per cut of the top level
  std::optional<FillCounts> top_fills;
  std::optional<PerTensor<std::int64_t>> tile_union;  // union_of_pe_tiles
  std::optional<MulticastWords> multicast;            // count_multicast_words
  // L2 fills per cut past the top level's first SpatialMap: the top level's units side by side.
  struct CutUnion {
    FillCounts fills;
    MulticastWords words;
    std::optional<FillCounts> side_by_side;  // count_fills of units_side_by_side, where it exists
  };
  std::map<std::size_t, CutUnion> cut_unions;
};

template <typename T, typename Compute>
const T& once(std::optional<T>& slot, const Compute& compute) {
  if (!slot) slot.emplace(compute());
  return *slot;
}

// What the analysis depends on: the layer's shape (not its name), the resolved mapping and
// pe.macs_per_cycle.
StateKey analysis_key(const Layer& layer, const ResolvedMapping& resolved,
                      std::int64_t macs_per_cycle) {
  StateKey key{static_cast<std::int64_t>(layer.type), layer.stride_y, layer.stride_x,
               macs_per_cycle};
  for (Dim d : kAllDims) key.push_back(layer.size[d]);
  for (const ResolvedLevel& level : resolved.levels) {
    key.push_back(level.units);
    key.push_back(static_cast<std::int64_t>(level.directives.size()));
    for (const ResolvedDirective& d : level.directives) {
      key.push_back(static_cast<std::int64_t>(d.kind));
      key.push_back(static_cast<std::int64_t>(d.dim));
      key.push_back(d.size);
      key.push_back(d.offset);
    }
  }
  return key;
}

}  // namespace

struct ModelSession::Cache {
  std::unordered_map<StateKey, LayerAnalysis, StateKeyHash> analyses;
  std::size_t reused = 0;
};

namespace {

Metrics evaluate(const Layer& layer, const Mapping& mapping, const Hardware& hw,
                 const ModelOptions& options, ModelSession::Cache* cache) {
  Metrics m;
  m.layer = layer.name;
  m.dataflow = mapping.name;
  m.hardware = hw.name;
  m.engine = Engine::Model;
  m.semantics = options.semantics;
  if (!screen_record(layer, mapping, m)) return m;

  // MAESTRO's own counting (its MAC count and verdicts; no exact validity check).
  if (options.semantics == SemanticsMode::Maestro) return evaluate_maestro(layer, mapping, hw);

  const ResolvedMapping resolved = resolve_mapping(mapping, layer, hw.pe.count);
  LayerAnalysis local;
  LayerAnalysis* analysis = &local;
  if (cache) {
    auto [it, added] =
        cache->analyses.try_emplace(analysis_key(layer, resolved, hw.pe.macs_per_cycle));
    if (!added) ++cache->reused;
    analysis = &it->second;
  }
  LayerAnalysis& a = *analysis;
  const SemanticsReport& semantics =
      once(a.semantics, [&] { return analyze_mapping(layer, resolved, hw.pe.macs_per_cycle); });
  if (!record_validity(semantics, m)) return m;

  const LayerGeometry geometry(layer);
  const std::vector<LevelPlan> plans = plan_levels(resolved);
  const FillCounts& pe_fills =
      once(a.pe_fills, [&] { return count_fills(geometry, plans, plans.size()); });
  const std::vector<PerTensor<std::int64_t>>& share_by_depth =
      once(a.share, [&] { return sharing_factors(geometry, plans); });
  const PerTensor<std::int64_t>& share = share_by_depth.back();
  const NocGeometry dist(hw.noc.distribution, hw.pe.count);
  const NocGeometry red(hw.noc.reduction, hw.pe.count);

  PerTensor<std::int64_t> tensor_words;
  for (Tensor t : kAllTensors) tensor_words[t] = layer.tensor_words(t);

  // --- NoC: words L2 sends (after multicast), words PEs receive, partial sums returning.
  const bool multicast = hw.noc.distribution.multicast;
  const bool reduce = hw.noc.reduction.in_network;
  // With multicast L2 sends each word once per step however many PEs need it (exact where
  // model/multicast.hpp computes it, else the identical-tile share of the fills).
  const MulticastWords* union_words =
      multicast
          ? &once(a.multicast, [&] { return count_multicast_words(geometry, plans, pe_fills); })
          : nullptr;
  auto sent = [&](Tensor t, std::int64_t words) { return multicast ? words / share[t] : words; };
  auto sent_total = [&](Tensor t) {
    return union_words && union_words->exact[t] ? union_words->words[t]
                                                : sent(t, pe_fills.words[t]);
  };
  if (union_words && union_words->classes.size() != pe_fills.classes.size())
    throw std::logic_error("model: multicast and fill counts disagree on the transition classes");
  auto sent_in_class = [&](Tensor t, std::size_t c) {
    return union_words && union_words->exact[t] ? union_words->classes[c][t]
                                                : sent(t, pe_fills.classes[c].words[t]);
  };
  // Every integer the record holds is exact or the run is refused: the counts of fills.cpp and
  // multicast.cpp are checked where they are computed, their sums here (count_arithmetic).
  const std::int64_t delivered =
      add(pe_fills.words[Tensor::Input], pe_fills.words[Tensor::Weight],
          "the count of words the PEs receive (L1 input and weight writes)");
  const std::int64_t ingress =
      add(sent_total(Tensor::Input), sent_total(Tensor::Weight), "the count of NoC ingress words");
  const std::int64_t drained = pe_fills.words[Tensor::Output];  // every psum leaves its PE once
  const std::int64_t arrivals = reduce ? drained / share[Tensor::Output] : drained;
  m.noc.ingress_words = ingress;
  m.noc.egress_words = arrivals;
  m.noc.multicast_factor =
      ingress > 0 ? static_cast<double>(delivered) / static_cast<double>(ingress) : 1.0;

  // --- L1 (per MAC: one input and one weight read, one psum read and write).
  Traffic& tr = m.traffic;
  tr.l1.tensor[Tensor::Input] = {m.macs, pe_fills.words[Tensor::Input]};
  tr.l1.tensor[Tensor::Weight] = {m.macs, pe_fills.words[Tensor::Weight]};
  tr.l1.tensor[Tensor::Output] = {add(m.macs, drained, "the count of L1 output reads"), m.macs};

  // --- L2 and DRAM.
  // L2 holds the chunks of an iteration of the top level's outermost loops: the outermost cut of
  // the top level's directive list whose chunks fit. No cut (all tensors fit) means each tensor
  // moves once. Cuts go at most to the first SpatialMap, where all top-level units still share
  // their chunks; if none fits there, L2 holds the current top-level step of every unit.
  PerTensor<std::int64_t> dram_fill;
  std::int64_t l2_required = 0;
  PerTensor<std::int64_t> l2_tile{};  // per tensor, of the placed cut's footprint
  bool placed = false;
  const LevelPlan& top_level = plans.front();
  const std::size_t last_shared_cut = top_level.first_spatial < 0
                                          ? top_level.directives.size()
                                          : static_cast<std::size_t>(top_level.first_spatial);
  // Holding a whole tensor, L2 holds the words some PE tile names (the simulator fetches no
  // other): fewer than the tensor where strided windows skip rows or columns. A tensor no loop
  // outside the cut splits is whole at that cut: fetched once, kept throughout.
  const PerTensor<std::int64_t>& named =
      once(a.tile_union, [&] { return union_of_pe_tiles(geometry, plans); });
  PerTensor<std::int64_t> whole_volume{};
  // The first iteration holds full chunks, so its tiles are the largest at every cut.
  UnitChunks first_iteration = geometry.whole_layer();
  for (std::size_t cut = 0; cut <= last_shared_cut && !placed; ++cut) {
    if (cut > 0) {
      take_chunk(geometry, first_iteration, top_level.directives[cut - 1], 0);
    }
    UnitChunks finished = first_iteration;
    geometry.finish_level(finished);
    PerTensor<bool> whole{};
    PerTensor<std::int64_t> tile{};
    for (Tensor t : kAllTensors) {
      const std::int64_t volume = TileShape::coordinates(geometry, finished, t).volume();
      if (cut == 0) whole_volume[t] = volume;
      whole[t] = volume == whole_volume[t];
      // L2 holds the words the iteration's PE tiles name: the rows and columns its MACs read.
      tile[t] = whole[t] ? named[t] : TileShape::read_coordinates(geometry, finished, t).volume();
    }
    const std::optional<std::int64_t> footprint = tile_footprint(tile);
    if (!footprint || *footprint > hw.l2_words()) continue;
    l2_tile = tile;
    placed = true;
    l2_required = *footprint;
    if (cut == 0) {  // each word comes once
      dram_fill = named;
      break;
    }
    LevelPlan outer = top_level;
    outer.directives.resize(cut);
    outer.first_spatial = -1;
    outer.units = 1;
    auto held_at = a.cut_fills.find(cut);
    if (held_at == a.cut_fills.end())
      held_at = a.cut_fills.emplace(cut, count_fills(geometry, {outer}, 1, true)).first;
    for (Tensor t : kAllTensors) dram_fill[t] = whole[t] ? named[t] : held_at->second.words[t];
  }
  // Past the top level's first SpatialMap its units hold different chunks: per iteration of the
  // outer loops L2 holds the union of the units' chunks, and DRAM sends the words the union newly
  // holds: the fill count of the units side by side as one unit where their chunks' union is one
  // map's chunk (units_side_by_side, model/fills.hpp), else the words some unit newly needs (the
  // multicast count of model/multicast.hpp over the top level cut there), which counts again a
  // word another unit held in the iteration before. Only where one of them is exact for inputs.
  for (std::size_t cut = last_shared_cut + 1;
       top_level.first_spatial >= 0 && cut <= top_level.directives.size() && !placed; ++cut) {
    auto held_at = a.cut_unions.find(cut);
    if (held_at == a.cut_unions.end()) {
      LevelPlan outer = top_level;
      outer.directives.resize(cut);
      const std::vector<LevelPlan> outer_plans{outer};
      FillCounts fills = count_fills(geometry, outer_plans, 1);
      MulticastWords words = count_multicast_words(geometry, outer_plans, fills);
      std::optional<FillCounts> side_by_side;
      if (std::optional<LevelPlan> one = units_side_by_side(geometry, top_level, cut))
        side_by_side = count_fills(geometry, {*one}, 1, true);
      held_at = a.cut_unions
                    .emplace(cut, LayerAnalysis::CutUnion{std::move(fills), std::move(words),
                                                          std::move(side_by_side)})
                    .first;
    }
    const LayerAnalysis::CutUnion& held = held_at->second;
    // Words of a tensor L2 newly holds: the union's fill count, else the multicast count where it
    // is exact, else the fill count over the top level's identical-tile share (as section 3 counts
    // what L2 sends: weights of depth-wise layers; outputs, where units that reduce hold one tile).
    const PerTensor<std::int64_t>& top_share = share_by_depth.front();
    auto held_words = [&](Tensor t, bool first) {
      if (held.side_by_side)
        return first ? held.side_by_side->classes.front().words[t] : held.side_by_side->words[t];
      if (held.words.exact[t]) return first ? held.words.classes.front()[t] : held.words.words[t];
      return (first ? held.fills.classes.front().words[t] : held.fills.words[t]) / top_share[t];
    };
    // A tensor whose words all come in the first iteration is whole at this cut: L2 keeps the
    // words some PE tile names, once (gaps of strided windows do not matter then).
    PerTensor<bool> whole{};
    for (Tensor t : kAllTensors) whole[t] = held_words(t, true) == held_words(t, false);
    // Split inputs need the exact count (the share of identical tiles misses overlapping
    // windows), and chunks without gaps: the cut's chunks are intervals, which on a strided axis
    // hold the rows or columns its steps skip unless every window spans the stride.
    // Where the strided axes are whole in every iteration, the chunks' skipped rows and columns
    // are the whole input's share: L2 holds (and DRAM sends) the named share of the chunks.
    const bool gaps = skips_inputs(geometry, top_level, cut);
    const bool named_share = gaps && strided_axes_whole(geometry, top_level, cut);
    const auto input_words = [&](bool first) {
      const std::int64_t chunks = held_words(Tensor::Input, first);
      // (long double: a product of two word counts is exact below 2^64)
      return named_share ? static_cast<std::int64_t>(std::llround(
                               static_cast<long double>(chunks) * named[Tensor::Input] /
                               static_cast<long double>(
                                   std::max<std::int64_t>(1, whole_volume[Tensor::Input]))))
                         : chunks;
    };
    const bool exact_inputs = held.side_by_side || held.words.exact[Tensor::Input];
    if (!whole[Tensor::Input] && (!exact_inputs || (gaps && !named_share))) continue;
    // The first iteration holds full chunks: its union is the largest.
    PerTensor<std::int64_t> tile{};
    for (Tensor t : kAllTensors)
      tile[t] = whole[t] ? named[t] : t == Tensor::Input ? input_words(true) : held_words(t, true);
    const std::optional<std::int64_t> footprint = tile_footprint(tile);
    if (!footprint || *footprint > hw.l2_words()) continue;
    l2_tile = tile;
    placed = true;
    l2_required = *footprint;
    for (Tensor t : kAllTensors)
      dram_fill[t] = whole[t]             ? named[t]
                     : t == Tensor::Input ? input_words(false)
                                          : held_words(t, false);
  }
  if (!placed) {
    const FillCounts& top = once(a.top_fills, [&] { return count_fills(geometry, plans, 1); });
    const PerTensor<std::int64_t>& top_share = share_by_depth.front();
    // Every word some tile names comes at least once.
    for (Tensor t : kAllTensors) {
      dram_fill[t] = std::max(named[t], top.words[t] / top_share[t]);
      l2_required = add(l2_required,
                        count_arithmetic::mul_div(top.max_tile[t], top.leaves, top_share[t],
                                                  "the L2 buffer requirement"),
                        "the L2 buffer requirement");
    }
  }
  const std::int64_t output_rmw_reads =
      std::max<std::int64_t>(0, arrivals - tensor_words[Tensor::Output]);
  tr.l2.tensor[Tensor::Input] = {sent_total(Tensor::Input), dram_fill[Tensor::Input]};
  tr.l2.tensor[Tensor::Weight] = {sent_total(Tensor::Weight), dram_fill[Tensor::Weight]};
  // Outputs: read-modify-write of partial sums, then read once more to go to DRAM; partial sums
  // written back and needed again are written into L2 again when DRAM returns them.
  // (A difference of two counts >= 0 cannot overflow.)
  tr.l2.tensor[Tensor::Output] = {
      add(output_rmw_reads, dram_fill[Tensor::Output], "the count of L2 output reads"),
      add(arrivals, dram_fill[Tensor::Output] - tensor_words[Tensor::Output],
          "the count of L2 output writes")};
  tr.dram.tensor[Tensor::Input] = {dram_fill[Tensor::Input], 0};
  tr.dram.tensor[Tensor::Weight] = {dram_fill[Tensor::Weight], 0};
  tr.dram.tensor[Tensor::Output] = {dram_fill[Tensor::Output] - tensor_words[Tensor::Output],
                                    dram_fill[Tensor::Output]};

  count_arithmetic::check_level_totals(tr);

  m.buffer_words_required.l1 =
      add(add(pe_fills.max_tile[Tensor::Input], pe_fills.max_tile[Tensor::Weight],
              "the L1 buffer requirement"),
          pe_fills.max_tile[Tensor::Output], "the L1 buffer requirement");
  m.buffer_words_required.l2 = l2_required;

  // --- Runtime: per class of step, max(ingress, compute, egress), double-buffered.
  const double l2_read_bw = static_cast<double>(hw.l2.banks) * hw.l2.words_per_bank_per_cycle;
  const double ingress_bw = std::min(dist.injection_words_per_cycle(), l2_read_bw);
  const double egress_bw = std::min(red.injection_words_per_cycle(), l2_read_bw);
  // Compute is exact (spec/semantics: per step, the busiest PE's MACs); transfers that take
  // longer than the average step's compute are exposed.
  const std::int64_t compute_total = semantics.compute_cycles;
  const double compute_per_step = semantics.steps > 0 ? static_cast<double>(compute_total) /
                                                            static_cast<double>(semantics.steps)
                                                      : 0.0;
  double exposed = 0;
  std::int64_t first_ingress = 0, last_egress = 0;
  for (std::size_t c = 0; c < pe_fills.classes.size(); ++c) {
    const TransitionClass& cls = pe_fills.classes[c];
    if (cls.per_pe_count == 0) continue;
    const double n = static_cast<double>(cls.per_pe_count);
    const double in_words = static_cast<double>(sent_in_class(Tensor::Input, c)) +
                            static_cast<double>(sent_in_class(Tensor::Weight, c));
    const double out_words = static_cast<double>(
        reduce ? cls.words[Tensor::Output] / share[Tensor::Output] : cls.words[Tensor::Output]);
    const double in_cycles = std::isinf(ingress_bw) ? 0.0 : in_words / n / ingress_bw;
    const double out_cycles = std::isinf(egress_bw) ? 0.0 : out_words / n / egress_bw;
    if (cls.loop < 0) {
      first_ingress = whole_cycles(in_cycles);  // nothing to overlap the first step's ingress with
      last_egress = whole_cycles(out_cycles);   // nor the last step's egress
      continue;
    }
    const double transfer = std::max(in_cycles, out_cycles);
    exposed += n * std::max(0.0, transfer - compute_per_step);
  }
  const std::int64_t steady =
      checked_add(compute_total, whole_cycles(exposed), SourceLocation{}, "runtime");
  // Latencies are below 2^32 (Hardware::check_limits), so these sums stay far from overflow
  // once each term is a checked count.
  const std::int64_t fill = first_ingress + dist.hop_latency_to_farthest() + pipeline::kFillCycles;
  const std::int64_t drain =
      last_egress + red.hop_latency_to_farthest() + pipeline::kDrainTailCycles;
  const std::int64_t on_chip = checked_add(checked_add(fill, steady, SourceLocation{}, "runtime"),
                                           drain, SourceLocation{}, "runtime");
  // DRAM reads (and write-backs of evicted partial sums) overlap the on-chip work; the final
  // write-back of the outputs follows the last partial sum: read out of the L2 banks and sent
  // over the DRAM channel, whichever is slower. The first words wait for DRAM's latency and so
  // does the last write-back.
  // Only the outputs L2 still holds wait for the end; partial sums an L2 too small for them gave
  // up went to DRAM during the layer.
  const std::int64_t final_outputs =
      placed ? outputs_held_at_end(l2_tile, dram_fill, tensor_words[Tensor::Output], hw.l2_words())
             : std::min({tensor_words[Tensor::Output], std::max<std::int64_t>(l2_required, 1),
                         hw.l2_words()});
  const double output_words = static_cast<double>(final_outputs);
  const double dram_words =
      static_cast<double>(tr.dram.reads()) + static_cast<double>(tr.dram.writes()) - output_words;
  const std::int64_t dram_cycles = transfer_cycles(dram_words, hw.dram.words_per_cycle);
  const std::int64_t write_back =
      std::max(transfer_cycles(output_words,
                               static_cast<double>(hw.l2.banks) * hw.l2.words_per_bank_per_cycle),
               transfer_cycles(output_words, hw.dram.words_per_cycle));
  // L2's banks serve every access, whatever the network does: reads for the PEs, DRAM fills,
  // partial sums (one access each, a read-modify-write included) and write-backs of evicted
  // partial sums; the final write-back is `write_back`.
  // (Added as reals: counts that fit alone, whose sum may not.)
  double l2_accesses = static_cast<double>(tr.dram.tensor[Tensor::Output].writes) - output_words;
  for (Tensor t : {Tensor::Input, Tensor::Weight})
    l2_accesses +=
        static_cast<double>(tr.l2.tensor[t].reads) + static_cast<double>(tr.l2.tensor[t].writes);
  l2_accesses += static_cast<double>(tr.l2.tensor[Tensor::Output].writes);
  const std::int64_t l2_cycles = transfer_cycles(l2_accesses, l2_read_bw);
  m.runtime_cycles = checked_add(checked_add(std::max({on_chip, dram_cycles, l2_cycles}),
                                             write_back, SourceLocation{}, "runtime"),
                                 2 * hw.dram.latency_cycles, SourceLocation{}, "runtime");
  std::optional<ContentionEstimate> contention;
  if (options.noc_model == NocModel::Contention) {
    // Section 5b: per-link loads on the topology graph, step by step.
    const ContentionInputs inputs{geometry,     plans,     pe_fills,
                                  semantics,    dram_fill, tensor_words[Tensor::Output],
                                  final_outputs};
    contention = estimate_contention(inputs, hw);
    m.runtime_cycles = contention->runtime_cycles;
  }
  m.pe_utilization =
      m.runtime_cycles > 0
          ? static_cast<double>(m.macs) / (static_cast<double>(m.runtime_cycles) *
                                           static_cast<double>(hw.pe.count * hw.pe.macs_per_cycle))
          : 0.0;

  // --- Energy.
  const Hardware::Energy& e = hw.energy_pj;
  m.energy_pj.mac = static_cast<double>(m.macs) * e.mac;
  m.energy_pj.l1 = static_cast<double>(tr.l1.reads()) * e.l1_read +
                   static_cast<double>(tr.l1.writes()) * e.l1_write;
  m.energy_pj.l2 = static_cast<double>(tr.l2.reads()) * e.l2_read +
                   static_cast<double>(tr.l2.writes()) * e.l2_write;
  // One noc_hop_word per word per link: a word's path from L2, plus a branch per further copy;
  // partial sums alike towards L2, merging into `arrivals` words (exact on crossbar and bus).
  const double link_words = static_cast<double>(ingress) * dist.average_links() +
                            static_cast<double>(delivered - ingress) * dist.branch_links() +
                            static_cast<double>(arrivals) * red.average_links() +
                            static_cast<double>(drained - arrivals) * red.branch_links();
  // The contention estimate knows each multicast and reduction tree's links: one word per link.
  m.energy_pj.noc = (contention ? contention->link_words : link_words) * e.noc_hop_word;
  // Every word over the DRAM channel, the final output write-back included (dram_words above
  // leaves it out: its time is counted separately).
  m.energy_pj.dram =
      (static_cast<double>(tr.dram.reads()) + static_cast<double>(tr.dram.writes())) * e.dram_word;
  m.energy_pj.total =
      m.energy_pj.mac + m.energy_pj.l1 + m.energy_pj.l2 + m.energy_pj.noc + m.energy_pj.dram;
  if (!std::isfinite(m.energy_pj.total))
    throw InputError(hw.where, "the energy overflows a double", "smaller energy_pj values");
  m.status = RecordStatus::Ok;
  return m;
}

}  // namespace

namespace {

Metrics evaluate_named(const Layer& layer, const Mapping& mapping, const Hardware& hw,
                       const ModelOptions& options, ModelSession::Cache* cache) {
  try {
    return evaluate(layer, mapping, hw, options, cache);
  } catch (const InputError& e) {
    if (!e.where().file.empty()) throw;
    // Name the layer and dataflow the problem comes from.
    throw InputError(layer.where,
                     fmt::format("layer {} with dataflow {} on {}: {}", quote(layer.name),
                                 quote(mapping.name), quote(hw.name), e.problem()),
                     e.expected());
  }
}

}  // namespace

Metrics evaluate_layer(const Layer& layer, const Mapping& mapping, const Hardware& hw,
                       const ModelOptions& options) {
  return evaluate_named(layer, mapping, hw, options, nullptr);
}

ModelSession::ModelSession() : cache_(std::make_unique<Cache>()) {}
ModelSession::~ModelSession() = default;

Metrics ModelSession::evaluate(const Layer& layer, const Mapping& mapping, const Hardware& hw,
                               const ModelOptions& options) {
  return evaluate_named(layer, mapping, hw, options, cache_.get());
}

std::size_t ModelSession::reused() const {
  return cache_->reused;
}

}  // namespace metronome
