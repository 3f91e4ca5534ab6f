// MAESTRO 4eb08d1's cluster analysis, chunk sizes and iteration cases: docs/maestro-model.md,
// sections 1.2 and 2-6 (each function names the section it follows).

#include "model/maestro_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "model/count_arithmetic.hpp"

namespace metronome::maestro {

std::string_view var_name(Var v) {
  constexpr std::array<std::string_view, kNumVars> names = {"N", "K", "C",  "R",  "S",
                                                            "Y", "X", "Y'", "X'", "M"};
  return names[static_cast<std::size_t>(v)];
}

void maestro_fails(const SourceLocation& where, const std::string& what) {
  throw InputError(where, what, "a mapping MAESTRO 4eb08d1 evaluates, or --semantics exact");
}

std::size_t Level::find(Var v) const {
  for (std::size_t i = 0; i < df.size(); ++i)
    if (df[i].var == v) return i;
  return df.size();
}

namespace {

Var to_var(MapDim d, bool gemm) {
  if (gemm) {
    switch (d) {
      case MapDim::K:
        return Var::M;
      case MapDim::C:
        return Var::K;
      case MapDim::Y:
        return Var::N;
      default:
        break;
    }
  }
  return static_cast<Var>(d);  // N K C R S Y X Y' X' share their order with Var
}

// Section 2.1.
std::vector<TensorSpec> tensors_of(LayerType type, bool batch) {
  auto make = [](std::vector<Var> vars, bool output, Tensor ours) {
    TensorSpec t;
    t.vars = std::move(vars);
    for (Var v : t.vars) t.coupled[v] = true;
    t.output = output;
    t.ours = ours;
    return t;
  };
  if (type == LayerType::Gemm)
    return {make({Var::M, Var::K}, false, Tensor::Weight),
            make({Var::K, Var::N}, false, Tensor::Input),
            make({Var::M, Var::N}, true, Tensor::Output)};
  std::vector<Var> in = {Var::C, Var::Y, Var::X};
  std::vector<Var> out = {type == LayerType::DsConv ? Var::C : Var::K, Var::Y, Var::X};
  if (batch) {
    in.insert(in.begin(), Var::N);
    out.insert(out.begin(), Var::N);
  }
  std::vector<Var> filter = {Var::C, Var::R, Var::S};
  if (type != LayerType::DsConv) filter.insert(filter.begin(), Var::K);
  return {make(in, false, Tensor::Input), make(filter, false, Tensor::Weight),
          make(out, true, Tensor::Output)};
}

// Section 3.3: AnalyzeSpatialEdgeCase.
std::int64_t edge_cluster_count(std::int64_t d, std::int64_t s, std::int64_t o, std::int64_t n) {
  const std::int64_t full = o * (n - 1) + s;
  std::int64_t ne = 1;
  if (d > full) {
    const std::int64_t steady = ((d - s) / o + 1) / n - 1;
    const std::int64_t rem = d - (steady + 1) * o * n;
    ne = rem < s ? 1 : (rem - s) / o + 1;
  } else if (d > s) {
    ne = (d - s) / o + 1;
    if (o * (ne - 1) + s < d) ++ne;
  }
  if (d <= s) ne = 1;
  return ne;
}

// Section 4: AnalyzeInputMappingSizes, AnalyzeOutputMappingSizes.
ChunkSizes chunk_sizes(const std::vector<Dir>& df, const DimTable& dims) {
  ChunkSizes c;
  for (const Dir& d : df) {
    const Var v = d.var;
    const std::int64_t m = d.size, o = d.ofs, dd = dims.size[v];
    const std::int64_t st = std::max<std::int64_t>((dd - m) / o, 0);
    const bool has_edge = (st * o + m < dd) || (m > dd);
    c.mapped[v] = m;
    c.unique[v] = std::min(m, o);
    if (d.kind == MapKind::Temporal && dd <= m) c.unique[v] = 0;
    std::int64_t e = dd - (st + 1) * o;
    if (e < 0) e = dd;
    c.mapped_edge[v] = has_edge ? e : m;
    c.unique_edge[v] = std::max<std::int64_t>(o - (m - e), 0);
  }
  for (const Dir& d : df) {
    if (!dims.is_ref(d.var)) continue;
    const Var v = d.var, sl = sliding(v), ov = output_coordinate(v);
    c.mapped[ov] = c.mapped[v] - c.mapped[sl] + 1;
    c.unique[ov] = std::min(d.ofs, d.size);
    c.mapped_edge[ov] = c.mapped_edge[v] - c.mapped_edge[sl] + 1;
    c.unique_edge[ov] = std::min(d.ofs, c.mapped_edge[ov]);
  }
  return c;
}

bool maps(const std::vector<Dir>& df, Var v) {
  return std::any_of(df.begin(), df.end(), [v](const Dir& d) { return d.var == v; });
}

}  // namespace

Problem analyze_clusters(const Layer& layer, const Mapping& mapping, std::int64_t num_pes) {
  const bool gemm = layer.type == LayerType::Gemm;
  Problem p;
  p.conv = !gemm;
  DimTable& full = p.full;
  full.conv = p.conv;
  bool batch = false;
  if (gemm) {
    full.add(Var::M, layer.size[Dim::K]);
    full.add(Var::K, layer.size[Dim::C]);
    full.add(Var::N, layer.size[Dim::Y]);
  } else {
    batch = layer.size[Dim::N] != 1;  // MAESTRO's files declare N only when it is not 1
    if (batch) full.add(Var::N, layer.size[Dim::N]);
    for (Dim d : {Dim::K, Dim::C, Dim::R, Dim::S}) full.add(static_cast<Var>(d), layer.size[d]);
    full.add(Var::Y, layer.size[Dim::Y], layer.stride_y);
    full.add(Var::X, layer.size[Dim::X], layer.stride_x);
    full.add(Var::XOut, full.size[Var::X] - full.size[Var::S] + 1, layer.stride_x);
    full.add(Var::YOut, full.size[Var::Y] - full.size[Var::R] + 1, layer.stride_y);
  }
  p.tensors = tensors_of(layer.type, batch);
  std::vector<Var> in_vars;
  for (const TensorSpec& t : p.tensors)
    if (!t.output)
      for (Var v : t.vars)
        if (std::find(in_vars.begin(), in_vars.end(), v) == in_vars.end()) in_vars.push_back(v);
  std::sort(in_vars.begin(), in_vars.end(), [](Var a, Var b) { return var_name(a) < var_name(b); });

  // Section 1.2: the parser's R/S check, and the directive list with its Cluster lines.
  std::vector<Dir> df;
  std::vector<SourceLocation> where;
  std::vector<std::int64_t> csizes;
  for (std::size_t l = 0; l < mapping.levels.size(); ++l) {
    const MappingLevel& level = mapping.levels[l];
    if (l > 0) {
      const std::int64_t n = level.units ? level.units->resolve(layer) : 1;
      if (n < 1) maestro_fails(level.where, fmt::format("Cluster({}, P) is not positive", n));
      csizes.push_back(n);
      df.push_back(Dir{MapKind::Temporal, Var::K, n, 0, true});
      where.push_back(level.where);
    }
    for (const Directive& d : level.directives) {
      Dir x{d.kind, to_var(d.dim, gemm), d.size.resolve(layer), d.offset.resolve(layer), false};
      if (x.size < 1 || x.ofs < 1)
        maestro_fails(d.where, fmt::format("directive on {} has size {} and offset {}",
                                           var_name(x.var), x.size, x.ofs));
      if (!gemm && x.kind == MapKind::Temporal && (x.var == Var::R || x.var == Var::S)) {
        const std::int64_t dim = full.size[x.var];
        const std::string_view name = var_name(x.var);
        if (x.size != x.ofs || x.size != dim)
          maestro_fails(d.where,
                        fmt::format("MAESTRO rejects this mapping (DFSL_parser.hpp: "
                                    "\"[Error] Invalid mapping ... Tile size of {}({}) "
                                    "should be equal to {} ({})\", exit 255)",
                                    name, x.size,
                                    x.size != x.ofs ? "its tile offset"
                                                    : fmt::format("dimension size of {}", name),
                                    x.size != x.ofs ? x.ofs : dim));
      }
      df.push_back(x);
      where.push_back(d.where);
    }
  }

  // Section 3.1.
  std::int64_t upper = 1;
  for (std::int64_t c : csizes) upper *= c;
  const std::int64_t last = csizes.empty() ? num_pes : csizes.back();
  df.push_back(Dir{MapKind::Temporal, Var::K, last, 0, true});
  where.push_back(mapping.where);
  const std::int64_t num_unit = upper * (num_pes / upper);
  std::int64_t last_size = num_unit;
  std::vector<Dir> cdf;
  const std::vector<Dir>* prev = nullptr;
  DimTable cdims = full;
  for (std::size_t i = 0; i < df.size(); ++i) {
    const Dir& d = df[i];
    if (!d.cluster) {
      cdf.push_back(d);
      continue;
    }
    const bool top = p.levels.empty();
    // 3.2 step 1: ConvertToInputCentric.
    const bool has_x = maps(cdf, Var::X), has_y = maps(cdf, Var::Y);
    std::optional<Var> uninitialised;
    auto first_size = [&](Var v) -> std::int64_t {
      for (const Dir& x : cdf)
        if (x.var == v) return x.size;
      uninitialised = v;
      return 1;
    };
    for (Dir& x : cdf) {
      if (x.var == Var::XOut && !has_x) {
        x.size += first_size(Var::S) - 1;
        x.var = Var::X;
      } else if (x.var == Var::YOut && !has_y) {
        x.size += first_size(Var::R) - 1;
        x.var = Var::Y;
      }
    }
    // Step 2: InheritMissingDirectives.
    if (prev)
      for (const Dir& u : *prev)
        if (!maps(cdf, u.var))
          cdf.insert(cdf.begin(), Dir{MapKind::Temporal, u.var, u.size, u.ofs});
    // Step 3: UnrollMissingDirectives.
    for (Var v : in_vars)
      if (!maps(cdf, v) && cdims.has[v])
        cdf.push_back(Dir{MapKind::Temporal, v, cdims.size[v], cdims.size[v]});
    // Step 4: ApplyOuterStride.
    for (Dir& x : cdf) {
      if (!cdims.has[x.var])
        maestro_fails(where[i], fmt::format("MAESTRO rejects this mapping: \"(Error@ ) Dimension "
                                            "{} not found\" (DFA_dimension-table.hpp: "
                                            "GetOuterStride, exit 255)",
                                            var_name(x.var)));
      const std::int64_t st = cdims.stride[x.var];
      if (!cdims.is_ref(x.var) || st == 1) continue;
      const std::int64_t sl = full.size[sliding(x.var)];
      if (x.size < sl) continue;
      const std::int64_t q = (x.size + st - sl) / st;
      x.size = q * std::min(st, sl) + std::max<std::int64_t>(sl - st, 0);
      x.ofs = q * st;
      if (!top && sl < st) x.ofs = q * sl;
    }
    if (uninitialised)
      maestro_fails(where[i],
                    fmt::format("MAESTRO converts the {}' directive with the size of the "
                                "level's {} directive, which this level lacks: it "
                                "reads an uninitialised value (DFA_cluster-analysis.hpp, "
                                "ConvertToInputCentric), so its result is unreliable",
                                *uninitialised == Var::S ? "X" : "Y", var_name(*uninitialised)));
    // Step 5 and section 3.3.
    Level level;
    level.units = top ? num_unit / upper : last_size;
    level.df = cdf;
    level.dims = cdims;
    std::size_t spatial = 0;
    level.sp = cdf.size();
    for (std::size_t j = 0; j < cdf.size(); ++j) {
      if (cdf[j].kind != MapKind::Spatial) continue;
      if (spatial++ == 0) level.sp = j;
    }
    if (spatial == 0)
      maestro_fails(where[i],
                    "MAESTRO rejects a cluster level without SpatialMap (NoSpatialMap, "
                    "DFA_cluster-unit.hpp)");
    if (spatial > 2)
      maestro_fails(where[i],
                    "MAESTRO rejects a cluster level with more than two SpatialMaps "
                    "(DFA_cluster-unit.hpp)");
    const Dir& sp = cdf[level.sp];
    if (sp.ofs * level.units == 0)
      maestro_fails(where[i],
                    fmt::format("MAESTRO divides by zero here (DFA_cluster-unit.hpp:578, "
                                "AnalyzeNumSpatialIterations, SIGFPE): a Cluster size above the "
                                "{} PEs leaves 0 clusters at the top level",
                                num_pes));
    level.edge_clusters = edge_cluster_count(cdims.size[sp.var], sp.size, sp.ofs, level.units);
    level.sz = chunk_sizes(cdf, cdims);
    p.levels.push_back(std::move(level));
    last_size = d.size;
    // Step 6: ConstructLowerClusterDimensionTable.
    DimTable child;
    child.conv = p.conv;
    for (Var v : in_vars) {
      const auto x = std::find_if(cdf.begin(), cdf.end(), [v](const Dir& y) { return y.var == v; });
      if (x != cdf.end()) child.add(v, std::min(x->size, cdims.size[v]), cdims.stride[v]);
    }
    prev = &p.levels.back().df;
    cdf.clear();
    cdims = child;
  }
  return p;
}

std::vector<Case> iteration_cases(const Level& level, const DimTable& dims) {
  std::vector<std::vector<std::pair<Var, State>>> lists;
  for (const Dir& d : level.df) {
    const std::int64_t dd = dims.size[d.var], m = d.size, o = d.ofs;
    std::vector<std::pair<Var, State>> l;
    if (d.kind == MapKind::Temporal) {
      l.push_back({d.var, State{Pos::Init, 1, dd <= m, dd < m, false}});
      const std::int64_t nst = (dd - m) / o;
      if (m < dd && nst > 0) l.push_back({d.var, State{Pos::Steady, nst, false, false, false}});
      if (!(dd < m) && nst * o + m < dd)
        l.push_back({d.var, State{Pos::Edge, 1, false, false, false}});
    } else {
      const std::int64_t n = level.units;
      const std::int64_t cov = m + o * (n - 1);
      const bool unroll = dd <= cov, iedge = dd < cov;
      l.push_back({d.var, State{Pos::Init, 1, unroll, iedge, iedge}});
      const std::int64_t nst = ((dd - m) / o + 1) / n - 1;
      const bool has_edge =
          !unroll && ((nst + 1) * (o * n) + cov > dd) && (nst * (o * n) + cov != dd);
      if (cov < dd && nst > 0) l.push_back({d.var, State{Pos::Steady, nst, false, false, false}});
      const std::int64_t rem = dd - (nst + 1) * o * n;
      const std::int64_t act = rem < m ? 1 : (rem - m) / o + 1;
      const bool spee = (act - 1) * o + m < rem;
      if (!iedge && has_edge) l.push_back({d.var, State{Pos::Edge, 1, false, false, spee}});
    }
    lists.push_back(std::move(l));
  }
  // ConstructIterationStatusTable, literally: counters advance when case_id % freq == 0.
  const std::size_t n = lists.size();
  std::size_t total = 1;
  for (const auto& l : lists) total *= l.size();
  std::vector<std::size_t> freq(n), ctr(n, 0);
  std::size_t acc = 1;
  for (std::size_t i = n; i-- > 0;) {
    freq[i] = acc;
    acc *= lists[i].size();
  }
  std::vector<Case> cases;
  cases.reserve(total);
  for (std::size_t c = 0; c < total; ++c) {
    Case k;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& [v, s] = lists[i][ctr[i]];
      k.st[v] = s;
      k.occ = count_arithmetic::mul(k.occ, s.occ, "the step count");
      if (c % freq[i] == 0) ctr[i] = ctr[i] + 1 == lists[i].size() ? 0 : ctr[i] + 1;
    }
    for (const Dir& d : level.df)
      if (k.st[d.var].pos != Pos::Init) k.all_init = false;
    cases.push_back(k);
  }
  return cases;
}

}  // namespace metronome::maestro
