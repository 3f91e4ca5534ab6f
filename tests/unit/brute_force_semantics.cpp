#include "tests/unit/brute_force_semantics.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace metronome::bruteforce {
namespace {

// Half-open interval [lo, hi); empty when hi <= lo.
struct Interval {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  bool empty() const { return hi <= lo; }
  std::int64_t length() const { return hi > lo ? hi - lo : 0; }
};

Interval intersect(Interval a, Interval b) {
  Interval r{std::max(a.lo, b.lo), std::min(a.hi, b.hi)};
  if (r.hi < r.lo) r.hi = r.lo;
  return r;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// Number of chunks of a map (size s, offset o) over the interval `parent`.
std::int64_t num_chunks(Interval parent, std::int64_t s, std::int64_t o) {
  const std::int64_t d = parent.length();
  if (s >= d) return 1;
  return ceil_div(d - s, o) + 1;
}

// Chunk i = [p0 + i*o, p0 + min(i*o + s, D)) of `parent` (may be empty).
Interval chunk_of(Interval parent, std::int64_t s, std::int64_t o, std::int64_t i) {
  const std::int64_t d = parent.length();
  Interval r{parent.lo + i * o, parent.lo + std::min(i * o + s, d)};
  if (r.hi < r.lo) r.hi = r.lo;
  return r;
}

std::size_t dim_index(Dim d) {
  return static_cast<std::size_t>(d);
}

// The two spatial axes: Y (with R and Y') and X (with S and X').
struct Axis {
  Dim in;      // Y or X
  Dim filter;  // R or S
  MapDim out;  // Y' or X'
  std::int64_t stride;
  std::int64_t outputs;  // Y' or X'
};

struct Geometry {
  LayerType type = LayerType::Conv;
  PerDim<std::int64_t> size;
  std::array<Axis, 2> axes{};
  std::int64_t k_space = 0;  // K, or 1 for DSCONV (k = c)
};

// What one unit holds at some point of the walk.
struct UnitState {
  std::array<Interval, kNumDims> chunk{};  // by Dim
  std::array<Interval, 2> out_limit{};     // output rows / cols (Ylim, Xlim)
  // Per level: was the last map of this axis at the current level a Y'/X' map, and the input
  // chunk the level had right before that map.
  std::array<bool, 2> last_was_out{};
  std::array<Interval, 2> before_out{};
  bool revived = false;  // unit 0 holding an empty chunk instead of idling (unit0_never_idle)
};

// Rows a unit needs for output interval `lim` with filter chunk `fc`: the span.
Interval span(const Axis& ax, Interval lim, Interval fc) {
  if (lim.empty() || fc.empty()) return Interval{0, 0};
  return Interval{lim.lo * ax.stride + fc.lo, (lim.hi - 1) * ax.stride + (fc.hi - 1) + 1};
}

// Outputs of `lim` whose window (with filter chunk `fc`) fits in `in` (an interval).
Interval fitting_outputs(const Axis& ax, Interval lim, Interval in, Interval fc) {
  if (fc.empty()) return Interval{lim.lo, lim.lo};
  std::optional<std::int64_t> first;
  std::optional<std::int64_t> last;
  for (std::int64_t o = lim.lo; o < lim.hi; ++o) {
    bool fits = true;
    for (std::int64_t r = fc.lo; r < fc.hi; ++r) {
      const std::int64_t row = o * ax.stride + r;
      if (row < in.lo || row >= in.hi) fits = false;
    }
    if (fits) {
      if (last && *last != o - 1)
        throw std::logic_error("brute force: fitting outputs are not contiguous");
      if (!first) first = o;
      last = o;
    }
  }
  if (!first) return Interval{lim.lo, lim.lo};
  return Interval{*first, *last + 1};
}

std::string directive_text(const ResolvedDirective& d) {
  std::ostringstream os;
  os << (d.kind == MapKind::Spatial ? "SpatialMap(" : "TemporalMap(") << d.size << ',' << d.offset
     << ") " << map_dim_name(d.dim) << ';';
  return os.str();
}

constexpr std::int64_t kMaxLeafUnitSteps = 20'000'000;
constexpr std::int64_t kMaxLayerMacs = 20'000'000;

class Walker {
 public:
  Walker(const Geometry& g, const ResolvedMapping& m, const BruteForceOptions& options,
         std::vector<int>& counts)
      : g_(g), m_(m), options_(options), counts_(counts) {
    for (const ResolvedLevel& level : m_.levels) {
      if (level.units < 1) throw std::invalid_argument("brute force: a level has no units");
      std::optional<std::size_t> first;
      for (std::size_t j = 0; j < level.directives.size(); ++j) {
        const ResolvedDirective& d = level.directives[j];
        if (d.size < 1 || d.offset < 1)
          throw std::invalid_argument("brute force: size or offset < 1");
        if (d.kind != MapKind::Spatial) continue;
        if (!first) {
          first = j;
          continue;
        }
        for (std::size_t i = *first + 1; i < j; ++i) {
          const ResolvedDirective& e = level.directives[i];
          if (e.kind == MapKind::Temporal && base_dim(e.dim) == base_dim(d.dim))
            throw BruteForceRefused("SpatialMap " + directive_text(d) + " depends on TemporalMap " +
                                    directive_text(e) +
                                    " listed after the level's first SpatialMap");
        }
      }
      first_spatial_.push_back(first);
    }
    fold_chunks_.resize(m_.levels.size());
  }

  // The step sequence ("has a MAC" per step) of the units of level `lvl` working inside the
  // chunk `parent`.
  std::vector<std::int64_t> run_level(std::size_t lvl, const UnitState& parent) {
    UnitState start = parent;
    start.last_was_out = {false, false};
    start.revived = false;
    const auto units = static_cast<std::size_t>(m_.levels[lvl].units);
    std::vector<std::optional<UnitState>> states(units, start);
    std::vector<std::int64_t> out;
    walk(lvl, 0, states, 0, out);
    return out;
  }

 private:
  // Applies map `d` taking chunk `i` to unit state `st`; false when there is no chunk `i`
  // (unless `force`: then the unit takes an empty chunk).
  bool apply(const ResolvedDirective& d, std::int64_t i, UnitState& st, bool force = false) const {
    if (is_output_dim(d.dim)) {
      const std::size_t a = d.dim == MapDim::YOut ? 0 : 1;
      const Axis& ax = g_.axes[a];
      Interval& in = st.chunk[dim_index(ax.in)];
      const Interval fc = st.chunk[dim_index(ax.filter)];
      const Interval fit = fitting_outputs(ax, st.out_limit[a], in, fc);
      const bool none = i >= num_chunks(fit, d.size, d.offset);
      if (none && !force) return false;
      Interval lim = chunk_of(fit, d.size, d.offset, i);
      if (none) lim.hi = lim.lo;
      st.before_out[a] = in;
      st.last_was_out[a] = true;
      st.out_limit[a] = lim;
      in = intersect(span(ax, lim, fc), in);
      if (lim.empty() || fc.empty()) in = Interval{in.lo, in.lo};
      return true;
    }
    const Dim dim = base_dim(d.dim);
    Interval& c = st.chunk[dim_index(dim)];
    const bool none = i >= num_chunks(c, d.size, d.offset);
    if (none && !force) return false;
    c = chunk_of(c, d.size, d.offset, i);
    if (none) c.hi = c.lo;
    if (dim == Dim::Y) st.last_was_out[0] = false;
    if (dim == Dim::X) st.last_was_out[1] = false;
    return true;
  }

  std::int64_t chunks_for(const ResolvedDirective& d, const UnitState& st) const {
    if (is_output_dim(d.dim)) {
      const std::size_t a = d.dim == MapDim::YOut ? 0 : 1;
      const Axis& ax = g_.axes[a];
      const Interval fit = fitting_outputs(ax, st.out_limit[a], st.chunk[dim_index(ax.in)],
                                           st.chunk[dim_index(ax.filter)]);
      return num_chunks(fit, d.size, d.offset);
    }
    return num_chunks(st.chunk[dim_index(base_dim(d.dim))], d.size, d.offset);
  }

  // End of a level: where the last map of an axis was Y'/X', the input chunk becomes the span
  // of the rows needed with the level's final filter chunk.
  void finish_level(UnitState& st) const {
    for (std::size_t a = 0; a < 2; ++a) {
      if (!st.last_was_out[a]) continue;
      const Axis& ax = g_.axes[a];
      Interval& in = st.chunk[dim_index(ax.in)];
      const Interval fc = st.chunk[dim_index(ax.filter)];
      const Interval lim = st.out_limit[a];
      if (lim.empty() || fc.empty())
        in = Interval{in.lo, in.lo};
      else
        in = intersect(span(ax, lim, fc), st.before_out[a]);
    }
  }

  void walk(std::size_t lvl, std::size_t idx, const std::vector<std::optional<UnitState>>& states,
            std::int64_t fold, std::vector<std::int64_t>& out) {
    const ResolvedLevel& level = m_.levels[lvl];
    if (std::none_of(states.begin(), states.end(), [](const auto& st) { return st.has_value(); })) {
      // Every unit idles (paired SpatialMaps with different chunk counts): the documents assume
      // this never happens ("unit 0 is never idle"). Counted as no step; flagged.
      ++idle_iterations_;
      return;
    }
    if (idx == level.directives.size()) {
      finish_iteration(lvl, states, out);
      return;
    }
    const ResolvedDirective& d = level.directives[idx];
    const std::int64_t units = level.units;
    if (d.kind == MapKind::Spatial) {
      std::int64_t folds = 1;
      if (first_spatial_[lvl] == idx) {
        // Fold loop: ceil(max n / U) over the level's SpatialMaps, n taken in the state at
        // this point (the same for every unit: only TemporalMaps come before).
        const UnitState& st = *states.front();
        std::vector<std::int64_t>& fold_n = fold_chunks_[lvl];
        fold_n.assign(level.directives.size(), 0);
        std::int64_t max_n = 0;
        for (std::size_t j = idx; j < level.directives.size(); ++j) {
          if (level.directives[j].kind != MapKind::Spatial) continue;
          fold_n[j] = chunks_for(level.directives[j], st);
          max_n = std::max(max_n, fold_n[j]);
        }
        folds = ceil_div(max_n, units);
      } else {
        // A later SpatialMap: its chunk count, where the unit is now, must be the one the fold
        // count was taken from; otherwise the documents do not say what the fold count is.
        for (const auto& st : states) {
          if (st && !st->revived && chunks_for(d, *st) != fold_chunks_[lvl][idx])
            throw BruteForceUnsupported(
                "SpatialMap " + directive_text(d) + " has " + std::to_string(chunks_for(d, *st)) +
                " chunks where a unit meets it but " + std::to_string(fold_chunks_[lvl][idx]) +
                " at the level's fold loop (it depends on a map listed at or after the level's "
                "first SpatialMap)");
        }
      }
      for (std::int64_t f = 0; f < folds; ++f) {
        const std::int64_t fold_here = first_spatial_[lvl] == idx ? f : fold;
        std::vector<std::optional<UnitState>> next = states;
        for (std::size_t u = 0; u < next.size(); ++u) {
          if (!next[u]) continue;
          const std::int64_t chunk = fold_here * units + static_cast<std::int64_t>(u);
          if (!apply(d, chunk, *next[u])) next[u].reset();
        }
        if (options_.unit0_never_idle && !next.front() && states.front()) {
          // Unit 0 holds an empty chunk instead of idling.
          ++idle_iterations_;
          next.front() = states.front();
          apply(d, fold_here * units, *next.front(), true);
          next.front()->revived = true;
        }
        walk(lvl, idx + 1, next, fold_here, out);
      }
      return;
    }
    // TemporalMap: every unit holds chunk i; a unit whose own chunk count is smaller idles.
    std::int64_t max_n = 0;
    for (const auto& st : states)
      if (st) max_n = std::max(max_n, chunks_for(d, *st));
    for (std::int64_t i = 0; i < max_n; ++i) {
      std::vector<std::optional<UnitState>> next = states;
      for (auto& st : next) {
        if (st && !apply(d, i, *st)) {
          st.reset();
          ++temporal_idles_;
        }
      }
      walk(lvl, idx + 1, next, fold, out);
    }
  }

  void finish_iteration(std::size_t lvl, const std::vector<std::optional<UnitState>>& states,
                        std::vector<std::int64_t>& out) {
    std::vector<UnitState> active;
    for (const auto& st : states) {
      if (!st) continue;
      active.push_back(*st);
      finish_level(active.back());
    }
    if (lvl + 1 == m_.levels.size()) {
      // Innermost level: this iteration is one step; it takes as long as its busiest unit.
      std::int64_t busiest = 0;
      for (const UnitState& st : active) {
        if (++leaf_unit_steps_ > kMaxLeafUnitSteps)
          throw BruteForceUnsupported("brute force: case too large");
        busiest = std::max(busiest, perform(st));
      }
      out.push_back(busiest);
      return;
    }
    // Lockstep: the iteration lasts as long as the longest child sequence; step t's busiest
    // unit is the busiest of the active units' child steps t.
    std::vector<std::int64_t> combined;
    for (const UnitState& st : active) {
      const std::vector<std::int64_t> child = run_level(lvl + 1, st);
      if (child.size() > combined.size()) combined.resize(child.size(), 0);
      for (std::size_t t = 0; t < child.size(); ++t) combined[t] = std::max(combined[t], child[t]);
    }
    out.insert(out.end(), combined.begin(), combined.end());
  }

  // Counts every MAC the unit performs with its final chunks; returns how many.
  std::int64_t perform(const UnitState& st) {
    const Interval nc = st.chunk[dim_index(Dim::N)];
    const Interval kc = st.chunk[dim_index(Dim::K)];
    const Interval cc = st.chunk[dim_index(Dim::C)];
    const Interval rc = st.chunk[dim_index(Dim::R)];
    const Interval sc = st.chunk[dim_index(Dim::S)];
    if (rc.empty() || sc.empty()) return 0;
    // Outputs (per axis) whose rows/cols needed with the whole filter chunk all lie in the
    // input chunk.
    std::array<std::vector<std::int64_t>, 2> outs;
    for (std::size_t a = 0; a < 2; ++a) {
      const Axis& ax = g_.axes[a];
      const Interval in = st.chunk[dim_index(ax.in)];
      const Interval fc = a == 0 ? rc : sc;
      const Interval lim = st.out_limit[a];
      for (std::int64_t o = lim.lo; o < lim.hi; ++o) {
        if (o < 0 || o >= ax.outputs) continue;
        bool fits = true;
        for (std::int64_t r = fc.lo; r < fc.hi; ++r) {
          const std::int64_t row = o * ax.stride + r;
          if (row < in.lo || row >= in.hi) fits = false;
        }
        if (fits) outs[a].push_back(o);
      }
    }
    // (k index, c) pairs.
    std::vector<std::pair<std::int64_t, std::int64_t>> kcs;
    if (g_.type == LayerType::DsConv) {
      const std::int64_t k_size = g_.size[Dim::K];
      const std::int64_t c_size = g_.size[Dim::C];
      for (std::int64_t c = cc.lo; c < cc.hi; ++c) {
        const bool k_ok = k_size == c_size ? (c >= kc.lo && c < kc.hi) : !kc.empty();
        if (k_ok) kcs.emplace_back(0, c);
      }
    } else {
      for (std::int64_t k = kc.lo; k < kc.hi; ++k)
        for (std::int64_t c = cc.lo; c < cc.hi; ++c) kcs.emplace_back(k, c);
    }
    const PerDim<std::int64_t>& z = g_.size;
    const std::int64_t yo = g_.axes[0].outputs;
    const std::int64_t xo = g_.axes[1].outputs;
    std::int64_t performed = 0;
    for (std::int64_t n = nc.lo; n < nc.hi; ++n)
      for (const auto& [k, c] : kcs)
        for (std::int64_t r = rc.lo; r < rc.hi; ++r)
          for (std::int64_t s = sc.lo; s < sc.hi; ++s)
            for (std::int64_t oy : outs[0])
              for (std::int64_t ox : outs[1]) {
                const std::int64_t index =
                    (((((n * g_.k_space + k) * z[Dim::C] + c) * z[Dim::R] + r) * z[Dim::S] + s) *
                         yo +
                     oy) *
                        xo +
                    ox;
                ++counts_.at(static_cast<std::size_t>(index));
                ++performed;
              }
    return performed;
  }

  const Geometry& g_;
  const ResolvedMapping& m_;
  BruteForceOptions options_;
  std::vector<int>& counts_;
  std::vector<std::optional<std::size_t>> first_spatial_;
  // Per level: each SpatialMap's chunk count at the fold loop (the state there).
  std::vector<std::vector<std::int64_t>> fold_chunks_;
  std::int64_t leaf_unit_steps_ = 0;

 public:
  std::int64_t idle_iterations_ = 0;
  std::int64_t temporal_idles_ = 0;
};

Geometry geometry_of(const Layer& layer) {
  Geometry g;
  g.type = layer.type;
  g.size = layer.size;
  for (Dim d : kAllDims)
    if (g.size[d] < 1) throw std::invalid_argument("brute force: a dimension is < 1");
  if (layer.stride_y < 1 || layer.stride_x < 1)
    throw std::invalid_argument("brute force: stride < 1");
  if (layer.type == LayerType::DsConv && g.size[Dim::K] != 1 && g.size[Dim::K] != g.size[Dim::C])
    throw std::invalid_argument("brute force: DSCONV needs K = 1 or K = C");
  if (layer.type == LayerType::Unsupported)
    throw std::invalid_argument("brute force: unsupported layer type");
  auto outputs = [](std::int64_t in, std::int64_t f, std::int64_t stride) -> std::int64_t {
    return in < f ? 0 : (in - f) / stride + 1;
  };
  g.axes[0] = Axis{Dim::Y, Dim::R, MapDim::YOut, layer.stride_y,
                   outputs(g.size[Dim::Y], g.size[Dim::R], layer.stride_y)};
  g.axes[1] = Axis{Dim::X, Dim::S, MapDim::XOut, layer.stride_x,
                   outputs(g.size[Dim::X], g.size[Dim::S], layer.stride_x)};
  g.k_space = layer.type == LayerType::DsConv ? 1 : g.size[Dim::K];
  return g;
}

std::int64_t layer_mac_space(const Geometry& g) {
  return g.size[Dim::N] * g.k_space * g.size[Dim::C] * g.size[Dim::R] * g.size[Dim::S] *
         g.axes[0].outputs * g.axes[1].outputs;
}

}  // namespace

MacCoordinate mac_coordinate(const Layer& layer, std::size_t index) {
  const Geometry g = geometry_of(layer);
  auto i = static_cast<std::int64_t>(index);
  MacCoordinate m;
  m.ox = i % g.axes[1].outputs;
  i /= g.axes[1].outputs;
  m.oy = i % g.axes[0].outputs;
  i /= g.axes[0].outputs;
  m.s = i % g.size[Dim::S];
  i /= g.size[Dim::S];
  m.r = i % g.size[Dim::R];
  i /= g.size[Dim::R];
  m.c = i % g.size[Dim::C];
  i /= g.size[Dim::C];
  m.k = i % g.k_space;
  i /= g.k_space;
  m.n = i;
  if (g.type == LayerType::DsConv) m.k = m.c;
  return m;
}

BruteForceResult brute_force(const Layer& layer, const ResolvedMapping& mapping,
                             const BruteForceOptions& options) {
  if (mapping.levels.empty()) throw std::invalid_argument("brute force: mapping has no levels");
  const Geometry g = geometry_of(layer);
  BruteForceResult res;
  res.layer_macs = layer_mac_space(g);
  if (res.layer_macs > kMaxLayerMacs) throw BruteForceUnsupported("brute force: layer too large");
  res.mac_counts.assign(static_cast<std::size_t>(res.layer_macs), 0);

  UnitState top;
  for (Dim d : kAllDims) top.chunk[dim_index(d)] = Interval{0, g.size[d]};
  top.out_limit[0] = Interval{0, g.axes[0].outputs};
  top.out_limit[1] = Interval{0, g.axes[1].outputs};

  Walker walker(g, mapping, options, res.mac_counts);
  res.step_busiest_macs = walker.run_level(0, top);
  for (std::int64_t m : res.step_busiest_macs) res.step_has_mac.push_back(m > 0);
  res.all_idle_iterations = walker.idle_iterations_;
  res.temporal_idles = walker.temporal_idles_;
  res.steps = static_cast<std::int64_t>(res.step_has_mac.size());
  res.empty_steps = static_cast<std::int64_t>(
      std::count(res.step_has_mac.begin(), res.step_has_mac.end(), false));

  for (std::size_t i = 0; i < res.mac_counts.size(); ++i) {
    const int c = res.mac_counts[i];
    res.performed_macs += c;
    if (c == 0) {
      ++res.missing_macs;
      if (res.first_missing.size() < BruteForceResult::kMaxExamples)
        res.first_missing.push_back(mac_coordinate(layer, i));
    } else if (c > 1) {
      res.duplicated_macs += c - 1;
      if (res.first_duplicated.size() < BruteForceResult::kMaxExamples)
        res.first_duplicated.push_back(mac_coordinate(layer, i));
    }
  }
  return res;
}

std::string describe(const ResolvedMapping& mapping) {
  std::ostringstream os;
  for (std::size_t l = 0; l < mapping.levels.size(); ++l) {
    const ResolvedLevel& level = mapping.levels[l];
    os << "  level " << l << " (" << level.units << " units):";
    for (const ResolvedDirective& d : level.directives) os << ' ' << directive_text(d);
    os << '\n';
  }
  return os.str();
}

std::string coordinates_text(const std::vector<MacCoordinate>& coordinates) {
  std::string out = "[";
  for (const MacCoordinate& m : coordinates) {
    if (out.size() > 1) out += ' ';
    out += m.str();
  }
  return out + "]";
}

std::string describe(const Layer& layer) {
  std::ostringstream os;
  os << "  layer " << layer_type_name(layer.type) << ':';
  for (Dim d : kAllDims) os << ' ' << dim_name(d) << '=' << layer.size[d];
  os << " stride Y=" << layer.stride_y << " X=" << layer.stride_x << " pad Y=" << layer.pad_y
     << " X=" << layer.pad_x << '\n';
  return os.str();
}

}  // namespace metronome::bruteforce
