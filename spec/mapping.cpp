#include "spec/mapping.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "spec/layer.hpp"

namespace metronome {

std::int64_t Extent::resolve(const Layer& layer) const {
  return size_of ? layer.size[*size_of] : literal;
}

std::string Extent::str() const {
  if (size_of) return fmt::format("Sz({})", dim_name(*size_of));
  return fmt::format("{}", literal);
}

namespace {

std::string_view kind_name(MapKind k) {
  return k == MapKind::Spatial ? "SpatialMap" : "TemporalMap";
}

// docs/semantics.md: a SpatialMap whose chunk would depend on a TemporalMap of the same
// (base) dimension listed after the level's first SpatialMap is refused.
void check_spatial_after_temporal(const MappingLevel& level) {
  const auto& dirs = level.directives;
  std::size_t first_spatial = dirs.size();
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    if (dirs[i].kind == MapKind::Spatial) {
      first_spatial = i;
      break;
    }
  }
  for (std::size_t j = first_spatial + 1; j < dirs.size(); ++j) {
    if (dirs[j].kind != MapKind::Spatial) continue;
    for (std::size_t i = first_spatial + 1; i < j; ++i) {
      if (dirs[i].kind == MapKind::Temporal && base_dim(dirs[i].dim) == base_dim(dirs[j].dim)) {
        throw InputError(
            dirs[j].where,
            fmt::format("SpatialMap on {} depends on the TemporalMap on {} (line {}) listed after "
                        "the level's first SpatialMap (line {}); its fold count would change "
                        "inside the fold loop",
                        map_dim_name(dirs[j].dim), map_dim_name(dirs[i].dim), dirs[i].where.line,
                        dirs[first_spatial].where.line),
            fmt::format("the TemporalMap on {} before the level's first SpatialMap or after this "
                        "SpatialMap",
                        dim_name(base_dim(dirs[i].dim))));
      }
    }
  }
}

}  // namespace

ResolvedMapping resolve_mapping(const Mapping& mapping, const Layer& layer, std::int64_t num_pes) {
  if (mapping.levels.empty())
    throw InputError(mapping.where,
                     fmt::format("dataflow {} has no directives", quote(mapping.name)),
                     "at least one TemporalMap or SpatialMap");
  if (num_pes < 1)
    throw InputError(mapping.where, fmt::format("{} PEs", num_pes), "at least one PE");

  ResolvedMapping out;
  out.name = mapping.name;
  out.levels.resize(mapping.levels.size());

  std::int64_t cluster_product = 1;
  for (std::size_t i = 0; i < mapping.levels.size(); ++i) {
    const MappingLevel& level = mapping.levels[i];
    ResolvedLevel& rl = out.levels[i];
    check_spatial_after_temporal(level);
    if (i > 0) {
      if (!level.units)
        throw InputError(level.where, "a level below the top has no cluster count",
                         "Cluster(n, P)");
      const std::int64_t n = level.units->resolve(layer);
      if (n < 1)
        throw InputError(level.where, fmt::format("cluster count {} = {}", level.units->str(), n),
                         "a cluster count >= 1");
      rl.units = n;
      cluster_product =
          checked_mul(cluster_product, n, level.where, "the product of cluster counts");
    }
    rl.directives.reserve(level.directives.size());
    for (const Directive& d : level.directives) {
      ResolvedDirective r;
      r.kind = d.kind;
      r.dim = d.dim;
      r.size = d.size.resolve(layer);
      r.offset = d.offset.resolve(layer);
      if (r.size < 1)
        throw InputError(d.where,
                         fmt::format("{} on {}: size {} = {}", kind_name(d.kind),
                                     map_dim_name(d.dim), d.size.str(), r.size),
                         "a size >= 1");
      if (r.offset < 1)
        throw InputError(d.where,
                         fmt::format("{} on {}: offset {} = {}", kind_name(d.kind),
                                     map_dim_name(d.dim), d.offset.str(), r.offset),
                         "an offset >= 1");
      rl.directives.push_back(r);
    }
  }

  const std::int64_t top_units = num_pes / cluster_product;
  if (top_units == 0)
    throw InputError(mapping.levels.size() > 1 ? mapping.levels[1].where : mapping.where,
                     fmt::format("the clusters need more PEs than there are ({} PEs, clusters "
                                 "need {})",
                                 num_pes, cluster_product),
                     "a product of cluster counts <= the number of PEs");
  out.levels[0].units = top_units;
  out.pes_used = checked_mul(top_units, cluster_product, mapping.where, "the number of PEs used");
  return out;
}

}  // namespace metronome
