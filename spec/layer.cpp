#include "spec/layer.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace metronome {

std::string_view layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::Conv:
      return "CONV";
    case LayerType::DsConv:
      return "DSCONV";
    case LayerType::Gemm:
      return "GEMM";
    case LayerType::Unsupported:
      return "UNSUPPORTED";
  }
  return "UNSUPPORTED";
}

namespace {

// floor((in - filter) / stride) + 1, or 0 when the filter does not fit.
std::int64_t out_extent(std::int64_t in, std::int64_t filter, std::int64_t stride) {
  if (stride < 1 || in < filter) return 0;
  return (in - filter) / stride + 1;
}

std::int64_t product(std::initializer_list<std::int64_t> factors, const SourceLocation& where,
                     const char* what) {
  std::int64_t r = 1;
  for (std::int64_t f : factors) r = checked_mul(r, f, where, what);
  return r;
}

// "layer 'NAME'" for messages (names are shortened like all echoed input).
std::string layer_label(const Layer& layer) {
  if (layer.name.empty()) return "layer";
  return "layer " + quote(layer.name);
}

}  // namespace

std::int64_t Layer::out_rows() const {
  return out_extent(size[Dim::Y], size[Dim::R], stride_y);
}

std::int64_t Layer::out_cols() const {
  return out_extent(size[Dim::X], size[Dim::S], stride_x);
}

std::int64_t Layer::macs() const {
  const std::int64_t channels = type == LayerType::DsConv ? 1 : size[Dim::K];
  return product(
      {size[Dim::N], channels, size[Dim::C], size[Dim::R], size[Dim::S], out_rows(), out_cols()},
      where, "the layer's MAC count");
}

std::int64_t Layer::tensor_words(Tensor t) const {
  const bool ds = type == LayerType::DsConv;
  switch (t) {
    case Tensor::Input:
      return product({size[Dim::N], size[Dim::C], size[Dim::Y], size[Dim::X]}, where,
                     "the input tensor size");
    case Tensor::Weight:
      return product({ds ? 1 : size[Dim::K], size[Dim::C], size[Dim::R], size[Dim::S]}, where,
                     "the weight tensor size");
    case Tensor::Output:
      return product({size[Dim::N], ds ? size[Dim::C] : size[Dim::K], out_rows(), out_cols()},
                     where, "the output tensor size");
  }
  return 0;
}

void Layer::validate() const {
  const std::string label = layer_label(*this);
  for (Dim d : kAllDims) {
    if (size[d] < 1)
      throw InputError(where, fmt::format("{}: dimension {} is {}", label, dim_name(d), size[d]),
                       "an integer >= 1");
  }
  if (stride_y < 1 || stride_x < 1)
    throw InputError(where, fmt::format("{}: stride Y {} X {}", label, stride_y, stride_x),
                     "strides >= 1");
  if (pad_y < 0 || pad_x < 0)
    throw InputError(where, fmt::format("{}: padding Y {} X {}", label, pad_y, pad_x),
                     "padding >= 0");
  if (type != LayerType::Unsupported) {
    if (size[Dim::R] > size[Dim::Y])
      throw InputError(where,
                       fmt::format("{}: filter rows R = {} exceed input rows Y = {}{}", label,
                                   size[Dim::R], size[Dim::Y], pad_y > 0 ? " (after padding)" : ""),
                       "R <= Y");
    if (size[Dim::S] > size[Dim::X])
      throw InputError(where,
                       fmt::format("{}: filter cols S = {} exceed input cols X = {}{}", label,
                                   size[Dim::S], size[Dim::X], pad_x > 0 ? " (after padding)" : ""),
                       "S <= X");
  }
  if (type == LayerType::DsConv && size[Dim::K] != 1 && size[Dim::K] != size[Dim::C])
    throw InputError(
        where, fmt::format("{}: DSCONV with K = {} and C = {}", label, size[Dim::K], size[Dim::C]),
        "K = 1 or K = C for a depth-wise layer");
  if (type == LayerType::Gemm &&
      (size[Dim::N] != 1 || size[Dim::R] != 1 || size[Dim::S] != 1 || size[Dim::X] != 1 ||
       stride_y != 1 || stride_x != 1 || pad_y != 0 || pad_x != 0))
    throw InputError(where, fmt::format("{}: GEMM not in convolution form", label),
                     "M -> K, K -> C, N -> Y with N = R = S = X = 1, stride 1, no padding");
  // Every size derived later must fit in 64 bits.
  (void)macs();
  for (Tensor t : kAllTensors) (void)tensor_words(t);
}

}  // namespace metronome
