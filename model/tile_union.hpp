#pragma once
// The words of each tensor that some PE tile names at some step: the union of every PE's tiles
// over the whole layer. It is what L2 fetches from DRAM when it can hold everything (the
// simulator fetches each step's words, the union of its PEs' tiles, and keeps them), and it is
// smaller than the tensor where no tile names some words: the last input rows of a strided
// layer whose windows stop short of the edge, the skipped rows of a 1x1 stride-2 layer.
// See model/README.md, "L2 and DRAM".

#include <cstdint>
#include <vector>

#include "spec/dims.hpp"
#include "spec/semantics_walk.hpp"

namespace metronome {

// Per tensor, |union over PEs and steps of the PE's tile|. Only the input of a strided layer can
// fall short of the whole tensor; its count walks the strided axes' dimension group (free for
// stride-1 layers). Exact when each input coordinate lies in its own dimension group
// (model/fills.hpp: then the union of the tiles is the product of the per-coordinate unions);
// otherwise (coordinates moved together by the spatial maps of one level) the whole input, an
// upper bound.
PerTensor<std::int64_t> union_of_pe_tiles(const LayerGeometry& geometry,
                                          const std::vector<LevelPlan>& plans);

}  // namespace metronome
