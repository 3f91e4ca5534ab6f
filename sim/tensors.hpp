#pragma once
// A layer's tensors with real values, the reference convolution and the functional check
// (DESIGN.md: "Data values are real (deterministic integer tensors from a seed); the output is
// compared element-wise with a reference convolution").
//
// Layout: row-major flat vectors, exactly as Layer::tensor_words documents them:
//   Input [N][C][Y][X]   (Y, X include the padding)
//   Weight[K][C][R][S]   (DSCONV: Weight[C][R][S])
//   Output[N][K][Y'][X'] (DSCONV: Output[N][C][Y'][X'])
// GEMM layers are already in convolution terms (M -> K, K -> C, N -> Y, R = S = X = 1), so
// A[m][k] = Weight[m][k][0][0], B[k][n] = Input[0][k][n][0], out[m][n] = Output[0][m][n][0].
// Flat indices are the WordKey indices of the memory cores (sim/global_buffer.hpp).

#include <cstdint>
#include <string>
#include <vector>

#include "spec/dims.hpp"
#include "spec/layer.hpp"

namespace metronome::sim {

struct LayerTensors {
  PerTensor<std::vector<std::int64_t>> words;  // flat, row-major (see above)
};

// make_tensors refuses layers whose three tensors together hold more words than this
// (2^28 words = 2 GiB of int64 values; the largest layer of configs/networks, VGG16 conv1_2,
// needs 6.5 M words).
inline constexpr std::int64_t kMaxTensorWords = std::int64_t{1} << 28;

// Strides of the three flat layouts; the innermost stride (x, s, x') is 1.
struct TensorLayout {
  explicit TensorLayout(const Layer& layer);
  TensorLayout() = default;

  // Input[n][c][y][x]; y, x are padded coordinates (0 <= y < Y).
  std::int64_t input_index(std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x) const {
    return n * input_n + c * input_c + y * input_y + x;
  }
  // Weight[k][c][r][s]; for DSCONV the filter is selected by the channel c alone (k is ignored:
  // weight_k is 0), so Weight[C][R][S].
  std::int64_t weight_index(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s) const {
    return k * weight_k + c * weight_c + r * weight_r + s;
  }
  // Output[n][k][y'][x']; for DSCONV pass the channel c as k (Output[N][C][Y'][X']).
  std::int64_t output_index(std::int64_t n, std::int64_t k, std::int64_t oy,
                            std::int64_t ox) const {
    return n * output_n + k * output_k + oy * output_y + ox;
  }

  std::int64_t input_n = 0, input_c = 0, input_y = 0;
  std::int64_t weight_k = 0, weight_c = 0, weight_r = 0;
  std::int64_t output_n = 0, output_k = 0, output_y = 0;
};

// The value generator: word `index` of tensor `t` for `seed` is
//   z = splitmix64_mix(seed + (t << 62) + (index + 1) * 0x9E3779B97F4A7C15)   (mod 2^64)
//   value = (z >> 60) - 8                                                      in [-8, 7]
// with splitmix64_mix the finaliser of Vigna's splitmix64 (xor-shift 30, * 0xBF58476D1CE4E5B9,
// xor-shift 27, * 0x94D049BB133111EB, xor-shift 31), t = 0 input, 1 weight, 2 output. Stateless,
// so every word can be recomputed independently; identical on every platform and standard
// library. Input padding words are 0 regardless (make_tensors).
std::int64_t tensor_value(std::uint64_t seed, Tensor t, std::int64_t index);

// Input and weight values from the seed (input padding rows/cols are 0: row < pad_y or
// row >= Y - pad_y, likewise columns), output all 0. Throws InputError at layer.where when the
// tensors would hold more than kMaxTensorWords words.
LayerTensors make_tensors(const Layer& layer, std::uint64_t seed);

// Direct convolution by definition, arithmetic wrapping in two's complement:
//   out[n][k][oy][ox] = sum_{c,r,s} in[n][c][oy*stride_y + r][ox*stride_x + s] * w[k][c][r][s]
// DSCONV (K == 1 or K == C): out[n][c][oy][ox] = sum_{r,s} in[n][c][..][..] * w[c][r][s].
// `out` is resized to the output's words and overwritten; std::logic_error when the input or
// weight vector does not have the layer's size. Loop order n, k, y', c, r, s, x' over a
// uint64 output-row accumulator (innermost contiguous, weight hoisted): VGG16 conv1_2 (64x64x3x3 on
// 226x226, 1.85 G MACs) takes about 0.75 s single-threaded in the release build (measured, see
// tensors.cpp).
void reference_output(const Layer& layer, const LayerTensors& tensors,
                      std::vector<std::int64_t>& out);

struct FunctionalCheck {
  bool pass = false;
  // The result schema's `functional_check` string: "pass", or
  // "fail: output[n=0,k=1,y'=2,x'=3] expected 5 got 7 (4 of 96 output words differ)" naming the
  // first mismatching word in row-major order (DSCONV: c= instead of k=), or
  // "fail: output has 95 words, expected 96" on a size mismatch.
  std::string message;
};

FunctionalCheck compare_outputs(const Layer& layer, const std::vector<std::int64_t>& expected,
                                const std::vector<std::int64_t>& got);

}  // namespace metronome::sim
