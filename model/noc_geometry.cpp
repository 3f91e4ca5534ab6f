#include "model/noc_geometry.hpp"

#include "spec/noc_topology.hpp"

namespace metronome {

NocGeometry::NocGeometry(const NetworkSpec& spec, std::int64_t pes) : spec_(spec) {
  local_port_ = spec.topology == Topology::Crossbar || spec.topology == Topology::Tree ||
                spec.topology == Topology::Mesh;
  switch (spec.topology) {
    case Topology::Bus:
    case Topology::Crossbar:
      injection_links_ = 1;
      farthest_ = 1;
      average_ = 1;
      break;
    case Topology::Tree: {
      std::int64_t depth = 0;
      while ((std::int64_t{1} << depth) < pes) ++depth;
      injection_links_ = 1;
      farthest_ = depth < 1 ? 1 : depth;
      average_ = static_cast<double>(farthest_);
      break;
    }
    case Topology::Mesh:
    case Topology::Systolic: {
      const std::int64_t rows = array_rows(pes);
      const std::int64_t cols = pes / rows;
      injection_links_ = rows;  // L2 along the west edge, one link into every row
      farthest_ = cols;
      average_ = static_cast<double>(cols + 1) / 2.0;
      break;
    }
  }
}

double NocGeometry::injection_words_per_cycle() const {
  return spec_.link_words_per_cycle * static_cast<double>(injection_links_);
}

}  // namespace metronome
