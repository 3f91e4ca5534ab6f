// MAESTRO 4eb08d1's reuse analysis and cost engine: docs/maestro-model.md, sections 7-11.

#include "model/maestro_semantics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "model/count_arithmetic.hpp"
#include "model/maestro_analysis.hpp"

namespace metronome {

namespace {

using namespace maestro;
using States = PerVar<State>;
using Index = std::int64_t;
// MAESTRO's counts wrap where it overflows; ours are exact or refused (InputError).
using count_arithmetic::add;
using count_arithmetic::mul;
constexpr const char* kIngress = "the count of NoC ingress words";
constexpr const char* kEgress = "the count of NoC egress words";
constexpr const char* kMacs = "the MAC count";

// --- Section 7.1.
Index changing_index(const Level& l, const States& st) {
  Index r = -1;
  for (std::size_t i = 0; i < l.df.size(); ++i)
    if (st[l.df[i].var].pos != Pos::Init) r = static_cast<Index>(i);
  return r;
}

bool inited(const Level& l, const TensorSpec& t, const States& st, Index ch) {
  for (std::size_t i = 0; i < l.df.size(); ++i) {
    const Var v = l.df[i].var;
    const State& x = st[v];
    if (x.pos == Pos::Init && t.coupled[v] && static_cast<Index>(i) > ch && !x.unrolled)
      return true;
  }
  return false;
}

// --- Section 7.2.
std::int64_t pe_mapped(const Level& l, const TensorSpec& t, const States& st, bool first, bool ee) {
  const ChunkSizes& s = l.sz;
  std::int64_t r = 1;
  for (const Dir& d : l.df) {
    const Var v = d.var;
    if (!t.coupled[v]) continue;
    const State& x = st[v];
    if (d.kind == MapKind::Temporal) {
      r = mul(r, x.is_edge() ? s.mapped_edge[v] : s.mapped[v], kIngress);
    } else if (x.is_edge()) {
      if (l.edge_clusters == 1 && (first || ee))
        r = mul(r, s.mapped_edge[v], kIngress);
      else if (l.edge_clusters > 1)
        r = mul(r, ee ? s.mapped_edge[v] : s.mapped[v], kIngress);
    } else {
      r = mul(r, s.mapped[v], kIngress);
    }
  }
  return r;
}

std::int64_t pe_ingress(const Level& l, const TensorSpec& t, const States& st, bool first,
                        bool ee) {
  const ChunkSizes& s = l.sz;
  const Index ch = changing_index(l, st);
  const bool ini = inited(l, t, st, ch);
  if (ch == -1) return pe_mapped(l, t, st, first, ee);
  std::int64_t r = 1;
  bool changing = false;
  for (std::size_t j = 0; j < l.df.size(); ++j) {
    const Dir& d = l.df[j];
    const Var v = d.var;
    const auto i = static_cast<Index>(j);
    if (!t.coupled[v]) continue;
    const State& x = st[v];
    if (i == ch) changing = true;
    const std::int64_t full = ee ? s.mapped_edge[v] : s.mapped[v];
    const std::int64_t uniq = ee ? s.unique_edge[v] : s.unique[v];
    if (d.kind == MapKind::Temporal) {
      if (x.pos == Pos::Init) {
        r = mul(r, x.is_edge() ? s.mapped_edge[v] : s.mapped[v], kIngress);
      } else if (i == ch && !ini) {
        if (s.unique[v] == 0)
          maestro_fails({},
                        "MAESTRO terminates here: a changing temporal dimension has no new "
                        "elements (CA_reuse-analysis.hpp: GetPEIngressVolume)");
        r = mul(r, s.unique[v], kIngress);
      } else {
        r = mul(r, s.mapped[v], kIngress);
      }
    } else if (x.pos == Pos::Init) {
      r = mul(r, (first || i <= ch) ? full : uniq, kIngress);
    } else {
      r = mul(r, (!first && !ini && i == ch) ? uniq : full, kIngress);
    }
  }
  return changing ? r : 0;
}

struct SpatialInfo {
  bool mapped = false;
  bool edge = false;
  State state;
};

SpatialInfo spatial_info(const Level& l, const TensorSpec& t, const States& st, bool for_psum) {
  SpatialInfo r;
  for (Var v : t.vars) {
    const std::size_t i = l.find(v);
    if (i == l.df.size() || l.df[i].kind != MapKind::Spatial) continue;
    r.mapped = true;
    r.state = st[v];
    if (r.state.is_edge()) r.edge = true;
  }
  if (for_psum)
    for (const Dir& d : l.df) {
      if (d.kind != MapKind::Spatial) continue;
      r.mapped = true;
      r.state = st[d.var];
      if (r.state.is_edge()) r.edge = true;
    }
  return r;
}

// --- Section 7.3.
std::int64_t ingress(const Level& l, const TensorSpec& t, const States& st) {
  const SpatialInfo sp = spatial_info(l, t, st, false);
  const std::int64_t n = l.units, ne = l.edge_clusters;
  if (!sp.mapped) return pe_ingress(l, t, st, true, false);
  if (!sp.edge)
    return add(pe_ingress(l, t, st, true, false),
               mul(n - 1, pe_ingress(l, t, st, false, false), kIngress), kIngress);
  const bool ee = sp.state.sp_ee;
  std::int64_t r =
      (ne == 1 && ee) ? pe_ingress(l, t, st, true, true) : pe_ingress(l, t, st, true, false);
  if (ne > 1) {
    const std::int64_t nee = ee ? 1 : 0;
    r = add(
        r,
        mul(std::max<std::int64_t>(ne - nee - 1, 0), pe_ingress(l, t, st, false, false), kIngress),
        kIngress);
    r = add(r, mul(nee, pe_ingress(l, t, st, false, true), kIngress), kIngress);
  }
  return r;
}

// --- Section 7.4.
std::int64_t pe_egress(const Level& l, const TensorSpec& t, const States& st, bool psum, bool first,
                       bool ee, bool reuse_edge = true) {
  const ChunkSizes& s = l.sz;
  const std::int64_t ne = l.edge_clusters;
  auto uo = [&](Var v) { return s.unique[v] != 0 ? s.unique[v] : 1; };
  const char* what = psum ? kMacs : kEgress;
  std::int64_t r = 1;
  if (psum) {
    for (const Dir& d : l.df) {
      const Var v = d.var;
      if (t.coupled[v]) continue;
      const State& x = st[v];
      if (d.kind == MapKind::Temporal) {
        r = mul(r, x.is_edge() ? s.mapped_edge[v] : s.mapped[v], what);
      } else if (x.pos == Pos::Init) {
        if (x.is_edge() && ee) {
          if (ne >= 1) r = mul(r, s.mapped_edge[v], what);
        } else {
          r = mul(r, first ? s.mapped[v] : uo(v), what);
        }
      } else if (x.pos == Pos::Steady) {
        r = mul(r, first ? s.mapped[v] : uo(v), what);
      } else if (ne == 1 && (first || ee)) {
        r = mul(r, s.mapped_edge[v], what);
      } else if (ne > 1) {
        r = mul(r, ee ? s.unique_edge[v] : (first ? s.mapped[v] : uo(v)), what);
      }
    }
  }
  for (Var v : t.vars) {
    const std::size_t di = l.find(v);
    if (di == l.df.size()) continue;  // cannot happen: every tensor variable is mapped (3.2)
    const Dir& d = l.df[di];
    const State& x = st[v];
    const Var a = l.dims.conv ? output_coordinate(v) : v;
    if (d.kind == MapKind::Temporal) {
      if (x.pos == Pos::Init)
        r = mul(r, x.is_edge() ? s.mapped_edge[a] : s.mapped[a], what);
      else if (x.pos == Pos::Steady)
        r = mul(r, s.mapped[a], what);
      else
        r = mul(r, s.mapped_edge[a], what);
    } else if (x.pos == Pos::Init) {
      if (x.is_edge() && ee) {
        if (ne == 1)
          r = mul(r, s.mapped_edge[a], what);
        else if (ne > 1)
          r = mul(r, reuse_edge ? s.unique_edge[a] : s.mapped_edge[a], what);
      } else {
        r = mul(r, first ? s.mapped[a] : uo(a), what);
      }
    } else if (x.pos == Pos::Steady) {
      r = mul(r, first ? s.mapped[a] : uo(a), what);
    } else if (ne == 1 && (first || ee)) {
      r = mul(r, s.mapped_edge[v], what);  // MAESTRO looks up the input coordinate here (quirk 9)
    } else if (ne > 1) {
      r = mul(r, ee ? s.unique_edge[a] : (first ? s.mapped[a] : uo(a)), what);
    }
  }
  return r;
}

std::int64_t egress(const Level& l, const TensorSpec& t, const States& st) {
  const SpatialInfo sp = spatial_info(l, t, st, false);
  const std::int64_t n = l.units, ne = l.edge_clusters;
  if (!sp.mapped) return pe_egress(l, t, st, false, true, false);
  if (!sp.edge)
    return add(pe_egress(l, t, st, false, true, false),
               mul(n - 1, pe_egress(l, t, st, false, false, false), kEgress), kEgress);
  const bool ee = sp.state.sp_ee;
  std::int64_t r = (ne == 1 && ee) ? pe_egress(l, t, st, false, true, true)
                                   : pe_egress(l, t, st, false, true, false);
  if (ne > 1) {
    const std::int64_t nee = ee ? 1 : 0;
    r = add(r,
            mul(std::max<std::int64_t>(ne - nee - 1, 0), pe_egress(l, t, st, false, false, false),
                kEgress),
            kEgress);
    r = add(r, mul(nee, pe_egress(l, t, st, false, false, true), kEgress), kEgress);
  }
  return r;
}

std::int64_t critical_psums(const Level& l, const TensorSpec& t, const States& st) {
  const SpatialInfo sp = spatial_info(l, t, st, false);
  if (!sp.mapped) return pe_egress(l, t, st, true, true, false);
  if (!sp.edge) return pe_egress(l, t, st, true, true, false);
  return pe_egress(l, t, st, true, true, l.edge_clusters == 1 && sp.state.sp_ee);
}

std::int64_t macs_per_step(const Level& l, const TensorSpec& t, const States& st) {
  const SpatialInfo sp = spatial_info(l, t, st, true);
  const std::int64_t n = l.units, ne = l.edge_clusters;
  if (!sp.mapped || !sp.edge) return mul(n, pe_egress(l, t, st, true, true, false), kMacs);
  const bool ee = sp.state.sp_ee;
  std::int64_t r = (ne == 1 && ee) ? pe_egress(l, t, st, true, true, true)
                                   : pe_egress(l, t, st, true, true, false);
  if (ne > 1) {
    const std::int64_t nee = ee ? 1 : 0;
    r = add(
        r,
        mul(std::max<std::int64_t>(ne - nee - 1, 0), pe_egress(l, t, st, true, true, false), kMacs),
        kMacs);
    r = add(r, mul(nee, pe_egress(l, t, st, true, false, true, false), kMacs), kMacs);
  }
  return r;
}

// --- Section 8.3: ConstructSubClusterDimension.
DimTable sub_dims(const Level& l, const States& st, bool ee_case) {
  const ChunkSizes& s = l.sz;
  DimTable nd;
  nd.conv = l.dims.conv;
  for (const Dir& d : l.df) {
    const Var v = d.var;
    const State& x = st[v];
    std::int64_t sz = 0;
    if (d.kind == MapKind::Temporal)
      sz = x.is_edge() ? s.mapped_edge[v] : s.mapped[v];
    else if (x.pos == Pos::Steady || (x.pos == Pos::Init && !x.is_edge()))
      sz = s.mapped[v];
    else
      sz = (l.edge_clusters == 1 || ee_case) ? s.mapped_edge[v] : s.mapped[v];
    nd.add(v, sz, l.dims.stride[v]);
  }
  return nd;
}

// --- Section 8.1.
std::int64_t noc_delay(std::int64_t words, std::int64_t bw, std::int64_t latency) {
  const std::int64_t q = floor_div(words, bw);
  return latency + q + (words - q * bw != 0 ? 1 : 0) - 1;
}

struct Result {
  std::int64_t runtime = 0;
  std::int64_t macs = 0;
  std::int64_t steps = 0;
  std::int64_t skipped_steps = 0;
  std::array<std::int64_t, 3> l2r{}, l2w{}, l1r{}, l1w{}, l2sz{}, l1sz{};
};

constexpr std::size_t kIn = 0, kFilter = 1, kOut = 2;
// What each count is, per tensor (kIn, kFilter, kOut), for overflow errors.
constexpr std::array<const char*, 3> kL2Reads = {
    "the count of L2 input reads", "the count of L2 weight reads", "the count of L2 output reads"};
constexpr std::array<const char*, 3> kL2Writes = {"the count of L2 input writes",
                                                  "the count of L2 weight writes",
                                                  "the count of L2 output writes"};
constexpr std::array<const char*, 3> kL1Reads = {
    "the count of L1 input reads", "the count of L1 weight reads", "the count of L1 output reads"};
constexpr std::array<const char*, 3> kL1Writes = {"the count of L1 input writes",
                                                  "the count of L1 weight writes",
                                                  "the count of L1 output writes"};
constexpr const char* kRuntime = "the runtime";
constexpr const char* kL1Size = "the L1 buffer requirement";
constexpr const char* kL2Size = "the L2 buffer requirement";

// Sections 8-10: AnalyzeClusterLevel_V2.
class CostEngine {
 public:
  CostEngine(const Problem& p, std::int64_t bw, std::int64_t latency, std::int64_t offchip)
      : p_(p), bw_(bw), latency_(latency), offchip_(offchip) {}

  Result analyze(std::size_t idx, const DimTable& dims) {
    const Level& l = p_.levels[idx];
    Result res;
    std::int64_t case_id = 0;
    for (const Case& c : iteration_cases(l, dims)) {
      const States& st = c.st;
      const std::int64_t occ = c.occ;
      res.steps = add(res.steps, occ, "the step count");
      if (case_id == 0) update_buffer_sizes(l, dims, st, res);
      std::int64_t egress_words = 0, psum_size = 0, npsum = 0;
      for (std::size_t ti = 0; ti < 3; ++ti) {
        const TensorSpec& t = p_.tensors[ti];
        if (!t.output) continue;
        const std::int64_t e = egress(l, t, st);
        psum_size = add(psum_size, macs_per_step(l, t, st), kMacs);
        egress_words = add(egress_words, e, kEgress);
        res.l2w[ti] = add(res.l2w[ti], mul(occ, e, kL2Writes[ti]), kL2Writes[ti]);
        res.l1w[ti] = add(res.l1w[ti], mul(occ, psum_size, kL1Writes[ti]), kL1Writes[ti]);
        res.l1r[ti] = add(res.l1r[ti], mul(occ, psum_size, kL1Reads[ti]), kL1Reads[ti]);
        npsum = add(npsum, critical_psums(l, t, st), kMacs);
      }
      if (npsum <= 0) {
        res.skipped_steps = add(res.skipped_steps, occ, "the step count");
        continue;
      }
      std::int64_t ingress_words = 0;
      for (std::size_t ti = 0; ti < 3; ++ti) {
        const TensorSpec& t = p_.tensors[ti];
        if (t.output) continue;
        const std::int64_t i = ingress(l, t, st);
        ingress_words = add(ingress_words, i, kIngress);
        res.l2r[ti] = add(res.l2r[ti], mul(occ, i, kL2Reads[ti]), kL2Reads[ti]);
        res.l1w[ti] = res.l2r[ti];
        res.l1r[ti] = add(res.l1r[ti], mul(occ, psum_size, kL1Reads[ti]), kL1Reads[ti]);
      }
      std::int64_t compute = npsum;
      if (idx + 1 < p_.levels.size()) {
        const State& spx = st[l.df[l.sp].var];
        compute = 0;
        if (spx.is_edge() && spx.sp_ee) {
          compute = analyze(idx + 1, sub_dims(l, st, true)).runtime;
          if (l.edge_clusters - 1 > 0)
            compute = std::max(compute, analyze(idx + 1, sub_dims(l, st, false)).runtime);
        } else {
          compute = analyze(idx + 1, sub_dims(l, st, false)).runtime;
        }
      }
      const std::int64_t in_delay = noc_delay(ingress_words, bw_, latency_);
      const std::int64_t out_delay = noc_delay(egress_words, bw_, latency_);
      std::int64_t step =
          c.all_init ? add(compute, in_delay, kRuntime) : std::max({out_delay, compute, in_delay});
      if (idx == 0) {
        const std::int64_t ob = floor_div(res.l2sz[kOut], offchip_);
        const std::int64_t ib =
            floor_div(add(res.l2sz[kIn], res.l2sz[kFilter], "the L2 buffer requirement"), offchip_);
        step = std::max({floor_div(ib, 2), step, floor_div(ob, 2)});
        if (compute == 0)
          maestro_fails({},
                        "MAESTRO divides by zero here (CA_cost-analysis-engine.hpp:344, "
                        "off-chip bandwidth requirement / compute delay, SIGFPE): every "
                        "case of a lower cluster level has no partial sums, so a top-level "
                        "step has compute delay 0");
      }
      res.runtime = add(res.runtime, mul(occ, step, kRuntime), kRuntime);
      res.macs = add(res.macs, mul(occ, psum_size, kMacs), kMacs);
      ++case_id;
    }
    inner_.push_back(res);
    return res;
  }

  // The first result completed: the innermost level's first analysis (section 9.1).
  const Result& innermost() const { return inner_.front(); }

 private:
  // Section 9.1: UpdateBufferSizeReq.
  void update_buffer_sizes(const Level& l, const DimTable& dims, const States& st,
                           Result& res) const {
    for (std::size_t ti = 0; ti < 3; ++ti) {
      const TensorSpec& t = p_.tensors[ti];
      std::int64_t size = 1, mapped = 1;
      const char* size_what = t.output ? kL2Reads[ti] : kL2Writes[ti];  // size is that count
      for (Var v : t.vars) {
        size = mul(
            size,
            dims.is_ref(v) && t.output ? dims.size[v] - dims.size[sliding(v)] + 1 : dims.size[v],
            size_what);
        if (l.find(v) < l.df.size()) mapped = mul(mapped, l.sz.mapped[v], kL1Size);
      }
      if (!t.output) {
        res.l2sz[ti] = add(res.l2sz[ti], mul(2, ingress(l, t, st), kL2Size), kL2Size);
        res.l2w[ti] = size;
        res.l1sz[ti] = add(res.l1sz[ti], mul(2, mapped, kL1Size), kL1Size);
      } else {
        res.l2sz[ti] = mul(2, egress(l, t, st), kL2Size);
        res.l2r[ti] = size;
        res.l1sz[ti] = mul(2, mapped, kL1Size);
      }
    }
  }

  const Problem& p_;
  std::int64_t bw_, latency_, offchip_;
  std::vector<Result> inner_;
};

// MAESTRO's integer bandwidths: INT_MAX when unlimited.
std::int64_t maestro_int(double value, const char* what) {
  if (std::isinf(value)) return INT_MAX;
  if (!(value >= 1))
    maestro_fails(
        {}, fmt::format("MAESTRO divides by a {} of {} (it takes integers >= 1)", what, value));
  return static_cast<std::int64_t>(std::floor(value));
}

}  // namespace

Metrics evaluate_maestro(const Layer& layer, const Mapping& mapping, const Hardware& hw) {
  Metrics m;
  m.layer = layer.name;
  m.dataflow = mapping.name;
  m.hardware = hw.name;
  m.engine = Engine::Model;
  m.semantics = SemanticsMode::Maestro;

  const Problem p = analyze_clusters(layer, mapping, hw.pe.count);
  CostEngine engine(p, maestro_int(hw.noc.distribution.link_words_per_cycle, "NoC bandwidth"),
                    hw.noc.distribution.hop_latency,
                    maestro_int(hw.dram.words_per_cycle, "off-chip bandwidth"));
  const Result top = engine.analyze(0, p.full);
  const Result& inner = engine.innermost();

  m.valid_mapping = true;  // MAESTRO's verdict: it evaluated the mapping
  m.steps = top.steps;
  m.empty_steps = top.skipped_steps;
  m.runtime_cycles = top.runtime;
  m.macs = top.macs;
  m.pe_utilization = top.runtime > 0
                         ? static_cast<double>(top.macs) /
                               (static_cast<double>(top.runtime) * static_cast<double>(hw.pe.count))
                         : 0.0;
  std::int64_t l1_words = 0, l2_words = 0;
  double l1_accesses = 0, l2_accesses = 0;
  for (std::size_t ti = 0; ti < 3; ++ti) {
    const Tensor t = p.tensors[ti].ours;
    m.traffic.l2.tensor[t] = {top.l2r[ti], top.l2w[ti]};
    m.traffic.l1.tensor[t] = {top.l1r[ti], top.l1w[ti]};
    if (p.tensors[ti].output)
      m.traffic.dram.tensor[t] = {0, top.l2r[ti]};
    else
      m.traffic.dram.tensor[t] = {top.l2w[ti], 0};
    l1_words = add(l1_words, inner.l1sz[ti], kL1Size);
    l2_words = add(l2_words, top.l2sz[ti], kL2Size);
    l1_accesses += static_cast<double>(top.l1r[ti]) + static_cast<double>(top.l1w[ti]);
    l2_accesses += static_cast<double>(top.l2r[ti]) + static_cast<double>(top.l2w[ti]);
  }
  m.noc.ingress_words = add(top.l2r[kIn], top.l2r[kFilter], kIngress);
  count_arithmetic::check_level_totals(m.traffic);
  m.noc.egress_words = top.l2w[kOut];
  m.noc.multicast_factor = 1.0;  // MAESTRO's L1 writes of inputs equal their L2 reads
  m.buffer_words_required.l1 = l1_words;
  m.buffer_words_required.l2 = l2_words;

  // Section 11.1: MAESTRO's energies in units of one MAC.
  const double unit = hw.energy_pj.mac;
  m.energy_pj.mac = static_cast<double>(top.macs) * unit;
  m.energy_pj.l1 = 1.68 * l1_accesses * unit;
  m.energy_pj.l2 = 18.61 * l2_accesses * unit;
  m.energy_pj.total = m.energy_pj.mac + m.energy_pj.l1 + m.energy_pj.l2;

  std::vector<std::string> warnings;
  if (l1_words > hw.l1_words())
    warnings.push_back(fmt::format("L1 size requirement {} words is larger than the given {}",
                                   l1_words, hw.l1_words()));
  if (l2_words > hw.l2_words())
    warnings.push_back(fmt::format("L2 size requirement {} words is larger than the given {}",
                                   l2_words, hw.l2_words()));
  m.note = fmt::format("{}", fmt::join(warnings, "; "));
  m.status = RecordStatus::Ok;
  return m;
}

}  // namespace metronome
