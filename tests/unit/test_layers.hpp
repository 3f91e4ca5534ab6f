#pragma once
// Small layers for tests, built directly (no parser involved).

#include "spec/layer.hpp"

namespace metronome::testing_layers {

inline Layer conv(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s, std::int64_t y,
                  std::int64_t x, std::int64_t stride = 1, LayerType type = LayerType::Conv) {
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
  return l;
}

}  // namespace metronome::testing_layers
