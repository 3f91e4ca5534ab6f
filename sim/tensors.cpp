#include "sim/tensors.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "spec/error.hpp"

namespace metronome::sim {
namespace {

// Finaliser of splitmix64 (Steele, Lea, Flood, OOPSLA 2014; Vigna's public-domain reference).
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ull;

// Channels of the output tensor: K, or C for a depth-wise layer.
std::int64_t output_channels(const Layer& layer) {
  return layer.type == LayerType::DsConv ? layer.size[Dim::C] : layer.size[Dim::K];
}

std::string layer_label(const Layer& layer) {
  if (layer.name.empty()) return "layer";
  return "layer " + quote(layer.name);
}

std::size_t to_size(std::int64_t v) {
  return static_cast<std::size_t>(v);
}

}  // namespace

TensorLayout::TensorLayout(const Layer& layer) {
  const std::int64_t c = layer.size[Dim::C];
  const std::int64_t y = layer.size[Dim::Y], x = layer.size[Dim::X];
  const std::int64_t r = layer.size[Dim::R], s = layer.size[Dim::S];
  const std::int64_t oy = layer.out_rows(), ox = layer.out_cols();
  input_y = x;
  input_c = y * x;
  input_n = c * y * x;
  weight_r = s;
  weight_c = r * s;
  weight_k = layer.type == LayerType::DsConv ? 0 : c * r * s;
  output_y = ox;
  output_k = oy * ox;
  output_n = output_channels(layer) * oy * ox;
}

std::int64_t tensor_value(std::uint64_t seed, Tensor t, std::int64_t index) {
  const std::uint64_t tensor = static_cast<std::uint64_t>(t);
  const std::uint64_t z =
      splitmix64_mix(seed + (tensor << 62) + (static_cast<std::uint64_t>(index) + 1) * kGamma);
  return static_cast<std::int64_t>(z >> 60) - 8;
}

LayerTensors make_tensors(const Layer& layer, std::uint64_t seed) {
  PerTensor<std::int64_t> words;
  std::int64_t total = 0;
  for (Tensor t : kAllTensors) {
    words[t] = layer.tensor_words(t);
    total = checked_add(total, words[t], layer.where, "the layer's tensor size");
  }
  if (total > kMaxTensorWords)
    throw InputError(
        layer.where,
        fmt::format("{}: its tensors hold {} words (input {}, weight {}, output {}), above the "
                    "simulator's limit of {} words",
                    layer_label(layer), total, words[Tensor::Input], words[Tensor::Weight],
                    words[Tensor::Output], kMaxTensorWords),
        fmt::format("a layer whose input, weight and output hold at most {} words together",
                    kMaxTensorWords));

  LayerTensors tensors;
  // Input: values everywhere but on the padding.
  std::vector<std::int64_t>& in = tensors.words[Tensor::Input];
  in.resize(to_size(words[Tensor::Input]));
  const std::int64_t nc = layer.size[Dim::N] * layer.size[Dim::C];
  const std::int64_t rows = layer.size[Dim::Y], cols = layer.size[Dim::X];
  std::int64_t i = 0;
  for (std::int64_t plane = 0; plane < nc; ++plane)
    for (std::int64_t y = 0; y < rows; ++y) {
      const bool pad_row = y < layer.pad_y || y >= rows - layer.pad_y;
      for (std::int64_t x = 0; x < cols; ++x, ++i) {
        const bool pad = pad_row || x < layer.pad_x || x >= cols - layer.pad_x;
        in[to_size(i)] = pad ? 0 : tensor_value(seed, Tensor::Input, i);
      }
    }
  std::vector<std::int64_t>& w = tensors.words[Tensor::Weight];
  w.resize(to_size(words[Tensor::Weight]));
  for (std::size_t j = 0; j < w.size(); ++j)
    w[j] = tensor_value(seed, Tensor::Weight, static_cast<std::int64_t>(j));
  tensors.words[Tensor::Output].assign(to_size(words[Tensor::Output]), 0);
  return tensors;
}

// Loop order n, k, y', then c, r, s over one output row accumulated in a uint64 row buffer
// (wrapping arithmetic, stays in L1), innermost x' contiguous with the weight hoisted.
// Measured (release build, -O3 as CMake's Release gives it, one core of the development
// machine, a throw-away driver timing the calls with std::chrono::steady_clock, best of 3):
// VGG16 conv1_2 (K = C = 64, 3x3, 226x226 padded input, 1.85 G MACs) in 0.73-0.75 s
// (~0.4 ns per MAC); make_tensors for it takes 0.02 s.
void reference_output(const Layer& layer, const LayerTensors& tensors,
                      std::vector<std::int64_t>& out) {
  const TensorLayout L(layer);
  const bool ds = layer.type == LayerType::DsConv;
  const std::int64_t n_size = layer.size[Dim::N];
  const std::int64_t k_size = output_channels(layer);       // output channels
  const std::int64_t c_size = ds ? 1 : layer.size[Dim::C];  // reduction channels per output
  const std::int64_t r_size = layer.size[Dim::R], s_size = layer.size[Dim::S];
  const std::int64_t oy_size = layer.out_rows(), ox_size = layer.out_cols();
  const std::int64_t sy = layer.stride_y, sx = layer.stride_x;

  const std::vector<std::int64_t>& in = tensors.words[Tensor::Input];
  const std::vector<std::int64_t>& w = tensors.words[Tensor::Weight];
  if (static_cast<std::int64_t>(in.size()) != layer.tensor_words(Tensor::Input) ||
      static_cast<std::int64_t>(w.size()) != layer.tensor_words(Tensor::Weight))
    throw std::logic_error(fmt::format(
        "reference_output: tensors of {} input and {} weight words for {} (expected {} and {})",
        in.size(), w.size(), layer_label(layer), layer.tensor_words(Tensor::Input),
        layer.tensor_words(Tensor::Weight)));
  out.assign(to_size(layer.tensor_words(Tensor::Output)), 0);

  std::vector<std::uint64_t> acc(to_size(ox_size));
  std::uint64_t* const a = acc.data();
  for (std::int64_t n = 0; n < n_size; ++n)
    for (std::int64_t k = 0; k < k_size; ++k)
      for (std::int64_t oy = 0; oy < oy_size; ++oy) {
        for (std::int64_t ox = 0; ox < ox_size; ++ox) a[ox] = 0;
        for (std::int64_t cc = 0; cc < c_size; ++cc) {
          const std::int64_t c = ds ? k : cc;  // depth-wise: the output channel is the input's
          for (std::int64_t r = 0; r < r_size; ++r) {
            const std::int64_t* in_row = in.data() + L.input_index(n, c, oy * sy + r, 0);
            for (std::int64_t s = 0; s < s_size; ++s) {
              const auto wv = static_cast<std::uint64_t>(w[to_size(L.weight_index(k, c, r, s))]);
              const std::int64_t* src = in_row + s;
              if (sx == 1) {
                for (std::int64_t ox = 0; ox < ox_size; ++ox)
                  a[ox] += static_cast<std::uint64_t>(src[ox]) * wv;
              } else {
                for (std::int64_t ox = 0; ox < ox_size; ++ox)
                  a[ox] += static_cast<std::uint64_t>(src[ox * sx]) * wv;
              }
            }
          }
        }
        std::int64_t* o = out.data() + L.output_index(n, k, oy, 0);
        for (std::int64_t ox = 0; ox < ox_size; ++ox) o[ox] = static_cast<std::int64_t>(a[ox]);
      }
}

FunctionalCheck compare_outputs(const Layer& layer, const std::vector<std::int64_t>& expected,
                                const std::vector<std::int64_t>& got) {
  const std::int64_t words = layer.tensor_words(Tensor::Output);
  if (static_cast<std::int64_t>(expected.size()) != words)
    return {false, fmt::format("fail: the reference output has {} words, the layer's output {}",
                               expected.size(), words)};
  if (got.size() != expected.size())
    return {false,
            fmt::format("fail: output has {} words, expected {}", got.size(), expected.size())};
  std::size_t first = expected.size();
  std::int64_t mismatches = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] == got[i]) continue;
    if (mismatches == 0) first = i;
    ++mismatches;
  }
  if (mismatches == 0) return {true, "pass"};
  const TensorLayout L(layer);
  const auto idx = static_cast<std::int64_t>(first);
  const std::int64_t n = idx / L.output_n;
  const std::int64_t k = idx % L.output_n / L.output_k;
  const std::int64_t oy = idx % L.output_k / L.output_y;
  const std::int64_t ox = idx % L.output_y;
  const char* channel = layer.type == LayerType::DsConv ? "c" : "k";
  return {false,
          fmt::format("fail: output[n={},{}={},y'={},x'={}] expected {} got {} ({} of {} "
                      "output words differ)",
                      n, channel, k, oy, ox, expected[first], got[first], mismatches, words)};
}

}  // namespace metronome::sim
