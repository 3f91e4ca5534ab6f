#pragma once
// One DNN layer in convolution terms. GEMM and depth-wise layers are mapped onto the
// convolution dimensions (see docs/input-formats.md):
//   GEMM  out[m][n] = sum_k A[m][k] * B[k][n]:  M -> K, K -> C, N -> Y, with R = S = X = 1.
//   DSCONV: one filter per channel; K is 1 (MAESTRO's notation) or equal to C, and a MAC's
//   output channel is its input channel.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/dims.hpp"
#include "spec/error.hpp"
#include "spec/mapping.hpp"

namespace metronome {

struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::string type_text;      // the type as written, e.g. "TRCONV" for an unsupported one
  PerDim<std::int64_t> size;  // Y and X include padding on both sides
  std::int64_t stride_y = 1;
  std::int64_t stride_x = 1;
  std::int64_t pad_y = 0;
  std::int64_t pad_x = 0;
  std::optional<Mapping> dataflow;  // the layer's own Dataflow block, if it has one
  SourceLocation where;

  std::int64_t out_rows() const;  // Y' = floor((Y - R) / stride) + 1
  std::int64_t out_cols() const;  // X'
  // Number of MACs of the layer (exact; DSCONV counts one filter per channel).
  std::int64_t macs() const;
  // Words of each tensor: Input[N][C][Y][X], Weight[K][C][R][S], Output[N][K][Y'][X']
  // (DSCONV: Weight[C][R][S], Output[N][C][Y'][X']).
  std::int64_t tensor_words(Tensor t) const;

  // Checks sizes, strides and the DSCONV/GEMM constraints; throws InputError at `where`.
  void validate() const;
};

struct Workload {
  std::string network;
  std::string file;
  std::vector<Layer> layers;
  std::vector<std::string> warnings;  // "FILE:LINE: ..." lines for things accepted but suspect
};

}  // namespace metronome
