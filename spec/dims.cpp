#include "spec/dims.hpp"

namespace metronome {

std::optional<Dim> parse_dim(std::string_view name) {
  for (Dim d : kAllDims)
    if (dim_name(d) == name) return d;
  return std::nullopt;
}

std::optional<MapDim> parse_map_dim(std::string_view name) {
  if (name == "Y'" || name == "Y\xE2\x80\x99") return MapDim::YOut;
  if (name == "X'" || name == "X\xE2\x80\x99") return MapDim::XOut;
  if (auto d = parse_dim(name)) return as_map_dim(*d);
  return std::nullopt;
}

}  // namespace metronome
