#pragma once
// Dimensions and tensors of a layer, and small fixed arrays indexed by them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace metronome {

// Loop dimensions of a convolution. GEMM and depth-wise layers are expressed in these too.
enum class Dim : std::uint8_t { N, K, C, R, S, Y, X };
inline constexpr std::size_t kNumDims = 7;
inline constexpr std::array<Dim, kNumDims> kAllDims = {Dim::N, Dim::K, Dim::C, Dim::R,
                                                       Dim::S, Dim::Y, Dim::X};

// Dimensions a directive may name: the seven loop dimensions plus output rows/cols Y', X'.
enum class MapDim : std::uint8_t { N, K, C, R, S, Y, X, YOut, XOut };
inline constexpr std::size_t kNumMapDims = 9;

enum class Tensor : std::uint8_t { Input, Weight, Output };
inline constexpr std::size_t kNumTensors = 3;
inline constexpr std::array<Tensor, kNumTensors> kAllTensors = {Tensor::Input, Tensor::Weight,
                                                                Tensor::Output};

template <typename T>
struct PerDim {
  std::array<T, kNumDims> values{};
  constexpr T& operator[](Dim d) { return values[static_cast<std::size_t>(d)]; }
  constexpr const T& operator[](Dim d) const { return values[static_cast<std::size_t>(d)]; }
  friend bool operator==(const PerDim&, const PerDim&) = default;
};

template <typename T>
struct PerTensor {
  std::array<T, kNumTensors> values{};
  constexpr T& operator[](Tensor t) { return values[static_cast<std::size_t>(t)]; }
  constexpr const T& operator[](Tensor t) const { return values[static_cast<std::size_t>(t)]; }
  friend bool operator==(const PerTensor&, const PerTensor&) = default;
};

constexpr std::string_view dim_name(Dim d) {
  constexpr std::array<std::string_view, kNumDims> names = {"N", "K", "C", "R", "S", "Y", "X"};
  return names[static_cast<std::size_t>(d)];
}

constexpr std::string_view map_dim_name(MapDim d) {
  constexpr std::array<std::string_view, kNumMapDims> names = {"N", "K", "C",  "R", "S",
                                                               "Y", "X", "Y'", "X'"};
  return names[static_cast<std::size_t>(d)];
}

constexpr std::string_view tensor_name(Tensor t) {
  constexpr std::array<std::string_view, kNumTensors> names = {"input", "weight", "output"};
  return names[static_cast<std::size_t>(t)];
}

// The loop dimension a directive's dimension refers to (Y' -> Y, X' -> X).
constexpr Dim base_dim(MapDim d) {
  switch (d) {
    case MapDim::YOut:
      return Dim::Y;
    case MapDim::XOut:
      return Dim::X;
    default:
      return static_cast<Dim>(d);
  }
}

constexpr bool is_output_dim(MapDim d) {
  return d == MapDim::YOut || d == MapDim::XOut;
}

constexpr MapDim as_map_dim(Dim d) {
  return static_cast<MapDim>(d);
}

// Layer types. Unsupported covers types metronome reads but does not model (e.g. TRCONV).
enum class LayerType : std::uint8_t { Conv, DsConv, Gemm, Unsupported };
std::string_view layer_type_name(LayerType t);  // "CONV", "DSCONV", "GEMM", "UNSUPPORTED"

std::optional<Dim> parse_dim(std::string_view name);
std::optional<MapDim> parse_map_dim(std::string_view name);  // accepts Y', X' (and Y’, X’)

}  // namespace metronome
